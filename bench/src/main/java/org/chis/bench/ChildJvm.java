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
 * this JVM, the JVM options users run ({@value #MEDIATOR_JVM_OPTIONS}); output goes to a log file. The child prints {@code READY port=<n>} once it listens.
 */
public final class ChildJvm implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("READY port=(\\d+)");
    private static final Pattern GC = Pattern.compile("-XX:\\+Use\\w+GC");

    private final Process process;
    private final Path log;
    private final long launchedNanos;
    private int port = -1;

    private ChildJvm(Process process, Path log, long launchedNanos) {
        this.process = process;
        this.log = log;
        this.launchedNanos = launchedNanos;
    }

    /** The mediators' JVM options, heap aside, as ./suite and the images in docker/ start them (one file for all three). */
    public static final String MEDIATOR_JVM_OPTIONS = "mediator-configs/java-options";

    /** A mediator child with {@link #mediatorJvmOptions()}, as ./suite runs it, and this heap. */
    public static ChildJvm launch(String heap, Class<?> main, Path log, List<String> args) throws IOException {
        return launch(heap, mediatorJvmOptions(), main, log, args);
    }

    /**
     * A mediator child with these JVM options and heap; {@code -Dbench.childGc=-XX:+UseParallelGC} replaces their
     * GC and {@code -Dbench.childJvmArgs} are added last, for A/B runs and profiles.
     */
    public static ChildJvm launch(String heap, List<String> options, Class<?> main, Path log, List<String> args) throws IOException {
        List<String> jvm = new ArrayList<>();
        jvm.add("-Xmx" + heap);
        String gc = System.getProperty("bench.childGc", "");
        for (String o : options) if (!o.startsWith("-Xmx") && (gc.isBlank() || !GC.matcher(o).matches())) jvm.add(o);
        if (!gc.isBlank()) jvm.add(gc);
        jvm.add("-Dfile.encoding=UTF-8");
        // e.g. -Dbench.childJvmArgs="-XX:StartFlightRecording=filename=/tmp/m.jfr" to profile the mediator
        for (String extra : System.getProperty("bench.childJvmArgs", "").split(" ")) if (!extra.isBlank()) jvm.add(extra);
        return start(CpuPinning.prefix(CpuPinning.mediatorCpus()), jvm, main, log, args);
    }

    /**
     * {@value #MEDIATOR_JVM_OPTIONS} of the repository this runs in (found from the working folder up: the bench runs
     * from the root, tests from bench/): whitespace-separated options, {@code #} starts a comment line.
     */
    public static List<String> mediatorJvmOptions() throws IOException {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path file = dir.resolve(MEDIATOR_JVM_OPTIONS);
            if (Files.isRegularFile(file)) {
                List<String> options = new ArrayList<>();
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (line.isBlank() || line.strip().startsWith("#")) continue;
                    for (String o : line.strip().split("\\s+")) options.add(o);
                }
                return options;
            }
        }
        throw new IOException(MEDIATOR_JVM_OPTIONS + " not found in " + Path.of("").toAbsolutePath() + " or above: run from the repository");
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
