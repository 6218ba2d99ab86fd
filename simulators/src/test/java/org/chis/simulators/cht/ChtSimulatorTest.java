package org.chis.simulators.cht;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.chis.common.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChtSimulatorTest {
    final ChtSimulator sim = new ChtSimulator(0);
    final HttpClient http = HttpClient.newHttpClient();
    final String auth = "Basic " + Base64.getEncoder().encodeToString((ChtSimulator.USER + ":" + ChtSimulator.PASSWORD).getBytes(StandardCharsets.UTF_8));

    @AfterEach
    void stop() { sim.close(); }

    @Test
    void aPersonIsCreatedUnderItsPlaceWithItsOwnIdOnceAndReadBack() throws Exception {
        HttpResponse<String> r = post("/api/v1/people", "{\"_id\":\"p-1\",\"name\":\"Akinyi Otieno\",\"type\":\"contact\",\"contact_type\":\"patient\","
                + "\"place\":\"" + ChtSimulator.CHW_AREA + "\",\"date_of_birth\":\"1990-04-02\",\"sex\":\"female\"}", auth, true);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode answer = Json.parse(r.body());
        assertThat(answer.path("id").asText()).isEqualTo("p-1");
        assertThat(answer.path("rev").asText()).startsWith("1-");
        JsonNode stored = sim.people().get(0);
        assertThat(stored.path("parent").path("_id").asText()).isEqualTo(ChtSimulator.CHW_AREA);
        assertThat(stored.path("parent").path("parent").path("_id").asText()).isEqualTo(ChtSimulator.HEALTH_FACILITY);
        assertThat(stored.has("place")).isFalse();
        assertThat(get("/api/v1/person/p-1").statusCode()).isEqualTo(200);
        // CouchDB's POST with an _id it already has
        HttpResponse<String> again = post("/api/v1/people", "{\"_id\":\"p-1\",\"name\":\"Akinyi Otieno\",\"place\":\"" + ChtSimulator.CHW_AREA + "\"}", auth, true);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(Json.parse(again.body()).path("error").asText()).isEqualTo("Document update conflict.");
        assertThat(sim.people()).hasSize(1);
    }

    @Test
    void badPeopleAndPlacesAre400Or404WithCHTsMessageAndNoCredentials401() throws Exception {
        HttpResponse<String> noName = post("/api/v1/people", "{\"type\":\"person\"}", auth, true);
        assertThat(noName.statusCode()).isEqualTo(400);
        assertThat(Json.parse(noName.body()).path("error").asText()).isEqualTo("Person is missing a \"name\" property.");
        HttpResponse<String> text = post("/api/v1/people", "{\"type\":\"person\"}", auth, false);
        assertThat(text.body()).isEqualTo("Person is missing a \"name\" property.");
        assertThat(post("/api/v1/people", "{\"name\":\"X\",\"place\":\"nowhere\"}", auth, true).statusCode()).isEqualTo(404);
        assertThat(post("/api/v1/places", "{\"name\":\"Y\",\"type\":\"clinic\"}", auth, true).body()).contains("Place is missing a \\\"parent\\\" property.");
        HttpResponse<String> noAuth = post("/api/v1/people", "{\"name\":\"X\"}", null, true);
        assertThat(noAuth.statusCode()).isEqualTo(401);
        assertThat(noAuth.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"Medic Web Services\"");
        assertThat(sim.people()).isEmpty();
        HttpResponse<String> place = post("/api/v1/places", "{\"name\":\"Household Otieno\",\"type\":\"clinic\",\"parent\":\"" + ChtSimulator.CHW_AREA + "\"}", auth, true);
        assertThat(place.statusCode()).isEqualTo(200);
        assertThat(sim.places()).hasSize(3);
    }

    @Test
    void aJsonReportKeepsStringAndNumberFieldsLowercasedAndNeedsAKnownForm() throws Exception {
        HttpResponse<String> r = post("/api/v2/records", "{\"_meta\":{\"form\":\"openmrs_encounter\",\"from\":\"+254700000001\",\"reported_date\":1733400000000},"
                + "\"Patient_UUID\":\"p-1\",\"weight\":61.5,\"nested\":{\"x\":1}}", auth, true);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode answer = Json.parse(r.body());
        assertThat(answer.path("success").asBoolean()).isTrue();
        JsonNode stored = sim.doc(answer.path("id").asText()).orElseThrow();
        assertThat(stored.path("form").asText()).isEqualTo("OPENMRS_ENCOUNTER");
        assertThat(stored.path("reported_date").asLong()).isEqualTo(1733400000000L);
        assertThat(stored.path("fields").path("patient_uuid").asText()).isEqualTo("p-1");
        assertThat(stored.path("fields").path("weight").asDouble()).isEqualTo(61.5);
        assertThat(stored.path("fields").has("nested")).isFalse();
        assertThat(Json.parse(post("/api/v1/records", "{\"_meta\":{\"form\":\"NOPE\",\"from\":\"x\"}}", auth, true).body()).path("error").asText())
                .isEqualTo("Form not found: NOPE");
        assertThat(Json.parse(post("/api/v1/records", "{\"_meta\":{\"form\":\"HOME_VISIT\"}}", auth, true).body()).path("error").asText())
                .isEqualTo("Missing required field: from");
        assertThat(post("/api/v1/records", "{\"x\":1}", auth, true).statusCode()).isEqualTo(400);
        assertThat(sim.reports()).hasSize(1);
    }

    @Test
    void outboundMapsADocAndAMissingRequiredValueIsAMappingError() {
        JsonNode config = Json.parse("""
                {"mapping": {"id": "doc._id", "form": "doc.form", "kind": {"expr": "'report'"}, "weight": "doc.fields.weight",
                             "muac": {"path": "doc.fields.muac", "optional": true}, "patient.id": "doc.fields.patient_id"}}""");
        JsonNode doc = Json.parse("{\"_id\":\"r-1\",\"form\":\"home_visit\",\"fields\":{\"weight\":\"12.4\",\"patient_id\":null}}");
        JsonNode payload = ChtSimulator.outboundPayload("visit", config, doc);
        assertThat(Json.write(payload)).isEqualTo("{\"id\":\"r-1\",\"form\":\"home_visit\",\"kind\":\"report\",\"weight\":\"12.4\",\"patient\":{\"id\":null}}");
        assertThatThrownBy(() -> ChtSimulator.outboundPayload("visit", config, Json.parse("{\"_id\":\"r-2\",\"form\":\"home_visit\",\"fields\":{}}")))
                .hasMessage("Mapping error for 'visit/weight' on source document 'r-2': cannot find 'doc.fields.weight' on source document");
    }

    private HttpResponse<String> post(String path, String body, String authorization, boolean json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (json) b.header("Accept", "application/json");
        if (authorization != null) b.header("Authorization", authorization);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).header("Authorization", auth).build(), HttpResponse.BodyHandlers.ofString());
    }
}
