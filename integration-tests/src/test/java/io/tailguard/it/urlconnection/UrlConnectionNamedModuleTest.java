package io.tailguard.it.urlconnection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An application that is a named module on the module path, using HttpURLConnection, is retried like any other. */
@Timeout(120)
class UrlConnectionNamedModuleTest {

    @TempDir
    Path dir;

    @Test
    void aNamedModuleApplicationIsRetriedLikeAnyOther() throws Exception {
        Path src = dir.resolve("src/shop.app");
        Files.createDirectories(src.resolve("shop/app"));
        Files.writeString(src.resolve("module-info.java"), "module shop.app { }");
        Files.writeString(src.resolve("shop/app/Main.java"), String.join("\n",
                "package shop.app;",
                "import java.net.HttpURLConnection;",
                "import java.net.URL;",
                "public class Main {",
                "  public static void main(String[] args) throws Exception {",
                "    HttpURLConnection c = (HttpURLConnection) new URL(args[0]).openConnection();",
                "    int status = c.getResponseCode();",
                "    String body = new String(c.getInputStream().readAllBytes());",
                "    System.out.println(\"status=\" + status + \" body=\" + body + \" module=\" + Main.class.getModule().getName());",
                "  }",
                "}"));
        Path classes = dir.resolve("mods/shop.app");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int compiled = javac.run(null, null, null, "-d", classes.toString(), "--release", "17",
                src.resolve("module-info.java").toString(), src.resolve("shop/app/Main.java").toString());
        assertEquals(0, compiled);
        Path config = dir.resolve("tailguard.properties");
        Files.writeString(config, "tailguard.policy.api.hosts=127.0.0.1\ntailguard.policy.api.tagging=true\n");

        try (TestServer server = new TestServer()) {
            server.enqueue(TestServer.status(503), TestServer.ok("fine"));
            Process process = new ProcessBuilder(List.of(AgentedApp.java(),
                    "-javaagent:" + System.getProperty("tailguard.agent.jar") + "=" + config,
                    "-p", dir.resolve("mods").toString(), "-m", "shop.app/shop.app.Main", server.url("/item")))
                    .redirectErrorStream(true).start();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS));
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertTrue(output.contains("status=200 body=fine module=shop.app"), output);
            assertFalse(output.contains("WARN") || output.contains("ERROR"), output);
            assertEquals("1", server.take().header("X-Attempt"));
            assertEquals("2", server.take().header("X-Attempt"));
        }
    }
}
