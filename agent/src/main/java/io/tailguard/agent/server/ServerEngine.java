package io.tailguard.agent.server;

/**
 * The container-blind core of the server side: it decides, for each incoming request, whether the
 * handler runs, waits for another attempt of the same request, replays a recorded response, or is
 * refused. Off unless {@code tailguard.server.*} is configured.
 */
public final class ServerEngine {

    /** Whether any server-side feature is configured: when not, adapters run the handler untouched. */
    public boolean active() {
        return false;
    }

    /**
     * Serves one request. Adapters call this only when {@link #active()}; it runs on the container's
     * thread and returns when the request has been answered.
     */
    public void handle(ServerExchange exchange) throws Exception {
        exchange.proceed(null);
    }
}
