package org.chis.bench;

import org.HdrHistogram.Histogram;

/** What one load run measured: requests completed in the measured window, errors, and the latency histogram (µs). */
public record LoadResult(int concurrency, long requests, long errors, double seconds, Histogram latencyMicros) {

    public double throughput() { return requests / seconds; }

    public double p50Ms() { return latencyMicros.getValueAtPercentile(50) / 1000.0; }

    public double p99Ms() { return latencyMicros.getValueAtPercentile(99) / 1000.0; }

    public double maxMs() { return latencyMicros.getMaxValue() / 1000.0; }

    @Override
    public String toString() {
        return String.format("c=%d %d req (%d errors) %.0f/s p50=%.2f ms p99=%.2f ms max=%.1f ms",
                concurrency, requests, errors, throughput(), p50Ms(), p99Ms(), maxMs());
    }
}
