package org.chis.common.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.Saga;
import org.chis.common.store.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator endpoints and /metrics over HTTP, on a mediator app that opened its store the usual way. */
class OperatorEndpointsTest {
    static final String TEMPLATE = """
            {"urn":"urn:mediator:ops-test","version":"1.0.0","name":"Ops test","endpoints":[{"name":"e","host":"${mediator.host}","port":"${mediator.port}","path":"/","type":"http"}],
             "defaultChannelConfig":[]}""";
    static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("openhim-core:s3cret".getBytes(StandardCharsets.UTF_8));
    static final HttpClient client = HttpClient.newHttpClient();

    @TempDir Path dir;
    MediatorApp app;
    StateStore store;
    Map<String, String> extra = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        Files.writeString(dir.resolve("mediator-registration-info.json"), TEMPLATE);
    }

    void startApp() {
        Map<String, String> m = new HashMap<>(Map.of("mediator.host", "127.0.0.1", "mediator.bind", "127.0.0.1", "mediator.port", "0",
                "core.register", "false", "mediator.inbound.username", "openhim-core", "mediator.inbound.password", "s3cret",
                "feeds.maxFailedEvents", "2"));
        m.putAll(extra);
        app = MediatorApp.create("ops-test", Settings.of(m, dir));
        store = app.closeWithApp(StateStore.open("jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE", "", "", null, "ops-test"));
        app.start();
    }

    @AfterEach
    void stop() {
        if (app != null) app.close();
    }

    HttpResponse<String> send(String method, String path, String body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        if (auth != null) b.header("Authorization", auth);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** The client-facing body inside the OpenHIM envelope. */
    static JsonNode body(HttpResponse<String> r) {
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith(MediatorResponse.CONTENT_TYPE);
        return Json.parse(Json.parse(r.body()).at("/response/body").asText());
    }

    static String status(HttpResponse<String> r) { return Json.parse(r.body()).path("status").asText(); }

    @Test
    void listsParkedEntriesWithTheLimitThatStopsAFeedAndSkipUnderIt() throws Exception {
        startApp();
        Instant later = Instant.now().plus(Duration.ofHours(1));
        store.failedEvents().record("patient", "entry-1", "A", "{\"p\":1}", "OpenMRS 500", later);
        store.failedEvents().record("patient", "entry-2", "B", "{\"p\":2}", "OpenMRS 500", later);
        long first = store.failedEvents().all("patient").get(0).id();

        HttpResponse<String> list = send("GET", "/ops/ops-test/failed-events", null, AUTH);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(status(list)).isEqualTo("Completed");
        JsonNode l = body(list);
        assertThat(l.at("/feeds/0/feed").asText()).isEqualTo("patient");
        assertThat(l.at("/feeds/0/parked").asInt()).isEqualTo(2);
        assertThat(l.at("/feeds/0/parkedLimit").asInt()).isEqualTo(2);
        assertThat(l.at("/feeds/0/stopped").asBoolean()).isTrue();
        assertThat(l.path("failedEvents")).hasSize(2);
        assertThat(l.at("/failedEvents/0/lastError").asText()).isEqualTo("OpenMRS 500");

        HttpResponse<String> retry = send("POST", "/ops/ops-test/failed-events/" + first + "/retry", null, AUTH);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(status(retry)).isEqualTo("Successful");
        assertThat(store.failedEvents().due("patient", Instant.now().plusSeconds(1), 10)).hasSize(1);

        HttpResponse<String> skip = send("POST", "/ops/ops-test/failed-events/" + first + "/skip", "{\"by\":\"alice\",\"reason\":\"duplicate patient\"}", AUTH);
        assertThat(skip.statusCode()).isEqualTo(200);
        assertThat(body(skip).at("/feeds/0/stopped").asBoolean()).as("under the limit again").isFalse();
        assertThat(store.failedEvents().count("patient")).isEqualTo(1);

        JsonNode audit = body(send("GET", "/ops/ops-test/audit", null, AUTH));
        assertThat(audit.at("/actions/0/action").asText()).isEqualTo("skip");
        assertThat(audit.at("/actions/0/target/payload").asText()).isEqualTo("{\"p\":1}");
    }

    @Test
    void unknownIdsAre404AndBadInput400WithNothingWritten() throws Exception {
        startApp();
        store.failedEvents().record("patient", "entry-1", "A", "{}", "e", Instant.now());
        long id = store.failedEvents().all("patient").get(0).id();

        HttpResponse<String> unknown = send("POST", "/ops/ops-test/failed-events/424242/skip", "{\"by\":\"a\",\"reason\":\"r\"}", AUTH);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(body(unknown).path("error").asText()).contains("no parked entry 424242");
        assertThat(send("GET", "/ops/ops-test/failed-events/424242", null, AUTH).statusCode()).isEqualTo(404);

        HttpResponse<String> notANumber = send("POST", "/ops/ops-test/failed-events/abc/retry", null, AUTH);
        assertThat(notANumber.statusCode()).isEqualTo(400);
        assertThat(body(notANumber).path("error").asText()).contains("'abc' is not a parked entry id");

        HttpResponse<String> noReason = send("POST", "/ops/ops-test/failed-events/" + id + "/skip", "{\"by\":\"alice\"}", AUTH);
        assertThat(noReason.statusCode()).isEqualTo(400);
        assertThat(body(noReason).path("error").asText()).contains("'reason' is required");
        assertThat(send("POST", "/ops/ops-test/failed-events/" + id + "/skip", "{\"by\":", AUTH).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/ops/ops-test/claims?olderThanMinutes=soon", null, AUTH).statusCode()).isEqualTo(400);
        assertThat(store.failedEvents().count("patient")).as("nothing written").isEqualTo(1);

        assertThat(send("POST", "/ops/ops-test/markers/reset", "{\"feed\":\"nope\",\"marker\":\"x\",\"by\":\"a\",\"reason\":\"r\"}", AUTH).statusCode()).isEqualTo(404);
        assertThat(send("POST", "/ops/ops-test/markers/reset", "{\"feed\":\"patient\",\"by\":\"a\",\"reason\":\"r\"}", AUTH).statusCode()).isEqualTo(400);
        assertThat(send("POST", "/ops/ops-test/claims/release", "{\"key\":\"nope\",\"by\":\"a\",\"reason\":\"r\"}", AUTH).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/ops/ops-test/failed-events", null, null).statusCode()).as("core's credentials").isEqualTo(401);
        assertThat(body(send("GET", "/ops/ops-test/audit", null, AUTH)).path("actions")).isEmpty();
    }

    @Test
    void resetsAMarkerAndReleasesAStuckClaim() throws Exception {
        startApp();
        store.inTransaction(c -> {
            store.feedMarkers().advance(c, "patient", "{\"pageUrl\":\"p5\",\"lastEntryId\":\"e50\"}");
            return null;
        });
        store.ledger().claim("form:x", "form", Duration.ofHours(1));

        JsonNode markers = body(send("GET", "/ops/ops-test/markers", null, AUTH));
        assertThat(markers.at("/feeds/0/marker").asText()).contains("e50");
        assertThat(markers.at("/feeds/0/markerAgeSeconds").isNumber()).isTrue();

        HttpResponse<String> reset = send("POST", "/ops/ops-test/markers/reset",
                "{\"feed\":\"patient\",\"marker\":{\"pageUrl\":\"p4\",\"lastEntryId\":\"e40\"},\"by\":\"alice\",\"reason\":\"replay after restore\"}", AUTH);
        assertThat(reset.statusCode()).isEqualTo(200);
        assertThat(body(reset).path("oldMarker").asText()).contains("e50");
        assertThat(Json.parse(store.feedMarkers().get("patient").orElseThrow()).path("lastEntryId").asText()).isEqualTo("e40");

        JsonNode claims = body(send("GET", "/ops/ops-test/claims?olderThanMinutes=0", null, AUTH));
        assertThat(claims.at("/claims/0/key").asText()).isEqualTo("form:x");
        HttpResponse<String> release = send("POST", "/ops/ops-test/claims/release", "{\"key\":\"form:x\",\"by\":\"alice\",\"reason\":\"worker died\"}", AUTH);
        assertThat(release.statusCode()).isEqualTo(200);
        assertThat(body(release).at("/claim/status").asText()).isEqualTo("FAILED");
        HttpResponse<String> again = send("POST", "/ops/ops-test/claims/release", "{\"key\":\"form:x\",\"by\":\"alice\",\"reason\":\"worker died\"}", AUTH);
        assertThat(again.statusCode()).isEqualTo(409);
    }

    @Test
    void metricsCarryRequestsParkedEntriesAndFeedAgeBehindTheInboundCredentials() throws Exception {
        startApp();
        store.failedEvents().record("patient", "entry-1", "A", "{}", "e", Instant.now());
        store.inTransaction(c -> {
            store.feedMarkers().advance(c, "patient", "m1");
            return null;
        });
        send("GET", "/ops/ops-test/failed-events", null, AUTH);
        send("POST", "/ops/ops-test/failed-events/abc/retry", null, AUTH);
        new Saga(store, new Compensators()).run(new TransactionContext("t1"), store.ledger().claim("saga-1", "test", Duration.ofMinutes(1)),
                run -> run.step("nothing upstream", () -> null));

        assertThat(send("GET", "/metrics", null, null).statusCode()).isEqualTo(401);
        HttpResponse<String> m = send("GET", "/metrics", null, AUTH);
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(m.body())
                .containsPattern("chis_requests_seconds_count\\{endpoint=\"[^\"]*failed-events\",[^}]*method=\"GET\",[^}]*status=\"200\"\\} 1")
                .containsPattern("chis_requests_seconds_count\\{[^}]*status=\"400\"\\} 1")
                .containsPattern("chis_feed_parked\\{feed=\"patient\",[^}]*\\} 1")
                .containsPattern("chis_feed_parked_limit\\{[^}]*\\} 2")
                .contains("chis_feed_marker_age_seconds{feed=\"patient\"")
                .contains("chis_claims_stuck{")
                .containsPattern("chis_saga_duration_seconds_count\\{[^}]*outcome=\"completed\"[^}]*\\} 1");
    }

    @Test
    void metricsTokenReplacesTheBasicCredentials() throws Exception {
        extra.put("metrics.token", "scrape-me");
        startApp();
        assertThat(send("GET", "/metrics", null, AUTH).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/metrics", null, "Bearer scrape-me").statusCode()).isEqualTo(200);
    }
}
