package org.chis.bench.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time (user + system) a process used so far, from /proc/&lt;pid&gt;/stat (clock ticks, USER_HZ = 100). */
public final class ProcessCpu {
    private ProcessCpu() {}

    /** Milliseconds of CPU used by {@code pid} so far; -1 when /proc cannot say (not Linux, process gone). */
    public static double millis(long pid) {
        try {
            return fromStat(Files.readString(Path.of("/proc", String.valueOf(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Milliseconds of kernel (system) time of {@code pid} so far: syscalls, socket I/O, futex wake-ups; JFR's
     * execution samples do not see it. -1 when /proc cannot say.
     */
    public static double kernelMillis(long pid) {
        try {
            return Long.parseLong(fields(Files.readString(Path.of("/proc", String.valueOf(pid), "stat")))[12]) * 10.0;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The fields after the command name of a /proc stat text (utime is [11], stime [12]). */
    private static String[] fields(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    /** utime + stime in ms from the text of a /proc stat file (a process's or one thread's). */
    static double fromStat(String stat) {
        String[] f = fields(stat);
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0;
    }
}
