package io.tailguard.it.apache;

import io.tailguard.it.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A fresh server for every test, so that request counts and queues never carry over. */
abstract class ServerPerTest {

    protected TestServer server;

    @BeforeEach
    void startServer() {
        server = new TestServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }
}
