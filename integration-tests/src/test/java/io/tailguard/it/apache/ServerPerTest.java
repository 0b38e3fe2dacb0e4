package io.tailguard.it.apache;

import io.tailguard.it.TestServer;
import org.junit.jupiter.api.AutoClose;

/** A fresh server for every test, so that request counts and queues never carry over. */
abstract class ServerPerTest {

    @AutoClose
    protected final TestServer server = new TestServer();
}
