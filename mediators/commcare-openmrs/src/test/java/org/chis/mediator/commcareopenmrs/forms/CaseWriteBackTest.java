package org.chis.mediator.commcareopenmrs.forms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import okhttp3.OkHttpClient;
import org.chis.common.audit.TransactionContext;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.commcare.SubmittedForm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenMRS ids written back to a CommCare case (shipped registration and follow-up mappings), against the CommCare
 * simulator: which properties a write-back sets, when it creates the case, and when it leaves a newer form's ids alone.
 */
class CaseWriteBackTest {
    static final String PATIENT = "11111111-2222-3333-4444-555555555555";
    static final String VISIT = "visit-uuid";
    static final String ENCOUNTER = "encounter-uuid";

    static CommCareSimulator hq;
    static CaseWriteBack writeBack;
    static FormMappings mappings;

    final TransactionContext tx = new TransactionContext("write-back");

    @BeforeAll
    static void start() {
        hq = new CommCareSimulator(0);
        writeBack = new CaseWriteBack(new CommCareClient(new RecordingHttpClient(new OkHttpClient()), hq.baseUrl(), CommCareSimulator.DOMAIN,
                CommCareSimulator.USER, CommCareSimulator.API_KEY));
        mappings = FormMappings.load(FormsFixture.CONFIG.resolve("forms"));
    }

    @AfterAll
    static void stop() { if (hq != null) hq.close(); }

    @BeforeEach
    void reset() { hq.reset(); }

    static FormWorkflow.Prepared prepared(ObjectNode doc) {
        Submission s = Submission.commCare(doc);
        FormMapping m = mappings.find(s.source(), s.formType()).orElseThrow();
        return new FormWorkflow.Prepared(s, m, FormValues.read(m, s));
    }

    static List<SubmittedForm> writeBacks() {
        return hq.submittedForms().stream().filter(f -> CaseWriteBack.WRITE_BACK_XMLNS.equals(f.xmlns())).toList();
    }

    @Test
    void aRegistrationHqDoesNotKnowYetCreatesItsCaseFromTheCreateBlockWithTheIds() {
        String caseId = UUID.randomUUID().toString();
        FormWorkflow.Prepared p = prepared(FormsFixture.registration(UUID.randomUUID().toString(), caseId, "NID-77"));
        assertThat(CaseWriteBack.wanted(p.mapping(), p.values())).isTrue();

        writeBack.write(tx, p, PATIENT, null, ENCOUNTER);
        writeBack.write(tx, p, PATIENT, null, ENCOUNTER); // a rerun: the same instanceID, which HQ ignores

        CommCareCase c = hq.caseById(caseId).orElseThrow();
        assertThat(c.caseType()).isEqualTo("person");
        assertThat(c.caseName()).isEqualTo("Amina Wanjirū");
        assertThat(c.properties()).containsEntry("openmrs_uuid", PATIENT).containsEntry("openmrs_national_id", "NID-77")
                .containsEntry("openmrs_last_encounter_uuid", ENCOUNTER)
                .containsEntry(CaseWriteBack.LAST_FORM_TIME, p.values().encounterDatetime().toInstant().toString());
        assertThat(writeBacks()).singleElement().satisfies(f -> assertThat(f.caseIds()).containsExactly(caseId));
    }

    @Test
    void anOlderFormLeavesTheNewerFormsVisitAndEncounterAndSendsNothingWhenThatIsAllItMaps() {
        OffsetDateTime newer = OffsetDateTime.parse("2024-05-03T10:00:00+03:00");
        String caseId = hq.registerCase("person", "Amina", null, Map.of(CaseWriteBack.LAST_FORM_TIME, newer.toInstant().toString(),
                "openmrs_last_visit_uuid", "newer-visit"));
        FormWorkflow.Prepared older = prepared(FormsFixture.followUp(UUID.randomUUID().toString(), caseId, "NID-77", newer.minusDays(2).toString()));

        Object result = writeBack.write(tx, older, PATIENT, VISIT, ENCOUNTER);

        assertThat(result).asString().contains("nothing to write");
        assertThat(tx.properties().get("caseWriteBack")).contains("kept the newer form's ids");
        assertThat(writeBacks()).isEmpty();
        assertThat(hq.caseById(caseId).orElseThrow().properties()).containsEntry("openmrs_last_visit_uuid", "newer-visit")
                .doesNotContainKey("openmrs_last_encounter_uuid");
    }

    @Test
    void aLastFormTimeEditedByHandIntoSomethingElseDoesNotHoldTheIdsBack() {
        String caseId = hq.registerCase("person", "Amina", null, Map.of(CaseWriteBack.LAST_FORM_TIME, "see notes"));
        FormWorkflow.Prepared p = prepared(FormsFixture.followUp(UUID.randomUUID().toString(), caseId, "NID-77", "2024-05-01T09:30:00+03:00"));

        writeBack.write(tx, p, PATIENT, VISIT, ENCOUNTER);

        assertThat(hq.caseById(caseId).orElseThrow().properties()).containsEntry("openmrs_last_visit_uuid", VISIT)
                .containsEntry("openmrs_last_encounter_uuid", ENCOUNTER)
                .containsEntry(CaseWriteBack.LAST_FORM_TIME, "2024-05-01T06:30:00Z");
    }
}
