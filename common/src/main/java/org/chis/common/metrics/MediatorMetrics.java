package org.chis.common.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.chis.common.config.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mediator's Prometheus metrics (Micrometer): requests by endpoint and status, failures, and what
 * {@link #beforeScrape} refreshers add (parked feed entries, feed lag, stuck claims). The registry joins
 * Micrometer's global registry, so code without a handle on the server (the saga) records with {@code Metrics.timer}.
 * {@code GET /metrics} is served by the mediator itself for Prometheus to scrape, not through core.
 */
public final class MediatorMetrics implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MediatorMetrics.class);
    public static final String REQUESTS = "chis.requests";
    public static final String FAILURES = "chis.request.failures";
    public static final String SAGA = "chis.saga.duration";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<Runnable> refreshers = new CopyOnWriteArrayList<>();
    private final boolean enabled;
    private final String token;

    public MediatorMetrics(String mediatorUrn, Settings settings) {
        this.enabled = settings.getBool("metrics.enabled", true);
        this.token = settings.get("metrics.token", "");
        registry.config().commonTags("mediator", mediatorUrn);
        Metrics.addRegistry(registry);
    }

    public boolean enabled() { return enabled; }

    public PrometheusMeterRegistry registry() { return registry; }

    /**
     * One answered request. {@code endpoint} is the route's path pattern, never the raw path: ids in paths
     * would make a series per id.
     */
    public void request(String method, String endpoint, int status, String outcome, long nanos) {
        Timer.builder(REQUESTS).description("requests answered, by endpoint and HTTP status")
                .tags("method", method, "endpoint", endpoint, "status", String.valueOf(status), "outcome", outcome)
                .register(registry).record(Duration.ofNanos(nanos));
        if (status >= 500) {
            Counter.builder(FAILURES).description("requests that failed here or upstream (5xx)")
                    .tags("method", method, "endpoint", endpoint, "status", String.valueOf(status)).register(registry).increment();
        }
    }

    /** Runs before each scrape, e.g. to read gauges' values from the state store once per scrape. */
    public void beforeScrape(Runnable refresher) { refreshers.add(refresher); }

    /**
     * Who may scrape: with {@code metrics.token} set, a {@code Authorization: Bearer <token>} header; without it, the
     * mediator's inbound Basic credentials (checked by the caller).
     */
    public boolean hasToken() { return !token.isEmpty(); }

    public boolean tokenMatches(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        return MessageDigest.isEqual(authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    /** The text exposition format (version 0.0.4), what Prometheus scrapes. */
    public String scrape() {
        for (Runnable r : refreshers) {
            try {
                r.run();
            } catch (RuntimeException e) {
                // a database hiccup must not cost the request metrics: the gauges keep their last values
                log.warn("metrics refresh failed: {}", e.getMessage());
            }
        }
        return registry.scrape();
    }

    @Override
    public void close() {
        Metrics.removeRegistry(registry);
        registry.close();
    }
}
