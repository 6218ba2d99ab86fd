package org.chis.bench;

/**
 * One benchmark scenario, found through {@code META-INF/services/org.chis.bench.Benchmark} and run by
 * {@code bench/run <name>}. It prints nothing itself; it adds rows to the {@link BenchTable}.
 */
public interface Benchmark {
    /** Short name used on the command line, e.g. {@code sms-parse}. */
    String name();

    /** One line: what is measured. */
    String description();

    void run(BenchTable table) throws Exception;
}
