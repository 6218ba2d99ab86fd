package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.fhir.FhirSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.opensrp.OpenSrpSimulator;

/**
 * The referral mediator (not registered with a core) against the OpenMRS, FHIR, CommCare and OpenSRP simulators and a
 * plain WireMock standing in for CHT, with the shipped mapping files and an in-memory state store.
 */
final class ReferralFixture implements AutoCloseable {
    static final Path CONFIG = Path.of("../../mediator-configs/referral").toAbsolutePath().normalize();
    static final String CONCEPT_URGENCY = "a1b2c3d4-0000-4000-8000-00000000a001";

    /** The system clock plus an offset tests move forward (expiry). */
    static final class MovableClock extends Clock {
        private volatile Duration offset = Duration.ZERO;

        void advance(Duration d) { offset = offset.plus(d); }

        @Override
        public ZoneId getZone() { return ZoneOffset.UTC; }

        @Override
        public Clock withZone(ZoneId zone) { return this; }

        @Override
        public Instant instant() { return Instant.now().plus(offset); }
    }

    final OpenMrsSimulator openmrs;
    final FhirSimulator fhir;
    final CommCareSimulator commcare;
    final OpenSrpSimulator opensrp;
    final WireMockServer community;
    final MovableClock clock = new MovableClock();
    final MediatorApp app;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ReferralFixture(Map<String, String> extra) {
        this(extra, "jdbc:h2:mem:referral-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    ReferralFixture(Map<String, String> extra, String dbUrl) {
        openmrs = new OpenMrsSimulator(0);
        openmrs.addConcept(CONCEPT_URGENCY, "Referral urgency", "Text");
        fhir = new FhirSimulator(0);
        commcare = new CommCareSimulator(0);
        opensrp = new OpenSrpSimulator(0);
        community = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        community.start();
        app = Main.start(settings(extra, dbUrl), clock);
        // the validator loads the R4 spec once per JVM (seconds, a minute on a busy machine): wait here, not in a test's HTTP timeout
        FhirValidation.warmUp();
    }

    Settings settings(Map<String, String> extra, String dbUrl) {
        Map<String, String> s = MediatorTestSettings.standalone(dbUrl)
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .set("fhir.url", fhir.baseUrl())
                .commCare(commcare.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .set("commcare.pushUserId", CommCareSimulator.MOBILE_WORKER_ID)
                .upstream("opensrp", opensrp.baseUrl(), OpenSrpSimulator.USER, OpenSrpSimulator.PASSWORD)
                .map();
        s.put("cht.url", "http://127.0.0.1:" + community.port() + "/cht");
        s.put("referral.sourcesDir", "sources");
        s.put("referral.outputs", "emr,fhir");
        s.put("referral.expiry.urgentMinutes", "1440");
        s.put("referral.expiry.routineMinutes", "10080");
        s.put("emr.identifierType", OpenMrsSimulator.ID_TYPE_OLD);
        s.put("emr.location", OpenMrsSimulator.LOCATION_CLINIC);
        s.put("emr.encounterType", OpenMrsSimulator.ENCOUNTER_TYPE_REFERRAL);
        s.put("emr.concept.reason", OpenMrsSimulator.CONCEPT_REFERRAL_REASON);
        s.put("emr.concept.dangerSigns", OpenMrsSimulator.CONCEPT_COMMENT);
        s.put("emr.concept.urgency", CONCEPT_URGENCY);
        s.put("http.readTimeoutMs", "10000");
        s.putAll(extra);
        return Settings.of(s, CONFIG);
    }

    /** One answer of the mediator: HTTP status and the OpenHIM envelope. */
    record Reply(int http, JsonNode envelope) {
        String status() { return envelope.path("status").asText(); }

        JsonNode body() { return Json.parse(envelope.path("response").path("body").asText("{}")); }

        String property(String name) { return envelope.path("properties").path(name).asText(null); }

        List<String> orchestrationNames() {
            List<String> n = new ArrayList<>();
            envelope.path("orchestrations").forEach(o -> n.add(o.path("name").asText()));
            return n;
        }
    }

    Reply call(String method, String pathAndQuery, String body) throws Exception { return call(method, pathAndQuery, body, Map.of()); }

    Reply call(String method, String pathAndQuery, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + pathAndQuery)).timeout(Duration.ofSeconds(60));
        b.header("Content-Type", "application/json");
        headers.forEach(b::setHeader); // may replace the Content-Type
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), Json.parse(r.body()));
    }

    Reply status(String referralId, String status) throws Exception {
        return call("PUT", "/referrals/" + referralId + "/status", "{\"status\": \"" + status + "\", \"by\": \"nurse-amina\"}");
    }

    /** Posts a CommCare referral (routine) for this case and client; returns the id of its Task on the FHIR server. */
    String referredTask(String formId, String caseId, String clientId, String dob) throws Exception {
        Reply r = call("POST", "/referrals", commcareForm(formId, caseId, clientId, "routine", dob));
        if (r.http() != 201) throw new AssertionError("referral not created: " + r.envelope());
        return r.body().path("fhir").path("task").asText().split("/")[1];
    }

    /** A CommCare referral form as HQ's Form API / data forwarding sends it. */
    static String commcareForm(String formId, String caseId, String clientId, String urgency, String dob) {
        return """
                {"id": "%s", "received_on": "2024-03-15T09:12:00.000000Z",
                 "form": {"@xmlns": "http://openrosa.org/formdesigner/chw-referral", "@name": "Referral",
                          "client_id": "%s", "client_given_name": "Aminata", "client_family_name": "Kamara", "client_sex": "f",
                          "client_dob": "%s", "client_phone": "+23276123456",
                          "referral_reason": "Fever for 3 days", "danger_signs": "convulsions high_fever",
                          "referral_urgency": "%s", "referral_facility": "ngelehun-chc", "referral_type": "Sick Child",
                          "case": {"@case_id": "%s", "@xmlns": "http://commcarehq.org/case/transaction/v2"},
                          "meta": {"instanceID": "%s", "timeEnd": "%s", "username": "chw1",
                                   "userID": "a3f1c2d4e5b64a7f8e9d0c1b2a3f4e5d"}}}
                """.formatted(formId, clientId, dob, urgency, caseId, formId, Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS));
    }

    @Override
    public void close() {
        app.close();
        community.stop();
        opensrp.close();
        commcare.close();
        fhir.close();
        openmrs.close();
    }
}
