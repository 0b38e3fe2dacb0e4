package io.tailguard.agent.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The status a running agent publishes ({@link io.tailguard.agent.AgentStatus}), read back:
 * {@code version=...; config=...; state=...; clients=jdk hooked, okhttp not-loaded, ...}.
 */
final class StatusLine {

    private final Map<String, String> fields = new LinkedHashMap<>();

    private StatusLine(String text) {
        for (String part : text.split("; ")) {
            int equals = part.indexOf('=');
            if (equals > 0) {
                fields.put(part.substring(0, equals), part.substring(equals + 1));
            }
        }
    }

    /** @return the parsed status, or {@code null} when {@code text} is {@code null} */
    static StatusLine parse(String text) {
        return text == null ? null : new StatusLine(text);
    }

    String field(String name) {
        String value = fields.get(name);
        return value == null ? "?" : value;
    }

    /** Each client with its state in words, hooked ones first. */
    List<String> clients() {
        List<String> hooked = new ArrayList<>();
        List<String> others = new ArrayList<>();
        String all = fields.get("clients");
        if (all == null || all.isEmpty()) {
            return hooked;
        }
        for (String client : all.split(", ")) {
            int space = client.indexOf(' ');
            String name = space < 0 ? client : client.substring(0, space);
            String state = space < 0 ? "" : client.substring(space + 1);
            switch (state) {
                case "hooked":
                    hooked.add(name + ": hooked");
                    break;
                case "not-loaded":
                    others.add(name + ": not loaded by the application yet (hooked when it is)");
                    break;
                case "off":
                    others.add(name + ": off (tailguard.instrumentation." + name + ".enabled=false)");
                    break;
                case "failed":
                    others.add(name + ": could not be hooked, its requests pass through (see the process's log)");
                    break;
                default:
                    others.add(client);
            }
        }
        hooked.addAll(others);
        return hooked;
    }

    /** One short line for {@code list}. */
    String summary() {
        return "Tailguard " + field("version") + ", " + field("state") + ", config " + field("config");
    }
}
