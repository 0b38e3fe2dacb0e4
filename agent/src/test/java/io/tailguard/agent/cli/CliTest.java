package io.tailguard.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void checkOfAFileThatDisablesTheAgentButIsOtherwiseBrokenSaysTheAgentWouldStaySilent() throws Exception {
        Path file = dir.resolve("t.properties");
        Files.writeString(file, "tailguard.enabled=false\ntailguard.polcy.a.hosts=x\n");

        assertEquals(2, run("check", file.toString()));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("tailguard.polcy.a.hosts: unknown key"), text);
        assertTrue(text.contains("tailguard.enabled=false: the agent would install nothing"), text);
    }

    @Test
    void checkOfAFileWithoutPoliciesSaysEveryRequestPassesThrough() throws Exception {
        Path file = dir.resolve("t.properties");
        Files.writeString(file, "tailguard.mode=shadow\n");

        assertEquals(0, run("check", file.toString()));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith(file + ": valid. 0 policies: every request passes "
                + "through; mode shadow."), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void checkValidatesTheServerKeysAndSaysWhatTheServerSideDoes() throws Exception {
        Path file = dir.resolve("t.properties");
        Files.writeString(file, "tailguard.server.coalesce.paths=/api/*\ntailguard.server.replay.ttl=60s\n"
                + "tailguard.server.shed.max-concurrency=200\n");
        assertEquals(0, run("check", file.toString()));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("Server side: attempts coalesced under /api/*, Idempotency-Key responses replayed "
                + "for 60000 ms; retries and hedges refused at 200 requests in flight."), text);

        Path queue = dir.resolve("queue.properties");
        Files.writeString(queue, "tailguard.server.shed.max-queue-time=250ms\n"
                + "tailguard.server.shed.original-max-queue-time=100ms\ntailguard.server.drop-expired=true\n");
        assertEquals(0, run("check", queue.toString()));
        text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("Server side: retries and hedges refused after 100 ms in the container's queue; "
                + "originals refused after 100 ms in the container's queue; requests that waited in the queue past "
                + "their caller's tagged wait answered without the handler."), text);

        Path bad = dir.resolve("bad.properties");
        Files.writeString(bad, "tailguard.server.shed.max-concurrency=many\n");
        assertEquals(2, run("check", bad.toString()));
        text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("tailguard.server.shed.max-concurrency: 'many'"), text);
    }

    @Test
    void attachRejectsWhatIsNotAProcessIdAsAUsageError() {
        assertEquals(2, run("attach", "my-service"));
        assertEquals(2, run("attach"));
        assertEquals(2, run("check"));
        assertEquals(2, run("list", "extra"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: java -jar tailguard-agent.jar attach <pid>"));
    }

    @Test
    void javaVersionsBelowElevenAreToldApart() {
        assertEquals(8, AttachCommand.featureVersion("1.8"));
        assertEquals(11, AttachCommand.featureVersion("11"));
        assertEquals(25, AttachCommand.featureVersion("25"));
        assertEquals(0, AttachCommand.featureVersion(null));
    }

    @Test
    void theAgentsStatusReadsBackWithHookedClientsFirst() {
        StatusLine status = StatusLine.parse("version=1.0; config=/etc/t.properties; state=enforce; "
                + "clients=jdk hooked, okhttp not-loaded, apache4 off, apache5 hooked, apache5-async failed");

        assertEquals("enforce", status.field("state"));
        assertEquals("/etc/t.properties", status.field("config"));
        assertEquals(List.of("jdk: hooked", "apache5: hooked",
                "okhttp: not loaded by the application yet (hooked when it is)",
                "apache4: off (tailguard.instrumentation.apache4.enabled=false)",
                "apache5-async: could not be hooked, its requests pass through (see the process's log)"),
                status.clients());
    }

    @Test
    void aProcessIsReadyForAttachOnlyWhenItHandlesSigquit() {
        assertTrue(AttachReadiness.catches(List.of("SigBlk:\t0000000000000000", "SigCgt:\t2000000101005ccf"), 3));
        assertFalse(AttachReadiness.catches(List.of("SigCgt:\t0000000000000400"), 3));
    }
}
