package org.chis.simulators.opensrp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.chis.common.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OpenSrpSimulatorTest {
    final OpenSrpSimulator sim = new OpenSrpSimulator(0);
    final HttpClient http = HttpClient.newHttpClient();
    final String auth = "Basic " + Base64.getEncoder().encodeToString((OpenSrpSimulator.USER + ":" + OpenSrpSimulator.PASSWORD).getBytes(StandardCharsets.UTF_8));

    @AfterEach
    void stop() { sim.close(); }

    @Test
    void anEventSentAgainWithTheSameIdOrFormSubmissionIdReplacesTheFirst() throws Exception {
        assertThat(add("{\"events\":[{\"id\":\"e1\",\"formSubmissionId\":\"f1\",\"eventType\":\"ANC\"}]}", auth).statusCode()).isEqualTo(201);
        assertThat(add("{\"events\":[{\"id\":\"e1\",\"formSubmissionId\":\"f1\",\"eventType\":\"ANC 2\"}]}", auth).statusCode()).isEqualTo(201);
        assertThat(add("{\"events\":[{\"id\":\"other\",\"formSubmissionId\":\"f1\",\"eventType\":\"ANC 3\"}]}", auth).statusCode()).isEqualTo(201);
        assertThat(sim.eventsWithFormSubmissionId("f1")).hasSize(1);
        assertThat(sim.events()).hasSize(1);
        assertThat(sim.writes()).isEqualTo(3);
        HttpResponse<String> found = find("e1");
        assertThat(found.statusCode()).isEqualTo(200);
        assertThat(Json.parse(found.body()).path("eventType").asText()).isEqualTo("ANC 3");
        HttpResponse<String> none = find("nope");
        assertThat(none.statusCode()).isEqualTo(200);
        assertThat(none.body()).isEmpty();
    }

    @Test
    void aBodyWithoutClientsOrEventsIs400AndNoCredentials401() throws Exception {
        assertThat(add("{}", auth).statusCode()).isEqualTo(400);
        assertThat(add("{\"events\":[]}", null).statusCode()).isEqualTo(401);
        assertThat(sim.events()).isEmpty();
    }

    HttpResponse<String> add(String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/rest/event/add"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) b.header("Authorization", authorization);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> find(String id) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/rest/event/findById?id=" + id)).header("Authorization", auth).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
