package org.chis.mediator.commcareopenmrs.forms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.common.work.Idempotent;
import org.chis.common.work.Recovery;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.Test;

/** The nasty cases: OpenMRS writes but the answer never arrives, and the process dies in the middle of a saga. */
class FormsRecoveryTest {

    @Test
    void anEncounterWrittenButAnsweredTooLateIsPurgedAndTheRerunWritesItOnce() throws Exception {
        try (FormsFixture f = new FormsFixture(Map.of("http.readTimeoutMs", "1000"))) {
            f.openmrs.slowNext("POST", FormsFixture.REST + "/encounter", 2500);
            var form = FormsFixture.registration(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "NID-SLOW");
            FormsFixture.Reply r = f.form(form);
            assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Failed");
            assertThat(r.property("rollback")).isEqualTo("complete");
            assertThat(r.orchestrationNames()).contains("rollback: create encounter", "OpenMRS: purge encounter");
            // the write happened after all, and the rollback purged it (planned uuid) together with visit and patient
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!f.openmrs.encounters().isEmpty() && System.nanoTime() < deadline) Thread.onSpinWait();
            assertThat(f.openmrs.encounters()).isEmpty();
            assertThat(f.openmrs.patients()).isEmpty();

            FormsFixture.Reply rerun = f.form(form);
            assertThat(rerun.status()).as(rerun.envelope().toString()).isEqualTo("Successful");
            assertThat(f.encounters()).hasSize(1);
        }
    }

    @Test
    void aSagaInterruptedByACrashIsUndoneAtTheNextStart() throws Exception {
        String db = "jdbc:h2:mem:forms-crash-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator commcare = new CommCareSimulator(0)) {
            // what a process that died after "create patient" leaves: the journal says RUNNING, OpenMRS has the patient
            String key = "commcare-form:crashed-form";
            String patient = StableUuid.of("commcare", "crashed-form", "patient");
            try (StateStore store = StateStore.open(db, "", "", null, "commcare-openmrs")) {
                store.sagaJournal().begin(key);
                store.sagaJournal().planStep(key, 1, "create patient", FormSaga.KIND_PATIENT, patient);
            }
            createPatient(openmrs, patient);
            assertThat(openmrs.patient(patient)).isPresent();

            MediatorApp app = Main.start(MediatorApp.create("commcare-openmrs",
                    FormsFixture.settings(openmrs, commcare, Map.of("forms.leaseSeconds", "0"), db)));
            try {
                assertThat(openmrs.patient(patient)).isEmpty();
            } finally {
                app.close();
            }
        }
    }

    @Test
    void aResendAfterACrashUndoesTheHalfWrittenRunBeforeMatchingAndWritesTheFormOnce() throws Exception {
        String db = "jdbc:h2:mem:forms-crash-resend-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator commcare = new CommCareSimulator(0)) {
            // a run that died after "create patient", younger than the lease: with several replicas start-up recovery
            // leaves it (it may be another replica's live run), so the rerun undoes it
            String formId = UUID.randomUUID().toString();
            String key = "commcare-form:" + formId;
            String patient = StableUuid.of("commcare", formId, "patient");
            try (StateStore store = StateStore.open(db, "", "", null, "commcare-openmrs")) {
                store.sagaJournal().begin(key);
                store.sagaJournal().planStep(key, 1, "create patient", FormSaga.KIND_PATIENT, patient);
            }
            createPatient(openmrs, patient);
            try (FormsFixture f = new FormsFixture(openmrs, commcare, Map.of("db.replicas", "many"), db)) {
                assertThat(openmrs.patient(patient)).isPresent(); // left to the rerun
                FormsFixture.Reply r = f.form(FormsFixture.registration(formId, UUID.randomUUID().toString(), "NID-CRASH"));
                // not "matched by identifier" to the half-written patient (which the saga would then purge under itself)
                assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
                assertThat(openmrs.patients()).hasSize(1);
                assertThat(f.encounters()).hasSize(1);
            }
        }
    }

    @Test
    void afterKill9AndAQuickRestartTheResendIsProcessedAtOnceAndWrittenOnce() throws Exception {
        String db = "jdbc:h2:mem:forms-kill9-restart-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator commcare = new CommCareSimulator(0)) {
            // what kill -9 after "create patient", while starting the visit, leaves: the form's claim in progress
            // (lease 10 min, claim number noted), the saga RUNNING with the patient created and the visit planned
            String formId = UUID.randomUUID().toString();
            String key = "commcare-form:" + formId;
            String patient = StableUuid.of("commcare", formId, "patient");
            // and a form whose dead claim was taken over since (claim 2, say by a replica that was not told): left alone
            String takenOverId = UUID.randomUUID().toString();
            String takenOver = "commcare-form:" + takenOverId;
            try (StateStore store = StateStore.open(db, "", "", null, "commcare-openmrs")) {
                room(store, Duration.ofMinutes(10)).take(key); // taken and noted as the room does
                store.sagaJournal().begin(key);
                store.sagaJournal().planStep(key, 1, "create patient", FormSaga.KIND_PATIENT, patient);
                store.sagaJournal().markStepDone(key, 1, FormSaga.KIND_PATIENT, patient);
                store.sagaJournal().planStep(key, 2, "start visit", FormSaga.KIND_VISIT, StableUuid.of("commcare", formId, "visit"));

                room(store, Duration.ZERO).take(takenOver);
                assertThat(store.ledger().claim(takenOver, "form", Duration.ofMinutes(10)).attempts()).isEqualTo(2);
                store.sagaJournal().begin(takenOver);
            }
            createPatient(openmrs, patient);

            try (FormsFixture f = new FormsFixture(openmrs, commcare, Map.of(), db)) { // default: db.replicas=single
                assertThat(openmrs.patient(patient)).isEmpty(); // undone at start-up although younger than the lease
                FormsFixture.Reply r = f.form(FormsFixture.registration(formId, UUID.randomUUID().toString(), "NID-KILL9"));
                assertThat(r.http()).as(r.envelope().toString()).isNotEqualTo(503);
                assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
                assertThat(openmrs.patients()).hasSize(1);
                assertThat(openmrs.visits()).hasSize(1);
                assertThat(f.encounters()).hasSize(1);
                FormsFixture.Reply again = f.form(FormsFixture.registration(formId, UUID.randomUUID().toString(), "NID-KILL9"));
                assertThat(again.envelope().toString()).contains("duplicate");
                assertThat(f.encounters()).hasSize(1);

                FormsFixture.Reply busy = f.form(FormsFixture.registration(takenOverId, UUID.randomUUID().toString(), "NID-OTHER"));
                assertThat(busy.http()).as(busy.envelope().toString()).isEqualTo(503); // the room's busy answer
            }
        }
    }

    @Test
    void afterKill9BeforeTheSagaBeganTheRestartFreesTheClaimAndTheResendIsWrittenOnce() throws Exception {
        String db = "jdbc:h2:mem:forms-kill9-presaga-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator commcare = new CommCareSimulator(0)) {
            // what kill -9 during patient matching leaves: the form's claim in progress and noted, no saga at all
            String formId = UUID.randomUUID().toString();
            try (StateStore store = StateStore.open(db, "", "", null, "commcare-openmrs")) {
                room(store, Duration.ofMinutes(10)).take("commcare-form:" + formId);
            }
            try (FormsFixture f = new FormsFixture(openmrs, commcare, Map.of(), db)) { // default: db.replicas=single
                FormsFixture.Reply r = f.form(FormsFixture.registration(formId, UUID.randomUUID().toString(), "NID-PRESAGA"));
                assertThat(r.http()).as(r.envelope().toString()).isNotEqualTo(503);
                assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
                assertThat(openmrs.patients()).hasSize(1);
                assertThat(f.encounters()).hasSize(1);
            }
        }
    }

    @Test
    void formsReplicasIsStillReadAsTheDeprecatedAliasOfDbReplicas() {
        assertThat(Recovery.replicas(Settings.of(Map.of()))).isEqualTo(Recovery.Replicas.SINGLE);
        assertThat(Recovery.replicas(Settings.of(Map.of("forms.replicas", "many")))).isEqualTo(Recovery.Replicas.MANY);
        assertThatThrownBy(() -> Recovery.replicas(Settings.of(Map.of("forms.replicas", "2")))).hasMessageContaining("forms.replicas");
    }

    private static Idempotent room(StateStore store, Duration lease) {
        return new Recovery(store, Recovery.Replicas.SINGLE).idempotent(FormWorkflow.LEDGER_KIND, lease);
    }

    private static void createPatient(OpenMrsSimulator openmrs, String uuid) throws Exception {
        var body = Json.object().put("uuid", uuid);
        var person = body.putObject("person").put("uuid", uuid).put("gender", "F");
        person.putArray("names").addObject().put("givenName", "Half").put("familyName", "Written");
        body.putArray("identifiers").addObject().put("identifier", "NID-CRASH").put("identifierType", OpenMrsSimulator.ID_TYPE_NATIONAL_ID);
        HttpRequest r = HttpRequest.newBuilder(URI.create(openmrs.baseUrl() + "/ws/rest/v1/patient"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (OpenMrsSimulator.USER + ":" + OpenMrsSimulator.PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build();
        HttpResponse<String> res = HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
    }
}
