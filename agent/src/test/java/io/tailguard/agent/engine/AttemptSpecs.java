package io.tailguard.agent.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Attempts as the engine describes them to an adapter, made up for an adapter's own tests. */
public final class AttemptSpecs {

    private AttemptSpecs() {
    }

    /** A first attempt with these tagging headers, in this order, and no timeout of its own. */
    public static AttemptSpec tagged(Map<String, String> headers) {
        Map<String, String> copy = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        List<String> names = new ArrayList<>(copy.keySet());
        return new AttemptSpec() {
            @Override
            public int number() {
                return 1;
            }

            @Override
            public AttemptKind kind() {
                return AttemptKind.PRIMARY;
            }

            @Override
            public Map<String, String> headers() {
                return copy;
            }

            @Override
            public int headerCount() {
                return names.size();
            }

            @Override
            public String headerName(int i) {
                return names.get(i);
            }

            @Override
            public String headerValue(int i) {
                return copy.get(names.get(i));
            }

            @Override
            public long clientTimeoutNanos() {
                return Long.MAX_VALUE;
            }

            @Override
            public boolean engineRetriesStatus(int status) {
                return false;
            }

            @Override
            public boolean mayBeHedged() {
                return false;
            }

            @Override
            public boolean callerWaits() {
                return false;
            }
        };
    }
}
