package io.tailguard.agent.config;

/** Whether decisions are acted on, or only made and counted. */
public enum Mode {
    /** Retries, hedges and tags are sent. */
    ENFORCE,
    /** Every decision is made and counted, but nothing extra is sent and no header is added. */
    SHADOW
}
