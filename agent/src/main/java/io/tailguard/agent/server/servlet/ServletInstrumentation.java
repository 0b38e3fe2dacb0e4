package io.tailguard.agent.server.servlet;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.instrumentation.LibraryBridge;
import io.tailguard.agent.server.ServerEngine;
import io.tailguard.bootstrap.CallInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import java.util.List;

/**
 * The server side in a Servlet container: {@code HttpServlet.service(ServletRequest, ServletResponse)}
 * of {@code jakarta.servlet} and of {@code javax.servlet}, the public entry every container calls
 * for a servlet (Tomcat's {@code ApplicationFilterChain}, Jetty's {@code ServletHolder}), after the
 * application's filters. Spring's {@code DispatcherServlet} and most frameworks' servlets inherit it.
 *
 * <p>The adapter ({@code ...servlet.adapter}) is compiled against {@code jakarta.servlet} and runs
 * through {@link LibraryBridge} in the class loader that loaded the servlet API, for {@code javax}
 * renamed by {@link JakartaToJavax}: one adapter, not two copies of it.
 */
public final class ServletInstrumentation implements ClientInstrumentation {

    public static final String NAME = "servlet";

    private static final String JAKARTA = "jakarta/servlet/";
    private static final String JAVAX = "javax/servlet/";
    private static final String ADAPTER_PACKAGE = "io.tailguard.agent.server.servlet.adapter";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Hook> hooks() {
        return List.of(service(JAKARTA), service(JAVAX));
    }

    private static Hook service(String api) {
        return new Hook(api + "http/HttpServlet", "service",
                "(L" + api + "ServletRequest;L" + api + "ServletResponse;)V", Dispatcher.SERVLET_SERVICE);
    }

    @Override
    public void install(Engine engine) {
        String entry = ADAPTER_PACKAGE + ".ServletService";
        Dispatcher.install(Dispatcher.SERVLET_SERVICE, new Service(engine.server(),
                new LibraryBridge(ADAPTER_PACKAGE, entry, engine),
                new LibraryBridge(ADAPTER_PACKAGE, entry, engine, JakartaToJavax::rename)));
    }

    /** Hands a request to the adapter of the servlet API it came through, only when the server side is on. */
    private static final class Service implements CallInterceptor {

        private final ServerEngine server;
        private final LibraryBridge jakarta;
        private final LibraryBridge javax;
        /** For each servlet class, the {@code HttpServlet} it extends, which names the API and its loader. */
        private final ClassValue<Class<?>> httpServlet = new ClassValue<Class<?>>() {
            @Override
            protected Class<?> computeValue(Class<?> servlet) {
                Class<?> type = servlet;
                while (!isHttpServlet(type.getName())) {
                    type = type.getSuperclass();
                }
                return type;
            }
        };

        Service(ServerEngine server, LibraryBridge jakarta, LibraryBridge javax) {
            this.server = server;
            this.jakarta = jakarta;
            this.javax = javax;
        }

        @Override
        public Object intercept(Object self, Object[] args) throws Exception {
            if (!server.active()) {
                return Dispatcher.PROCEED;
            }
            Class<?> api = httpServlet.get(self.getClass());
            LibraryBridge bridge = api.getName().startsWith("javax.") ? javax : jakarta;
            return bridge.adapterFor(api).intercept(Dispatcher.SERVLET_SERVICE, self, args);
        }

        private static boolean isHttpServlet(String name) {
            return name.equals("jakarta.servlet.http.HttpServlet") || name.equals("javax.servlet.http.HttpServlet");
        }
    }
}
