package org.chis.simulators.rapidpro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import okhttp3.OkHttpClient;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.rapidpro.Broadcast;
import org.chis.common.systems.rapidpro.FlowWebhook;
import org.chis.common.systems.rapidpro.NewBroadcast;
import org.chis.common.systems.rapidpro.RapidProClient;
import org.chis.common.systems.rapidpro.RapidProException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The RapidPro simulator against RapidPro's own code: temba/api/v2 (BroadcastReadSerializer, BroadcastWriteSerializer,
 * APITokenAuthentication, DRF throttling) and goflow's legacy Call Webhook body; read through the suite's RapidProClient
 * and FlowWebhook.
 */
class RapidProSimulatorTest {
    static RapidProSimulator sim;
    static RapidProClient client;
    static final TransactionContext tx = new TransactionContext("test");

    @BeforeAll
    static void start() {
        sim = new RapidProSimulator(0);
        client = new RapidProClient(new RecordingHttpClient(new OkHttpClient()), sim.baseUrl() + "/", sim.token());
    }

    @AfterAll
    static void stop() { sim.close(); }

    @BeforeEach
    void reset() { sim.reset(); }

    static HttpResponse<String> post(String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) b.header("Authorization", "Token " + token);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A new broadcast is "pending" with progress total -1 until mailroom has counted its contacts. */
    @Test
    void aNewBroadcastIsPendingAndNotYetCounted() throws Exception {
        HttpResponse<String> r = post("/api/v2/broadcasts.json", sim.token(),
                "{\"urns\":[\"tel:+255712000001\"],\"text\":{\"eng\":\"Hello\"},\"base_language\":\"eng\"}");
        assertThat(r.statusCode()).isEqualTo(201);
        JsonNode b = Json.parse(r.body());
        assertThat(b.path("status").asText()).isEqualTo("pending");
        assertThat(b.path("progress")).isEqualTo(Json.parse("{\"total\":-1,\"started\":0}"));
        assertThat(b.path("text")).isEqualTo(Json.parse("{\"eng\":\"Hello\"}"));
        assertThat(b.path("attachments")).isEqualTo(Json.parse("{\"eng\":[]}"));
        Broadcast read = client.sendBroadcast(tx, NewBroadcast.toUrn("tel:+255712000002", "swa", "Habari"));
        assertThat(read.status()).isEqualTo("pending");
        assertThat(read.text()).containsEntry("swa", "Habari");
    }

    @Test
    void validationAndAuthErrorsAreDrfBodies() throws Exception {
        HttpResponse<String> none = post("/api/v2/broadcasts.json", sim.token(), "{\"text\":\"Hello\"}");
        assertThat(none.statusCode()).isEqualTo(400);
        assertThat(Json.parse(none.body())).isEqualTo(Json.parse("{\"non_field_errors\":[\"Must provide either urns, contacts or groups.\"]}"));
        HttpResponse<String> base = post("/api/v2/broadcasts.json", sim.token(),
                "{\"text\":{\"kin\":\"Muraho\"},\"base_language\":\"eng\",\"urns\":[\"tel:+255712000001\"]}");
        assertThat(Json.parse(base.body())).isEqualTo(Json.parse("{\"non_field_errors\":[\"No text translation provided in base language.\"]}"));
        HttpResponse<String> bad = post("/api/v2/broadcasts.json", "wrong", "{\"text\":\"Hello\"}");
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(Json.parse(bad.body())).isEqualTo(Json.parse("{\"detail\":\"Invalid token\"}"));
        assertThat(bad.headers().firstValue("WWW-Authenticate")).hasValue("Token");
    }

    /** Over the org's API rate: DRF's Throttled, 429 with the wait in the detail and in Retry-After. */
    @Test
    void throttledCallsAnswer429WithRetryAfterAndTheClientReadsIt() throws Exception {
        sim.throttle(2, 12);
        HttpResponse<String> r = post("/api/v2/broadcasts.json", sim.token(), "{\"urns\":[\"tel:+255712000001\"],\"text\":\"Hi\"}");
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("12");
        assertThat(Json.parse(r.body())).isEqualTo(Json.parse("{\"detail\":\"Request was throttled. Expected available in 12 seconds.\"}"));
        assertThatThrownBy(() -> client.sendBroadcast(tx, NewBroadcast.toUrn("tel:+255712000001", "eng", "Hi")))
                .isInstanceOfSatisfying(RapidProException.class, e -> {
                    assertThat(e.temporary()).isTrue();
                    assertThat(e.retryAfterSeconds()).isEqualTo(12);
                    assertThat(e.getMessage()).contains("429").contains("Request was throttled");
                });
        assertThat(sim.broadcasts()).isEmpty();
        assertThat(client.sendBroadcast(tx, NewBroadcast.toUrn("tel:+255712000001", "eng", "Hi")).id()).isNotNull();
        assertThat(sim.broadcasts()).hasSize(1);
    }

    /** goflow's legacy webhook body (input.urn as an object, channels as objects, no contact language) reads as the documented one. */
    @Test
    void theLegacyWebhookBodyReadsLikeTheDocumentedOne() {
        JsonNode legacy = RapidProSimulator.legacyFlowWebhook("0f4c5a1e-7a3b-4d2c-9e8f-1a2b3c4d5e6f", "c-1", "John",
                "tel:+255712000001", "ANC 1000Y ANC1");
        assertThat(legacy.path("input").path("urn")).isEqualTo(Json.parse(
                "{\"display\":\"+255712000001\",\"path\":\"+255712000001\",\"scheme\":\"tel\"}"));
        assertThat(legacy.path("path").isArray()).isTrue();
        assertThat(legacy.path("contact").has("language")).isFalse();
        FlowWebhook m = FlowWebhook.parse(legacy, null);
        assertThat(m.messageUuid()).isEqualTo("0f4c5a1e-7a3b-4d2c-9e8f-1a2b3c4d5e6f");
        assertThat(m.urn()).isEqualTo("tel:+255712000001");
        assertThat(m.phone()).isEqualTo("+255712000001");
        assertThat(m.channelUuid()).isEqualTo("b1f0c3f2-7d0e-4b8e-9a43-1f2e5d6c7a80");
        assertThat(m.language()).isNull();
        assertThat(m.runUuid()).isNotNull();
        ((ObjectNode) legacy.path("contact")).putNull("urn");
        assertThat(FlowWebhook.parse(legacy, null).urn()).as("input.urn when the contact has none").isEqualTo("tel:+255712000001");
    }
}
