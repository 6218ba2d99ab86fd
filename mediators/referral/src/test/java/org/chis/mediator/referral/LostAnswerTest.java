package org.chis.mediator.referral;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.Map;
import java.util.UUID;
import org.chis.common.json.Json;
import org.chis.common.saga.ResourceRef;
import org.chis.common.systems.openmrs.StableUuid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The FHIR server creates the resource but its answer comes after the read timeout: the server assigned the id
 * and we never saw it. The rollback must still remove it (found by identifier and the created-by tag), must not
 * remove a Patient someone else created, and the resend must make exactly one of each.
 */
class LostAnswerTest {
    static final String LOST = "X-Test-Lost-Answer";
    static ReferralFixture f;

    @BeforeAll
    static void start() { f = new ReferralFixture(Map.of("http.readTimeoutMs", "1000")); }

    @AfterAll
    static void stop() { if (f != null) f.close(); }

    /** The request is served (written) at once, through a proxy to the same server; the answer is held back 2.5 s. */
    static StubMapping loseAnswer(WireMockServer server, MappingBuilder request) {
        return server.stubFor(request.withHeader(LOST, absent()).atPriority(1).willReturn(aResponse()
                .proxiedFrom("http://127.0.0.1:" + server.port()).withAdditionalRequestHeader(LOST, "1").withFixedDelay(2500)));
    }

    static long fhirWithIdentifier(String type, String value) {
        return f.fhir.resources(type).stream().filter(r -> r.path("identifier").toString().contains("\"" + value + "\"")).count();
    }

    @Test
    void everyFhirCreateWhoseAnswerIsLostIsUndoneAndTheResendWritesOnce() throws Exception {
        for (String type : new String[] {"Patient", "ServiceRequest", "Task"}) {
            String formId = UUID.randomUUID().toString();
            String clientId = "CHW-L-" + UUID.randomUUID().toString().substring(0, 8);
            String form = ReferralFixture.commcareForm(formId, "case-" + formId, clientId, "urgent", "2020-01-01");
            StubMapping stub = loseAnswer(f.fhir.wireMock(), post(urlPathEqualTo("/fhir/" + type)));
            var failed = f.call("POST", "/referrals", form);
            f.fhir.wireMock().removeStub(stub);
            assertThat(failed.http()).as(type + ": " + failed.envelope()).isGreaterThanOrEqualTo(500);
            assertThat(failed.property("rollback")).isEqualTo("complete");
            assertThat(fhirWithIdentifier("Patient", clientId)).as(type + ": orphan Patient").isZero();
            assertThat(fhirWithIdentifier("ServiceRequest", formId)).as(type + ": orphan ServiceRequest").isZero();
            assertThat(fhirWithIdentifier("Task", formId)).as(type + ": orphan Task").isZero();
            assertThat(f.openmrs.encounter(StableUuid.of("referral", formId, "encounter"))).isEmpty();

            var retry = f.call("POST", "/referrals", form);
            var again = f.call("POST", "/referrals", form);
            assertThat(retry.http()).as(retry.envelope().toString()).isEqualTo(201);
            assertThat(retry.body().path("fhir").path("patientCreated").asBoolean()).isTrue();
            assertThat(again.http()).isEqualTo(200);
            assertThat(again.body().path("duplicate").asBoolean()).isTrue();
            assertThat(fhirWithIdentifier("Patient", clientId)).isEqualTo(1);
            assertThat(fhirWithIdentifier("ServiceRequest", formId)).isEqualTo(1);
            assertThat(fhirWithIdentifier("Task", formId)).isEqualTo(1);
        }
    }

    @Test
    void aPatientSomeoneElseCreatedIsNeverUndone() throws Exception {
        String formId = UUID.randomUUID().toString();
        String clientId = "CHW-O-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectNode theirs = (ObjectNode) Json.parse("""
                {"resourceType": "Patient", "identifier": [{"system": "urn:chis:patient:commcare", "value": "%s"}],
                 "name": [{"family": "Kamara", "given": ["Aminata"]}]}""".formatted(clientId));
        String id = f.fhir.put(theirs).path("id").asText();
        StubMapping stub = loseAnswer(f.fhir.wireMock(), post(urlPathEqualTo("/fhir/Task")));
        var failed = f.call("POST", "/referrals", ReferralFixture.commcareForm(formId, "case-" + formId, clientId, "routine", "2020-01-01"));
        f.fhir.wireMock().removeStub(stub);
        assertThat(failed.http()).isGreaterThanOrEqualTo(500);
        assertThat(f.fhir.read("Patient", id)).as("the Patient that was there before").isPresent();
        assertThat(fhirWithIdentifier("Task", formId)).isZero();
        assertThat(fhirWithIdentifier("ServiceRequest", formId)).isZero();
    }

    @Test
    void theJournalFormOfALookupReadsBack() {
        String ref = FhirReferral.Lookup.of("urn:chis:patient:commcare", "A B|C", "id with: colon");
        assertThat(new ResourceRef("fhir-Patient", ref).id()).startsWith("lookup:");
        assertThat(FhirReferral.Lookup.parse(ref)).isEqualTo(new FhirReferral.Lookup("id with: colon", "urn:chis:patient:commcare|A B|C"));
        assertThat(FhirReferral.Lookup.parse("123")).isNull();
    }
}
