package io.tailguard.it.server.app;

import java.nio.file.Files;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;

/**
 * Embedded Tomcat with one servlet for every path. Compiled against Tomcat 11, and the same class runs
 * on Tomcat 9: every method it calls has the same descriptor in both (the servlet goes by class name).
 */
final class TomcatStarter {

    private TomcatStarter() {
    }

    @SuppressWarnings("deprecation") // addServletMappingDecoded: the one call that maps a servlet in both 9 and 11
    static int start(String servletClass) throws Exception {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("tailguard-it-tomcat").toString());
        tomcat.setPort(0);
        Context context = tomcat.addContext("", null);
        Tomcat.addServlet(context, "app", servletClass).setAsyncSupported(true);
        context.addServletMappingDecoded("/", "app");
        tomcat.start();
        return tomcat.getConnector().getLocalPort();
    }
}
