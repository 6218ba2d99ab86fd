package org.chis.common.systems.dhis2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PeriodTest {

    @ParameterizedTest(name = "{0} is in {1}")
    @CsvSource({
            // ISO weeks: the week-based year differs from the calendar year around New Year
            "2020-12-31, 2020W53",
            "2021-01-01, 2020W53",
            "2021-01-03, 2020W53",
            "2021-01-04, 2021W1",
            "2019-12-30, 2020W1",
            "2015-12-31, 2015W53",
            "2016-01-03, 2015W53",
            "2026-12-31, 2026W53",
            "2027-01-03, 2026W53",
            "2024-12-30, 2025W1",
            "2024-02-29, 2024W9",
    })
    void weekly(LocalDate date, String id) {
        assertThat(PeriodType.WEEKLY.periodOf(date).id()).isEqualTo(id);
    }

    @ParameterizedTest(name = "{0} is in {1}")
    @CsvSource({
            "2024-01-01, 2024Q1", "2024-03-31, 2024Q1", "2024-04-01, 2024Q2", "2024-06-30, 2024Q2",
            "2024-07-01, 2024Q3", "2024-09-30, 2024Q3", "2024-10-01, 2024Q4", "2024-12-31, 2024Q4",
    })
    void quarterly(LocalDate date, String id) {
        assertThat(PeriodType.QUARTERLY.periodOf(date).id()).isEqualTo(id);
    }

    @Test
    void dailyMonthlyYearly() {
        LocalDate d = LocalDate.of(2024, 2, 29);
        assertThat(PeriodType.DAILY.periodOf(d).id()).isEqualTo("20240229");
        assertThat(PeriodType.MONTHLY.periodOf(d).id()).isEqualTo("202402");
        assertThat(PeriodType.MONTHLY.periodOf(d).end()).isEqualTo(LocalDate.of(2024, 2, 29));
        assertThat(PeriodType.YEARLY.periodOf(d).id()).isEqualTo("2024");
    }

    @Test
    void previousAndNextCrossYearBoundaries() {
        assertThat(Period.parse("2021W1").previous().id()).isEqualTo("2020W53");
        assertThat(Period.parse("2020W53").next().id()).isEqualTo("2021W1");
        assertThat(Period.parse("2019W52").next().id()).isEqualTo("2020W1");
        assertThat(Period.parse("2024Q1").previous().id()).isEqualTo("2023Q4");
        assertThat(Period.parse("2023Q4").next().id()).isEqualTo("2024Q1");
        assertThat(Period.parse("202401").previous().id()).isEqualTo("202312");
        assertThat(Period.parse("20240101").previous().id()).isEqualTo("20231231");
        assertThat(Period.parse("2024").previous().id()).isEqualTo("2023");
    }

    @Test
    void parseGivesTypeAndBounds() {
        Period w = Period.parse("2020W53");
        assertThat(w.type()).isEqualTo(PeriodType.WEEKLY);
        assertThat(w.start()).isEqualTo(LocalDate.of(2020, 12, 28));
        assertThat(w.end()).isEqualTo(LocalDate.of(2021, 1, 3));
        Period q = Period.parse("2024Q3");
        assertThat(q.start()).isEqualTo(LocalDate.of(2024, 7, 1));
        assertThat(q.end()).isEqualTo(LocalDate.of(2024, 9, 30));
        assertThat(Period.parse("202402").end()).isEqualTo(LocalDate.of(2024, 2, 29));
        assertThat(Period.parse("20240131").type()).isEqualTo(PeriodType.DAILY);
        assertThat(Period.parse("2024").type()).isEqualTo(PeriodType.YEARLY);
    }

    @Test
    void parseRejectsPeriodsThatDoNotExist() {
        assertThatThrownBy(() -> Period.parse("2021W53")).hasMessageContaining("52 ISO weeks");
        assertThatThrownBy(() -> Period.parse("2020W0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Period.parse("202413")).hasMessageContaining("not a real date");
        assertThatThrownBy(() -> Period.parse("2024-01")).hasMessageContaining("not a DHIS2");
        assertThatThrownBy(() -> Period.parse("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyDayOfA53WeekYearRoundTrips() {
        for (LocalDate d = LocalDate.of(2020, 1, 1); d.isBefore(LocalDate.of(2022, 1, 1)); d = d.plusDays(1)) {
            for (PeriodType t : PeriodType.values()) {
                Period p = t.periodOf(d);
                assertThat(p.contains(d)).isTrue();
                assertThat(Period.parse(p.id())).isEqualTo(p);
            }
        }
    }

    @Test
    void periodTypeNames() {
        assertThat(PeriodType.parse("Weekly")).isEqualTo(PeriodType.WEEKLY);
        assertThatThrownBy(() -> PeriodType.parse("fortnightly")).hasMessageContaining("daily, weekly");
    }
}
