package org.chis.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Peak resident memory (Linux {@code VmHWM}) of a process, and the peak heap of this JVM. */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** Peak RSS in MB of process {@code pid} ({@code /proc/<pid>/status} VmHWM); -1 when unknown (not Linux, gone). */
    public static double peakRssMb(long pid) {
        return statusKb(Path.of("/proc", String.valueOf(pid), "status"), "VmHWM:") / 1024.0;
    }

    /** Current RSS in MB of process {@code pid} (VmRSS). */
    public static double rssMb(long pid) {
        return statusKb(Path.of("/proc", String.valueOf(pid), "status"), "VmRSS:") / 1024.0;
    }

    public static double selfPeakRssMb() { return peakRssMb(ProcessHandle.current().pid()); }

    /**
     * Starts a new peak RSS for {@code pid} (Linux: "5" to {@code /proc/<pid>/clear_refs}), so a figure can be taken
     * per load cell of a long-lived JVM; false when not possible (then VmHWM stays the peak since start).
     */
    public static boolean resetPeakRss(long pid) {
        try {
            Files.writeString(Path.of("/proc", String.valueOf(pid), "clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Sum of the heap pools' peak usage since start (or the last reset) in MB. */
    /**
     * For a mediator child JVM: a daemon thread samples used heap every 5 ms and writes "peak-pool-sum max-used"
     * (MB) to {@code stats} every 100 ms, so the parent can read this JVM's heap figures.
     */
    public static void writeHeapPeaksTo(Path stats) {
        Thread sampler = new Thread(() -> {
            double maxUsed = 0;
            var heap = ManagementFactory.getMemoryMXBean();
            long lastWrite = 0;
            while (true) {
                maxUsed = Math.max(maxUsed, heap.getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0));
                if (System.nanoTime() - lastWrite > 100_000_000L) {
                    try {
                        Files.writeString(stats, String.format(Locale.ROOT, "%.1f %.1f", peakHeapMb(), maxUsed));
                    } catch (Exception ignored) {
                        // next round
                    }
                    lastWrite = System.nanoTime();
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    public static double peakHeapMb() {
        long bytes = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) bytes += pool.getPeakUsage().getUsed();
        }
        return bytes / (1024.0 * 1024.0);
    }

    public static void resetPeakHeap() {
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    private static long statusKb(Path status, String field) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(field)) return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            // process gone or not Linux
        }
        return -1024;
    }
}
