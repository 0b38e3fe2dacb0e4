package io.tailguard.it.server.app;

import io.tailguard.it.TempFolders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;

/**
 * Embedded Tomcat with one servlet for every path. Compiled against Tomcat 11, and the same class runs
 * on Tomcat 10.1 and 9: every method it calls has the same descriptor in each (the servlet goes by
 * class name).
 */
final class TomcatStarter {

    private static volatile Tomcat tomcat;

    private TomcatStarter() {
    }

    /** @param maxThreads the connector's worker threads, or 0 for Tomcat's default */
    @SuppressWarnings("deprecation") // addServletMappingDecoded: the one call that maps a servlet in 9, 10.1 and 11
    static int start(String servletClass, int maxThreads) throws Exception {
        Tomcat started = new Tomcat();
        Path baseDir = Files.createTempDirectory("tailguard-it-tomcat");
        // The application ends by System.exit: its hooks run, and the folder goes with it.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> TempFolders.delete(baseDir)));
        started.setBaseDir(baseDir.toString());
        started.setPort(0);
        if (maxThreads > 0) {
            started.getConnector().setProperty("maxThreads", Integer.toString(maxThreads));
        }
        Context context = started.addContext("", null);
        Tomcat.addServlet(context, "app", servletClass).setAsyncSupported(true);
        context.addServletMappingDecoded("/", "app");
        started.start();
        tomcat = started;
        return started.getConnector().getLocalPort();
    }

    /**
     * How many socket events wait in the connector's executor for a worker thread. Its class is
     * Tomcat's own {@code ThreadPoolExecutor}, whose hierarchy differs between versions: reflection.
     */
    static int queued() throws ReflectiveOperationException {
        Executor executor = tomcat.getConnector().getProtocolHandler().getExecutor();
        return ((BlockingQueue<?>) executor.getClass().getMethod("getQueue").invoke(executor)).size();
    }
}
