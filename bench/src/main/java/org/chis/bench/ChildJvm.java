package org.chis.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A mediator in its own JVM, so its memory is measured alone and it can be killed with -9. Same class path as
 * this JVM; output goes to a log file. The child prints {@code READY port=<n>} once it listens.
 */
public final class ChildJvm implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("READY port=(\\d+)");

    private final Process process;
    private final Path log;
    private final long launchedNanos;
    private int port = -1;

    private ChildJvm(Process process, Path log, long launchedNanos) {
        this.process = process;
        this.log = log;
        this.launchedNanos = launchedNanos;
    }

    public static ChildJvm launch(String heap, Class<?> main, Path log, List<String> args) throws IOException {
        List<String> jvm = new ArrayList<>();
        jvm.add("-Xmx" + heap);
        jvm.add("-XX:+UseSerialGC".equals(System.getProperty("bench.childGc")) ? "-XX:+UseSerialGC" : "-XX:+UseParallelGC");
        jvm.add("-Dfile.encoding=UTF-8");
        // e.g. -Dbench.childJvmArgs="-XX:StartFlightRecording=filename=/tmp/m.jfr" to profile the mediator
        for (String extra : System.getProperty("bench.childJvmArgs", "").split(" ")) if (!extra.isBlank()) jvm.add(extra);
        return start(CpuPinning.prefix(CpuPinning.mediatorCpus()), jvm, main, log, args);
    }

    /**
     * A JVM that is not the mediator under test (e.g. OpenHIM core's openhim-local JVM) with exactly these JVM
     * options: not pinned, no {@code bench.childJvmArgs}.
     */
    public static ChildJvm launchWith(List<String> jvmOptions, Class<?> main, Path log, List<String> args) throws IOException {
        return start(List.of(), jvmOptions, main, log, args);
    }

    private static ChildJvm start(List<String> prefix, List<String> jvmOptions, Class<?> main, Path log, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(args);
        Files.createDirectories(log.toAbsolutePath().getParent());
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new ChildJvm(p, log, t0);
    }

    /** Waits for the READY line; returns the port. */
    public int awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                Matcher m = READY.matcher(Files.readString(log, StandardCharsets.UTF_8));
                if (m.find()) return port = Integer.parseInt(m.group(1));
            }
            if (!process.isAlive()) throw new IOException("child exited with " + process.exitValue() + ": " + tail());
            Thread.sleep(20);
        }
        throw new IOException("child not ready after " + timeout + ": " + tail());
    }

    public int port() { return port; }

    public long pid() { return process.pid(); }

    public long launchedNanos() { return launchedNanos; }

    public boolean alive() { return process.isAlive(); }

    public Path log() { return log; }

    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGKILL: no shutdown hooks, no flushing; what a power cut or OOM killer does. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) kill9();
    }
}
