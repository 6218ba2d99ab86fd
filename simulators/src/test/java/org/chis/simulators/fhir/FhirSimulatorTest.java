package org.chis.simulators.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.chis.common.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The FHIR R4 simulator against what HAPI FHIR's JPA server and the R4 http page say a server does. */
class FhirSimulatorTest {
    final FhirSimulator sim = new FhirSimulator(0);
    final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() { sim.close(); }

    @Test
    void anUpdateThatChangesNothingMakesNoNewVersionAndAStaleIfMatchIs412WithAnOperationOutcome() throws Exception {
        HttpResponse<String> created = send("POST", "/Task", "{\"resourceType\":\"Task\",\"status\":\"requested\",\"intent\":\"order\"}", null);
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("ETag")).contains("W/\"1\"");
        ObjectNode task = (ObjectNode) Json.parse(created.body());
        String id = task.path("id").asText();

        // HAPI's no-op: the same content again is 200 with the version it already had
        HttpResponse<String> same = send("PUT", "/Task/" + id, Json.write(task), "W/\"1\"");
        assertThat(same.statusCode()).isEqualTo(200);
        assertThat(same.headers().firstValue("ETag")).contains("W/\"1\"");
        assertThat(sim.versions("Task", id)).isEqualTo(1);

        task.put("status", "ready");
        HttpResponse<String> moved = send("PUT", "/Task/" + id, Json.write(task), "W/\"1\"");
        assertThat(moved.statusCode()).isEqualTo(200);
        assertThat(moved.headers().firstValue("ETag")).contains("W/\"2\"");

        task.put("status", "in-progress");
        HttpResponse<String> stale = send("PUT", "/Task/" + id, Json.write(task), "W/\"1\"");
        assertThat(stale.statusCode()).isEqualTo(412);
        JsonNode oo = Json.parse(stale.body());
        assertThat(oo.path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(oo.path("issue").get(0).path("severity").asText()).isEqualTo("error");
        assertThat(oo.path("issue").get(0).path("diagnostics").asText()).contains("HAPI-0989");
        assertThat(sim.read("Task", id).orElseThrow().path("status").asText()).isEqualTo("ready");
    }

    @Test
    void aSearchAnswersASearchsetBundleWithTotalSelfLinkFullUrlsAndMatchMode() throws Exception {
        send("POST", "/Task", "{\"resourceType\":\"Task\",\"status\":\"ready\",\"intent\":\"order\",\"identifier\":[{\"system\":\"urn:s\",\"value\":\"a\"}]}", null);
        JsonNode b = Json.parse(send("GET", "/Task?identifier=urn:s%7Ca", null, null).body());
        assertThat(b.path("resourceType").asText()).isEqualTo("Bundle");
        assertThat(b.path("type").asText()).isEqualTo("searchset");
        assertThat(b.path("total").asInt()).isEqualTo(1);
        assertThat(b.path("link").get(0).path("relation").asText()).isEqualTo("self");
        assertThat(b.path("entry").get(0).path("fullUrl").asText()).startsWith(sim.baseUrl() + "/Task/");
        assertThat(b.path("entry").get(0).path("search").path("mode").asText()).isEqualTo("match");
    }

    @Test
    void appointmentsAreSearchedByStatusStartDateAndParticipantPatient() throws Exception {
        sim.put((ObjectNode) Json.parse("{\"resourceType\":\"Appointment\",\"id\":\"a-1\",\"status\":\"noshow\",\"start\":\"2026-11-20T08:00:00Z\","
                + "\"participant\":[{\"actor\":{\"reference\":\"Patient/p-1\"},\"status\":\"accepted\"}]}"));
        sim.put((ObjectNode) Json.parse("{\"resourceType\":\"Appointment\",\"id\":\"a-2\",\"status\":\"noshow\",\"start\":\"2026-09-01T08:00:00Z\","
                + "\"participant\":[{\"actor\":{\"reference\":\"Patient/p-2\"},\"status\":\"accepted\"}]}"));
        sim.put((ObjectNode) Json.parse("{\"resourceType\":\"Appointment\",\"id\":\"a-3\",\"status\":\"fulfilled\",\"start\":\"2026-11-21T08:00:00Z\","
                + "\"participant\":[{\"actor\":{\"reference\":\"Patient/p-1\"},\"status\":\"accepted\"}]}"));
        JsonNode b = Json.parse(send("GET", "/Appointment?status=noshow&date=ge2026-11-01", null, null).body());
        assertThat(b.path("type").asText()).isEqualTo("searchset");
        assertThat(b.path("total").asInt()).isEqualTo(1);
        assertThat(b.path("entry").get(0).path("resource").path("id").asText()).isEqualTo("a-1");
        assertThat(Json.parse(send("GET", "/Appointment?patient=Patient/p-1", null, null).body()).path("total").asInt()).isEqualTo(2);
        HttpResponse<String> unknown = send("GET", "/Appointment?practitioner=x", null, null);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("HAPI-0524");
    }

    HttpResponse<String> send(String method, String path, String body, String ifMatch) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).header("Accept", "application/fhir+json");
        if (body != null) b.header("Content-Type", "application/fhir+json");
        if (ifMatch != null) b.header("If-Match", ifMatch);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
