package org.chis.bench.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU time of another process split by thread group, from /proc/&lt;pid&gt;/task/&lt;tid&gt;/stat: JIT compiler
 * threads, GC threads and the application's own threads are told apart by name (the kernel keeps the first 15
 * characters). JFR samples only Java threads, so this is where JIT and GC show up next to the code.
 */
public final class ThreadGroupsCpu {
    private ThreadGroupsCpu() {}

    /** CPU ms per group of live threads of {@code pid} so far. */
    public static Map<String, Double> millis(long pid) {
        Map<String, Double> out = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            tasks.forEach(task -> {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    out.merge(group(name), ProcessCpu.fromStat(stat), Double::sum);
                } catch (IOException | RuntimeException gone) {
                    // a thread that ended meanwhile
                }
            });
        } catch (IOException e) {
            return Map.of();
        }
        return out;
    }

    /** The difference of two snapshots, per group. */
    public static Map<String, Double> since(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> out = new TreeMap<>();
        after.forEach((k, v) -> out.put(k, v - before.getOrDefault(k, 0.0)));
        return out;
    }

    /** Adds "ended threads": the process's CPU over the window that no live thread's stats still hold. */
    public static Map<String, Double> withEnded(Map<String, Double> groups, double processMillis) {
        Map<String, Double> out = new TreeMap<>(groups);
        double live = groups.values().stream().mapToDouble(Double::doubleValue).sum();
        if (processMillis - live > 0) out.put("ended threads", processMillis - live);
        return out;
    }

    static String group(String thread) {
        if (thread.startsWith("C2 Compiler") || thread.startsWith("C1 Compiler")) return "JIT";
        if (thread.startsWith("GC Thread") || thread.startsWith("VM Thread") || thread.startsWith("G1") || thread.startsWith("ParGC")) return "GC+VM";
        if (thread.contains("pekko") || thread.contains("dispatcher")) return "pekko";
        if (thread.startsWith("OkHttp")) return "okhttp";
        if (thread.startsWith("H2") || thread.startsWith("MVStore")) return "h2-background";
        return "other:" + thread.replaceAll("[-\\d]+$", "");
    }
}
