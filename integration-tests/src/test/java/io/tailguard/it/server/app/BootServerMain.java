package io.tailguard.it.server.app;

import io.tailguard.it.app.AppMain;
import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot application as one is usually written: a {@code @RestController} on Boot's embedded
 * Tomcat, served through its {@code DispatcherServlet}, on an ephemeral port. It counts and holds its
 * runs with {@link Handler} and speaks {@link ServletServerMain}'s protocol. No component scan: the
 * controller is this class.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@RestController
public class BootServerMain {

    public static void main(String[] args) throws Exception {
        // The protocol's answers go to stdout: whatever Boot logs goes to stderr.
        System.setOut(System.err);
        WebServerApplicationContext context = (WebServerApplicationContext) SpringApplication.run(
                BootServerMain.class, "--server.port=0", "--spring.main.banner-mode=off");
        int port = context.getWebServer().getPort();
        AppMain.serve(command -> ServletServerMain.answer(command, port));
    }

    @GetMapping(path = "/text/{name}", produces = "text/plain;charset=UTF-8")
    public String text(@PathVariable("name") String name, @RequestHeader(name = "Authorization", required = false)
            String authorization, HttpServletRequest request) {
        String path = "/text/" + name;
        int run = Handler.enter(path, request.getQueryString());
        return "héllo wörld from " + path + " run " + run + (authorization == null ? "" : " for " + authorization) + "\n";
    }

    /** The same through Boot's JSON message converter (Jackson). */
    @GetMapping("/json/{name}")
    public Map<String, Object> json(@PathVariable("name") String name, HttpServletRequest request) {
        String path = "/json/" + name;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("path", path);
        body.put("run", Handler.enter(path, request.getQueryString()));
        return body;
    }
}
