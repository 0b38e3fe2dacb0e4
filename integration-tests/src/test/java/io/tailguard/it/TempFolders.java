package io.tailguard.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The temporary folders a test's servers write to (nginx's prefix, Tomcat's base). */
public final class TempFolders {

    private TempFolders() {
    }

    /** Deletes {@code root} and everything in it, as far as it can: a folder left behind is nothing a test depends on. */
    public static void delete(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // A temporary folder left behind.
        }
    }
}
