package org.chis.bench;

import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Mediator vs direct for a workflow scenario, in the same run: per concurrency the driver first replays the
 * mediator's upstream calls itself ({@link UpstreamReplay}), then the scenario loads the mediator. Adds the direct
 * and added-latency columns to the scenario's rows and draws throughput and p99 against concurrency.
 */
public final class DirectComparison {
    private final String unit;
    private final LoadDriver driver;
    private final UpstreamReplay replay;
    private final LoadDriver.Call direct;
    private final List<String> categories = new ArrayList<>();
    private final List<Double> directRate = new ArrayList<>();
    private final List<Double> mediatorRate = new ArrayList<>();
    private final List<Double> directP99 = new ArrayList<>();
    private final List<Double> mediatorP99 = new ArrayList<>();

    /**
     * {@code unit}: what one mediator request is, per second ("forms/s"); {@code fresh(n)}: the values of the recorded
     * request to replace in replay n (see {@link UpstreamReplay#call}).
     */
    public DirectComparison(String unit, LoadDriver driver, HttpClient client, UpstreamReplay replay, LongFunction<Map<String, String>> fresh) {
        this.unit = unit;
        this.driver = driver;
        this.replay = replay;
        this.direct = replay.call(client, fresh);
    }

    /** How the direct side was measured and, if any replayed call was answered differently from the mediator's, the first such. */
    public String note(String request) {
        return "Direct (same run, before each mediator row): the driver replays the " + replay.size() + " upstream calls one " + request
                + " made (read from the simulators' journals), in order, with fresh ids each time: " + replay.describe()
                + ". added = mediator - direct, ratio = mediator / direct."
                + (replay.firstMismatch() == null ? " Every replayed call was answered like the mediator's."
                        : " Replayed calls answered differently from the mediator's count as direct errors; first: " + replay.firstMismatch());
    }

    public LoadResult direct(int concurrency) throws InterruptedException {
        return driver.run(concurrency, direct);
    }

    /** The direct columns and what the mediator adds: {@code added = mediator - direct}, {@code ratio = mediator / direct}. */
    public void addTo(Map<String, Object> row, LoadResult direct, LoadResult mediator) {
        row.put("direct " + unit, fmt(direct.throughput()));
        row.put("direct p50 ms", fmt(direct.p50Ms()));
        row.put("direct p99 ms", fmt(direct.p99Ms()));
        row.put("added p50 ms", fmt(mediator.p50Ms() - direct.p50Ms()));
        row.put("added p99 ms", fmt(mediator.p99Ms() - direct.p99Ms()));
        row.put("p99 ratio", String.format(Locale.ROOT, "%.2f", mediator.p99Ms() / direct.p99Ms()));
        row.put("direct errors", direct.errors());
        categories.add("c=" + mediator.concurrency());
        directRate.add(direct.throughput());
        mediatorRate.add(mediator.throughput());
        directP99.add(direct.p99Ms());
        mediatorP99.add(mediator.p99Ms());
    }

    /** Throughput and p99 latency against concurrency, direct vs through the mediator, side by side. */
    public Chart chart(String scenario) {
        return new Chart(scenario + ": throughput", "concurrent callers", unit, categories)
                .series("direct (driver replays the upstream calls)", directRate).series("through the mediator", mediatorRate)
                .beside(new Chart(scenario + ": p99 latency", "concurrent callers", "p99 ms", categories)
                        .series("direct", directP99).series("through the mediator", mediatorP99));
    }

    private static String fmt(double v) { return String.format(Locale.ROOT, "%.1f", v); }
}
