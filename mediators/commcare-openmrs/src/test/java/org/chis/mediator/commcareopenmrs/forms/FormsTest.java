package org.chis.mediator.commcareopenmrs.forms;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.chis.common.json.Json;
import org.chis.common.store.IdMap;
import org.chis.common.store.SagaJournal;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.common.systems.openmrs.OpenMrsDates;
import org.chis.common.testing.OrchestrationNames;
import org.chis.simulators.commcare.SubmittedForm;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Forms -> OpenMRS against the OpenMRS and CommCare simulators: what ends up in OpenMRS and CommCare, and what the mediator answers. */
class FormsTest {
    static FormsFixture f;

    @BeforeAll
    static void start() { f = new FormsFixture(Map.of()); }

    @AfterAll
    static void stop() { if (f != null) f.close(); }

    @BeforeEach
    void reset() {
        f.openmrs.reset();
        f.commcare.reset();
    }

    static String id() { return UUID.randomUUID().toString(); }

    static String nid() { return "NID-" + UUID.randomUUID().toString().substring(0, 8); }

    @Test
    void newPatientEndToEndWithUtf8NamesAndIdsWrittenBackToTheCase() throws Exception {
        String formId = id(), caseId = id(), nid = nid();
        FormsFixture.Reply r = f.form(FormsFixture.registration(formId, caseId, nid));

        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(201);
        assertThat(r.status()).isEqualTo("Successful");
        JsonNode body = r.body();
        String patient = body.path("patient").path("uuid").asText();
        assertThat(body.path("patient").path("created").asBoolean()).isTrue();
        assertThat(r.orchestrationNames()).containsSubsequence("OpenMRS: find patient by identifier", "OpenMRS: create patient",
                "OpenMRS: create visit", "OpenMRS: create encounter", "OpenMRS: create obs", "OpenMRS: update visit", "CommCare: submit form");
        OrchestrationNames.assertOneScheme(r.orchestrationNames());

        JsonNode p = f.openmrs.patient(patient).orElseThrow();
        assertThat(p.path("person").path("preferredName").path("givenName").asText()).isEqualTo("Amina");
        assertThat(p.path("person").path("preferredName").path("familyName").asText()).isEqualTo("Wanjirū");
        assertThat(p.path("person").path("gender").asText()).isEqualTo("F");
        assertThat(p.path("person").path("birthdate").asText()).startsWith("1994-03-12");
        assertThat(p.path("identifiers").get(0).path("identifier").asText()).isEqualTo(nid);
        assertThat(p.path("person").path("attributes").toString()).contains("+254700000001").contains("Kĩambu");

        List<JsonNode> encounters = f.encounters();
        assertThat(encounters).hasSize(1);
        JsonNode e = encounters.get(0);
        assertThat(e.path("uuid").asText()).isEqualTo(body.path("encounter").asText());
        // HQ forwards metadata.timeEnd in UTC without a zone (form.meta.timeEnd has the Z): 05:30:47 UTC is 08:30:47 in Nairobi
        assertThat(OpenMrsDates.parse(e.path("encounterDatetime").asText()).toInstant()).isEqualTo(Instant.parse("2024-05-01T05:30:47Z"));
        assertThat(r.sent("OpenMRS: create encounter").path("encounterDatetime").asText()).isEqualTo("2024-05-01T08:30:47.000+0300");
        assertThat(e.path("encounterType").path("uuid").asText()).isEqualTo(OpenMrsSimulator.ENCOUNTER_TYPE_REGISTRATION);
        assertThat(e.path("encounterProviders").get(0).path("provider").path("uuid").asText()).isEqualTo(OpenMrsSimulator.PROVIDER_CHW);
        assertThat(e.path("obs")).hasSize(5);
        String obs = e.path("obs").toString();
        assertThat(obs).contains(OpenMrsSimulator.CONCEPT_YES).contains("61.5").contains("Mama anasema hajambo — first ANC visit planned");

        JsonNode visit = f.openmrs.visits().get(0);
        OffsetDateTime stop = OpenMrsDates.parse(visit.path("stopDatetime").asText());
        assertThat(stop.atZoneSameInstant(ZoneId.of("Africa/Nairobi")).toLocalDate()).isEqualTo(LocalDate.of(2024, 5, 1));

        CommCareCase c = f.commcare.caseById(caseId).orElseThrow();
        assertThat(c.properties()).containsEntry("openmrs_uuid", patient).containsEntry("openmrs_national_id", nid)
                .containsEntry("openmrs_last_encounter_uuid", body.path("encounter").asText());
        assertThat(c.caseName()).isEqualTo("Amina Wanjirū");
        SubmittedForm wb = f.commcare.submittedForms().get(f.commcare.submittedForms().size() - 1);
        assertThat(wb.xmlns()).isEqualTo(CaseWriteBack.WRITE_BACK_XMLNS);

        // echo suppression API for the feeds side
        OwnWrites own = new OwnWrites(storeOf());
        assertThat(own.isOurEncounter(body.path("encounter").asText())).isTrue();
        assertThat(own.isOurPatient(patient)).isTrue();
        assertThat(own.isOurEncounter(UUID.randomUUID().toString())).isFalse();
    }

