package org.chis.common.saga;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import org.chis.common.metrics.MediatorMetrics;

/** Saga durations by outcome, into Micrometer's global registry (which the mediator's /metrics registry joins). */
final class SagaMetrics {
    private SagaMetrics() {}

    static void record(SagaOutcome outcome, long nanos) {
        String result = outcome.succeeded() ? "completed" : outcome.rollbackComplete() ? "rolled_back" : "rollback_incomplete";
        Timer.builder(MediatorMetrics.SAGA).description("multi-step writes, from start to commit or the end of the rollback")
                .tag("outcome", result).register(Metrics.globalRegistry).record(Duration.ofNanos(nanos));
    }
}
