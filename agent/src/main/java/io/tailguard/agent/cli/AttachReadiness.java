package io.tailguard.agent.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * Whether attaching to a process is safe. On Linux, HotSpot's attach API starts a JVM's attach
 * listener by sending it SIGQUIT; a process that does not handle that signal (a JVM still
 * starting, one run with {@code -Xrs}, or not a JVM at all) is terminated by it. JDK 24 checks
 * this itself before signalling (JDK-8342449); the JDKs before it do not, so this command does.
 */
final class AttachReadiness {

    private static final int SIGQUIT = 3;

    private AttachReadiness() {
    }

    /** @return {@code true} when the process may be attached to, or when this cannot be known here */
    static boolean ready(String pid) {
        Path proc = Paths.get("/proc", pid);
        if (!Files.isDirectory(proc)) {
            return true;
        }
        // A listener already started answers on its socket: no signal is sent then.
        if (Files.exists(proc.resolve("root/tmp/.java_pid" + pid))) {
            return true;
        }
        try {
            return catches(Files.readAllLines(proc.resolve("status")), SIGQUIT);
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /** Reads the {@code SigCgt} mask (signals with a handler) of {@code /proc/<pid>/status}. */
    static boolean catches(List<String> status, int signal) {
        for (String line : status) {
            if (line.startsWith("SigCgt:")) {
                long mask = Long.parseUnsignedLong(line.substring("SigCgt:".length()).trim(), 16);
                return (mask & (1L << (signal - 1))) != 0;
            }
        }
        return true;
    }
}
