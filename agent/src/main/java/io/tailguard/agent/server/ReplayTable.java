package io.tailguard.agent.server;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Completed {@code Idempotency-Key} responses, each kept for the configured ttl, bounded in entries
 * and bytes: the oldest entry goes first when either bound would be passed. Thread-safe.
 */
final class ReplayTable {

    static final class Stored {
        final CallerKey signature;
        final RecordedResponse response;
        final long expiresNanos;
        final long handlerNanos;
        final long size;

        Stored(CallerKey signature, RecordedResponse response, long expiresNanos, long handlerNanos) {
            this.signature = signature;
            this.response = response;
            this.expiresNanos = expiresNanos;
            this.handlerNanos = handlerNanos;
            this.size = Recording.size(response);
        }
    }

    // Insertion order: the first entry is the oldest, and with one ttl also the first to expire.
    private final LinkedHashMap<CallerKey, Stored> entries = new LinkedHashMap<>();
    private long bytes;

    synchronized Stored get(CallerKey key, long nowNanos) {
        expire(nowNanos);
        Stored s = entries.get(key);
        // After a reload shortened the ttl, entries no longer expire in insertion order.
        return s != null && nowNanos - s.expiresNanos < 0 ? s : null;
    }

    synchronized void put(CallerKey key, Stored stored, int maxEntries, long maxBytes, long nowNanos) {
        expire(nowNanos);
        if (stored.size > maxBytes) {
            return;
        }
        Stored old = entries.remove(key);
        if (old != null) {
            bytes -= old.size;
        }
        Iterator<Stored> oldest = entries.values().iterator();
        while (oldest.hasNext() && (entries.size() >= maxEntries || bytes + stored.size > maxBytes)) {
            bytes -= oldest.next().size;
            oldest.remove();
        }
        entries.put(key, stored);
        bytes += stored.size;
    }

    /** Applies smaller bounds at once (a reload). */
    synchronized void shrink(int maxEntries, long maxBytes) {
        Iterator<Stored> oldest = entries.values().iterator();
        while (oldest.hasNext() && (entries.size() > maxEntries || bytes > maxBytes)) {
            bytes -= oldest.next().size;
            oldest.remove();
        }
    }

    synchronized void clear() {
        entries.clear();
        bytes = 0;
    }

    private void expire(long nowNanos) {
        Iterator<Map.Entry<CallerKey, Stored>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Stored s = it.next().getValue();
            if (nowNanos - s.expiresNanos < 0) {
                break;
            }
            bytes -= s.size;
            it.remove();
        }
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long bytes() {
        return bytes;
    }
}
