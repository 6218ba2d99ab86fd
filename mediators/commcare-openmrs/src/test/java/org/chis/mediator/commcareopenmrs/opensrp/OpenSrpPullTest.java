package org.chis.mediator.commcareopenmrs.opensrp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.mediator.commcareopenmrs.forms.Forms;
import com.github.tomakehurst.wiremock.client.WireMock;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenSRP event sync pulled into OpenMRS through the whole mediator (not registered with a core) against the OpenSRP,
 * OpenMRS and CommCare simulators, with the shipped mapping files (OpenSRP "Growth Monitoring").
 */
class OpenSrpPullTest {
    static final Path CONFIG = Path.of("../../mediator-configs/commcare-openmrs").toAbsolutePath().normalize();
    static final String LOCATION = "amani-clinic";
    static OpenMrsSimulator openmrs;
    static CommCareSimulator commcare;
    static OpenSrpSimulator opensrp;

    MediatorApp app;
    String db;
    final Map<String, String> settings = new HashMap<>();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startSimulators() {
        openmrs = new OpenMrsSimulator(0);
        commcare = new CommCareSimulator(0);
        opensrp = new OpenSrpSimulator(0);
    }

    @AfterAll
    static void stopSimulators() {
        openmrs.close();
        commcare.close();
        opensrp.close();
    }

