package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar tailguard-agent.jar} as an operator and a CI job use it: {@code check} of a
 * good and a bad file (the same errors the agent logs), usage and version, and {@code attach}
 * failing with a clear reason and status 1 where it cannot attach.
 */
@Timeout(180)
class AgentCommandLineTest {

    private static final String BAD = String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.retry.timeout=5 sec",
            "tailguard.policy.api.retry.max-atempts=4",
            "tailguard.policy.other.hosts=127.0.0.1", "");

    @TempDir
    Path dir;

    @Test
    void checkReportsExactlyTheErrorsTheAgentLogsAndExitsTwo() throws Exception {
        Path bad = dir.resolve("bad.properties");
        Files.writeString(bad, BAD);

        AgentCli.Result check = AgentCli.run("check", bad.toString());

        assertEquals(2, check.exit, check.toString());
        List<String> agentError;
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(null).agentArgument(bad.toString()).start()) {
            app.call(Call.get("jdk-send", server.url("/")));
            agentError = errorBlock(app.stderr());
        }
        assertEquals(4, agentError.size(), agentError.toString());
        assertTrue(agentError.get(0).startsWith("[tailguard] ERROR configuration from " + bad), agentError.get(0));
        List<String> expected = new ArrayList<>(agentError);
        expected.set(0, expected.get(0).substring("[tailguard] ERROR ".length()));
        assertEquals(expected, List.of(check.out.split("\n")).subList(0, 4), check.toString());
        assertTrue(check.out.contains("the agent runs pass-through"), check.toString());
    }

    @Test
    void checkOfAGoodFileExitsZeroAndIgnoresTheCheckingJvmsOwnSettings() throws Exception {
        Path good = dir.resolve("good.properties");
        Files.writeString(good, "tailguard.policy.search.hosts=search.internal, *.search.internal:8443\n"
                + "tailguard.policy.search.hedge.delay=p95\n");

        // Settings that would make the file invalid if they leaked into the check.
        AgentCli.Result check = AgentCli.runWith(List.of("-Dtailguard.mode=loud"),
                List.of("TAILGUARD_BUDGET_RATIO=lots"), "check", good.toString());

        assertEquals(0, check.exit, check.toString());
        assertTrue(check.out.startsWith(good + ": valid. 1 policy: search (hosts search.internal, "
                + "*.search.internal:8443); mode enforce."), check.toString());
        assertTrue(check.out.contains("Checked the file alone"), check.toString());
        assertEquals(2, AgentCli.run("check", dir.resolve("missing.properties").toString()).exit);
    }

    @Test
    void usageWithoutArgumentsVersionAndUnknownCommands() {
        AgentCli.Result none = AgentCli.run();
        assertEquals(2, none.exit, none.toString());
        assertTrue(none.err.contains("usage: java -jar tailguard-agent.jar COMMAND"), none.toString());
        AgentCli.Result unknown = AgentCli.run("atach", "1");
        assertEquals(2, unknown.exit, unknown.toString());
        assertTrue(unknown.err.contains("unknown command 'atach'"), unknown.toString());
        AgentCli.Result version = AgentCli.run("version");
        assertEquals(0, version.exit, version.toString());
        // Built in a git checkout (this module's parent has .git), the jar names its commit too.
        String commit = Files.exists(Paths.get("..", ".git")) ? " \\(commit [0-9a-f]{7,}(, with uncommitted changes)?\\)" : "";
        assertTrue(version.out.matches("Tailguard [0-9][^ ]*" + commit + "\\R"), version.toString());
    }

    @Test
    void attachingToAProcessThatDoesNotExistFailsWithStatusOne() throws Exception {
        Process gone = new ProcessBuilder(AgentedApp.java(), "-version").start();
        gone.waitFor();
        String pid = Long.toString(gone.pid());

        AgentCli.Result attach = AgentCli.run("attach", pid);

        assertEquals(1, attach.exit, attach.toString());
        assertEquals("tailguard attach: there is no process " + pid + " (on this host, in this container).\n",
                attach.err, attach.toString());
    }

    @Test
    void attachingToAProcessThatIsNotAJvmFailsWithStatusOneAndLeavesItRunning() throws Exception {
        // HotSpot's attach signals SIGQUIT, which would terminate a process that does not handle it.
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            AgentCli.Result attach = AgentCli.run("attach", Long.toString(sleep.pid()));

            assertEquals(1, attach.exit, attach.toString());
            assertTrue(attach.err.contains("does not handle SIGQUIT"), attach.toString());
            assertTrue(sleep.isAlive(), "the process was not signalled");
        } finally {
            sleep.destroy();
        }
    }

    @Test
    void attachingToAJvmWithAttachDisabledFailsWithStatusOneAndSaysWhy() throws Exception {
        try (AgentedApp app = AgentedApp.withoutAgent().jvmOption("-XX:+DisableAttachMechanism").start()) {
            AgentCli.Result attach = AgentCli.run("attach", Long.toString(app.pid()));

            assertEquals(1, attach.exit, attach.toString());
            assertTrue(attach.err.contains("does not accept attach: it was started with -XX:+DisableAttachMechanism"),
                    attach.toString());
            assertFalse(app.stderr().contains("[tailguard]"), app.stderr());
        }
    }

    @Test
    void attachingToAJvmOfAnotherUserFailsWithStatusOneAndSaysWhichUser() throws Exception {
        Path setpriv = Paths.get("/usr/bin/setpriv");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(setpriv),
                "needs root and setpriv to run the command as another user");
        try (AgentedApp app = AgentedApp.withoutAgent().start()) {
            AgentCli.Result attach = AgentCli.run(
                    List.of(setpriv.toString(), "--reuid=nobody", "--regid=nogroup", "--clear-groups"),
                    "attach", Long.toString(app.pid()));

            assertEquals(1, attach.exit, attach.toString());
            assertTrue(attach.err.contains("runs as user root and this command as nobody"), attach.toString());
        }
    }

    @Test
    void attachWithAnInvalidFileAttachesNothingAndExitsTwo() throws Exception {
        Path bad = dir.resolve("bad.properties");
        Files.writeString(bad, BAD);
        try (AgentedApp app = AgentedApp.withoutAgent().start()) {
            AgentCli.Result attach = AgentCli.run("attach", Long.toString(app.pid()), bad.toString());

            assertEquals(2, attach.exit, attach.toString());
            assertTrue(attach.err.contains("tailguard.policy.api.retry.max-atempts: unknown key"), attach.toString());
            assertTrue(attach.err.contains("Nothing was attached."), attach.toString());
            // Loaded with this file, the agent would have logged the same error there.
            assertFalse(app.stderr().contains("[tailguard]"), app.stderr());
        }
    }

    /** The agent's error line and the problem lines under it. */
    private static List<String> errorBlock(String stderr) {
        List<String> block = new ArrayList<>();
        for (String line : stderr.split("\n")) {
            if (line.startsWith("[tailguard] ERROR")) {
                block.add(line);
            } else if (!block.isEmpty() && line.startsWith("  - ")) {
                block.add(line);
            } else if (!block.isEmpty()) {
                break;
            }
        }
        return block;
    }
}
