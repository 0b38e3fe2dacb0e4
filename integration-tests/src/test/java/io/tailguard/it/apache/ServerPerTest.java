package io.tailguard.it.apache;

import io.tailguard.it.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AutoClose;

/** A fresh server for every test, so that request counts and queues never carry over. */
abstract class ServerPerTest {

    @AutoClose
    protected final TestServer server = new TestServer();

    /** The {@code X-Attempt} headers of the next {@code arrivals} requests, in the order they arrived. */
    protected List<String> attemptHeaders(int arrivals) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < arrivals; i++) {
            seen.add(server.take().header("X-Attempt"));
        }
        return seen;
    }
}
