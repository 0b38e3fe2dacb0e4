package io.tailguard.agent.config;

/** A raw value and where it came from, so that an error can point at it. */
final class Setting {

    final String value;
    final String origin;

    Setting(String value, String origin) {
        this.value = value;
        this.origin = origin;
    }
}
