package io.tailguard.agent.instrumentation.apache5.adapter;

import org.apache.hc.client5.http.config.Configurable;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.core5.concurrent.Cancellable;
import org.apache.hc.core5.concurrent.CancellableDependency;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
import org.apache.hc.core5.net.URIAuthority;

/**
 * A classic attempt's own request: what the client reads of the request it is given is its parts,
 * headers, entity, config ({@link Configurable}) and cancel handle ({@link CancellableDependency});
 * it then runs a copy of its own ({@code InternalHttpClient} 5.x copies it with
 * {@code ClassicRequestBuilder}). An {@code HttpUriRequestBase} would do the same with a URI
 * parsed for its constructor and a reference-and-mark object for its cancel state (some 100 bytes
 * more per attempt); this keeps the cancel state as HttpUriRequestBase does, under its monitor.
 */
final class AttemptRequest extends BasicClassicHttpRequest implements Configurable, CancellableDependency {

    private static final long serialVersionUID = 1L;

    private final transient RequestConfig config;
    // Guarded by this.
    private transient Cancellable dependency;
    private boolean cancelled;

    AttemptRequest(String method, String scheme, URIAuthority authority, String path, RequestConfig config) {
        super(method, scheme, authority, path);
        this.config = config;
    }

    @Override
    public RequestConfig getConfig() {
        return config;
    }

    /** As {@code HttpUriRequestBase}: a dependency set after the cancel is cancelled at once. */
    @Override
    public void setDependency(Cancellable cancellable) {
        boolean now;
        synchronized (this) {
            now = cancelled;
            if (!now) {
                dependency = cancellable;
            }
        }
        if (now) {
            cancellable.cancel();
        }
    }

    @Override
    public synchronized boolean isCancelled() {
        return cancelled;
    }

    /** As {@code HttpUriRequestBase}: the first cancel cancels the dependency and answers {@code true}. */
    @Override
    public boolean cancel() {
        Cancellable cancelling;
        synchronized (this) {
            if (cancelled) {
                return false;
            }
            cancelled = true;
            cancelling = dependency;
        }
        if (cancelling != null) {
            cancelling.cancel();
        }
        return true;
    }
}
