package org.chis.bench;

import java.util.Locale;
import java.util.Map;

/**
 * Peak heap and RSS of this JVM over one load cell, for scenarios whose mediator runs inside the benchmark JVM.
 * The figures then include the simulators and the load driver, so they are an upper bound for the mediator.
 */
public final class JvmPeaks {
    public static final String HEAP = "peak heap MB (bench JVM)";
    public static final String RSS = "peak RSS MB (bench JVM)";
    public static final String NOTE = "Memory columns: the mediator runs in the benchmark JVM, so peak heap (sum of the heap pools' peaks) "
            + "and peak RSS (VmHWM, reset per row) are of that JVM: mediator + simulators + load driver, an upper bound for the mediator.";

    private final boolean rssPerRow;

    private JvmPeaks(boolean rssPerRow) { this.rssPerRow = rssPerRow; }

    /** Resets both peaks; read them with {@link #addTo} when the cell ends. */
    public static JvmPeaks start() {
        ProcessMemory.resetPeakHeap();
        return new JvmPeaks(ProcessMemory.resetPeakRss(ProcessHandle.current().pid()));
    }

    public double heapMb() { return ProcessMemory.peakHeapMb(); }

    public double rssMb() { return ProcessMemory.selfPeakRssMb(); }

    /** Adds the two columns to a row; an RSS that could not be reset is marked as the peak since the JVM started. */
    public void addTo(Map<String, Object> row) {
        row.put(HEAP, String.format(Locale.ROOT, "%.0f", heapMb()));
        row.put(RSS, String.format(Locale.ROOT, "%.0f", rssMb()) + (rssPerRow ? "" : " (since start)"));
    }
}
