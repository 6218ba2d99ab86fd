package org.chis.mediator.referral;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.chis.common.json.Json;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.fhir.FhirSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Rollback, status changes made on the FHIR server, push-back retries, and the OpenSRP and CHT sources. */
class ReferralLifecycleTest {
    static ReferralFixture f;

    @BeforeAll
    static void start() { f = new ReferralFixture(Map.of()); }

    @AfterAll
    static void stop() { if (f != null) f.close(); }

    static String newCase() { return f.commcare.registerCase("client", "Fatmata Sesay", null, CommCareSimulator.props()); }

    static long fhirWithIdentifier(String type, String value) {
        return f.fhir.resources(type).stream().filter(r -> r.path("identifier").toString().contains("\"" + value + "\"")).count();
    }

    @Test
    void emrFailureMidWayRollsEverythingBackAndAResendSucceedsOnce() throws Exception {
        String caseId = newCase();
        String formId = UUID.randomUUID().toString();
        String clientId = "CHW-R-" + UUID.randomUUID().toString().substring(0, 8);
        var stub = f.openmrs.failAlways("POST", "/openmrs/ws/rest/v1/encounter", 500,
                "{\"error\":{\"message\":\"[Could not open JPA EntityManager for transaction]\",\"code\":\"org.hibernate\",\"detail\":\"\"}}");
        var failed = f.call("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, clientId, "urgent", "2020-01-01"));
        assertThat(failed.http()).isEqualTo(502);
        assertThat(failed.status()).isEqualTo("Failed");
        assertThat(failed.body().path("error").asText()).contains("everything it created was undone");
        assertThat(failed.property("rollback")).isEqualTo("complete");
        assertThat(failed.orchestrationNames()).contains("rollback: create EMR patient");
        String plannedPatient = StableUuid.of("referral-patient", "commcare", clientId);
        assertThat(f.openmrs.patient(plannedPatient)).as("patient created by this run is purged").isEmpty();
        assertThat(fhirWithIdentifier("Task", formId)).isZero();

        f.openmrs.wireMock().removeStub(stub);
        var again = f.call("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, clientId, "urgent", "2020-01-01"));
        assertThat(again.http()).as(again.envelope().toString()).isEqualTo(201);
        assertThat(f.openmrs.patients().stream().filter(p -> p.toString().contains(clientId)).count()).isEqualTo(1);
        assertThat(f.openmrs.encounters().stream().filter(e -> e.path("uuid").asText().equals(StableUuid.of("referral", formId, "encounter"))).count())
                .isEqualTo(1);
        assertThat(fhirWithIdentifier("Task", formId)).isEqualTo(1);
    }

    @Test
    void fhirFailureAtTheTaskUndoesTheEmrWritesAndTheFhirResourcesCreated() throws Exception {
        String caseId = newCase();
        String formId = UUID.randomUUID().toString();
        String clientId = "CHW-F-" + UUID.randomUUID().toString().substring(0, 8);
        var stub = f.fhir.wireMock().stubFor(post(urlPathEqualTo("/fhir/Task")).atPriority(1).willReturn(aResponse().withStatus(500)
                .withHeader("Content-Type", "application/fhir+json").withBody(FhirSimulator.operationOutcome("exception", "HAPI-0389: database down"))));
        var failed = f.call("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, clientId, "routine", "2020-01-01"));
        f.fhir.wireMock().removeStub(stub);
        assertThat(failed.http()).isEqualTo(502);
        assertThat(failed.body().path("error").asText()).contains("database down");
        assertThat(failed.orchestrationNames()).contains("rollback: create referral encounter", "rollback: create EMR patient",
                "rollback: create FHIR ServiceRequest", "rollback: create FHIR Patient");
        assertThat(f.openmrs.encounter(StableUuid.of("referral", formId, "encounter"))).isEmpty();
        assertThat(fhirWithIdentifier("ServiceRequest", formId)).isZero();
        assertThat(fhirWithIdentifier("Patient", clientId)).isZero();

        var again = f.call("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, clientId, "routine", "2020-01-01"));
        assertThat(again.http()).as(again.envelope().toString()).isEqualTo(201);
        assertThat(fhirWithIdentifier("ServiceRequest", formId)).isEqualTo(1);
        assertThat(fhirWithIdentifier("Patient", clientId)).isEqualTo(1);
    }

    @Test
    void changesMadeOnTheFhirServerArePolledCheckedAndPushedBack() throws Exception {
        String caseId = newCase();
        String formId = UUID.randomUUID().toString();
        String taskId = f.referredTask(formId, caseId, "CHW-P-1", "2020-01-01");

        // the facility's own app moves the Task on the FHIR server
        f.fhir.edit("Task", taskId, t -> t.put("status", "in-progress"));
        var sync = f.call("GET", "/referrals/sync", null);
        assertThat(sync.http()).as(sync.envelope().toString()).isEqualTo(200);
        assertThat(sync.body().path("changesRecorded").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(f.commcare.caseById(caseId).orElseThrow().property("referral_status")).isEqualTo("in-progress");
        assertThat(f.call("GET", "/referrals/" + formId, null).body().path("status").asText()).isEqualTo("in-progress");

        // an illegal move made directly on the server is recorded as refused and not passed on
        f.fhir.edit("Task", taskId, t -> t.put("status", "requested"));
        var sync2 = f.call("GET", "/referrals/sync", null);
        assertThat(sync2.body().path("changesRefused").asInt()).isGreaterThanOrEqualTo(1);
        JsonNode shown = f.call("GET", "/referrals/" + formId, null).body();
        assertThat(shown.path("status").asText()).isEqualTo("in-progress");
        assertThat(shown.path("transitions").toString()).contains("poll-refused");
        assertThat(f.commcare.caseById(caseId).orElseThrow().property("referral_status")).isEqualTo("in-progress");

        // a quiet poll finds nothing new
        var sync3 = f.call("GET", "/referrals/sync", null);
        assertThat(sync3.body().path("changesRecorded").asInt()).isZero();
    }

    @Test
    void receivedAndReadySetOnTheFhirServerAreRecordedAndPushedBackNotDropped() throws Exception {
        String caseId = newCase();
        String formId = UUID.randomUUID().toString();
        String taskId = f.referredTask(formId, caseId, "CHW-P-R", "2020-01-01");
        for (String status : new String[] {"received", "ready"}) {
            f.fhir.edit("Task", taskId, t -> t.put("status", status));
            var sync = f.call("GET", "/referrals/sync", null);
            assertThat(sync.body().path("changesRecorded").asInt()).as(status + ": " + sync.body()).isEqualTo(1);
            assertThat(f.call("GET", "/referrals/" + formId, null).body().path("status").asText()).isEqualTo(status);
            assertThat(f.commcare.caseById(caseId).orElseThrow().property("referral_status")).isEqualTo(status);
        }
        // and the facility can go on from ready as OpenSRP's HF app does
        var done = f.status(formId, "completed");
        assertThat(done.http()).as(done.envelope().toString()).isEqualTo(200);
        assertThat(f.commcare.caseById(caseId).orElseThrow().property("referral_status")).isEqualTo("completed");
    }

    @Test
    void aPushBackThatFailsIsRetriedByTheNextSync() throws Exception {
        String caseId = newCase();
        String formId = UUID.randomUUID().toString();
        f.call("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, "CHW-P-2", "routine", "2020-01-01"));
        f.commcare.failNext("POST", "/a/" + CommCareSimulator.DOMAIN + "/receiver/.*", 503, "<html>Service Unavailable</html>");
        var moved = f.status(formId, "accepted");
        assertThat(moved.http()).isEqualTo(200);
        assertThat(moved.body().path("pushBackError").asText()).contains("503");
        assertThat(moved.body().path("pushedBack").asBoolean()).isFalse();
        assertThat(f.commcare.caseById(caseId).orElseThrow().property("referral_status")).isNull();

        var sync = f.call("GET", "/referrals/sync", null);
        assertThat(sync.body().path("pushed").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(f.commcare.caseById(caseId).orElseThrow().property("referral_status")).isEqualTo("accepted");
        assertThat(f.call("GET", "/referrals/" + formId, null).body().path("pushedBack").asBoolean()).isTrue();
    }

    @Test
    void withOnlyTheEmrOutputNoFhirIsWrittenAndStatusChangesAreRefused() throws Exception {
        try (ReferralFixture emrOnly = new ReferralFixture(Map.of("referral.outputs", "emr"))) {
            String caseId = emrOnly.commcare.registerCase("client", "Emr Only", null, CommCareSimulator.props());
            String formId = UUID.randomUUID().toString();
            var r = emrOnly.call("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, "EMR-ONLY-1", "routine", "2020-01-01"));
            assertThat(r.http()).as(r.envelope().toString()).isEqualTo(201);
            assertThat(r.body().has("fhir")).isFalse();
            assertThat(r.body().path("emr").path("encounter").asText()).isEqualTo(StableUuid.of("referral", formId, "encounter"));
            assertThat(emrOnly.fhir.count("Task")).isZero();
            var moved = emrOnly.status(formId, "in-progress");
            assertThat(moved.http()).isEqualTo(409);
            assertThat(moved.body().path("error").asText()).contains("no FHIR Task");
        }
    }

    /** The referral event the CHW app syncs to {@code /rest/event/add}, carrying the identifier of the task it created. */
    static String opensrpReferral(String eventId, String taskIdentifier, String baseEntityId) {
        return """
                {"clients": [{"baseEntityId": "%s", "firstName": "Hawa", "lastName": "Conteh", "gender": "Female",
                              "birthdate": "2021-06-01", "identifiers": {"opensrp_id": "OSRP-%s"}, "attributes": {"phone_number": "0761111111"}}],
                 "events": [{"eventType": "Referral Registration", "formSubmissionId": "%s", "baseEntityId": "%s", "providerId": "chw-hawa",
                             "locationId": "loc-9", "eventDate": "%s", "entityType": "ec_family_member", "details": {"taskIdentifier": "%s"},
                             "obs": [{"fieldCode": "problem", "formSubmissionField": "problem", "values": ["Fast breathing"]},
                                     {"fieldCode": "chw_referral_service", "formSubmissionField": "chw_referral_service", "values": ["Sick Child"]},
                                     {"fieldCode": "danger_signs", "formSubmissionField": "danger_signs", "values": ["convulsions", "lethargic"]},
                                     {"fieldCode": "referral_urgency", "formSubmissionField": "referral_urgency", "values": ["urgent"]},
                                     {"fieldCode": "chw_referral_hf", "formSubmissionField": "chw_referral_hf", "values": ["mabang-mchp"]}]}]}
                """.formatted(baseEntityId, eventId.substring(0, 8), eventId, baseEntityId, Instant.now().minusSeconds(30), taskIdentifier);
    }

    /** A referral task as OpenSRP's CHW app creates it (CoreReferralUtils.createReferralTask) and syncs it up. */
    static ObjectNode opensrpTask(String identifier, String eventId, String baseEntityId) {
        return (ObjectNode) Json.parse("""
                {"identifier": "%s", "planIdentifier": "5270285b-5a3b-4647-b772-c0b3c52e2b71", "groupIdentifier": "mabang-mchp",
                 "status": "Ready", "businessStatus": "Referred", "priority": 3, "code": "Referral", "description": "Fast breathing",
                 "focus": "Sick Child", "for": "%s", "executionPeriod": {"start": "%s"}, "authoredOn": "%s", "lastModified": "%s",
                 "owner": "chw-hawa", "requester": "Hawa the CHW", "reasonReference": "%s", "location": "loc-9", "syncStatus": "Synced"}
                """.formatted(identifier, baseEntityId, Instant.now(), Instant.now(), Instant.now(), eventId));
    }

    @Test
    void anOpensrpReferralTaskCreatedReadyShowsCompleteInTheChwTaskListAfterTheFacilityCompletesIt() throws Exception {
        String eventId = UUID.randomUUID().toString();
        String taskIdentifier = UUID.randomUUID().toString();
        f.opensrp.addTask(opensrpTask(taskIdentifier, eventId, "be-1"));
        var r = f.call("POST", "/referrals", opensrpReferral(eventId, taskIdentifier, "be-1"));
        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(201);
        assertThat(r.body().path("source").asText()).isEqualTo("opensrp");
        assertThat(r.body().path("referralId").asText()).isEqualTo(taskIdentifier);
        // the FHIR Task mirrors the CHW app's task: READY (assigned and accepted), business status referred
        assertThat(r.body().path("status").asText()).isEqualTo("ready");
        JsonNode task = f.fhir.read("Task", r.body().path("fhir").path("task").asText().split("/")[1]).orElseThrow();
        assertThat(task.path("status").asText()).isEqualTo("ready");
        assertThat(task.path("priority").asText()).isEqualTo("urgent");
        assertThat(task.path("owner").path("identifier").path("value").asText()).isEqualTo("mabang-mchp");
        assertThat(f.fhir.read("ServiceRequest", r.body().path("fhir").path("serviceRequest").asText().split("/")[1]).orElseThrow()
                .path("code").path("text").asText()).isEqualTo("Sick Child");

        var seen = f.status(taskIdentifier, "in-progress");
        assertThat(seen.body().path("pushedBackTo").asText()).as(seen.envelope().toString()).isEqualTo("opensrp-task");
        assertThat(f.opensrp.task(taskIdentifier).orElseThrow().path("status").asText()).isEqualTo("In Progress");
        assertThat(f.opensrp.task(taskIdentifier).orElseThrow().path("businessStatus").asText()).isEqualTo("In-Progress");
        long before = f.opensrp.task(taskIdentifier).orElseThrow().path("serverVersion").asLong();

        assertThat(f.status(taskIdentifier, "completed").body().path("pushedBackTo").asText()).isEqualTo("opensrp-task");
        // what the CHW app's next task sync (by owner, since its last serverVersion) brings down
        HttpResponse<String> sync = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(f.opensrp.baseUrl() + "/rest/task/sync"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (OpenSrpSimulator.USER + ":" + OpenSrpSimulator.PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"owner\": \"chw-hawa\", \"serverVersion\": " + (before + 1) + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode synced = Json.parse(sync.body());
        assertThat(synced).hasSize(1);
        assertThat(synced.get(0).path("identifier").asText()).isEqualTo(taskIdentifier);
        assertThat(synced.get(0).path("status").asText()).isEqualTo("Completed");
        assertThat(synced.get(0).path("businessStatus").asText()).isEqualTo("Complete");
        // and the status event is kept beside it (deterministic formSubmissionId: one per status)
        // (the simulator is shared by the class's tests: only this referral's events count)
        assertThat(f.opensrp.events()).filteredOn(e -> e.path("eventType").asText().equals("Referral Status Update"))
                .filteredOn(e -> e.path("details").path("taskIdentifier").asText().equals(taskIdentifier)).hasSize(2)
                .allSatisfy(e -> assertThat(e.path("baseEntityId").asText()).isEqualTo("be-1"));
    }

    @Test
    void aPushToAnOpensrpTaskNotSyncedUpYetFailsAndTheNextSyncUpdatesIt() throws Exception {
        String eventId = UUID.randomUUID().toString();
        String taskIdentifier = UUID.randomUUID().toString();
        var r = f.call("POST", "/referrals", opensrpReferral(eventId, taskIdentifier, "be-2"));
        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(201);
        var moved = f.status(taskIdentifier, "in-progress");
        assertThat(moved.http()).isEqualTo(200);
        assertThat(moved.body().path("pushBackError").asText()).contains("OpenSRP: update task status").contains("400");
        assertThat(f.opensrp.task(taskIdentifier)).isEmpty();

        f.opensrp.addTask(opensrpTask(taskIdentifier, eventId, "be-2")); // the CHW app's task sync arrives
        var sync = f.call("GET", "/referrals/sync", null);
        assertThat(sync.body().path("pushed").asInt()).as(sync.body().toString()).isGreaterThanOrEqualTo(1);
        assertThat(f.opensrp.task(taskIdentifier).orElseThrow().path("status").asText()).isEqualTo("In Progress");
        assertThat(f.call("GET", "/referrals/" + taskIdentifier, null).body().path("pushedBack").asBoolean()).isTrue();
    }

    @Test
    void aChtOutboundPushReferralGetsItsStatusBackAsAChtRecord() throws Exception {
        f.community.stubFor(post(urlPathEqualTo("/cht/api/v2/records")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"success\":true,\"id\":\"rec-1\"}")));
        String reportId = UUID.randomUUID().toString();
        String body = """
                {"cht_referral_id": "%s", "patient_uuid": "p-uuid-1", "patient_id": "CHT-%s", "patient_name": "Mariama Bangura Koroma",
                 "sex": "female", "date_of_birth": "1995-02-10", "phone": "+23278000000", "referral_reason": "Bleeding in pregnancy",
                 "danger_signs": "bleeding", "urgency": "high", "facility_code": "ngelehun-chc", "referral_type": "ANC Danger Signs",
                 "chw_id": "chw-mariama", "chw_name": "Mariama", "reported_date": %d}
                """.formatted(reportId, reportId.substring(0, 8), Instant.now().minusSeconds(30).toEpochMilli());
        var r = f.call("POST", "/referrals", body);
        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(201);
        JsonNode patient = f.fhir.read("Patient", r.body().path("fhir").path("patient").asText().split("/")[1]).orElseThrow();
        assertThat(patient.path("name").get(0).path("family").asText()).isEqualTo("Koroma");
        assertThat(patient.path("name").get(0).path("given").toString()).contains("Mariama").contains("Bangura");

        assertThat(f.status(reportId, "rejected").body().path("pushedBackTo").asText()).isEqualTo("cht-record");
        f.community.verify(postRequestedFor(urlPathEqualTo("/cht/api/v2/records"))
                .withRequestBody(containing("\"patient_id\":\"p-uuid-1\"")).withRequestBody(containing("\"status\":\"rejected\"")));
    }
}
