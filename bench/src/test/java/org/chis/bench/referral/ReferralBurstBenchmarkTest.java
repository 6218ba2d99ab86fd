package org.chis.bench.referral;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The burst benchmark reads its GC figures from the child's -Xlog:gc lines, as Java 17's Serial GC writes them. */
class ReferralBurstBenchmarkTest {
    @Test
    void pausesAreReadFromTheGcLog(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("gc.log");
        Files.writeString(log, """
                [0.006s][info][gc] Using Serial
                [0.584s][info][gc] GC(0) Pause Young (Allocation Failure) 8M->2M(30M) 15.694ms
                [0.844s][info][gc] GC(5) Pause Full (Allocation Failure) 26M->23M(30M) 16.008ms
                [0.901s][info][gc] GC(6) Pause Full (System.gc()) 29M->21M(31M) 8.778ms
                """, StandardCharsets.UTF_8);
        assertThat(ReferralBurstBenchmark.pauses(log)).containsExactly(
                new ReferralBurstBenchmark.Pause(false, 8, 2, 30, 15.694),
                new ReferralBurstBenchmark.Pause(true, 26, 23, 30, 16.008),
                new ReferralBurstBenchmark.Pause(true, 29, 21, 31, 8.778));
        assertThat(ReferralBurstBenchmark.pauses(dir.resolve("none.log"))).isEmpty();
    }
}