    /** The id map of the running mediator's store (same in-memory database URL). */
    static IdMap storeOf() {
        return StateStore.open(f.app.settings(), "commcare-openmrs").idMap();
    }

    @Test
    void existingPatientIsMatchedByIdentifierAndNotCreatedAgain() throws Exception {
        String nid = nid();
        String existing = f.clerkRegisters("Amina", "Wanjiru", "F", "1994-03-12", nid);
        FormsFixture.Reply r = f.form(FormsFixture.registration(id(), id(), nid));

        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(r.body().path("patient").path("uuid").asText()).isEqualTo(existing);
        assertThat(r.body().path("patient").path("created").asBoolean()).isFalse();
        assertThat(r.property("matchedBy")).isEqualTo("identifier " + nid);
        assertThat(f.openmrs.patients()).hasSize(1);
        assertThat(f.encounters()).singleElement().satisfies(e -> assertThat(e.path("patient").path("uuid").asText()).isEqualTo(existing));
    }

    @Test
    void aFollowUpFindsThePatientThroughTheIdMapOfItsCase() throws Exception {
        String caseId = id(), nid = nid();
        FormsFixture.Reply reg = f.form(FormsFixture.registration(id(), caseId, nid));
        String patient = reg.body().path("patient").path("uuid").asText();
        String when = OffsetDateTime.now(ZoneOffset.ofHours(3)).minusHours(1).withNano(0).toString();
        // the national id on the case is stale/wrong: the id map still finds the patient
        FormsFixture.Reply r = f.form(FormsFixture.followUp(id(), caseId, "NID-WRONG", when));

        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(r.property("matchedBy")).isEqualTo("id map");
        assertThat(r.body().path("patient").path("uuid").asText()).isEqualTo(patient);
        assertThat(f.encounters()).hasSize(2);
        JsonNode followUp = f.openmrs.encounter(r.body().path("encounter").asText()).orElseThrow();
        assertThat(followUp.path("obs").toString()).contains(OpenMrsSimulator.CONCEPT_FEVER).contains("38.4");
        assertThat(followUp.path("location").path("uuid").asText()).isEqualTo(OpenMrsSimulator.LOCATION_CLINIC);
        assertThat(f.commcare.caseById(caseId).orElseThrow().properties())
                .containsEntry("openmrs_last_encounter_uuid", r.body().path("encounter").asText());
    }

    @Test
    void anOlderFormRunAfterANewerOneDoesNotOverwriteTheNewerIdsOnTheCase() throws Exception {
        String caseId = id(), nid = nid();
        assertThat(f.form(FormsFixture.registration(id(), caseId, nid)).status()).isEqualTo("Successful");
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.ofHours(3)).withNano(0);
        String older = id(), newer = id();
        // B (yesterday) is processed first; A (two days ago) comes after, e.g. rerun from the console days later
        FormsFixture.Reply b = f.form(FormsFixture.followUp(newer, caseId, nid, now.minusDays(1).toString()));
        assertThat(b.status()).as(b.envelope().toString()).isEqualTo("Successful");
        FormsFixture.Reply a = f.form(FormsFixture.followUp(older, caseId, nid, now.minusDays(2).toString()));
        assertThat(a.status()).as(a.envelope().toString()).isEqualTo("Successful");
        assertThat(f.openmrs.encounter(a.body().path("encounter").asText())).isPresent(); // A's data is in OpenMRS all the same

        Map<String, String> props = f.commcare.caseById(caseId).orElseThrow().properties();
        assertThat(props).containsEntry("openmrs_last_encounter_uuid", b.body().path("encounter").asText())
                .containsEntry("openmrs_last_visit_uuid", b.body().path("visit").asText())
                .containsEntry(CaseWriteBack.LAST_FORM_TIME, now.minusDays(1).toInstant().toString());
        assertThat(a.property("caseWriteBack")).contains("kept the newer form's ids");

