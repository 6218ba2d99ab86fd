package org.chis.bench.cpu;

import java.util.Map;

/**
 * One measured window: the mediator child's CPU (total and by thread group), this JVM's CPU (simulators + driver)
 * and the wall time, between {@link #open} and {@link #close}.
 */
final class CpuWindow {
    /** What the window measured; {@code threads} includes "ended threads". */
    record Used(double mediatorMs, double kernelMs, Map<String, Double> threads, double driverMs, double seconds) {}

    private final long child;
    private final long self = ProcessHandle.current().pid();
    private final double mediatorBefore;
    private final double kernelBefore;
    private final Map<String, Double> threadsBefore;
    private final double driverBefore;
    private final long t0;

    private CpuWindow(long child) {
        this.child = child;
        this.mediatorBefore = ProcessCpu.millis(child);
        this.kernelBefore = ProcessCpu.kernelMillis(child);
        this.threadsBefore = ThreadGroupsCpu.millis(child);
        this.driverBefore = ProcessCpu.millis(self);
        this.t0 = System.nanoTime();
    }

    static CpuWindow open(long childPid) { return new CpuWindow(childPid); }

    /** Seconds since the window opened (the wall time of the units, before any settling afterwards). */
    double seconds() { return (System.nanoTime() - t0) / 1e9; }

    Used close(double seconds) {
        double used = ProcessCpu.millis(child) - mediatorBefore;
        Map<String, Double> threads = ThreadGroupsCpu.withEnded(ThreadGroupsCpu.since(threadsBefore, ThreadGroupsCpu.millis(child)), used);
        return new Used(used, ProcessCpu.kernelMillis(child) - kernelBefore, threads, ProcessCpu.millis(self) - driverBefore, seconds);
    }
}
