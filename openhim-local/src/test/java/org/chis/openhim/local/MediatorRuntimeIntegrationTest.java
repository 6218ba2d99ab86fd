package org.chis.openhim.local;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;
import org.chis.common.json.Json;
import org.chis.common.openhim.CoreApi;
import org.chis.common.openhim.CoreApiAuth;
import org.chis.common.store.Ledger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mediator runtime in common (MediatorApp, CoreLink, CoreApi, MediatorServer, RecordingHttpClient, Ledger,
 * Saga) against a REAL OpenHIM core 4.0.5, asserting what core stores: registration and default channel,
 * heartbeats, config pushed from the API, re-registration after a DELETE, registration once a late core appears,
 * UTF-8 and masked secrets in stored transactions, reruns from /tasks without duplicates, and saga rollbacks.
 */
class MediatorRuntimeIntegrationTest {
    static final String URN = "urn:mediator:chis-runtime-it";
    static final String CHANNEL = "Runtime IT chis-runtime-it";
    static final String UTF8_NAME = "José Ñandú 中文 ሰላም";
    static final String INBOUND_PASSWORD = "core-to-mediator-pw";
    /** Core 4.0.5 records its call of a channel's primary route as one more orchestration, named after the route. */
    static final String ROUTE = "runtime-it mediator";

