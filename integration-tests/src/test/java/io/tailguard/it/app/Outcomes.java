package io.tailguard.it.app;

import java.util.Map;

/** How drivers describe what the application got, the same way for every client. */
final class Outcomes {

    /** Outcomes beyond the first that any single call reported: always 0 unless a result is delivered twice. */
    static final java.util.concurrent.atomic.AtomicLong EXTRA_OUTCOMES = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Set while a call with {@code consume=count} runs on this thread: its body is streamed,
     * counted and checksummed rather than kept, since it may be larger than the heap.
     */
    static final ThreadLocal<Boolean> COUNTING = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private Outcomes() {
    }

    static boolean counting() {
        return COUNTING.get();
    }

    /** Streams a body to its end: {@code bodyBytes} and its CRC32 {@code bodyCrc} instead of the body. */
    static void countBody(java.io.InputStream body, Map<String, String> result) throws java.io.IOException {
        long count = 0;
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        if (body != null) {
            try (java.io.InputStream in = body) {
                byte[] buffer = new byte[65536];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    crc.update(buffer, 0, n);
                    count += n;
                }
            }
        }
        result.put("body", "");
        result.put("bodyBytes", Long.toString(count));
        result.put("bodyCrc", Long.toString(crc.getValue()));
    }

    /** Counts one outcome of a call (a callback, a completion); a second one is recorded as extra. */
    static void outcome(java.util.concurrent.atomic.AtomicInteger ofThisCall) {
        if (ofThisCall.incrementAndGet() > 1) {
            EXTRA_OUTCOMES.incrementAndGet();
        }
    }

    static void failure(Map<String, String> result, Throwable failure) {
        result.put("error", failure.getClass().getName());
        result.put("errorMessage", String.valueOf(failure.getMessage()));
        result.put("suppressed", Integer.toString(failure.getSuppressed().length
                + (failure.getCause() != null ? failure.getCause().getSuppressed().length : 0)));
    }

    static void elapsed(Map<String, String> result, long startNanos) {
        result.put("elapsedMs", Long.toString((System.nanoTime() - startNanos) / 1_000_000));
    }

    /** What a connection pool reports as its total. */
    static Map<String, String> poolStats(int leased, int available, int pending) {
        Map<String, String> reply = new java.util.LinkedHashMap<>();
        reply.put("leased", Integer.toString(leased));
        reply.put("available", Integer.toString(available));
        reply.put("pending", Integer.toString(pending));
        return reply;
    }

    /** The call's {@code h.<Name>} entries, as request headers. */
    static void headers(Map<String, String> call, java.util.function.BiConsumer<String, String> add) {
        for (Map.Entry<String, String> e : call.entrySet()) {
            if (e.getKey().startsWith("h.")) {
                add.accept(e.getKey().substring(2), e.getValue());
            }
        }
    }

    /** Runs one call of the application and describes it: what it got, or what it threw, and how long it took. */
    static Map<String, String> timed(Call call) {
        Map<String, String> result = new java.util.LinkedHashMap<>();
        long start = System.nanoTime();
        try {
            call.run(result);
        } catch (java.util.concurrent.ExecutionException e) {
            failure(result, e.getCause() != null ? e.getCause() : e);
        } catch (Exception e) {
            failure(result, e);
        }
        elapsed(result, start);
        return result;
    }

    /** One call that fills in what the application got. */
    interface Call {
        void run(Map<String, String> result) throws Exception;
    }
}
