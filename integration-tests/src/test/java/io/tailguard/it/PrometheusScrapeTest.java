package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** The port the agent's endpoint is given in these tests, picked where no bind to port 0 can take it first. */
class PrometheusScrapeTest {

    @Test
    void aFreePortLiesBelowTheKernelsEphemeralPortsAndCanBeBound() throws Exception {
        int ephemeralFrom = PrometheusScrape.ephemeralRangeStart();
        assumeTrue(ephemeralFrom > PrometheusScrape.PORTS_BELOW_EPHEMERAL + 1024,
                "no ephemeral range below which to pick on this machine");
        for (int i = 0; i < 20; i++) {
            int port = PrometheusScrape.freePort();
            assertTrue(port >= 1024 && port < ephemeralFrom, port + " is not below " + ephemeralFrom);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 1);
            }
        }
    }
}