        // a form newer than both moves them on
        FormsFixture.Reply c = f.form(FormsFixture.followUp(id(), caseId, nid, now.minusHours(1).toString()));
        assertThat(c.status()).as(c.envelope().toString()).isEqualTo("Successful");
        assertThat(f.commcare.caseById(caseId).orElseThrow().properties())
                .containsEntry("openmrs_last_encounter_uuid", c.body().path("encounter").asText())
                .containsEntry(CaseWriteBack.LAST_FORM_TIME, now.minusHours(1).toInstant().toString());
    }

    @Test
    void weightedMatcherMatchesOneClearCandidateAndRefusesToGuessBetweenTwo() throws Exception {
        String one = f.openmrs.registerPatient("Amina", "Wanjirū", "F", LocalDate.of(1994, 3, 12), "100-1");
        FormsFixture.Reply r = f.form(FormsFixture.registration(id(), id(), nid()));
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(r.body().path("patient").path("uuid").asText()).isEqualTo(one);
        assertThat(r.property("matchedBy")).startsWith("matcher");

        // the matched patient now holds the form's national id, so a form with another one rules it out
        f.openmrs.registerPatient("Amina", "Wanjirū", "F", LocalDate.of(1994, 3, 12), "100-2");
        f.openmrs.registerPatient("Amina", "Wanjirū", "F", LocalDate.of(1994, 3, 12), "100-3");
        int encounters = f.encounters().size();
        FormsFixture.Reply ambiguous = f.form(FormsFixture.registration(id(), id(), nid()));
        assertThat(ambiguous.http()).isEqualTo(409);
        assertThat(ambiguous.status()).isEqualTo("Failed");
        assertThat(ambiguous.body().path("error").asText()).contains("2 OpenMRS patients match").contains("not guessing");
        assertThat(f.openmrs.patients()).hasSize(3);
        assertThat(f.encounters()).hasSize(encounters);
    }

    static List<String> identifiersOfType(JsonNode patient, String type) {
        List<String> out = new ArrayList<>();
        patient.path("identifiers").forEach(i -> {
            if (i.path("identifierType").path("uuid").asText().equals(type) && !i.path("voided").asBoolean(false)) out.add(i.path("identifier").asText());
        });
        return out;
    }

    /** Issue 12: a patient found by the matcher gets the form's national id, so the next form finds it by identifier. */
    @Test
    void aPatientMatchedByNameGetsTheFormsIdentifierAndTheNextFormMatchesByIt() throws Exception {
        String one = f.openmrs.registerPatient("Amina", "Wanjirū", "F", LocalDate.of(1994, 3, 12), "100-7");
        String nid = nid();
        FormsFixture.Reply r = f.form(FormsFixture.registration(id(), id(), nid));
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(r.property("matchedBy")).startsWith("matcher");
        assertThat(r.orchestrationNames()).contains("OpenMRS: create patient identifier");
        assertThat(r.body().path("patient").path("identifiersAdded").toString()).contains(nid);
        JsonNode patient = f.openmrs.patients().stream().filter(p -> p.path("uuid").asText().equals(one)).findFirst().orElseThrow();
        assertThat(identifiersOfType(patient, OpenMrsSimulator.ID_TYPE_NATIONAL_ID)).containsExactly(nid);

        // a later form with that id and a name the matcher would not take (another given name) is the same patient
        ObjectNode later = FormsFixture.registration(id(), id(), nid);
        ((ObjectNode) later.get("form")).put("first_name", "Zawadi");
        FormsFixture.Reply again = f.form(later);
        // same visit content as the first form: OpenMRS already holds it, so Completed; found by the id either way
        assertThat(again.http()).as(again.envelope().toString()).isIn(200, 201);
        assertThat(again.property("matchedBy")).isEqualTo("identifier " + nid);
        assertThat(again.body().path("patient").path("uuid").asText()).isEqualTo(one);
        assertThat(again.orchestrationNames()).doesNotContain("OpenMRS: create patient identifier");
        assertThat(f.openmrs.patients()).hasSize(1);
    }

    /** The added identifier is a saga step: a later failure purges it with the rest. */
    @Test
    void anIdentifierAddedToAMatchedPatientIsPurgedWhenTheFormRollsBack() throws Exception {
        String one = f.openmrs.registerPatient("Amina", "Wanjirū", "F", LocalDate.of(1994, 3, 12), "100-8");
        f.openmrs.wireMock().stubFor(post(urlPathEqualTo("/openmrs/ws/rest/v1/encounter")).atPriority(1)
                .willReturn(aResponse().withStatus(500).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"[Could not open Hibernate Session for transaction]\",\"code\":\"org.hibernate:1\",\"detail\":\"\"}}")));
        FormsFixture.Reply r = f.form(FormsFixture.registration(id(), id(), nid()));
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Failed");
        assertThat(r.property("rollback")).isEqualTo("complete");
        assertThat(r.orchestrationNames()).contains("rollback: add identifier " + OpenMrsSimulator.ID_TYPE_NATIONAL_ID);
        JsonNode patient = f.openmrs.patients().stream().filter(p -> p.path("uuid").asText().equals(one)).findFirst().orElseThrow();
        assertThat(identifiersOfType(patient, OpenMrsSimulator.ID_TYPE_NATIONAL_ID)).isEmpty();
        assertThat(identifiersOfType(patient, OpenMrsSimulator.ID_TYPE_OPENMRS_ID)).containsExactly("100-8");
    }

    /**
     * OpenMRS (PatientIdentifierValidator) refuses a new patient whose identifier another patient holds; on MySQL the
     * comparison ignores letter case, so an id in other case is not found by our exact identifier match but is refused
     * on create: 422 with OpenMRS's text, rolled back, no second patient.
     */
    @Test
    void aNewPatientWhoseIdentifierAnotherPatientHoldsIs422AndNotCreated() throws Exception {
        String nid = "NID-CASE-" + UUID.randomUUID().toString().substring(0, 4).toUpperCase();
        assertThat(f.form(FormsFixture.registration(id(), id(), nid)).http()).isEqualTo(201);
        ObjectNode other = FormsFixture.registration(id(), id(), nid.toLowerCase());
        ((ObjectNode) other.get("form")).put("first_name", "Zawadi").put("last_name", "Otieno");
        int encounters = f.encounters().size();
        FormsFixture.Reply r = f.form(other);
        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(422);
        assertThat(r.status()).isEqualTo("Failed");
        assertThat(r.body().path("error").asText()).contains("400")
                .contains("Identifier " + nid.toLowerCase() + " already in use by another patient");
        assertThat(f.openmrs.patients()).hasSize(1);
        assertThat(f.encounters()).hasSize(encounters);
    }

    @Test
    void twinsWithOneNameSexAndBirthDateButTwoNationalIdsBecomeTwoPatients() throws Exception {
        FormsFixture.Reply first = f.form(FormsFixture.registration(id(), id(), "NID-TWIN-1"));
        assertThat(first.http()).as(first.envelope().toString()).isEqualTo(201);
        FormsFixture.Reply second = f.form(FormsFixture.registration(id(), id(), "NID-TWIN-2"));
        assertThat(second.http()).as(second.envelope().toString()).isEqualTo(201);
        assertThat(second.body().path("patient").path("created").asBoolean()).isTrue();
        assertThat(second.body().path("patient").path("uuid").asText()).isNotEqualTo(first.body().path("patient").path("uuid").asText());

        List<String> nationalIds = new ArrayList<>();
        for (JsonNode p : f.openmrs.patients()) {
            p.path("identifiers").forEach(i -> {
                if (i.path("identifierType").path("uuid").asText().equals(OpenMrsSimulator.ID_TYPE_NATIONAL_ID)) nationalIds.add(i.path("identifier").asText());
            });
        }
        assertThat(f.openmrs.patients()).hasSize(2);
        assertThat(nationalIds).containsExactlyInAnyOrder("NID-TWIN-1", "NID-TWIN-2");
    }

    @Test
    void noDifferenceWithWhatOpenmrsHoldsIsCompletedWithNothingWritten() throws Exception {
        String caseId = id(), nid = nid();
        ObjectNode form = FormsFixture.registration(id(), caseId, nid);
        assertThat(f.form(form).status()).isEqualTo("Successful");
        int posts = f.openmrs.requestCount("POST", ".*");
        // the same content again under another form id (a phone resubmitting a copy)
        ObjectNode copy = form.deepCopy();
        copy.put("id", id());
        FormsFixture.Reply r = f.form(copy);

        assertThat(r.http()).isEqualTo(200);
        assertThat(r.status()).isEqualTo("Completed");
        assertThat(r.body().path("message").asText()).contains("nothing written");
        assertThat(f.openmrs.requestCount("POST", ".*")).isEqualTo(posts);
        assertThat(f.encounters()).hasSize(1);
    }

    @Test
    void duplicateForwardsEvenConcurrentOnesMakeOneEncounter() throws Exception {
        ObjectNode form = FormsFixture.registration(id(), id(), nid());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<FormsFixture.Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 4; i++) replies.add(pool.submit(() -> f.form(form)));
            List<String> outcomes = new ArrayList<>();
            for (Future<FormsFixture.Reply> r : replies) outcomes.add(r.get().status() + " " + r.get().http());
            // one does the work; the others are answered from the ledger (done) or told it is in progress (503, retry)
            assertThat(outcomes).filteredOn(o -> o.startsWith("Successful")).hasSize(1);
            assertThat(outcomes).allMatch(o -> o.equals("Successful 201") || o.equals("Completed 200") || o.equals("Failed 503"));
        } finally {
            pool.shutdown();
        }
        FormsFixture.Reply again = f.form(form);
        assertThat(again.status()).isEqualTo("Completed");
        assertThat(again.body().path("duplicate").asBoolean()).isTrue();
        assertThat(again.property("duplicate")).isEqualTo("true");
        assertThat(f.encounters()).hasSize(1);
        assertThat(f.openmrs.patients()).hasSize(1);
    }

    /**
     * Replicas: a form's run died mid-saga (its replica killed) after creating the patient; its saga stays RUNNING until
     * that form is resent. Another form of the person matching that patient must not add an encounter the resend's undo
     * would purge with the patient: busy (503) until the dead run is finished, then it is taken.
     */
    @Test
    void aPatientMadeByARunThatDiedMidSagaAnswersBusyUntilThatRunIsFinished() throws Exception {
        String nid = nid();
        String patient = f.clerkRegisters("Amina", "Wanjiru", "F", "1994-03-12", nid); // as the dead run's "create patient"
        String deadForm = id();
        StateStore store = StateStore.open(f.app.settings(), "commcare-openmrs");
        store.idMap().put(Forms.FORM_TO_PATIENT, "commcare:" + deadForm, patient);
        store.sagaJournal().begin("commcare-form:" + deadForm);

        FormsFixture.Reply r = f.form(FormsFixture.registration(id(), id(), nid));
        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(503);
        assertThat(r.envelope().toString()).contains("was created by form " + deadForm).contains("nothing written");
        assertThat(f.encounters()).isEmpty();

        store.sagaJournal().finish("commcare-form:" + deadForm, SagaJournal.State.COMPLETED, null);
        FormsFixture.Reply again = f.form(FormsFixture.registration(id(), id(), nid));
        assertThat(again.http()).as(again.envelope().toString()).isEqualTo(201);
        assertThat(again.body().path("patient").path("uuid").asText()).isEqualTo(patient);
    }

    /** A failure at each step of the saga: the answer is Failed, OpenMRS is left empty, and a rerun then succeeds once. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "create patient,     /openmrs/ws/rest/v1/patient,             ,                                       rollback: create patient",
            "start visit,        /openmrs/ws/rest/v1/visit,               ,                                       rollback: create patient",
            "create encounter,   /openmrs/ws/rest/v1/encounter,           ,                                       rollback: start visit",
            "first obs,          /openmrs/ws/rest/v1/obs,                 5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,   rollback: create encounter",
            "last obs,           /openmrs/ws/rest/v1/obs,                 161011AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,   rollback: create obs 1427AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "end visit,          /openmrs/ws/rest/v1/visit/[0-9a-f-]{36}, ,                                       rollback: create obs 161011AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "write-back to case, /a/demo-project/receiver/,               ,                                       rollback: create obs 161011AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    })
    void aFailureAtAnyStepLeavesNothingInOpenmrsAndARerunSucceeds(String step, String path, String bodyContains, String rollback)
            throws Exception {
        var server = path.startsWith("/a/") ? f.commcare.wireMock() : f.openmrs.wireMock();
        var match = post(path.contains("[") ? WireMock.urlPathMatching(path) : urlPathEqualTo(path));
        if (bodyContains != null) match = match.withRequestBody(containing(bodyContains));
        server.stubFor(match.atPriority(1).inScenario(step).whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("failed").willReturn(aResponse().withStatus(500).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"[Could not open Hibernate Session for transaction]\",\"code\":\"org.hibernate:1\",\"detail\":\"\"}}")));
        String caseId = id();
        ObjectNode form = FormsFixture.registration(id(), caseId, nid());

        FormsFixture.Reply r = f.form(form);
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Failed");
        assertThat(r.http()).isEqualTo(502);
        assertThat(r.property("rollback")).isEqualTo("complete");
        assertThat(r.envelope().path("error").path("message").asText()).contains("500");
        assertThat(r.orchestrationNames()).contains(rollback);
        assertThat(f.openmrs.patients()).isEmpty();
        assertThat(f.openmrs.visits()).isEmpty();
        assertThat(f.openmrs.encounters()).isEmpty();
        assertThat(f.openmrs.observations()).isEmpty();

        FormsFixture.Reply rerun = f.form(form);
        assertThat(rerun.status()).as(rerun.envelope().toString()).isEqualTo("Successful");
        assertThat(f.openmrs.patients()).hasSize(1);
        assertThat(f.encounters()).hasSize(1);
        assertThat(f.openmrs.observations()).hasSize(5);
        assertThat(f.commcare.caseById(caseId).orElseThrow().properties()).containsKey("openmrs_uuid");
    }

    @Test
    void withOverlappingVisitsRefusedTwoFollowUpsOfOneDayShareOneVisitAndARollbackOfTheSecondKeepsIt() throws Exception {
        f.openmrs.allowOverlappingVisits(false);
        String caseId = id(), nid = nid();
        assertThat(f.form(FormsFixture.registration(id(), caseId, nid)).http()).isEqualTo(201);
        String day = LocalDate.now(ZoneOffset.ofHours(3)).minusDays(1).toString();
        FormsFixture.Reply first = f.form(FormsFixture.followUp(id(), caseId, nid, day + "T09:00:00+03:00"));
        assertThat(first.http()).as(first.envelope().toString()).isEqualTo(201);
        String visit = first.body().path("visit").asText();
        String visitEnd = f.openmrs.visit(visit).orElseThrow().path("stopDatetime").asText();

        // the second form fails at its last obs: its rollback purges its encounter and obs, not the visit it joined
        f.openmrs.wireMock().stubFor(post(urlPathEqualTo(FormsFixture.REST + "/obs")).withRequestBody(containing(OpenMrsSimulator.CONCEPT_VISIT_TIME))
                .atPriority(1).inScenario("second").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("failed").willReturn(aResponse().withStatus(500).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"[Could not open Hibernate Session for transaction]\",\"code\":\"org.hibernate:1\",\"detail\":\"\"}}")));
        ObjectNode second = FormsFixture.followUp(id(), caseId, nid, day + "T12:00:00+03:00");
        FormsFixture.Reply failed = f.form(second);
        assertThat(failed.status()).as(failed.envelope().toString()).isEqualTo("Failed");
        assertThat(failed.property("rollback")).isEqualTo("complete");
        assertThat(failed.orchestrationNames()).doesNotContain("start visit", "end visit", "rollback: start visit");
        JsonNode kept = f.openmrs.visit(visit).orElseThrow();
        assertThat(kept.path("voided").asBoolean()).isFalse();
        assertThat(kept.path("stopDatetime").asText()).isEqualTo(visitEnd);
        assertThat(f.encounters()).hasSize(2);

        FormsFixture.Reply rerun = f.form(second);
        assertThat(rerun.http()).as(rerun.envelope().toString()).isEqualTo(201);
        assertThat(rerun.body().path("visit").asText()).isEqualTo(visit);
        assertThat(rerun.body().path("visitReused").asBoolean()).isTrue();
        assertThat(f.openmrs.visits()).hasSize(2); // the registration's (another day) and the follow-ups' one
        assertThat(f.encounters().stream().filter(e -> e.path("visit").path("uuid").asText().equals(visit))).hasSize(2);
        assertThat(f.openmrs.visit(visit).orElseThrow().path("stopDatetime").asText()).isEqualTo(visitEnd);
        assertThat(f.commcare.caseById(caseId).orElseThrow().properties()).containsEntry("openmrs_last_visit_uuid", visit);
    }

    @Test
    void openmrsRejectingTheDataIsFailed4xxAndRolledBack() throws Exception {
        f.openmrs.failNext("POST", FormsFixture.REST + "/encounter", 400, null);
        FormsFixture.Reply r = f.form(FormsFixture.registration(id(), id(), nid()));
        assertThat(r.http()).isEqualTo(422);
        assertThat(r.status()).isEqualTo("Failed");
        assertThat(r.body().path("error").asText()).contains("400").contains("everything it created was undone");
        assertThat(f.openmrs.patients()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "malformed JSON               | {\"id\": \"x\", \"form\": {                                                              | 400 | Unexpected end-of-input",
            "not a form                   | {\"id\": \"x\"}                                                                           | 400 | no 'form' object",
            "no xmlns                     | {\"id\": \"x\", \"form\": {\"a\": 1}}                                                     | 400 | no form.@xmlns",
            "no form id                   | {\"form\": {\"@xmlns\": \"http://openrosa.org/formdesigner/chis-registration\"}}           | 400 | has no id",
            "unknown xmlns                | {\"id\": \"x\", \"form\": {\"@xmlns\": \"http://openrosa.org/formdesigner/unknown\"}}      | 422 | no mapping for form xmlns 'http://openrosa.org/formdesigner/unknown'",
    })
    void badInputIsRejectedWithNothingWritten(String what, String body, int status, String message) throws Exception {
        FormsFixture.Reply r = f.post(Forms.COMMCARE_PATH, body);
        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(status);
        assertThat(r.status()).isEqualTo("Failed");
        assertThat(r.body().path("error").asText()).contains(message);
        assertThat(r.envelope().has("error")).as("not auto-retried by core").isFalse();
        assertThat(f.openmrs.requestCount("POST", ".*")).isZero();
        assertThat(f.openmrs.requestCount("GET", ".*")).isZero();
    }

    @Test
    void aFormTheFeedSyncSubmittedComesBackAsEchoAndWritesNothing() throws Exception {
        FormsFixture.Reply r = f.post(Forms.COMMCARE_PATH,
                "{\"id\": \"feed-form-1\", \"form\": {\"@xmlns\": \"" + Forms.FEED_XMLNS + "\"}}");
        assertThat(r.http()).isEqualTo(200);
        assertThat(r.status()).isEqualTo("Completed");
        assertThat(r.body().path("echo").asBoolean()).isTrue();
        assertThat(f.openmrs.requestCount("POST", ".*")).isZero();
        assertThat(f.openmrs.requestCount("GET", ".*")).isZero();
    }

    @Test
    void aFormOrEventNotLabelledJsonIs415AndNothingIsWritten() throws Exception {
        String formId = id();
        String form = Json.write(FormsFixture.registration(formId, id(), nid()));
        // HQ's XML forwarding format, a misconfigured sender's text/plain: neither is read as a JSON form
        for (String type : List.of("text/plain", "text/plain; charset=utf-8", "application/xml")) {
            FormsFixture.Reply r = f.post(Forms.COMMCARE_PATH, form, type);
            assertThat(r.http()).as(type).isEqualTo(415);
            assertThat(r.envelope().path("response").path("body").asText()).contains("'" + type.split(";")[0] + "'")
                    .contains("POST " + Forms.COMMCARE_PATH).contains("application/json");
        }
        String event = openSrpBody(id(), id(), "OSRP-415");
        assertThat(f.post(Forms.OPENSRP_PATH, event, "text/plain").http()).isEqualTo(415);
        assertThat(f.openmrs.requestCount("POST", ".*")).isZero();
        assertThat(f.commcare.submittedForms()).isEmpty();
        // the same form as JSON is processed as new: the refusal claimed nothing in the ledger
        FormsFixture.Reply ok = f.post(Forms.COMMCARE_PATH, form, "application/json; charset=UTF-8");
        assertThat(ok.http()).as(ok.envelope().toString()).isEqualTo(201);
        assertThat(ok.body().path("duplicate").asBoolean(false)).isFalse();
    }

    @Test
    void missingAndUnconvertibleValuesAreListedInOne400() throws Exception {
        ObjectNode form = FormsFixture.registration(id(), id(), nid());
        ObjectNode q = (ObjectNode) form.get("form");
        q.remove("national_id");
        q.put("sex", "unknown-answer");
        ((ObjectNode) q.get("vitals")).put("weight", "sixty");
        ((ObjectNode) form.get("metadata")).put("timeEnd", "2099-01-01T10:00:00.000000");
        FormsFixture.Reply r = f.form(form);
        assertThat(r.http()).isEqualTo(400);
        assertThat(r.body().path("error").asText()).contains("identifier " + OpenMrsSimulator.ID_TYPE_NATIONAL_ID + " is missing")
                .contains("gender: 'unknown-answer' is not in the valueMap").contains("not a number").contains("in the future")
                .contains("chis-registration.json");
        assertThat(f.openmrs.requestCount("POST", ".*")).isZero();
    }

    @Test
    void aFollowUpForAnUnknownPatientIs422BecauseItsMappingNeverCreates() throws Exception {
        FormsFixture.Reply r = f.form(FormsFixture.followUp(id(), id(), nid(), OffsetDateTime.now().minusHours(2).withNano(0).toString()));
        assertThat(r.http()).isEqualTo(422);
        assertThat(r.body().path("error").asText()).contains("no OpenMRS patient found").contains("createPatient");
        assertThat(f.openmrs.requestCount("POST", ".*")).isZero();
    }

    static String openSrpBody(String eventId, String entityId, String opensrpId) {
        return """
                {"clients": [{"type": "Client", "baseEntityId": "%2$s", "firstName": "Émile", "lastName": "Ngoné", "gender": "Male",
                              "birthdate": "2022-01-15T00:00:00.000+03:00", "identifiers": {"opensrp_id": "%3$s"}}],
                 "events": [{"type": "Event", "eventType": "Growth Monitoring", "formSubmissionId": "%1$s", "baseEntityId": "%2$s",
                             "eventDate": "2024-04-30T00:00:00.000+03:00", "providerId": "chw1", "locationId": "amani-clinic", "entityType": "child",
                             "obs": [{"fieldType": "concept", "fieldDataType": "decimal", "fieldCode": "5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                      "formSubmissionField": "weight", "values": ["11.2"], "humanReadableValues": []},
                                     {"fieldType": "concept", "fieldDataType": "decimal", "fieldCode": "1343AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                      "formSubmissionField": "muac", "values": ["13.5"], "humanReadableValues": []}]}]}
                """.formatted(eventId, entityId, opensrpId);
    }

    @Test
    void anOpensrpEventGoesThroughTheSameWorkflow() throws Exception {
        String event = id(), entity = id();
        FormsFixture.Reply r = f.post(Forms.OPENSRP_PATH, openSrpBody(event, entity, "OSRP-" + event.substring(0, 6)));
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        JsonNode p = f.openmrs.patient(r.body().path("patient").path("uuid").asText()).orElseThrow();
        assertThat(p.path("person").path("preferredName").path("givenName").asText()).isEqualTo("Émile");
        assertThat(p.path("person").path("preferredName").path("familyName").asText()).isEqualTo("Ngoné");
        assertThat(f.encounters()).singleElement().satisfies(e -> {
            assertThat(e.path("obs")).hasSize(2);
            assertThat(e.path("visit").isNull()).isTrue();
        });
        assertThat(f.commcare.submittedForms()).isEmpty();

        FormsFixture.Reply again = f.post(Forms.OPENSRP_PATH, openSrpBody(event, entity, "OSRP-" + event.substring(0, 6)));
        assertThat(again.status()).isEqualTo("Completed");
        assertThat(f.encounters()).hasSize(1);

        FormsFixture.Reply bad = f.post(Forms.OPENSRP_PATH, "{\"eventType\": \"Growth Monitoring\", \"formSubmissionId\": \"x\"}");
        assertThat(bad.http()).isEqualTo(400);
        assertThat(bad.body().path("error").asText()).contains("baseEntityId");
        FormsFixture.Reply unknown = f.post(Forms.OPENSRP_PATH, "{\"eventType\": \"Birth Registration\", \"formSubmissionId\": \"x\", \"baseEntityId\": \"y\"}");
        assertThat(unknown.http()).isEqualTo(422);
        assertThat(unknown.body().path("error").asText()).contains("OpenSRP eventType 'Birth Registration'");
    }

    @Test
    void anOpensrpSyncBatchIsCheckedWholeBeforeAnythingIsWritten() throws Exception {
        String e1 = id(), e2 = id(), entity1 = id(), entity2 = id();
        JsonNode one = Json.parse(openSrpBody(e1, entity1, "OSRP-A" + e1.substring(0, 4)));
        JsonNode two = Json.parse(openSrpBody(e2, entity2, "OSRP-B" + e2.substring(0, 4)));
        ObjectNode batch = Json.object();
        batch.putArray("clients").add(one.get("clients").get(0)).add(two.get("clients").get(0));
        ObjectNode badEvent = two.get("events").get(0).deepCopy();
        ((ObjectNode) badEvent.get("obs").get(0)).putArray("values").add("eleven");
        batch.putArray("events").add(one.get("events").get(0)).add(badEvent);

        FormsFixture.Reply bad = f.post(Forms.OPENSRP_PATH, Json.write(batch));
        assertThat(bad.http()).isEqualTo(400);
        assertThat(bad.body().path("error").asText()).contains(e2).contains("not a number");
        assertThat(f.openmrs.requestCount("POST", ".*")).isZero();

        ((ArrayNode) batch.get("events")).set(1, two.get("events").get(0));
        FormsFixture.Reply ok = f.post(Forms.OPENSRP_PATH, Json.write(batch));
        assertThat(ok.status()).as(ok.envelope().toString()).isEqualTo("Successful");
        assertThat(ok.body().path("events")).hasSize(2);
        assertThat(f.encounters()).hasSize(2);
        assertThat(f.openmrs.patients()).hasSize(2);
    }

    @Test
    void theDemoFormWorksAgainstTheDefaultSimulatorState() throws Exception {
        FormsFixture.Reply r = f.form(FormsFixture.demo());
        assertThat(r.status()).as(r.envelope().toString()).isIn("Successful", "Completed");
        assertThat(f.openmrs.patients().size() + f.encounters().size()).isGreaterThanOrEqualTo(r.status().equals("Successful") ? 2 : 0);
    }
}
