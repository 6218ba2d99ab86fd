package org.chis.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * CPU time used by this JVM, split by thread group (e.g. mediator / simulators / driver), between two snapshots. On
 * a shared machine wall-clock figures swing with other people's load; CPU time per unit of work mostly does not, so
 * it is what an A/B of a code change should compare. Threads that ended between the snapshots are not counted in
 * their group (the process total still has them).
 */
public final class ThreadCpu {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Function<String, String> groupOf;
    private final Map<Long, Long> startByThread = new LinkedHashMap<>();
    private final long processStart;

    private ThreadCpu(Function<String, String> groupOf) {
        this.groupOf = groupOf;
        for (long id : THREADS.getAllThreadIds()) {
            long t = THREADS.getThreadCpuTime(id);
            if (t >= 0) startByThread.put(id, t);
        }
        this.processStart = processCpuNanos();
    }

    /** Starts measuring; {@code groupOf} maps a thread name to its group. */
    public static ThreadCpu start(Function<String, String> groupOf) { return new ThreadCpu(groupOf); }

    /** CPU ms per group since {@link #start}, plus "process" (every thread, JIT and GC included). */
    public Map<String, Double> millis() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info == null) continue;
            long now = THREADS.getThreadCpuTime(info.getThreadId());
            if (now < 0) continue;
            long used = now - startByThread.getOrDefault(info.getThreadId(), 0L);
            out.merge(groupOf.apply(info.getThreadName()), used / 1e6, Double::sum);
        }
        out.put("process", (processCpuNanos() - processStart) / 1e6);
        return out;
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }
}
