package org.chis.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.chis.common.store.SagaJournal.Step;
import org.chis.common.store.SagaJournal.StepState;
import org.junit.jupiter.api.Test;

class StepLinesTest {
    @Test
    void stepsReadBackAsWrittenWhateverTheirTextHolds() {
        List<Step> steps = List.of(
                new Step("k", 1, "read case", null, null, StepState.DONE, null),
                new Step("k", 2, "create obs a\tb\\c\nd\re", "openmrs-obs", "o-1", StepState.UNDO_FAILED, "HTTP 500:\n{\"error\":\"x\\ty\"}"),
                new Step("k", 12, "create patient", "openmrs-patient", "p/1/ID-7", StepState.PLANNED, null));
        String text = StepLines.write(steps);
        assertThat(text.lines()).hasSize(3); // one line per step: the reporting view counts newlines
        assertThat(text).contains("\tUNDO_FAILED\t");
        assertThat(StepLines.read("k", text)).isEqualTo(steps);
        assertThat(StepLines.read("k", null)).isEmpty();
    }

    @Test
    void aBrokenLineSaysWhichSaga() {
        assertThatThrownBy(() -> StepLines.read("form:9", "1\tDONE\n")).isInstanceOf(StoreException.class).hasMessageContaining("form:9");
    }
}