    static OpenHimCore core;
    static CoreAdmin admin;
    static WireMockServer upstream;
    static PatientMediator main;
    static long startToRegisteredMillis;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp().rerunPollMillis(300).cacheRefreshMillis(500));
        admin = core.admin();
        admin.createClient("chis-app", "chis-app-pass", "chis");
        upstream = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        stubUpstream();
        long t0 = System.nanoTime();
        main = PatientMediator.start(URN, mediatorSettings(core.apiUrl(), Map.of("core.channels.install", "true")), dir.resolve("main"));
        assertThat(main.app.awaitRegistered(Duration.ofSeconds(30))).as("registered with core").isTrue();
        startToRegisteredMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("start-to-registered against the real core: " + startToRegisteredMillis + " ms (MediatorApp.start -> POST /mediators 201: "
                + Duration.between(main.app.coreLink().startedAt(), main.app.coreLink().registeredAt()).toMillis() + " ms)");
        awaitChannel(CHANNEL);
        admin.awaitRouterCache();
    }

    @AfterAll
    static void stop() {
        if (main != null) main.close();
        if (upstream != null) upstream.stop();
        if (core != null) core.close();
    }

    static Map<String, String> mediatorSettings(String coreApiUrl, Map<String, String> extra) {
        Map<String, String> s = new HashMap<>(core.settingsFor());
        s.put("core.api.url", coreApiUrl);
        s.put("mediator.port", "0");
        s.put("mediator.host", "127.0.0.1");
        s.put("mediator.inbound.username", "openhim-core");
        s.put("mediator.inbound.password", INBOUND_PASSWORD);
        s.put("mediator.heartbeat.periodMs", "500");
        s.put("upstream.url", upstream.baseUrl());
        s.put("greeting", "hello");
        s.put("retries", "3");
        s.putAll(extra);
        return s;
    }

    static void stubUpstream() {
        upstream.stubFor(post("/api/session").willReturn(json(200, "{\"authenticated\":true,\"sessionId\":\"s-1\"}")));
        // a created patient echoes what it was sent (UTF-8 in, UTF-8 out)
        upstream.stubFor(post("/api/patients").atPriority(5).willReturn(json(201, "{{{request.body}}}").withTransformers("response-template")));
        upstream.stubFor(post("/api/a").willReturn(json(201, "{\"id\":\"a-1\"}")));
        upstream.stubFor(post("/api/b").willReturn(json(201, "{\"id\":\"b-1\"}")));
        upstream.stubFor(post("/api/c").willReturn(json(500, "{\"error\":\"disk full\"}")));
        upstream.stubFor(delete(urlPathMatching("/api/(a|b)/.*")).willReturn(aResponse().withStatus(204)));
        // unmatched (e.g. DELETE of a patient that was never created) -> WireMock's 404, as a real API would
    }

    static ResponseDefinitionBuilder json(int status, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json; charset=utf-8").withBody(body);
    }

    static HttpResponse<String> router(String path, String jsonBody) throws Exception {
        return core.postToRouter(path, jsonBody, "chis-app", "chis-app-pass");
    }

    static JsonNode transactionWithBody(String path, String bodyPart, String status) {
        return admin.waitForTransaction(t -> t.path("request").path("path").asText().equals(path)
                && t.path("request").path("body").asText().contains(bodyPart) && t.path("status").asText().equals(status), Duration.ofSeconds(20));
    }

    static List<String> orchestrationNames(JsonNode tx) {
        List<String> names = new ArrayList<>();
        tx.path("orchestrations").forEach(o -> names.add(o.path("name").asText()));
        return names;
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        admin.await(what, timeout, condition);
    }

    static void awaitChannel(String name) throws Exception {
        await("channel " + name + " installed", Duration.ofSeconds(15), () -> channel(name) != null);
    }

    static JsonNode channel(String name) { return admin.channel(name).orElse(null); }

    static List<ServeEvent> upstreamCalls(String method, String path) {
        return upstream.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getMethod().getName().equals(method) && e.getRequest().getUrl().equals(path)).toList();
    }

    // ------------------------------------------------------------------------------------------------ 1. registration

    @Test
    void registrationIsStoredByCoreAndTheDefaultChannelIsInstalled() throws Exception {
        JsonNode mediator = null;
        for (JsonNode m : admin.api().get("/mediators").json()) if (m.path("urn").asText().equals(URN)) mediator = m;
        assertThat(mediator).as("GET /mediators lists " + URN).isNotNull();
        assertThat(mediator.path("version").asText()).isEqualTo("1.2.3");
        assertThat(mediator.path("name").asText()).isEqualTo("CHIS runtime integration test mediator");
        JsonNode endpoint = mediator.path("endpoints").get(0);
        assertThat(endpoint.path("host").asText()).isEqualTo("127.0.0.1");
        assertThat(endpoint.path("port").asInt()).isEqualTo(main.app.port());
        assertThat(mediator.path("defaultChannelConfig").get(0).path("name").asText()).isEqualTo(CHANNEL);
        assertThat(mediator.path("defaultChannelConfig").get(0).path("routes").get(0).path("port").asInt()).isEqualTo(main.app.port());
        List<String> params = new ArrayList<>();
        mediator.path("configDefs").forEach(d -> params.add(d.path("param").asText()));
        assertThat(params).containsExactly("upstreamUrl", "greeting", "retries");
        assertThat(mediator.path("config").path("upstreamUrl").asText()).isEqualTo(upstream.baseUrl());
        assertThat(mediator.path("config").path("retries").isNumber()).as("typed by configDefs: %s", mediator.path("config")).isTrue();

        JsonNode ch = channel(CHANNEL);
        assertThat(ch.path("urlPattern").asText()).isEqualTo("^/rt/.*$");
        assertThat(ch.path("allow").toString()).isEqualTo("[\"chis\"]");
        assertThat(ch.path("routes").get(0).path("port").asInt()).isEqualTo(main.app.port());
        assertThat(ch.path("routes").get(0).path("username").asText()).isEqualTo("openhim-core");
        assertThat(startToRegisteredMillis).isLessThan(30_000);
    }

    // -------------------------------------------------------------------------------------------------- 2. heartbeats

    @Test
    void heartbeatsAdvanceUptimeAndLastHeartbeatInCore() throws Exception {
        JsonNode first = admin.mediator(URN).orElseThrow();
        Instant firstBeat = Instant.parse(first.path("_lastHeartbeat").asText());
        JsonNode[] later = new JsonNode[1];
        await("a later heartbeat", Duration.ofSeconds(10), () -> {
            later[0] = admin.mediator(URN).orElseThrow();
            return later[0].path("_uptime").asDouble() > first.path("_uptime").asDouble()
                    && Instant.parse(later[0].path("_lastHeartbeat").asText()).isAfter(firstBeat);
        });
        assertThat(admin.heartbeatStatus().path("mediators").path(URN).isNumber()).isTrue();
    }

    // ----------------------------------------------------------------------------------------------- 3. config push

    @Test
    void configPutThroughTheApiReachesTheSettingsAtRuntime() throws Exception {
        String urn = "urn:mediator:chis-runtime-it-config";
        // heartbeats every 500 ms without config:true (but every 20th): a change normally comes back through core's
        // _configModifiedTS > _lastHeartbeat; the periodic pull covers core's race where a heartbeat in flight during
        // the PUT stamps _lastHeartbeat after _configModifiedTS and the change is never offered again
        try (PatientMediator m = PatientMediator.start(urn, mediatorSettings(core.apiUrl(), Map.of("mediator.heartbeat.configPullEvery", "20")),
                dir.resolve("config"))) {
            assertThat(m.app.awaitRegistered(Duration.ofSeconds(30))).isTrue();
            System.out.println("start-to-registered (second mediator in this JVM): " + m.startToRegistered().toMillis() + " ms");
            await("the first heartbeat's config applied", Duration.ofSeconds(10), () -> !m.changes.isEmpty());
            int before = m.changes.size();

            String body = Json.write(Json.object().put("upstreamUrl", upstream.baseUrl() + "/v2").put("greeting", "¡Hola, Ñandú!").put("retries", 5));
            CoreApi.ApiResponse put = admin.api().put("/mediators/" + urn + "/config", body);
            assertThat(put.status()).as(put.body()).isEqualTo(200);

            long t0 = System.nanoTime();
            await("pushed config in the settings", Duration.ofSeconds(20), () -> "¡Hola, Ñandú!".equals(m.app.settings().get("greeting", "")));
            System.out.println("config PUT -> settings changed in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            assertThat(m.app.settings().get("upstream.url", "")).isEqualTo(upstream.baseUrl() + "/v2"); // param -> its placeholder's key
            assertThat(m.app.settings().getInt("retries", 0)).isEqualTo(5);
            assertThat(m.changes.size()).isGreaterThan(before);
            assertThat(m.changes.get(m.changes.size() - 1)).containsEntry("greeting", "¡Hola, Ñandú!");
            // the handler reads the live settings
            HttpRequest hello = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.app.port() + "/rt/hello"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("openhim-core:" + INBOUND_PASSWORD).getBytes(StandardCharsets.UTF_8)))
                    .GET().build();
            String answer = http.send(hello, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
            assertThat(Json.parse(Json.parse(answer).path("response").path("body").asText()).path("greeting").asText()).isEqualTo("¡Hola, Ñandú!");
        }
    }

    // ------------------------------------------------------------------------------------------- 4. re-registration

    @Test
    void aMediatorDeletedInCoreRegistersAgainAfterTheNextHeartbeat() throws Exception {
        String urn = "urn:mediator:chis-runtime-it-reregister";
        try (PatientMediator m = PatientMediator.start(urn, mediatorSettings(core.apiUrl(), Map.of()), dir.resolve("reregister"))) {
            assertThat(m.app.awaitRegistered(Duration.ofSeconds(30))).isTrue();
            System.out.println("start-to-registered (another mediator in this JVM): " + m.startToRegistered().toMillis() + " ms");
            String firstId = admin.mediator(urn).orElseThrow().path("_id").asText();

            CoreApi.ApiResponse del = admin.api().delete("/mediators/" + urn);
            assertThat(del.status()).as(del.body()).isEqualTo(200);
            assertThat(admin.mediator(urn)).isEmpty();

            // the next heartbeat gets 404 and the mediator registers again: a new document in core
            JsonNode[] again = new JsonNode[1];
            await("re-registered", Duration.ofSeconds(15), () -> {
                again[0] = admin.mediator(urn).orElse(null);
                return again[0] != null && !again[0].path("_id").asText().equals(firstId);
            });
            assertThat(again[0].path("version").asText()).isEqualTo("1.2.3");
            await("heartbeats again", Duration.ofSeconds(10), () -> admin.mediator(urn).map(j -> j.has("_lastHeartbeat")).orElse(false));
            assertThat(m.app.coreLink().registered()).isTrue();
        }
    }

    // ----------------------------------------------------------------------------------------- 5. core down at start

    @Test
    void aMediatorStartedBeforeCoreRegistersOnceCoreAppears() throws Exception {
        String urn = "urn:mediator:chis-runtime-it-late-core";
        int port = OpenHimCore.freePort();
        try (PatientMediator m = PatientMediator.start(urn, mediatorSettings("https://127.0.0.1:" + port, Map.of()), dir.resolve("late"))) {
            // nothing listens on the port: registration fails and is retried with backoff
            assertThat(m.app.awaitRegistered(Duration.ofMillis(1200))).isFalse();
            assertThat(admin.mediator(urn)).isEmpty();

            long t0 = System.nanoTime();
            try (TcpRelay coreAppears = new TcpRelay(port, core.apiPort())) {
                assertThat(m.app.awaitRegistered(Duration.ofSeconds(30))).as("registered once core answers").isTrue();
                System.out.println("registered " + (System.nanoTime() - t0) / 1_000_000 + " ms after core appeared (backoff)");
                assertThat(admin.mediator(urn)).isPresent();
                m.close(); // stop heartbeats before the relay goes away
            }
        }
    }

    // ------------------------------------------------------------------------------------------- 6. UTF-8 + masking

    @Test
    void aUtf8RequestThroughTheRouterIsStoredIntactWithSecretsMasked() throws Exception {
        HttpResponse<String> r = router("/rt/patients", "{\"id\":\"p-utf8\",\"name\":\"" + UTF8_NAME + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Json.parse(r.body()).path("name").asText()).isEqualTo(UTF8_NAME);

        JsonNode tx = transactionWithBody("/rt/patients", "p-utf8", "Successful");
        assertThat(tx.path("request").path("body").asText()).contains(UTF8_NAME);
        assertThat(Json.parse(tx.path("response").path("body").asText()).path("name").asText()).isEqualTo(UTF8_NAME);
        assertThat(tx.path("clientID").asText()).isNotBlank();
        assertThat(orchestrationNames(tx)).containsExactly("upstream login", "create patient", ROUTE);
        JsonNode create = tx.path("orchestrations").get(1);
        assertThat(create.path("request").path("method").asText()).isEqualTo("POST");
        assertThat(create.path("request").path("path").asText()).isEqualTo("/api/patients");
        assertThat(create.path("request").path("body").asText()).contains(UTF8_NAME);
        assertThat(create.path("response").path("status").asInt()).isEqualTo(201);
        assertThat(Json.parse(create.path("response").path("body").asText()).path("name").asText()).isEqualTo(UTF8_NAME);
        assertThat(tx.path("orchestrations").get(0).path("request").path("body").asText()).contains("\"password\":\"****\"");
        // upstream got the name intact too
        assertThat(upstreamCalls("POST", "/api/patients")).anyMatch(e -> e.getRequest().getBodyAsString().contains(UTF8_NAME));

        // the raw stored JSON, as the console would fetch it: no upstream password, plain or inside a Basic header
        String stored = admin.api().get("/transactions/" + tx.path("_id").asText() + "?filterRepresentation=full").body();
        String basic = Base64.getEncoder().encodeToString((PatientMediator.UPSTREAM_USER + ":" + PatientMediator.UPSTREAM_PASSWORD).getBytes(StandardCharsets.UTF_8));
        assertThat(stored).contains(UTF8_NAME).doesNotContain(PatientMediator.UPSTREAM_PASSWORD).doesNotContain(basic)
                .doesNotContain(INBOUND_PASSWORD)
                .doesNotContain(Base64.getEncoder().encodeToString(("openhim-core:" + INBOUND_PASSWORD).getBytes(StandardCharsets.UTF_8)));
    }

    // -------------------------------------------------------------------------------------------------------- 7. rerun

    @Test
    void aFailedTransactionRerunFromTasksSucceedsOnceAndASecondRerunCreatesNothing() throws Exception {
        String uuid = PatientMediator.uuidOf("patient:p-rerun");
        var sameUuid = matchingJsonPath("$.uuid", equalTo(uuid));
        upstream.stubFor(post(urlPathEqualTo("/api/patients")).withRequestBody(sameUuid).atPriority(1).inScenario("rerun")
                .whenScenarioStateIs(STARTED).willReturn(json(500, "{\"error\":\"database is locked\"}")).willSetStateTo("recovered"));
        upstream.stubFor(post(urlPathEqualTo("/api/patients")).withRequestBody(sameUuid).atPriority(1).inScenario("rerun")
                .whenScenarioStateIs("recovered").willReturn(json(201, "{{{request.body}}}").withTransformers("response-template")));

        HttpResponse<String> r = router("/rt/patients", "{\"id\":\"p-rerun\",\"name\":\"Amina Njeri\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
        JsonNode failed = transactionWithBody("/rt/patients", "p-rerun", "Failed");
        assertThat(failed.path("response").path("status").asInt()).isEqualTo(502);
        // the planned uuid is deleted again (404: never created) so a rerun starts clean
        assertThat(orchestrationNames(failed)).containsExactly("upstream login", "create patient", "delete patient",
                "rollback: create patient", ROUTE);
        String failedId = failed.path("_id").asText();

        JsonNode task = admin.waitForTask(admin.rerun(failedId), Duration.ofSeconds(20));
        // core 4.0.5 leaves rerunStatus empty when a mediator sets the status (setFinalStatus skips
        // ctx.transactionStatus then); rerunID is set, and the child transaction has the real status
        String rerunId = task.path("transactions").get(0).path("rerunID").asText();
        assertThat(rerunId).as("task %s", task).isNotBlank();
        JsonNode child = admin.waitForTransaction(t -> t.path("_id").asText().equals(rerunId)
                && t.path("status").asText().equals("Successful"), Duration.ofSeconds(20));
        assertThat(child.path("parentID").asText()).isEqualTo(failedId);
        assertThat(admin.transaction(failedId).path("childIDs").toString()).contains(rerunId);
        assertThat(child.path("properties").path("attempt").asText()).isEqualTo("2");
        assertThat(createsOf(uuid, 201)).isEqualTo(1);

        // rerunning the now-successful transaction: answered from the ledger, nothing new upstream
        int callsBefore = createsOf(uuid, -1);
        String childId = child.path("_id").asText();
        JsonNode grandchild = admin.rerunAndWait(childId, Duration.ofSeconds(30));
        assertThat(grandchild.path("status").asText()).isEqualTo("Successful");
        assertThat(grandchild.path("parentID").asText()).isEqualTo(childId);
        assertThat(grandchild.path("properties").path("duplicate").asText()).isEqualTo("answered from the ledger");
        assertThat(orchestrationNames(grandchild)).as("no upstream call, only core's own route record").containsExactly(ROUTE);
        assertThat(Json.parse(grandchild.path("response").path("body").asText()).path("uuid").asText()).isEqualTo(uuid);
        assertThat(createsOf(uuid, -1)).isEqualTo(callsBefore);
        assertThat(createsOf(uuid, 201)).isEqualTo(1);
        Ledger.Entry entry = main.store.ledger().find("patient:p-rerun").orElseThrow();
        assertThat(entry.status()).isEqualTo(Ledger.Status.SUCCEEDED);
        assertThat(entry.attempts()).isEqualTo(2);
    }

    /** POST /api/patients calls upstream for this uuid answered {@code status} (-1 = any). */
    static int createsOf(String uuid, int status) {
        return (int) upstreamCalls("POST", "/api/patients").stream()
                .filter(e -> e.getRequest().getBodyAsString().contains(uuid) && (status < 0 || e.getResponse().getStatus() == status)).count();
    }

    // --------------------------------------------------------------------------------------------- 8. saga rollback

    @Test
    void aSagaFailingAtStepThreeRollsBackStepsTwoAndOneAndCoreShowsIt() throws Exception {
        HttpResponse<String> r = router("/rt/visits", "{\"id\":\"v-1\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(502);

        JsonNode tx = transactionWithBody("/rt/visits", "v-1", "Failed");
        // the compensators' DELETE calls, each followed by its rollback record; core appends its primary route call
        assertThat(orchestrationNames(tx)).containsExactly("create a", "create b", "create c",
                "delete b", "rollback: create b", "delete a", "rollback: create a", ROUTE);
        assertThat(tx.path("properties").path("rollback").asText()).isEqualTo("complete");
        assertThat(tx.path("orchestrations").get(2).path("response").path("status").asInt()).isEqualTo(500);
        assertThat(tx.path("orchestrations").get(3).path("request").path("path").asText()).isEqualTo("/api/b/b-1");
        assertThat(tx.path("orchestrations").get(4).path("request").path("path").asText()).isEqualTo("b/b-1");
        assertThat(tx.path("error").path("message").asText()).contains("create c");
        // upstream: both earlier creates deleted again, newest first; nothing of c to delete
        List<String> deletes = upstream.getAllServeEvents().stream().filter(e -> e.getRequest().getMethod().getName().equals("DELETE"))
                .sorted((x, y) -> x.getRequest().getLoggedDate().compareTo(y.getRequest().getLoggedDate()))
                .map(e -> e.getRequest().getUrl()).filter(u -> !u.startsWith("/api/patients")).toList();
        assertThat(deletes).containsExactly("/api/b/b-1", "/api/a/a-1");
    }

    // ------------------------------------------------------------------------------------------ core.api.auth=auto

    @Test
    void authAutoAgainstTheRealCoreEndsOnTokenAndRemembersIt() throws Exception {
        List<String> schemes = new ArrayList<>();
        OkHttpClient client = trustingCore().addInterceptor(chain -> {
            var req = chain.request();
            if (!req.url().encodedPath().startsWith("/authenticate/")) {
                schemes.add(req.header("Authorization") != null ? "basic" : req.header("auth-token") != null ? "token" : "none");
            }
            return chain.proceed(req);
        }).build();
        CoreApi api = new CoreApi(core.apiUrl(), OpenHimCore.ROOT_USER, OpenHimCore.ROOT_PASSWORD, CoreApiAuth.AUTO, client);
        assertThat(api.get("/about").status()).isEqualTo(200);
        assertThat(api.workingScheme()).isEqualTo(CoreApiAuth.TOKEN);
        assertThat(api.get("/mediators").status()).isEqualTo(200);
        assertThat(api.get("/channels").status()).isEqualTo(200);
        // one Basic attempt (401), then token only
        assertThat(schemes).containsExactly("basic", "token", "token", "token");
    }

    static OkHttpClient.Builder trustingCore() throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(core.certificatePem())) {
            ks.setCertificateEntry("core", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return new OkHttpClient.Builder().sslSocketFactory(ctx.getSocketFactory(), (X509TrustManager) tmf.getTrustManagers()[0])
                .hostnameVerifier((h, s) -> true);
    }
}
