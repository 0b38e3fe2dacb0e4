package io.tailguard.it.servers;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A scripted server in the test JVM: it keeps the plan and the record itself, by path. */
abstract class InProcessServer implements ScriptedServer {

    private final Map<String, Deque<Reply>> plans = new HashMap<>();
    private final Map<String, List<Recorded>> arrivals = new HashMap<>();

    @Override
    public synchronized void plan(String path, Reply... replies) {
        plans.put(path, new ArrayDeque<>(List.of(replies)));
    }

    @Override
    public synchronized List<Recorded> arrivals(String path) {
        return List.copyOf(arrivals.getOrDefault(path, List.of()));
    }

    /** Records a request as it is read, before anything is answered, and returns the reply planned for it. */
    protected synchronized Reply arrived(Recorded request) {
        arrivals.computeIfAbsent(request.path, p -> new ArrayList<>()).add(request);
        Deque<Reply> plan = plans.get(request.path);
        Reply next = plan == null ? null : plan.poll();
        return next != null ? next : Reply.ok("default");
    }
}
