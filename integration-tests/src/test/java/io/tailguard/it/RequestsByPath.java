package io.tailguard.it;

import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import mockwebserver3.RecordedRequest;

/** What a server received, by path: for responders that answer a path's first request differently. */
public final class RequestsByPath {

    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final Queue<RecordedRequest> recorded = new ConcurrentLinkedQueue<>();

    /** Records a request; returns how many requests its path has had, this one included. */
    public int record(RecordedRequest request) {
        recorded.add(request);
        return counts.computeIfAbsent(path(request), p -> new AtomicInteger()).incrementAndGet();
    }

    public List<RecordedRequest> at(String path) {
        return recorded.stream().filter(r -> path(r).equals(path)).collect(Collectors.toList());
    }

    /** The {@code X-Attempt} header of each request to {@code path}, in arrival order; "none" where absent. */
    public List<String> attempts(String path) {
        return at(path).stream().map(r -> r.getHeaders().get("X-Attempt") == null ? "none"
                : r.getHeaders().get("X-Attempt")).collect(Collectors.toList());
    }

    public static String path(RecordedRequest request) {
        return request.getUrl().encodedPath();
    }
}
