package io.tailguard.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.jar.JarFile;
import java.util.zip.CRC32;

/**
 * Puts the bootstrap classes (the dispatcher and its interfaces) on the bootstrap class path, where
 * every class loader can see them: the platform loader's {@code java.net.http} as much as a web
 * application's OkHttp. They ship inside the agent jar as a nested jar, and are written once to
 * the temporary directory under a name that carries their checksum, so that JVMs starting together
 * share one file and an upgraded agent never picks up an old copy.
 */
final class BootstrapJar {

    static final String RESOURCE = "/META-INF/tailguard/tailguard-bootstrap.jar";

    private BootstrapJar() {
    }

    static void appendTo(Instrumentation instrumentation) throws IOException {
        byte[] content;
        try (InputStream in = BootstrapJar.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException(RESOURCE + " is missing from the agent jar");
            }
            content = in.readAllBytes();
        }
        CRC32 crc = new CRC32();
        crc.update(content);
        Path dir = Paths.get(System.getProperty("java.io.tmpdir"));
        Path target = dir.resolve("tailguard-bootstrap-" + Long.toHexString(crc.getValue()) + "-" + content.length + ".jar");
        if (!Files.isRegularFile(target) || !Arrays.equals(Files.readAllBytes(target), content)) {
            Path temporary = Files.createTempFile(dir, "tailguard-bootstrap-", ".tmp");
            try {
                Files.write(temporary, content);
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
        instrumentation.appendToBootstrapClassLoaderSearch(new JarFile(target.toFile()));
    }
}
