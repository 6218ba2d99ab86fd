package org.chis.common.audit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** One scheme for orchestration names, "<System>: <what it does>", never with the system twice. */
class OrchestrationNameTest {
    @Test
    void theSystemComesOnceBeforeWhatTheCallDoes() {
        assertThat(Orchestration.name("OpenMRS", "get patient")).isEqualTo("OpenMRS: get patient");
        assertThat(Orchestration.name("OpenMRS", "OpenMRS get patient")).isEqualTo("OpenMRS: get patient");
        assertThat(Orchestration.name("OpenMRS", "OpenMRS: get patient")).isEqualTo("OpenMRS: get patient");
        assertThat(Orchestration.name("CommCare", "CommCare submit form")).isEqualTo("CommCare: submit form");
        // a word that only starts like the system is kept
        assertThat(Orchestration.name("FHIR", "FHIRish lookup")).isEqualTo("FHIR: FHIRish lookup");
        // what the regex "^:?\\s*" removed after the system's name, no more
        assertThat(Orchestration.name("OpenMRS", "  openmrs:\t get patient ")).isEqualTo("OpenMRS: get patient");
        assertThat(Orchestration.name("OpenMRS", "OpenMRS")).isEqualTo("OpenMRS: ");
        assertThat(Orchestration.name("OpenMRS", "OpenMRS:")).isEqualTo("OpenMRS: ");
        assertThat(Orchestration.name("OpenMRS", "OpenMRS ::x")).isEqualTo("OpenMRS: ::x");
        assertThat(Orchestration.name("OpenMRS", "OpenMRS::x")).isEqualTo("OpenMRS: :x");
        assertThat(Orchestration.name("CommCare", "Comm")).isEqualTo("CommCare: Comm");
    }
}
