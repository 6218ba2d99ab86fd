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
 * {@code bench.registrationJvmArgs} (default {@value ChildJvm#MEDIATOR_JVM_OPTIONS}, which ./suite and the images
 * in docker/ read too; heap aside: 256 MB) and, unless {@code bench.registrationCds=false}, an AppCDS archive made by
 * one training run first ({@code -Dchis.trainingRun=true} with {@code -XX:ArchiveClassesAtExit}), as ./suite and the
 * images in docker/ do.
 */
final class SuiteJvmOptions {
    private final List<String> options;

    private SuiteJvmOptions(List<String> options) { this.options = options; }

    /** The options, after the training run when AppCDS is on; {@code args} are the child's settings for the training run. */
    static SuiteJvmOptions forRegistration(Class<?> main, Path dir, List<String> args) throws Exception {
        String given = System.getProperty("bench.registrationJvmArgs");
        List<String> options = new ArrayList<>(given == null ? ChildJvm.mediatorJvmOptions()
                : Arrays.stream(given.split(" ")).filter(o -> !o.isBlank()).toList());
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

    /** A 256 MB child with these options (plus {@code bench.childGc} / {@code bench.childJvmArgs}, see ChildJvm). */
    ChildJvm launch(Class<?> main, Path log, List<String> args) throws Exception {
        return ChildJvm.launch("256m", options, main, log, args);
    }

    @Override
    public String toString() { return "-Xmx256m " + String.join(" ", options); }
}