    @BeforeEach
    void start() {
        openmrs.reset();
        commcare.reset();
        opensrp.reset();
        db = "jdbc:h2:mem:opensrp-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        settings.putAll(MediatorTestSettings.standalone(db)
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .commCare(commcare.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .map());
        settings.put("feeds.enabled", "false");
        settings.put("opensrp.pull.enabled", "true");
        settings.put("opensrp.url", opensrp.baseUrl());
        settings.put("opensrp.user", OpenSrpSimulator.USER);
        settings.put("opensrp.password", OpenSrpSimulator.PASSWORD);
        settings.put("opensrp.pull.locationId", LOCATION);
        settings.put("opensrp.pull.pageSize", "2");
        settings.put("http.readTimeoutMs", "10000");
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(settings, CONFIG)));
    }

    @AfterEach
    void stop() { app.close(); }

    @Test
    void aPollPagesThroughTheSyncEachMappedEventBecomesOneEncounterAndTheNextPollReadsNothingAgain() throws Exception {
        for (int i = 0; i < 5; i++) sync(growthMonitoring("gm-" + i, "child-" + i, "OSRP-" + i));
        sync(event("Birth Registration", "br-1", "child-0")); // OpenSRP syncs every event of the location: no mapping, passed over
        sync(Json.object().put("eventType", "Growth Monitoring").put("formSubmissionId", "elsewhere").put("baseEntityId", "x").put("locationId", "other-place"));

        JsonNode first = pull();
        assertThat(first.path("pulled").asInt()).as(first.toString()).isEqualTo(6);
        assertThat(first.path("written").asInt()).isEqualTo(5);
        assertThat(first.path("passedOver").path("Birth Registration").asInt()).isEqualTo(1);
        assertThat(first.path("more").asBoolean()).isFalse();
        assertThat(encounters()).hasSize(5);
        assertThat(openmrs.patients()).hasSize(5);
        // pages of 2: 2 + 2 + 2, then an empty page says the end is reached
        assertThat(syncRequests()).isEqualTo(4);

        JsonNode again = pull();
        assertThat(again.path("pulled").asInt()).isZero();
        assertThat(again.path("serverVersion").asLong()).isEqualTo(first.path("serverVersion").asLong());
        assertThat(encounters()).hasSize(5);
    }

    @Test
    void aPollReadsAtMostMaxPagesAndTheNextOneGoesOnFromItsMarker() throws Exception {
        restartWith("opensrp.pull.maxPages", "1");
        for (int i = 0; i < 3; i++) sync(growthMonitoring("p-" + i, "pc-" + i, "OSRP-P" + i));
        JsonNode first = pull();
        assertThat(first.path("pulled").asInt()).isEqualTo(2);
        assertThat(first.path("more").asBoolean()).isTrue();
        JsonNode second = pull();
        assertThat(second.path("pulled").asInt()).isEqualTo(1);
        assertThat(second.path("more").asBoolean()).isFalse();
        assertThat(encounters()).hasSize(3);
    }

    @Test
    void theMarkerSurvivesARestartAndNoEventIsPulledTwice() throws Exception {
        sync(growthMonitoring("r-1", "rc-1", "OSRP-R1"));
        sync(growthMonitoring("r-2", "rc-2", "OSRP-R2"));
        assertThat(pull().path("written").asInt()).isEqualTo(2);

        restartWith("opensrp.pull.pageSize", "2");
        sync(growthMonitoring("r-3", "rc-3", "OSRP-R3"));
        opensrp.wireMock().resetRequests();
        JsonNode after = pull();
        assertThat(after.path("pulled").asInt()).as(after.toString()).isEqualTo(1);
        assertThat(after.path("written").asInt()).isEqualTo(1);
        assertThat(encounters()).hasSize(3);
        // the first sync after the restart asked from the marker, not from 0
        assertThat(opensrp.wireMock().getAllServeEvents().stream().map(e -> e.getRequest().getUrl())
                .filter(u -> u.contains("/rest/event/sync")).toList()).allMatch(u -> !u.contains("serverVersion=0&"));
    }

    @Test
    void anEventPostedAndThenPulledIsOneEncounter() throws Exception {
        ObjectNode body = growthMonitoring("both-1", "bc-1", "OSRP-B1");
        HttpResponse<String> posted = post(Forms.OPENSRP_PATH, Json.write(body));
        assertThat(Json.parse(posted.body()).path("status").asText()).as(posted.body()).isEqualTo("Successful");
        sync(body);

        JsonNode pulled = pull();
        assertThat(pulled.path("pulled").asInt()).isEqualTo(1);
        assertThat(pulled.path("written").asInt()).isZero();
        assertThat(pulled.path("unchanged").asInt()).isEqualTo(1);
        assertThat(encounters()).hasSize(1);
        assertThat(openmrs.patients()).hasSize(1);
    }

    @Test
    void aFailingEventStopsThePollWithTheMarkerBeforeItAndTheNextPollWritesItOnce() throws Exception {
        sync(growthMonitoring("f-1", "fc-1", "OSRP-F1"));
        sync(growthMonitoring("f-2", "fc-2", "OSRP-F2"));
        sync(growthMonitoring("f-3", "fc-3", "OSRP-F3"));
        // OpenMRS fails the second event's new patient (a database hiccup): that event fails, nothing of it stays
        var stub = openmrs.wireMock().stubFor(WireMock.post(WireMock.urlPathEqualTo(OpenMrsSimulator.CONTEXT + "/ws/rest/v1/patient")).atPriority(1)
                .withRequestBody(WireMock.containing("Ngone-f-2"))
                .willReturn(WireMock.aResponse().withStatus(500).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"[Could not open Hibernate Session for transaction]\"}}")));
        HttpResponse<String> failed = pullResponse();
        JsonNode envelope = Json.parse(failed.body());
        JsonNode body = Json.parse(envelope.path("response").path("body").asText());
        assertThat(envelope.path("status").asText()).isEqualTo("Failed");
        assertThat(body.path("failedEvent").path("formSubmissionId").asText()).as(body.toString()).isEqualTo("f-2");
        assertThat(body.path("error").asText()).contains("the next poll tries it again");
        assertThat(encounters()).hasSize(1);

        openmrs.wireMock().removeStub(stub);
        JsonNode retried = pull();
        assertThat(retried.path("pulled").asInt()).as(retried.toString()).isEqualTo(2);
        assertThat(retried.path("written").asInt()).isEqualTo(2);
        assertThat(encounters()).hasSize(3);
        assertThat(openmrs.patients()).hasSize(3);
        assertThat(pull().path("pulled").asInt()).isZero();
    }

    @Test
    void aRejectedEventHoldsThePullUntilItIsCorrectedInOpensrpThenEverythingAfterItArrivesOnce() throws Exception {
        sync(growthMonitoring("b-1", "bc-1", "OSRP-BAD1"));
        ObjectNode bad = growthMonitoring("b-2", "bc-2", "OSRP-BAD2");
        ((ObjectNode) bad.get("events").get(0).get("obs").get(0)).putArray("values").add("eleven");
        sync(bad);
        sync(growthMonitoring("b-3", "bc-3", "OSRP-BAD3"));

        HttpResponse<String> rejected = pullResponse();
        JsonNode body = Json.parse(Json.parse(rejected.body()).path("response").path("body").asText());
        assertThat(Json.parse(rejected.body()).path("status").asText()).isEqualTo("Failed");
        assertThat(body.path("failedEvent").path("formSubmissionId").asText()).as(body.toString()).isEqualTo("b-2");
        assertThat(body.path("error").asText()).contains("not a number");
        assertThat(encounters()).hasSize(1);
        assertThat(Json.parse(pullResponse().body()).path("status").asText()).as("held, not skipped").isEqualTo("Failed");

        // the CHW corrects the form: the app syncs the event again, OpenSRP saves it with a new serverVersion
        sync(growthMonitoring("b-2", "bc-2", "OSRP-BAD2"));
        JsonNode after = pull();
        assertThat(after.path("written").asInt()).as(after.toString()).isEqualTo(2);
        assertThat(encounters()).hasSize(3);
        assertThat(pull().path("pulled").asInt()).isZero();
    }

    @Test
    void disabledByDefaultThePullReadsNothing() throws Exception {
        restartWith("opensrp.pull.enabled", null);
        sync(growthMonitoring("d-1", "dc-1", "OSRP-D1"));
        HttpResponse<String> r = pullResponse();
        assertThat(Json.parse(r.body()).path("status").asText()).isEqualTo("Completed");
        assertThat(r.body()).contains("opensrp.pull.enabled=false");
        assertThat(syncRequests()).isZero();
    }

    // ------------------------------------------------------------------ helpers

    void restartWith(String key, String value) {
        app.close();
        if (value == null) settings.remove(key);
        else settings.put(key, value);
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(settings, CONFIG)));
    }

    /** A CHW app's sync of one child's growth monitoring (client + event) to the OpenSRP server. */
    static ObjectNode growthMonitoring(String formSubmissionId, String entity, String opensrpId) {
        ObjectNode event = event("Growth Monitoring", formSubmissionId, entity);
        event.putArray("obs").addObject().put("fieldType", "concept").put("fieldDataType", "decimal")
                .put("fieldCode", OpenMrsSimulator.CONCEPT_WEIGHT).put("formSubmissionField", "weight").putArray("values").add("11.2");
        ObjectNode body = Json.object();
        body.putArray("clients").addObject().put("type", "Client").put("baseEntityId", entity).put("firstName", "Emile")
                .put("lastName", "Ngone-" + formSubmissionId).put("gender", "Male").put("birthdate", "2022-01-15T00:00:00.000+03:00")
                .putObject("identifiers").put("opensrp_id", opensrpId);
        body.putArray("events").add(event);
        return body;
    }

    static ObjectNode event(String type, String formSubmissionId, String entity) {
        return Json.object().put("type", "Event").put("eventType", type).put("formSubmissionId", formSubmissionId).put("baseEntityId", entity)
                .put("eventDate", "2024-04-30T00:00:00.000+03:00").put("providerId", "chw1").put("locationId", LOCATION).put("entityType", "child");
    }

    /** Stores a sync body's clients and events in OpenSRP, as its /rest/event/add does. */
    static void sync(ObjectNode body) {
        if (!body.has("events")) {
            opensrp.addEvent(body);
            return;
        }
        body.path("clients").forEach(c -> opensrp.addClient((ObjectNode) c));
        body.path("events").forEach(e -> opensrp.addEvent((ObjectNode) e));
    }

    static int syncRequests() {
        return (int) opensrp.wireMock().getAllServeEvents().stream().filter(e -> e.getRequest().getUrl().contains("/rest/event/sync")).count();
    }

    static List<JsonNode> encounters() { return openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean()).toList(); }

    /** One poll, as OpenHIM's polling channel sends it; the mediator's answer body. */
    JsonNode pull() throws Exception {
        HttpResponse<String> r = pullResponse();
        JsonNode envelope = Json.parse(r.body());
        assertThat(envelope.path("status").asText()).as(r.body()).isIn("Successful", "Completed");
        return Json.parse(envelope.path("response").path("body").asText("{}"));
    }

    HttpResponse<String> pullResponse() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + OpenSrp.PULL_PATH)).timeout(Duration.ofSeconds(60))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }
}
