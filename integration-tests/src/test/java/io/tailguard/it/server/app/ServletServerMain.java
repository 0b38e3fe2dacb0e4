package io.tailguard.it.server.app;

import io.tailguard.it.app.AppMain;
import java.util.Map;

/**
 * A servlet application in its own JVM, in the container named by the first argument
 * ({@code tomcat-jakarta}, {@code tomcat-javax}, {@code jetty}), on an ephemeral port; a second
 * argument, for Tomcat, is its connector's number of worker threads. It speaks the protocol of
 * {@link AppMain} on stdin and stdout: {@code port}, {@code runs <path>},
 * {@code awaitRuns <path> <count>}, {@code awaitWaiting <count>}, {@code release <path>}, and for
 * Tomcat {@code awaitQueued <count>}.
 */
public final class ServletServerMain {

    public static void main(String[] args) throws Exception {
        // The protocol's answers go to stdout: whatever the container prints goes to stderr.
        System.setOut(System.err);
        int port;
        int maxThreads = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        switch (args[0]) {
            case "tomcat-jakarta":
                port = TomcatStarter.start(JakartaServlet.class.getName(), maxThreads);
                break;
            case "tomcat-javax":
                port = TomcatStarter.start(JavaxServlet.class.getName(), maxThreads);
                break;
            case "jetty":
                port = JettyStarter.start();
                break;
            default:
                throw new IllegalArgumentException(args[0]);
        }
        AppMain.serve(command -> answer(command, port));
    }

    /** Answers one command of the protocol for an application listening on {@code port}. */
    static Map<String, String> answer(Map<String, String> command, int port) throws Exception {
        String path = command.get("path");
        switch (command.get("verb")) {
            case "port":
                return Map.of("port", Integer.toString(port));
            case "runs":
                return Map.of("runs", Integer.toString(Handler.runs(path)));
            case "awaitRuns":
                boolean reached = Handler.awaitRuns(path, Integer.parseInt(command.get("count")), 60_000);
                return Map.of("reached", Boolean.toString(reached), "runs", Integer.toString(Handler.runs(path)));
            case "awaitWaiting":
                return Map.of("reached", Boolean.toString(awaitWaiting(Integer.parseInt(command.get("count")))));
            case "release":
                Handler.release(path);
                return Map.of();
            case "awaitQueued":
                return Map.of("reached", Boolean.toString(awaitQueued(Integer.parseInt(command.get("count")))));
            default:
                throw new IllegalArgumentException("unknown verb " + command.get("verb"));
        }
    }

    /** Waits until {@code count} socket events wait in Tomcat's executor for a worker thread. */
    private static boolean awaitQueued(int count) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (TomcatStarter.queued() < count) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /**
     * Waits until {@code count} requests wait for another attempt of theirs in the agent (a thread in
     * the server engine's {@code Flight.await}): what a test must know before it lets the first go.
     */
    private static boolean awaitWaiting(int count) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            int waiting = 0;
            for (StackTraceElement[] stack : Thread.getAllStackTraces().values()) {
                for (StackTraceElement frame : stack) {
                    if (frame.getClassName().equals("io.tailguard.agent.server.Flight") && frame.getMethodName().equals("await")) {
                        waiting++;
                        break;
                    }
                }
            }
            if (waiting >= count) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }
}
