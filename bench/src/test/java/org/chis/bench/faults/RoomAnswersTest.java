package org.chis.bench.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.store.StateStore;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.dhis2.Dhis2Simulator;
import org.chis.simulators.fhir.FhirSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The room's answers are the same at all five endpoints that claim work (forms, OpenSRP events, referral intake,
 * DHIS2 tracker, SMS webhook): a request already done is Completed 200 with {@code duplicate: true} in the body and
 * the transaction property {@code duplicate}; a request whose key another run holds is Failed 503 with an
 * {@code error} (core auto-retries it) and a {@code Retry-After} header. Before the room, referral and DHIS2 answered
 * duplicates Successful (alreadySent, referral.duplicate), and busy forms/referral/tracker answered 409.
 */
class RoomAnswersTest {
    static final String INBOUND = "openhim-core:fault-inbound-pw";

    /** An endpoint, its state database, and for a fresh id: the body to send and the ledger key it claims. */
    record Endpoint(String name, String mediator, String url, String db, Function<String, String> body, Function<String, String> key) {}

    static final List<Endpoint> endpoints = new ArrayList<>();
    static final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        OpenMrsSimulator openmrs = new OpenMrsSimulator(0);
        CommCareSimulator hq = new CommCareSimulator(0);
        closing.add(openmrs);
        closing.add(hq);

        Map<String, String> cc = BadInputFaultTest.mediatorSettings("room-commcare", openmrs, hq);
        MediatorApp forms = org.chis.mediator.commcareopenmrs.Main.start(MediatorApp.create("commcare-openmrs",
                Settings.of(cc, config("commcare-openmrs"))));
        closing.add(forms);
        String demo = Files.readString(Path.of("../mediators/commcare-openmrs/src/test/resources/demo/registration-form.json"));
        endpoints.add(new Endpoint("forms", "commcare-openmrs", url(forms, "/commcare/forms"), cc.get("db.url"), id -> commCareForm(demo, id),
                id -> "commcare-form:" + id));
        endpoints.add(new Endpoint("OpenSRP events", "commcare-openmrs", url(forms, "/opensrp/events"), cc.get("db.url"), RoomAnswersTest::openSrpEvent,
                id -> "opensrp-form:" + id));

        Map<String, String> ref = BadInputFaultTest.mediatorSettings("room-referral", openmrs, hq);
        FhirSimulator fhir = new FhirSimulator(0);
        closing.add(fhir);
        ref.put("fhir.url", fhir.baseUrl());
        ref.put("referral.outputs", "emr");
        ref.put("commcare.pushUserId", CommCareSimulator.MOBILE_WORKER_ID);
        ref.put("emr.identifierType", OpenMrsSimulator.ID_TYPE_OLD);
        ref.put("emr.location", OpenMrsSimulator.LOCATION_CLINIC);
        ref.put("emr.encounterType", OpenMrsSimulator.ENCOUNTER_TYPE_REFERRAL);
        ref.put("emr.concept.reason", OpenMrsSimulator.CONCEPT_REFERRAL_REASON);
        ref.put("emr.concept.dangerSigns", OpenMrsSimulator.CONCEPT_COMMENT);
        MediatorApp referral = org.chis.mediator.referral.Main.start(Settings.of(ref, config("referral")));
        closing.add(referral);
        endpoints.add(new Endpoint("referral intake", "referral", url(referral, "/referrals"), ref.get("db.url"), RoomAnswersTest::referralForm,
                id -> "referral:" + id));

        Dhis2Simulator dhis2 = new Dhis2Simulator(0);
        closing.add(dhis2);
        Map<String, String> d = BadInputFaultTest.mediatorSettings("room-dhis2", openmrs, hq);
        d.put("dhis2.url", dhis2.baseUrl());
        d.put("dhis2.user", Dhis2Simulator.USER);
        d.put("dhis2.password", Dhis2Simulator.PASSWORD);
        MediatorApp tracker = org.chis.mediator.dhis2.Main.start(Settings.of(d, config("dhis2")));
        closing.add(tracker);
        endpoints.add(new Endpoint("dhis2 tracker", "dhis2", url(tracker, "/dhis2/tracker"), d.get("db.url"), RoomAnswersTest::trackerForm,
                id -> "tracker:" + id + ":" + sha256(trackerForm(id)).substring(0, 16)));

