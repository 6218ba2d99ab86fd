package org.chis.common.systems.openmrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OpenMrsDatesTest {
    /** The hand-written format prints exactly what OpenMrsDates.FORMAT prints. */
    @Test
    void formatsAsTheFormatterDoes() {
        assertThat(OpenMrsDates.format(OffsetDateTime.parse("2017-06-27T00:00:00Z"))).isEqualTo("2017-06-27T00:00:00.000+0000");
        assertThat(OpenMrsDates.format(OffsetDateTime.parse("2024-05-01T23:00:39.123456789+03:00"))).isEqualTo("2024-05-01T23:00:39.123+0300");
        assertThat(OpenMrsDates.format(OffsetDateTime.parse("2024-05-01T10:30:00.9-05:30"))).isEqualTo("2024-05-01T10:30:00.900-0530");
        assertThat(OpenMrsDates.format(Instant.parse("2024-02-29T12:01:02.003Z"))).isEqualTo("2024-02-29T12:01:02.003+0000");
        assertThat(OpenMrsDates.format(LocalDate.of(1990, 1, 31))).isEqualTo("1990-01-31T00:00:00.000+0000");
        SplittableRandom r = new SplittableRandom(14);
        for (int i = 0; i < 20_000; i++) {
            OffsetDateTime t = OffsetDateTime.of(r.nextInt(-1, 12001), 1 + r.nextInt(12), 1 + r.nextInt(28), r.nextInt(24), r.nextInt(60),
                    r.nextInt(60), r.nextInt(1_000_000_000), ZoneOffset.ofTotalSeconds(r.nextInt(-18 * 3600, 18 * 3600 + 1) / (i % 2 == 0 ? 900 : 1) * (i % 2 == 0 ? 900 : 1)));
            assertThat(OpenMrsDates.format(t)).as("%s", t).isEqualTo(OpenMrsDates.FORMAT.format(t));
        }
    }

    /** A bare date reads as the lenient formatter reads it (which moves Feb 30 to Feb 28), and a bad one is refused the same way. */
    @Test
    void readsTheDatePartOfABareDateAsTheLenientFormatterDoes() {
        assertThat(OpenMrsDates.datePart("1990-01-31")).isEqualTo(LocalDate.of(1990, 1, 31));
        assertThat(OpenMrsDates.datePart(" 2024-02-29 ")).isEqualTo(LocalDate.of(2024, 2, 29));
        assertThat(OpenMrsDates.datePart("2017-06-27T23:00:00.000+0300")).isEqualTo(LocalDate.of(2017, 6, 27));
        for (String text : new String[] {"2023-02-29", "2023-02-30", "2023-04-31", "2023-02-32", "2023-13-01", "2023-00-10",
                "0000-01-01", "2023-1a-01", "20x3-01-01", "2023-01-01 "}) {
            LocalDate lenient;
            try {
                lenient = OpenMrsDates.parse(text).toLocalDate();
            } catch (IllegalArgumentException e) {
                assertThatThrownBy(() -> OpenMrsDates.datePart(text)).as(text).isInstanceOf(IllegalArgumentException.class).hasMessage(e.getMessage());
                continue;
            }
            assertThat(OpenMrsDates.datePart(text)).as(text).isEqualTo(lenient);
        }
    }
}
