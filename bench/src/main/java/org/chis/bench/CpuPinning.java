package org.chis.bench;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Optional CPU pinning with {@code taskset} (Linux), so a direct-vs-mediator comparison measures the mediator and not
 * CPU contention between it, the load driver and the upstream: {@code -Dbench.mediatorCpus=1} runs the mediator
 * child JVM on cpu 1 only, {@code -Dbench.driverCpus=0} moves this JVM (driver and in-process upstream) to cpu 0.
 * Unset (the default) = no pinning, everything shares all cores.
 */
public final class CpuPinning {
    private CpuPinning() {}

    public static String mediatorCpus() { return blankToNull(System.getProperty("bench.mediatorCpus")); }

    public static String driverCpus() { return blankToNull(System.getProperty("bench.driverCpus")); }

    /** The command prefix that starts a child on {@code cpus} ({@code taskset -c 1}), empty when not pinned. */
    public static List<String> prefix(String cpus) { return cpus == null ? List.of() : List.of("taskset", "-c", cpus); }

    /**
     * Pins every thread of this JVM to {@code bench.driverCpus} (threads started later inherit it from their
     * creator). Call before starting the upstream and the driver threads. No-op when the property is unset.
     */
    public static void pinThisJvm() throws IOException, InterruptedException {
        String cpus = driverCpus();
        if (cpus == null) return;
        Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, String.valueOf(ProcessHandle.current().pid()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("taskset -a -p -c " + cpus + " failed: " + out);
    }

    /** For the notes: how this run was placed. */
    public static String describe() {
        if (mediatorCpus() == null && driverCpus() == null) return "not pinned: driver, upstream and mediator share all cores";
        return "pinned with taskset: mediator on cpu " + (mediatorCpus() == null ? "(any)" : mediatorCpus())
                + ", driver and upstream on cpu " + (driverCpus() == null ? "(any)" : driverCpus());
    }

    private static String blankToNull(String s) { return s == null || s.isBlank() ? null : s.trim(); }
}
