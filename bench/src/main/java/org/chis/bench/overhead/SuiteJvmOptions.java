package org.chis.bench.overhead;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.chis.bench.ChildJvm;

/**
 * The JVM options ./suite starts mediators with, so start-to-registered is measured the way mediators run:
 * {@code bench.registrationJvmArgs} (default as ./suite's {@code CHIS_MEDIATOR_JAVA_OPTS}, heap aside: ChildJvm sets
 * it) and, unless {@code bench.registrationCds=false}, an AppCDS archive made by one training run first
 * ({@code -Dchis.trainingRun=true} with {@code -XX:ArchiveClassesAtExit}), as ./suite and the images in docker/ do.
 */
final class SuiteJvmOptions {
    static final String SUITE_DEFAULT = "-XX:+UseSerialGC";
    private static final String SERIAL_GC = "-XX:+UseSerialGC";

    private final List<String> options;

    private SuiteJvmOptions(List<String> options) { this.options = options; }

    /** The options, after the training run when AppCDS is on; {@code args} are the child's settings for the training run. */
    static SuiteJvmOptions forRegistration(Class<?> main, Path dir, List<String> args) throws Exception {
        List<String> options = new ArrayList<>(Arrays.stream(System.getProperty("bench.registrationJvmArgs", SUITE_DEFAULT).split(" "))
                .filter(o -> !o.isBlank()).toList());
        if (!Boolean.parseBoolean(System.getProperty("bench.registrationCds", "true"))) return new SuiteJvmOptions(options);
        Path archive = dir.resolve("registration-cds.jsa");
        List<String> training = new ArrayList<>(options);
        training.add("-XX:ArchiveClassesAtExit=" + archive);
        training.add("-Dchis.trainingRun=true");
        try (ChildJvm t = new SuiteJvmOptions(training).launch(main, dir.resolve("register-cds-training.log"), args)) {
            ProcessHandle.of(t.pid()).ifPresent(p -> p.onExit().orTimeout(120, TimeUnit.SECONDS).join());
        }
        if (!Files.isRegularFile(archive)) throw new IllegalStateException("AppCDS training run wrote no archive, see " + dir);
        archive.toFile().deleteOnExit(); // tens of MB
        options.add("-XX:SharedArchiveFile=" + archive);
        return new SuiteJvmOptions(options);
    }

    /** A 256 MB child with these options (ChildJvm takes extra options and the GC choice from system properties). */
    ChildJvm launch(Class<?> main, Path log, List<String> args) throws Exception {
        String extra = System.getProperty("bench.childJvmArgs");
        String gc = System.getProperty("bench.childGc");
        try {
            System.setProperty("bench.childJvmArgs", String.join(" ", options.stream().filter(o -> !o.equals(SERIAL_GC)).toList())
                    + (extra == null ? "" : " " + extra));
            if (options.contains(SERIAL_GC)) System.setProperty("bench.childGc", SERIAL_GC);
            return ChildJvm.launch("256m", main, log, args);
        } finally {
            restore("bench.childJvmArgs", extra);
            restore("bench.childGc", gc);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }

    @Override
    public String toString() { return "-Xmx256m " + String.join(" ", options); }
}
