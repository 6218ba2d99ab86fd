package org.chis.simulators.openmrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.chis.common.audit.TransactionContext;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.OpenMrsException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The simulator's program enrollments and cohort memberships answer as OpenMRS's REST module (2.1+) does. */
class ProgramsAndCohortsTest {
    static final String HIV = "64f950e6-1b07-4ac0-8e7e-f3e148f3463f";
    static final String COHORT = "2c3f6a57-8f3a-4f7e-9d5b-0e4b1c7d9a11";
    static OpenMrsSimulator openmrs;
    static OpenMrsClient client;
    TransactionContext tx = new TransactionContext("t1");

    @BeforeAll
    static void start() {
        openmrs = new OpenMrsSimulator(0);
        client = new OpenMrsClient(new RecordingHttpClient(new OkHttpClient()), openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD);
    }

    @AfterAll
    static void stop() { openmrs.close(); }

    @BeforeEach
    void fresh() { openmrs.reset(); }

    @Test
    void programenrollmentSearchByPatientListsEnrollmentsWithProgramAndDates() {
        String p = openmrs.registerPatient("Amina", "Kamau", "F", LocalDate.of(1994, 3, 12), "100-1");
        openmrs.addProgram(HIV, "HIV Program");
        openmrs.enroll(p, HIV, LocalDate.of(2024, 1, 5), null);
        openmrs.enroll(p, HIV, LocalDate.of(2020, 1, 5), LocalDate.of(2021, 2, 1));

        List<JsonNode> found = client.list(tx, "list enrollments", "programenrollment", Map.of("patient", p));
        assertThat(found).hasSize(2);
        assertThat(found.get(0).path("program").path("uuid").asText()).isEqualTo(HIV);
        assertThat(found.get(0).path("dateEnrolled").asText()).startsWith("2024-01-05T00:00:00.000");
        assertThat(found.get(0).path("dateCompleted").isNull()).isTrue();
        assertThat(found.get(1).path("dateCompleted").asText()).startsWith("2021-02-01");
        // as ProgramEnrollmentResource: an unknown patient is an empty result
        assertThat(client.list(tx, "list enrollments", "programenrollment", Map.of("patient", OpenMrsSimulator.newUuid()))).isEmpty();
    }

    @Test
    void cohortMembershipIsPagedWithStartIndexAndNextLinksAndAnUnknownCohortIs404() {
        openmrs.addCohort(COHORT, "ART clients");
        for (int i = 0; i < 5; i++) {
            String p = openmrs.registerPatient("P" + i, "Kamau", "F", LocalDate.of(1994, 3, 12), "100-" + i);
            openmrs.addCohortMember(COHORT, p, LocalDate.of(2024, 1, 1), i == 4 ? LocalDate.of(2024, 6, 1) : null);
        }
        JsonNode page1 = client.getPath(tx, "cohort members", "/ws/rest/v1/cohort/" + COHORT + "/membership?startIndex=0&limit=2").orElseThrow();
        assertThat(page1.path("results")).hasSize(2);
        assertThat(page1.path("results").get(0).path("patientUuid").asText()).isNotBlank();
        assertThat(page1.path("results").get(0).path("display").asText()).isEqualTo("Patient in cohort (see link with rel=patient)");
        assertThat(page1.path("links").get(0).path("rel").asText()).isEqualTo("next");
        JsonNode last = client.getPath(tx, "cohort members", "/ws/rest/v1/cohort/" + COHORT + "/membership?startIndex=4&limit=2").orElseThrow();
        assertThat(last.path("results")).hasSize(1);
        assertThat(last.path("results").get(0).path("endDate").asText()).startsWith("2024-06-01");
        assertThat(last.has("links") && last.path("links").findValuesAsText("rel").contains("next")).isFalse();
        assertThat(client.getPath(tx, "cohort members", "/ws/rest/v1/cohort/" + OpenMrsSimulator.newUuid() + "/membership")).isEmpty();
        assertThatThrownBy(() -> client.list(tx, "list enrollments", "programenrollment", Map.of())).isInstanceOf(OpenMrsException.class);
    }
}
