package io.tailguard.agent.metrics;

/** Where a policy's request durations go: Micrometer's timers, a buffer until they exist, or nowhere. */
interface DurationSink {

    /** No timer publishes durations: the Prometheus endpoint is off. */
    DurationSink NONE = new DurationSink() {
        @Override
        public void record(int outcome, long nanos) {
        }
    };

    /** @param outcome the ordinal of the request's {@code RequestOutcome} */
    void record(int outcome, long nanos);
}
