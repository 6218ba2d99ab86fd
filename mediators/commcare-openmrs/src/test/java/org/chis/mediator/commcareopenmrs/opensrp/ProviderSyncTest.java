package org.chis.mediator.commcareopenmrs.opensrp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** OpenSRP practitioners -> OpenMRS providers through the whole mediator against the OpenSRP and OpenMRS simulators. */
class ProviderSyncTest {
    static final Path CONFIG = Path.of("../../mediator-configs/commcare-openmrs").toAbsolutePath().normalize();
    static OpenMrsSimulator openmrs;
    static CommCareSimulator commcare;
    static OpenSrpSimulator opensrp;

    MediatorApp app;
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
        settings.putAll(MediatorTestSettings.standalone(MediatorTestSettings.memoryDb("providers"))
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .commCare(commcare.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .upstream("opensrp", opensrp.baseUrl(), OpenSrpSimulator.USER, OpenSrpSimulator.PASSWORD)
                .set("feeds.enabled", "false")
                .set("opensrp.practitioners.enabled", "true")
                .map());
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(settings, CONFIG)));
    }

    @AfterEach
    void stop() { app.close(); }

    @Test
    void eachActivePractitionerBecomesOneProviderAndARerunCreatesNone() throws Exception {
        opensrp.addPractitioner(practitioner("p-1", "chw.hawa", "Hawa Musa", true));
        opensrp.addPractitioner(practitioner("p-2", "chw.juma", "Juma Ali", true));
        opensrp.addPractitioner(practitioner("p-3", "chw.gone", "Left Service", false));
        int before = openmrs.providers().size();

        JsonNode first = body(sync(), "Successful");
        assertThat(first.path("created").asInt()).as(first.toString()).isEqualTo(2);
        assertThat(first.path("inactive").asInt()).isEqualTo(1);
        assertThat(openmrs.providers()).hasSize(before + 2);
        assertThat(openmrs.providers()).filteredOn(p -> p.path("identifier").asText().equals("chw.hawa"))
                .singleElement().satisfies(p -> assertThat(p.path("display").asText()).isEqualTo("chw.hawa - Hawa Musa"));

        JsonNode again = body(sync(), "Completed");
        assertThat(again.path("unchanged").asInt()).isEqualTo(2);
        assertThat(again.path("created").asInt()).isZero();
        assertThat(openmrs.providers()).hasSize(before + 2);
        assertThat(openmrs.requestCount("POST", OpenMrsSimulator.CONTEXT + "/ws/rest/v1/provider")).isEqualTo(2);
    }

    @Test
    void aProviderAlreadyInOpenmrsWithThatIdentifierIsLinkedNotDuplicatedEvenWithTheIdMapLost() throws Exception {
        opensrp.addPractitioner(practitioner("p-9", "CHW-1", "Community Health Worker", true)); // the simulator's seeded provider
        JsonNode first = body(sync(), "Successful");
        assertThat(first.path("matched").asInt()).as(first.toString()).isEqualTo(1);
        assertThat(openmrs.requestCount("POST", OpenMrsSimulator.CONTEXT + "/ws/rest/v1/provider")).isZero();

        // a fresh database (id map lost, or a run that died after OpenMRS created the provider): found again by identifier
        opensrp.addPractitioner(practitioner("p-10", "chw.new", "New Worker", true));
        body(sync(), "Successful");
        app.close();
        settings.put("db.url", MediatorTestSettings.memoryDb("providers"));
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(settings, CONFIG)));
        JsonNode relinked = body(sync(), "Successful");
        assertThat(relinked.path("matched").asInt()).isEqualTo(2);
        assertThat(relinked.path("created").asInt()).isZero();
        assertThat(openmrs.providers()).filteredOn(p -> p.path("identifier").asText().equals("chw.new")).hasSize(1);
    }

    @Test
    void openmrsFailingOneProviderFailsOnlyThatOneAndTheNextRunCreatesItOnce() throws Exception {
        opensrp.addPractitioner(practitioner("p-1", "chw.hawa", "Hawa Musa", true));
        opensrp.addPractitioner(practitioner("p-2", "chw.juma", "Juma Ali", true));
        var stub = openmrs.wireMock().stubFor(WireMock.post(WireMock.urlPathEqualTo(OpenMrsSimulator.CONTEXT + "/ws/rest/v1/provider")).atPriority(1)
                .withRequestBody(WireMock.containing("chw.juma"))
                .willReturn(WireMock.aResponse().withStatus(500).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"[Could not open Hibernate Session for transaction]\"}}")));
        JsonNode partial = body(sync(), "Completed with error(s)");
        assertThat(partial.path("created").asInt()).isEqualTo(1);
        assertThat(partial.path("failed").get(0).path("practitioner").asText()).isEqualTo("p-2");

        openmrs.wireMock().removeStub(stub);
        JsonNode retried = body(sync(), "Successful");
        assertThat(retried.path("created").asInt()).isEqualTo(1);
        assertThat(retried.path("unchanged").asInt()).isEqualTo(1);
        assertThat(openmrs.providers()).filteredOn(p -> p.path("identifier").asText().startsWith("chw.")).hasSize(2);
    }

    static ObjectNode practitioner(String identifier, String username, String name, boolean active) {
        return Json.object().put("identifier", identifier).put("active", active).put("name", name).put("userId", "u-" + identifier).put("username", username);
    }

    HttpResponse<String> sync() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + OpenSrp.PRACTITIONERS_PATH)).timeout(Duration.ofSeconds(60))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode body(HttpResponse<String> r, String status) {
        JsonNode envelope = Json.parse(r.body());
        assertThat(envelope.path("status").asText()).as(r.body()).isEqualTo(status);
        return Json.parse(envelope.path("response").path("body").asText("{}"));
    }

}
