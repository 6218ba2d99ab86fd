package org.chis.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A mediator child runs with the JVM options ./suite and the images in docker/ use, so the CPU bench measures those. */
class ChildJvmTest {

    /** Prints its JVM options and the READY line ChildJvm waits for. */
    public static final class PrintsJvmOptions {
        public static void main(String[] args) {
            System.out.println("OPTIONS " + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
            System.out.println("READY port=1");
        }
    }

    @Test
    void childRunsWithTheSuitesJvmOptionsAndTheGivenHeap(@TempDir Path dir) throws Exception {
        List<String> suite = ChildJvm.mediatorJvmOptions();
        assertThat(suite).contains("-XX:+UseSerialGC").noneMatch(o -> o.startsWith("-Xmx") || o.startsWith("#"));
        Path log = dir.resolve("child.log");
        try (ChildJvm child = ChildJvm.launch("96m", PrintsJvmOptions.class, log, List.of())) {
            child.awaitReady(Duration.ofSeconds(60));
        }
        String options = Files.readString(log, StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("OPTIONS ")).findFirst().orElseThrow();
        assertThat(List.of(options.substring("OPTIONS ".length()).split(" "))).containsAll(suite).contains("-Xmx96m");
    }
}
