package org.chis.mediator.referral;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Referral in from CommCare, out to OpenMRS and a FHIR Task, status back from the facility to the CHW's case. */
class ReferralFlowTest {
    static ReferralFixture f;

    @BeforeAll
    static void start() { f = new ReferralFixture(Map.of()); }

    @AfterAll
    static void stop() { if (f != null) f.close(); }

    static String newCase() {
        return f.commcare.registerCase("client", "Aminata Kamara", null, CommCareSimulator.props("sex", "female"));
    }

    static ObjectNode task(String taskRef) {
        String[] p = taskRef.split("/");
        return f.fhir.read(p[0], p[1]).orElseThrow();
    }

    @Test
    void fullRoundTripReferralToTaskToInProgressToCompletedUpdatesTheChwCase() throws Exception {
        String caseId = newCase();
        String formId = UUID.randomUUID().toString();
        var r = f.call("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, "CHW-0001", "urgent", "2019-04-02"));
        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(201);
        assertThat(r.status()).isEqualTo("Successful");
        JsonNode body = r.body();
        assertThat(body.path("source").asText()).isEqualTo("commcare");
        // the first status is the community app's own: nothing to push back, so a sync does not send it
        assertThat(f.call("GET", "/referrals/" + formId, null).body().path("pushedBack").asBoolean()).isTrue();

        // OpenMRS: the patient under the community id, one referral encounter with reason, danger signs and urgency
        String patientUuid = body.path("emr").path("patient").asText();
        JsonNode patient = f.openmrs.patient(patientUuid).orElseThrow();
        assertThat(patient.toString()).contains("CHW-0001").contains("Aminata");
        JsonNode enc = f.openmrs.encounter(body.path("emr").path("encounter").asText()).orElseThrow();
        assertThat(enc.path("encounterType").path("uuid").asText()).isEqualTo(OpenMrsSimulator.ENCOUNTER_TYPE_REFERRAL);
        assertThat(enc.path("obs").toString()).contains("Fever for 3 days").contains("convulsions, high fever").contains("urgent");

        // FHIR: Patient, ServiceRequest and the Task with the referral's shape
        JsonNode task = task(body.path("fhir").path("task").asText());
        String srRef = body.path("fhir").path("serviceRequest").asText();
        String patientRef = body.path("fhir").path("patient").asText();
        assertThat(task.path("status").asText()).isEqualTo("requested");
        assertThat(task.path("intent").asText()).isEqualTo("order");
        assertThat(task.path("priority").asText()).isEqualTo("urgent");
        assertThat(task.path("focus").path("reference").asText()).isEqualTo(srRef);
        assertThat(task.path("for").path("reference").asText()).isEqualTo(patientRef);
        assertThat(task.path("owner").path("identifier").path("value").asText()).isEqualTo("ngelehun-chc");
        assertThat(task.path("requester").path("identifier").path("value").asText()).isEqualTo("chw1");
        assertThat(task.path("businessStatus").path("text").asText()).isEqualTo("referred");
        assertThat(task.path("identifier").get(0).path("value").asText()).isEqualTo(formId);
        JsonNode sr = task(srRef);
        assertThat(sr.path("subject").path("reference").asText()).isEqualTo(patientRef);
        assertThat(sr.path("reasonCode").get(0).path("text").asText()).isEqualTo("Fever for 3 days");
        JsonNode fhirPatient = task(patientRef);
        assertThat(fhirPatient.path("gender").asText()).isEqualTo("female");
        assertThat(fhirPatient.path("identifier").get(0).path("value").asText()).isEqualTo("CHW-0001");

        // the facility opens it, then marks it done: each time the CHW's case learns the status
        var open = f.status(formId, "in-progress");
        assertThat(open.http()).as(open.envelope().toString()).isEqualTo(200);
        assertThat(open.body().path("changed").asBoolean()).isTrue();
        assertThat(open.body().path("pushedBackTo").asText()).isEqualTo("commcare");
        assertThat(task(body.path("fhir").path("task").asText()).path("status").asText()).isEqualTo("in-progress");
        assertThat(f.commcare.caseById(caseId).orElseThrow().property("referral_status")).isEqualTo("in-progress");

        var done = f.status(formId, "completed");
        assertThat(done.http()).as(done.envelope().toString()).isEqualTo(200);
        JsonNode finished = task(body.path("fhir").path("task").asText());
        assertThat(finished.path("status").asText()).isEqualTo("completed");
        assertThat(finished.path("businessStatus").path("text").asText()).isEqualTo("complete");
        assertThat(finished.path("executionPeriod").has("end")).isTrue();
        CommCareCase c = f.commcare.caseById(caseId).orElseThrow();
        assertThat(c.property("referral_status")).isEqualTo("completed");
        assertThat(c.property("referral_business_status")).isEqualTo("complete");
        assertThat(c.property("referral_id")).isEqualTo(formId);

        // every transition recorded
        var shown = f.call("GET", "/referrals/" + formId, null);
        assertThat(shown.body().path("status").asText()).isEqualTo("completed");
        List<String> moves = new ArrayList<>();
        shown.body().path("transitions").forEach(t -> moves.add(t.path("from").asText("") + "->" + t.path("to").asText() + " via " + t.path("via").asText()));
        assertThat(moves).containsExactly("->requested via intake", "requested->in-progress via api", "in-progress->completed via api");
    }

    @Test
    void theSameStatusAgainIsANoOpAndAStaleVersionIsRefused() throws Exception {
        String caseId = newCase();
        String formId = UUID.randomUUID().toString();
        var r = f.call("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, "CHW-0002", "routine", "2019-04-02"));
        String taskRef = r.body().path("fhir").path("task").asText();
        String taskId = taskRef.split("/")[1];
        assertThat(f.status(formId, "accepted").http()).isEqualTo(200);
        int versions = f.fhir.versions("Task", taskId);
        int forms = f.commcare.submittedForms().size();

        var again = f.status(formId, "accepted");
        assertThat(again.http()).isEqualTo(200);
        assertThat(again.body().path("changed").asBoolean()).isFalse();
        assertThat(f.fhir.versions("Task", taskId)).isEqualTo(versions);
        assertThat(f.commcare.submittedForms()).hasSize(forms);

        // someone else changed the Task since the caller read version 1
        var stale = f.call("PUT", "/referrals/" + formId + "/status", "{\"status\": \"in-progress\"}", Map.of("If-Match", "W/\"1\""));
        assertThat(stale.http()).isEqualTo(412);
        assertThat(stale.body().path("error").asText()).contains("not 1");
        assertThat(task(taskRef).path("status").asText()).isEqualTo("accepted");
        String current = task(taskRef).path("meta").path("versionId").asText();
        var fresh = f.call("PUT", "/referrals/" + formId + "/status", "{\"status\": \"in-progress\"}", Map.of("If-Match", "W/\"" + current + "\""));
        assertThat(fresh.http()).as(fresh.envelope().toString()).isEqualTo(200);
    }

    @Test
    void everyIllegalTransitionIsRefusedWith409AndChangesNothing() throws Exception {
        String caseId = newCase();
        String formId = UUID.randomUUID().toString();
        String taskId = f.referredTask(formId, caseId, "CHW-0003", "2019-04-02");
        int refused = 0;
        for (TaskStatus from : TaskStatus.values()) {
            // put the Task in "from" as if the facility had moved it there
            f.fhir.edit("Task", taskId, t -> t.put("status", from.code()));
            for (TaskStatus to : TaskStatus.values()) {
                if (to == from || from.canMoveTo(to)) continue;
                int versions = f.fhir.versions("Task", taskId);
                var reply = f.status(formId, to.code());
                assertThat(reply.http()).as(from + " -> " + to).isEqualTo(409);
                assertThat(reply.body().path("error").asText()).contains("cannot");
                assertThat(f.fhir.versions("Task", taskId)).as("Task untouched").isEqualTo(versions);
                refused++;
            }
        }
        // 12 states: 144 pairs, 12 same-state, 49 allowed (TaskStatusTest's table)
        assertThat(refused).isEqualTo(144 - 12 - 49);
        assertThat(f.status(formId, "bogus").http()).isEqualTo(400);
        assertThat(f.status("no-such-referral", "accepted").http()).isEqualTo(404);
    }

    @Test
    void aDuplicateSubmissionCreatesNothingTwice() throws Exception {
        String caseId = newCase();
        String formId = UUID.randomUUID().toString();
        String form = ReferralFixture.commcareForm(formId, caseId, "CHW-0004", "routine", "2019-04-02");
        var first = f.call("POST", "/referrals", form);
        assertThat(first.http()).isEqualTo(201);
        int tasks = f.fhir.count("Task");
        int encounters = f.openmrs.encounters().size();
        var second = f.call("POST", "/referrals", form);
        assertThat(second.http()).isEqualTo(200);
        assertThat(second.status()).isEqualTo("Completed"); // nothing written: the room's duplicate answer
        assertThat(second.body().path("duplicate").asBoolean()).isTrue();
        assertThat(second.body().path("fhir").path("task").asText()).isEqualTo(first.body().path("fhir").path("task").asText());
        assertThat(second.orchestrationNames()).isEmpty();
        assertThat(f.fhir.count("Task")).isEqualTo(tasks);
        assertThat(f.openmrs.encounters()).hasSize(encounters);
    }

    @Test
    void invalidFhirIsCaughtBeforeAnythingIsSent() throws Exception {
        String caseId = newCase();
        int tasks = f.fhir.count("Task");
        int patients = f.openmrs.patients().size();
        var r = f.call("POST", "/referrals", ReferralFixture.commcareForm(UUID.randomUUID().toString(), caseId, "CHW-0005", "routine", "02/04/2019"));
        assertThat(r.http()).isEqualTo(422);
        assertThat(r.body().path("error").asText()).contains("valid FHIR R4").contains("birthDate");
        assertThat(r.orchestrationNames()).isEmpty();
        assertThat(f.fhir.count("Task")).isEqualTo(tasks);
        assertThat(f.openmrs.patients()).hasSize(patients);
    }

    @Test
    void aBodyNotLabelledJsonIs415AndNothingIsWritten() throws Exception {
        String caseId = newCase();
        String formId = UUID.randomUUID().toString();
        int tasks = f.fhir.count("Task");
        int emrWrites = f.openmrs.requestCount("POST", ".*");
        var plain = f.call("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, "CHW-0415", "routine", "2019-04-02"),
                Map.of("Content-Type", "text/plain; charset=utf-8"));
        assertThat(plain.http()).isEqualTo(415);
        assertThat(plain.body().path("error").asText()).contains("'text/plain'").contains("POST /referrals").contains("application/json");
        var status = f.call("PUT", "/referrals/" + formId + "/status", "{\"status\": \"in-progress\"}", Map.of("Content-Type", "text/plain"));
        assertThat(status.http()).isEqualTo(415);
        assertThat(f.fhir.count("Task")).isEqualTo(tasks);
        assertThat(f.openmrs.requestCount("POST", ".*")).isEqualTo(emrWrites);
        // the same form sent as JSON afterwards is taken (the refusal left no ledger claim behind)
        var json = f.call("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, "CHW-0415", "routine", "2019-04-02"),
                Map.of("Content-Type", "application/json; charset=utf-8"));
        assertThat(json.http()).as(json.envelope().toString()).isEqualTo(201);
    }

    @Test
    void badInputIsA400ThatNamesWhatIsMissing() throws Exception {
        var empty = f.call("POST", "/referrals", "{\"form\": {\"@xmlns\": \"x\", \"meta\": {\"instanceID\": \"abc\"}}}");
        assertThat(empty.http()).isEqualTo(400);
        assertThat(empty.body().path("error").asText()).contains("patientIdentifier").contains("reason").contains("facility");
        var unknown = f.call("POST", "/referrals?source=dhis2", "{}");
        assertThat(unknown.http()).isEqualTo(400);
        assertThat(unknown.body().path("error").asText()).contains("unknown referral source");
        var notJson = f.call("POST", "/referrals", "<xml/>");
        assertThat(notJson.http()).isEqualTo(400);
        var unrecognised = f.call("POST", "/referrals", "{\"hello\": 1}");
        assertThat(unrecognised.http()).isEqualTo(400);
        assertThat(unrecognised.body().path("error").asText()).contains("?source=");
    }
}
