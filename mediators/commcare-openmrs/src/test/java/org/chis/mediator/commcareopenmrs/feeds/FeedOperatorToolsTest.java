package org.chis.mediator.commcareopenmrs.feeds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorServer;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.ops.OperatorEndpoints;
import org.chis.common.store.StateStore;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "20 parked entries stop a feed": the operator sees the stopped feed and its parked entries over HTTP, skips one
 * to let the feed read on, and retries the others once OpenMRS is fixed, without waiting for their back-off.
 */
class FeedOperatorToolsTest {
    static final Path MAPPING = FeedSyncTest.MAPPING;
    static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("openhim-core:s3cret".getBytes(StandardCharsets.UTF_8));
    final HttpClient client = HttpClient.newHttpClient();

    @TempDir Path dir;
    OpenMrsSimulator openmrs;
    CommCareSimulator hq;
    StateStore store;
    MediatorServer server;
    Settings settings;

    @BeforeEach
    void start() {
        openmrs = new OpenMrsSimulator(0);
        hq = new CommCareSimulator(0);
        store = StateStore.open("jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE", "", "", null, "commcare-openmrs");
        Map<String, String> m = new HashMap<>(Map.of("openmrs.url", openmrs.baseUrl(), "openmrs.user", OpenMrsSimulator.USER,
                "openmrs.password", OpenMrsSimulator.PASSWORD, "commcare.url", hq.baseUrl(), "commcare.domain", CommCareSimulator.DOMAIN,
                "commcare.user", CommCareSimulator.USER, "commcare.apiKey", CommCareSimulator.API_KEY, "feeds.mapping", MAPPING.toString()));
        m.putAll(Map.of("feeds.maxFailedEvents", "3", "feeds.categories", "patient", "mediator.port", "0", "mediator.bind", "127.0.0.1",
                "mediator.inbound.username", "openhim-core", "mediator.inbound.password", "s3cret"));
        m.put("feeds.parallelism", "1"); // one entry after the other: the breaker trips before the fine patients are read
        settings = Settings.of(m);
        server = new MediatorServer("urn:mediator:chis-commcare-openmrs", settings);
        OperatorEndpoints.mount(server, server.metrics(), "commcare-openmrs", settings, store);
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
        openmrs.close();
        hq.close();
    }

    String patient(String given) {
        return openmrs.registerPatient(given, "Parked", "F", LocalDate.of(1990, 1, 1), "ID-" + given.hashCode());
    }

    MediatorResponse poll(FeedSync sync) { return sync.handle(null, new TransactionContext("poll")); }

    JsonNode ops(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/ops/commcare-openmrs" + path))
                .header("Authorization", AUTH)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parse(Json.parse(r.body()).at("/response/body").asText());
    }

    @Test
    void skippingAParkedEntryUnblocksTheStoppedFeedAndRetryMakesTheOthersDueNow() throws Exception {
        List<String> broken = new ArrayList<>();
        for (int i = 0; i < 3; i++) broken.add(patient("Broken" + i));
        List<String> fine = new ArrayList<>();
        for (int i = 0; i < 3; i++) fine.add(patient("Fine" + i));
        // OpenMRS fails on the first three patients only (say, a bad address hierarchy on their records)
        StubMapping down = openmrs.failAlways("GET", "/openmrs/ws/rest/v1/patient/(" + String.join("|", broken) + ").*", 500, null);
        FeedSync sync = FeedSync.create(settings, RecordingHttpClient.create(settings), store, Clock.systemUTC());

        MediatorResponse stopped = poll(sync);
        assertThat(stopped.httpStatus()).isEqualTo(503);
        assertThat(Json.parse(stopped.body()).path("error").asText()).contains("3 entries are parked");
        for (String p : fine) assertThat(hq.casesByExternalId(p)).as("behind the breaker").isEmpty();

        JsonNode list = ops("GET", "/failed-events", null);
        assertThat(list.at("/feeds/0/feed").asText()).isEqualTo("patient");
        assertThat(list.at("/feeds/0/parked").asInt()).isEqualTo(3);
        assertThat(list.at("/feeds/0/parkedLimit").asInt()).isEqualTo(3);
        assertThat(list.at("/feeds/0/stopped").asBoolean()).isTrue();
        assertThat(list.path("failedEvents")).hasSize(3);
        assertThat(poll(sync).httpStatus()).as("still stopped").isEqualTo(503);

        long first = list.at("/failedEvents/0/id").asLong();
        JsonNode skipped = ops("POST", "/failed-events/" + first + "/skip", "{\"by\":\"alice\",\"reason\":\"patient voided in OpenMRS\"}");
        assertThat(skipped.at("/feeds/0/stopped").asBoolean()).isFalse();

        MediatorResponse going = poll(sync);
        assertThat(going.httpStatus()).as(going.body()).isNotEqualTo(503);
        for (String p : fine) assertThat(hq.casesByExternalId(p)).as("the feed reads on").hasSize(1);

        // OpenMRS fixed: the two left are retried at the next poll, not after their back-off
        openmrs.wireMock().removeStub(down);
        for (JsonNode ev : ops("GET", "/failed-events", null).path("failedEvents")) ops("POST", "/failed-events/" + ev.path("id").asLong() + "/retry", null);
        MediatorResponse retried = poll(sync);
        assertThat(retried.status()).as(retried.body()).isNotEqualTo(MediatorStatus.FAILED);
        assertThat(store.failedEvents().count("patient")).isZero();
        assertThat(hq.casesByExternalId(broken.get(1))).hasSize(1);
        assertThat(hq.casesByExternalId(broken.get(2))).hasSize(1);
        assertThat(hq.casesByExternalId(broken.get(0))).as("skipped, never sent").isEmpty();
        assertThat(ops("GET", "/audit", null).at("/actions").findValuesAsText("action")).contains("skip", "retry");
    }
}
