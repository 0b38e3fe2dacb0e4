package io.tailguard.it.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An application that uses its own Micrometer, Prometheus client and slf4j, of other versions than
 * the agent's (on the application's class path: {@code clients/app-micrometer}). Actions:
 * {@code init} creates its registry and counter, {@code order} counts and logs one order,
 * {@code report} tells which versions it runs and what its meters hold.
 */
public final class AppOwnMetrics implements ClientDriver {

    private static final Logger LOG = LoggerFactory.getLogger("app");

    private PrometheusMeterRegistry registry;
    private Counter orders;

    @Override
    public synchronized Map<String, String> call(Map<String, String> call) {
        Map<String, String> result = new LinkedHashMap<>();
        switch (call.get("action")) {
            case "init":
                registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                Metrics.addRegistry(registry);
                orders = Counter.builder("app.orders").description("orders placed").register(Metrics.globalRegistry);
                LOG.info("metrics ready");
                break;
            case "order":
                orders.increment();
                LOG.info("order placed");
                break;
            case "report":
                result.put("micrometerVersion", String.valueOf(MeterRegistry.class.getPackage().getImplementationVersion()));
                result.put("micrometerJar", jarOf(MeterRegistry.class));
                result.put("prometheusJar", jarOf(io.prometheus.metrics.model.registry.PrometheusRegistry.class));
                result.put("slf4jJar", jarOf(LoggerFactory.class));
                result.put("slf4jLogger", LOG.getClass().getName());
                TreeSet<String> meters = new TreeSet<>();
                for (Meter meter : Metrics.globalRegistry.getMeters()) {
                    meters.add(meter.getId().getName());
                }
                result.put("globalMeters", String.join(",", meters));
                result.put("scrape", registry.scrape());
                break;
            default:
                throw new IllegalArgumentException("unknown action " + call.get("action"));
        }
        return result;
    }

    private static String jarOf(Class<?> type) {
        return String.valueOf(type.getProtectionDomain().getCodeSource().getLocation());
    }
}
