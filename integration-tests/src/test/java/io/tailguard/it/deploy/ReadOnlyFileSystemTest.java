package io.tailguard.it.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A container with a read-only root file system ({@code readOnlyRootFilesystem: true}) and no
 * writable temporary directory: the agent writes nothing, so it works all the same. The application
 * runs as an unprivileged user (root may write where permissions say it may not), with
 * {@code java.io.tmpdir} a directory that user cannot write to, which the test checks first.
 */
@Timeout(120)
class ReadOnlyFileSystemTest {

    private static final String SETPRIV = "/usr/bin/setpriv";

    @AutoClose
    private final TestServer server = new TestServer();

    private Path base;

    @AfterEach
    void removeFiles() throws Exception {
        if (base != null) {
            try (var files = Files.walk(base)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(path -> path.toFile().delete());
            }
        }
    }

    @Test
    void retriesWorkWhenTheTemporaryDirectoryIsReadOnlyForAnUnprivilegedUser() throws Exception {
        List<String> asUnprivileged = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            assumeTrue(new File(SETPRIV).canExecute(), "needs setpriv to run the application as nobody");
            asUnprivileged.addAll(List.of(SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        base = Files.createTempDirectory("tailguard-read-only-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path config = base.resolve("tailguard.properties");
        Files.writeString(config, "tailguard.policy.api.hosts=127.0.0.1\n"
                + "tailguard.policy.api.retry.backoff.initial=10ms\ntailguard.policy.api.tagging=true\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        Path tmp = base.resolve("tmp");
        Files.createDirectory(tmp);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-xr-xr-x"));

        List<String> probe = new ArrayList<>(asUnprivileged);
        probe.addAll(List.of("/bin/sh", "-c", "echo probe > " + tmp.resolve("probe")));
        Process writer = new ProcessBuilder(probe).redirectErrorStream(true).start();
        assertEquals(true, writer.waitFor(30, TimeUnit.SECONDS));
        assertNotEquals(0, writer.exitValue(), "the application's user cannot write to its temporary directory");
        assertFalse(Files.exists(tmp.resolve("probe")));

        server.respondWith(request -> "1".equals(request.getHeaders().get("X-Attempt"))
                ? TestServer.status(503) : TestServer.ok("second attempt"));
        try (AgentedApp app = AgentedApp.withConfig(null).agentArgument(config.toString())
                .launcher(asUnprivileged.toArray(new String[0]))
                .jvmOption("-Djava.io.tmpdir=" + tmp)
                .jvmOption("-XX:-UsePerfData")
                .start()) {
            Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item")));

            assertEquals("200", result.get("status"), result + "\n" + app.stderr());
            assertEquals(2, server.requestCount());
            assertEquals("1", server.take().header("X-Attempt"));
            assertEquals("2", server.take().header("X-Attempt"));
            assertEquals(List.of(), app.stderrLines(Pattern.compile("\\[tailguard]")), "nothing to report");
            assertEquals(List.of(), app.stderrLines(Pattern.compile("Sharing is only supported")),
                    "nothing appended to the bootstrap class path");
        }
        try (var written = Files.list(tmp)) {
            assertEquals(List.of(), written.toList());
        }
    }
}
