package io.tailguard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunOptionsTest {

    @TempDir
    Path dir;

    /** A jar with only a manifest, whose main attributes are {@code name, value, ...}. */
    private Path jar(String... attributes) throws Exception {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        for (int i = 0; i < attributes.length; i += 2) {
            manifest.getMainAttributes().putValue(attributes[i], attributes[i + 1]);
        }
        Path jar = dir.resolve("tailguard-agent.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream unused = new JarOutputStream(out, manifest)) {
            // the manifest is all
        }
        return jar;
    }

    private static RunOptions agent(Path jar) {
        RunOptions options = new RunOptions();
        options.agentJar = jar;
        return options;
    }

    @Test
    void aReportNamesTheAgentJarWithTheCommitItWasBuiltFrom() throws Exception {
        RunOptions options = agent(jar("Tailguard-Commit", "1a2b3c4", "Tailguard-Uncommitted-Changes", "false"));

        assertEquals("`tailguard-agent.jar` at `1a2b3c4`", options.agentDescription());
    }

    @Test
    void aJarBuiltFromATreeWithUncommittedChangesSaysSo() throws Exception {
        RunOptions options = agent(jar("Tailguard-Commit", "1a2b3c4", "Tailguard-Uncommitted-Changes", "true"));

        assertEquals("`tailguard-agent.jar` at `1a2b3c4` with uncommitted changes", options.agentDescription());
    }

    @Test
    void aJarBuiltOutsideAGitCheckoutIsNamedAlone() throws Exception {
        assertEquals("`tailguard-agent.jar`", agent(jar()).agentDescription());
        assertEquals("`tailguard-agent.jar`", agent(jar("Tailguard-Commit", "${git.commit.id.abbrev}")).agentDescription());
    }

    @Test
    void theJvmGivenIsRememberedForTheReproduceLineAndOnlyThen() throws Exception {
        String agent = jar().toString();

        RunOptions other = RunOptions.parse(new String[] {"--agent", agent, "--java", "/opt/jdk-25/bin/java"});
        RunOptions own = RunOptions.parse(new String[] {"--agent", agent});

        assertEquals("/opt/jdk-25/bin/java", other.java);
        assertEquals("/opt/jdk-25/bin/java", other.javaArg);
        assertNull(own.javaArg, "the benchmark's own JVM needs no option to reproduce");
    }

    @Test
    void aBaselineAgentIsParsedAndNamedAsTheAgentIs() throws Exception {
        String agent = jar().toString();
        Path baseline = Files.copy(jar("Tailguard-Commit", "9f8e7d6"), dir.resolve("baseline.jar"));

        RunOptions with = RunOptions.parse(new String[] {"--agent", agent, "--baseline-agent", baseline.toString()});

        assertEquals(baseline, with.baselineAgent);
        assertEquals("`baseline.jar` at `9f8e7d6`", with.baselineDescription());
        assertNull(RunOptions.parse(new String[] {"--agent", agent}).baselineAgent);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> RunOptions.parse(
                new String[] {"--agent", agent, "--baseline-agent", dir.resolve("none.jar").toString()}));
        assertTrue(missing.getMessage().contains("--baseline-agent"), missing.getMessage());
    }

    @Test
    void theFloorIsStartedOnlyWhenAskedFor() throws Exception {
        String agent = jar().toString();

        assertTrue(RunOptions.parse(new String[] {"--agent", agent, "--floor"}).floor);
        assertFalse(RunOptions.parse(new String[] {"--agent", agent}).floor);
    }

    @Test
    void aMissingJarIsNamedAlone() {
        assertEquals("`absent.jar`", agent(dir.resolve("absent.jar")).agentDescription());
    }
}