        RapidProSimulator rapidpro = new RapidProSimulator(0);
        closing.add(rapidpro);
        Map<String, String> sms = BadInputFaultTest.mediatorSettings("room-sms", openmrs, hq);
        sms.put("rapidpro.url", rapidpro.baseUrl());
        sms.put("rapidpro.token", rapidpro.token());
        sms.put("sms.destinations", "openmrs,warehouse");
        sms.put("sms.workers", "2");
        MediatorApp webhook = org.chis.mediator.smscodecard.Main.start(Settings.of(sms, config("sms-codecard")));
        closing.add(webhook);
        // a phone nobody registered: answered (and recorded) with the "not registered" reply, enough for the room
        endpoints.add(new Endpoint("sms webhook", "sms-codecard", url(webhook, "/sms/inbound"), sms.get("db.url"),
                id -> Json.write(RapidProSimulator.flowWebhook(id, "c-" + id, "Nobody", "tel:+23270000000", "eng", "ANC 1000Y")),
                id -> "sms:" + id));
    }

    @AfterAll
    static void stop() {
        for (int i = closing.size() - 1; i >= 0; i--) {
            try {
                closing.get(i).close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    @Test
    void everyEndpointAnswersARequestAlreadyDoneAsCompletedWithOneDuplicateFlagAndProperty() throws Exception {
        for (Endpoint e : endpoints) {
            String id = UUID.randomUUID().toString();
            Answer first = post(e, id);
            assertThat(first.status()).as(e.name() + ": " + first.envelope()).isIn("Successful", "Completed");
            assertThat(first.body().has("duplicate")).as(e.name()).isFalse();

            Answer again = post(e, id);
            assertThat(again.http()).as(e.name() + ": " + again.envelope()).isEqualTo(200);
            assertThat(again.status()).as(e.name()).isEqualTo("Completed");
            assertThat(again.body().path("duplicate").asBoolean()).as(e.name()).isTrue();
            assertThat(again.envelope().path("properties").path("duplicate").asText()).as(e.name()).isEqualTo("true");
            assertThat(again.envelope().has("error")).as(e.name()).isFalse();
            assertThat(again.envelope().path("orchestrations")).as(e.name() + ": nothing sent upstream").isEmpty();
        }
    }

    @Test
    void everyEndpointAnswersARequestBeingProcessedAs503WithAnErrorAndRetryAfter() throws Exception {
        for (Endpoint e : endpoints) {
            String id = UUID.randomUUID().toString();
            // another run (this process or a replica) holds the key right now
            try (StateStore store = StateStore.open(e.db(), "", "", null, e.mediator())) {
                assertThat(store.ledger().claim(e.key().apply(id), "held-elsewhere", Duration.ofMinutes(5)).owned()).isTrue();
            }
            Answer busy = post(e, id);
            assertThat(busy.http()).as(e.name() + ": " + busy.envelope()).isEqualTo(503);
            assertThat(busy.status()).as(e.name()).isEqualTo("Failed");
            assertThat(busy.envelope().path("error").path("message").asText()).as(e.name()).isNotBlank();
            assertThat(busy.retryAfter()).as(e.name()).matches("[1-9][0-9]*");
            assertThat(busy.envelope().path("response").path("headers").path("Retry-After").asText()).as(e.name()).isEqualTo(busy.retryAfter());
        }
    }

    record Answer(int http, JsonNode envelope, String retryAfter) {
        String status() { return envelope.path("status").asText(); }

        JsonNode body() { return Json.parse(envelope.path("response").path("body").asText("{}")); }
    }

    static Answer post(Endpoint e, String id) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(e.url())).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json; charset=utf-8").header("Authorization", Http.basic(INBOUND))
                .POST(HttpRequest.BodyPublishers.ofString(e.body().apply(id), StandardCharsets.UTF_8)).build();
        HttpResponse<String> res = Http.CLIENT.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Answer(res.statusCode(), Json.parse(res.body()), res.headers().firstValue("Retry-After").orElse(null));
    }

    static String url(MediatorApp app, String path) { return "http://127.0.0.1:" + app.port() + path; }

    static Path config(String mediator) { return Path.of("../mediator-configs/" + mediator).toAbsolutePath().normalize(); }

    static String commCareForm(String demo, String id) {
        ObjectNode f = (ObjectNode) Json.parse(demo);
        f.put("id", id);
        ((ObjectNode) f.get("metadata")).put("instanceID", id);
        ObjectNode form = (ObjectNode) f.get("form");
        ((ObjectNode) form.get("meta")).put("instanceID", id);
        String nid = "NID-" + id.substring(0, 8);
        form.put("national_id", nid);
        ObjectNode c = (ObjectNode) form.get("case");
        c.put("@case_id", UUID.randomUUID().toString());
        ((ObjectNode) c.get("update")).put("national_id", nid);
        return Json.write(f);
    }

    static String openSrpEvent(String id) {
        return """
                {"clients": [{"type": "Client", "baseEntityId": "e-%1$s", "firstName": "Emile", "lastName": "Ngone", "gender": "Male",
                              "birthdate": "2022-01-15T00:00:00.000+03:00", "identifiers": {"opensrp_id": "OSRP-%1$s"}}],
                 "events": [{"type": "Event", "eventType": "Growth Monitoring", "formSubmissionId": "%1$s", "baseEntityId": "e-%1$s",
                             "eventDate": "2024-04-30T00:00:00.000+03:00", "providerId": "chw1", "locationId": "amani-clinic", "entityType": "child",
                             "obs": [{"fieldType": "concept", "fieldDataType": "decimal", "fieldCode": "5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                      "formSubmissionField": "weight", "values": ["11.2"], "humanReadableValues": []}]}]}
                """.formatted(id);
    }

    static String referralForm(String id) {
        return """
                {"id": "%1$s", "received_on": "2024-03-15T09:12:00.000000Z",
                 "form": {"@xmlns": "http://openrosa.org/formdesigner/chw-referral", "@name": "Referral",
                          "client_id": "CHW-%2$s", "client_given_name": "Aminata", "client_family_name": "Kamara", "client_sex": "f",
                          "client_dob": "2020-01-01", "client_phone": "+23276123456",
                          "referral_reason": "Fever for 3 days", "danger_signs": "convulsions high_fever",
                          "referral_urgency": "routine", "referral_facility": "ngelehun-chc", "referral_type": "Sick Child",
                          "case": {"@case_id": "case-%1$s", "@xmlns": "http://commcarehq.org/case/transaction/v2"},
                          "meta": {"instanceID": "%1$s", "timeEnd": "%3$s", "username": "chw1",
                                   "userID": "a3f1c2d4e5b64a7f8e9d0c1b2a3f4e5d"}}}
                """.formatted(id, id.substring(0, 8), Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.SECONDS));
    }

    static String trackerForm(String id) {
        return """
                {"id": "%1$s", "domain": "demo", "received_on": "2024-03-02T10:15:00.000000Z",
                 "form": {"@xmlns": "http://openrosa.org/formdesigner/chis-child-visit", "@name": "Child visit",
                   "first_name": "Amina", "last_name": "Kamara", "sex": "female", "dob": "2023-05-04",
                   "location": "ngelehun-chc", "registration_date": "2024-01-10", "visit_date": "2024-03-02",
                   "weight": "9.5", "fever": "no", "muac": "",
                   "case": {"@case_id": "case-%1$s", "@xmlns": "http://commcarehq.org/case/transaction/v2", "update": {"weight": "9.5"}},
                   "meta": {"instanceID": "%1$s", "timeEnd": "2024-03-02T10:14:00.000Z", "username": "chw1"}}}""".formatted(id);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
