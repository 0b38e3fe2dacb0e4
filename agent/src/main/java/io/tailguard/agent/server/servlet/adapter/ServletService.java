package io.tailguard.agent.server.servlet.adapter;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.SlotInterceptor;
import io.tailguard.agent.server.QueueWait;
import io.tailguard.agent.server.ServerEngine;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code HttpServlet.service(ServletRequest, ServletResponse)} of one copy of the servlet API (one per
 * class loader that loaded it, see {@code LibraryBridge}): hands each request, once, to the
 * {@link ServerEngine}. A failure of the adapter's own code before anything was written falls back
 * to the plain call through the dispatcher; the engine does the same for its own.
 */
public final class ServletService implements SlotInterceptor {

    /**
     * Set on a request the engine has seen: a forward, an include, an error page or a second servlet
     * the application calls itself reach {@code service} again with the same request, and are part
     * of the first one's handling.
     */
    static final String HANDLED = "io.tailguard.server.handled";

    private final Engine engine;
    /**
     * Whether a servlet class inherits {@code HttpServlet}'s public {@code service}: one that
     * overrides it (and calls {@code super.service} from there) would run its own part twice, as
     * the adapter runs the handler by calling {@code service} again.
     */
    private final ClassValue<Boolean> inheritsService = new ClassValue<Boolean>() {
        @Override
        protected Boolean computeValue(Class<?> servlet) {
            try {
                return servlet.getMethod("service", ServletRequest.class, ServletResponse.class)
                        .getDeclaringClass() == HttpServlet.class;
            } catch (NoSuchMethodException impossible) {
                return false;
            }
        }
    };

    public ServletService(Engine engine) {
        this.engine = engine;
    }

    @Override
    public Object intercept(int slot, Object self, Object[] args) throws Exception {
        // Taken by the first servlet this thread enters for the request, so that nothing after it inherits it.
        long queued = QueueWait.take();
        if (!(args[0] instanceof HttpServletRequest) || !(args[1] instanceof HttpServletResponse)) {
            return Dispatcher.PROCEED;
        }
        HttpServletRequest request = (HttpServletRequest) args[0];
        if (request.getDispatcherType() != DispatcherType.REQUEST || request.getAttribute(HANDLED) != null
                || !inheritsService.get(self.getClass())) {
            return Dispatcher.PROCEED;
        }
        request.setAttribute(HANDLED, Boolean.TRUE);
        HttpServletExchange exchange = new HttpServletExchange((HttpServlet) self, request,
                (HttpServletResponse) args[1], queued);
        try {
            engine.server().handle(exchange);
        } catch (Throwable failure) {
            if (!exchange.answering()) {
                // Nothing was written: the dispatcher reports it and runs the servlet as written.
                throw failure instanceof Exception ? (Exception) failure : new IllegalStateException(failure);
            }
            // The servlet's own failure, or the container's while answering: as without the agent.
            return Outcome.throwing(failure);
        }
        return Outcome.returning(null);
    }
}
