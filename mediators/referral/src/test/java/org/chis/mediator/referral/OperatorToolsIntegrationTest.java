package org.chis.mediator.referral;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.chis.common.json.Json;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimCore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Through a real OpenHIM core 4.0.5: the shipped "referral operator tools" channel lets a client with role chis-ops
 * (not one with the community apps' role chis) reach /ops/referral/, and core keeps each call as a transaction.
 */
class OperatorToolsIntegrationTest {
    static OpenHimCore core;
    static CoreAdmin admin;
    static ReferralFixture f;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp());
        admin = core.admin();
        admin.createClient("chis-app", "chis-app-pass", "chis");
        admin.createClient("ops-alice", "ops-alice-pass", "chis-ops");
        String db = MediatorTestSettings.memoryDb("referral-ops-it");
        f = new ReferralFixture(MediatorTestSettings.registeredWith(core.settingsFor(), db).map(), db);
        assertThat(f.app.awaitRegistered(Duration.ofSeconds(60))).as("registered with core").isTrue();
        admin.awaitRouterCache();
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
        if (core != null) core.close();
    }

    static HttpResponse<String> router(String client, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(core.routerUrl() + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((client + ":" + client + "-pass").getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void operatorsReachTheOpsEndpointsThroughTheirChannelAndCoreAuditsTheCalls() throws Exception {
        HttpResponse<String> app = router("chis-app", "GET", "/ops/referral/failed-events", null);
        assertThat(app.statusCode()).as("the community apps' role is not allowed: " + app.body()).isIn(401, 403);

        HttpResponse<String> list = router("ops-alice", "GET", "/ops/referral/failed-events", null);
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        assertThat(Json.parse(list.body()).path("failedEvents").isArray()).isTrue();

        HttpResponse<String> unknown = router("ops-alice", "POST", "/ops/referral/failed-events/4242/skip", "{\"by\":\"alice\",\"reason\":\"test\"}");
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
        assertThat(Json.parse(unknown.body()).path("error").asText()).contains("no parked entry 4242");

        JsonNode tx = admin.waitForTransaction(t -> t.path("request").path("path").asText().equals("/ops/referral/failed-events/4242/skip"),
                Duration.ofSeconds(30));
        assertThat(tx.path("status").asText()).isEqualTo("Failed");
        assertThat(tx.path("channelID").asText()).isNotEmpty();
    }
}
