package io.tailguard.it.server.app;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** Jetty 12.1 with its ee10 (Servlet 6.0) environment and one servlet for every path. */
final class JettyStarter {

    private JettyStarter() {
    }

    static int start() throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        context.addServlet(JakartaServlet.class, "/").setAsyncSupported(true);
        server.setHandler(context);
        server.start();
        return connector.getLocalPort();
    }
}
