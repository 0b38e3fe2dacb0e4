package io.tailguard.agent;

import io.tailguard.agent.instrumentation.HookTransformer;
import java.util.List;

/** A transformer listener that writes what it hears into a list, for tests that check the order of events. */
final class HeardListener implements HookTransformer.Listener {

    private final List<String> heard;

    HeardListener(List<String> heard) {
        this.heard = heard;
    }

    @Override
    public void transformed(String type) {
        heard.add("transformed " + type);
    }

    @Override
    public void failed(String type, Throwable failure) {
        heard.add("failed " + type);
    }
}
