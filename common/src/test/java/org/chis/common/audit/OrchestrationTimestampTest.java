package org.chis.common.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The envelope's timestamps are the same text as Instant.toString: core stores them as they are. */
class OrchestrationTimestampTest {
    @Test
    void writesWhatInstantToStringWrites() {
        assertThat(Orchestration.timestamp(Instant.parse("2026-12-06T23:15:00Z"))).isEqualTo("2026-12-06T23:15:00Z");
        assertThat(Orchestration.timestamp(Instant.parse("2026-12-06T23:15:00.120Z"))).isEqualTo("2026-12-06T23:15:00.120Z");
        assertThat(Orchestration.timestamp(Instant.parse("2026-12-06T23:15:00.000123Z"))).isEqualTo("2026-12-06T23:15:00.000123Z");
        assertThat(Orchestration.timestamp(Instant.parse("1969-12-31T23:59:59.000000001Z"))).isEqualTo("1969-12-31T23:59:59.000000001Z");
        Instant now = Instant.now();
        assertThat(Orchestration.timestamp(now)).isEqualTo(now.toString());
        for (Instant t : new Instant[] {Instant.MIN, Instant.MAX, Instant.EPOCH, Instant.parse("0000-01-01T00:00:00Z"),
                Instant.parse("0000-01-01T00:00:00Z").minusNanos(1), Instant.parse("9999-12-31T23:59:59.999999999Z"),
                Instant.parse("9999-12-31T23:59:59.999999999Z").plusNanos(1)}) {
            assertThat(Orchestration.timestamp(t)).isEqualTo(t.toString());
        }
        SplittableRandom r = new SplittableRandom(14);
        for (int i = 0; i < 50_000; i++) {
            long seconds = r.nextLong(-70_000_000_000L, 300_000_000_000L);
            int nano = switch (i % 4) { case 0 -> 0; case 1 -> r.nextInt(1000) * 1_000_000; case 2 -> r.nextInt(1_000_000) * 1000; default -> r.nextInt(1_000_000_000); };
            Instant t = Instant.ofEpochSecond(seconds, nano);
            assertThat(Orchestration.timestamp(t)).as("%s", t).isEqualTo(t.toString());
        }
    }
}
