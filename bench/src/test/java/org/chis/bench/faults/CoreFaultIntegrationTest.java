package org.chis.bench.faults;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.bench.ChildJvm;
import org.chis.bench.Upstream;
import org.chis.bench.overhead.PassThroughMediator;
import org.chis.common.json.Json;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.openhim.local.OpenHimCore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Faults around a real OpenHIM core 4.0.5 with the pass-through mediator in its own JVM: core is not there when the
 * mediator starts (it keeps serving and registers once core is up), then every credential in play is grepped for in
 * the mediator's log and in core's stored transactions (orchestrations and responses).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CoreFaultIntegrationTest {
    static final String URN = "urn:mediator:chis-bench-passthrough";
    static final String INBOUND_PASSWORD = "Inb0und-S3cret-pw";
    static final String UPSTREAM_USER = "upstream-user";
    static final String UPSTREAM_PASSWORD = "Upstr3am-S3cret-pw";
    static final String CLIENT_PASSWORD = "Cl1ent-S3cret-pw";
    static final String BODY_SECRET = "B0dy-S3cret-pw";

    static OpenHimCore core;
    static ChildJvm mediator;
    static Upstream upstream;
    static Path log;

    @AfterAll
    static void stop() throws Exception {
        if (mediator != null) mediator.close();
        if (core != null) core.close();
        if (upstream != null) upstream.close();
        FaultReport.print();
    }

    @Test
    @Order(1)
    void mediatorStartedWhileCoreIsDownRegistersWhenCoreComesUp() throws Exception {
        int apiPort;
        try (ServerSocket s = new ServerSocket(0)) {
            apiPort = s.getLocalPort();
        }
        upstream = Upstream.recording(0);
        upstream.wireMock().stubFor(post(urlPathEqualTo("/echo")).withRequestBody(containing("\"fail\":true")).willReturn(aResponse().withStatus(500)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":\"upstream broke\",\"password\":\"" + UPSTREAM_PASSWORD + "\"}")));
        log = Files.createTempDirectory("fault-core").resolve("mediator.log");
        Map<String, String> s = MediatorTestSettings.registeredWith(Map.of("core.api.url", "https://127.0.0.1:" + apiPort,
                        "core.api.user", OpenHimCore.ROOT_USER, "core.api.password", OpenHimCore.ROOT_PASSWORD,
                        // core's certificate file does not exist before core does; this test is about reconnecting, not TLS pinning
                        "core.api.trustAll", "true"))
                .inbound("openhim-core", INBOUND_PASSWORD)
                .upstream("upstream", upstream.echoUrl(), UPSTREAM_USER, UPSTREAM_PASSWORD)
                .map();
        List<String> args = new ArrayList<>();
        s.forEach((k, v) -> args.add(k + "=" + v));
        mediator = ChildJvm.launch("192m", PassThroughMediator.class, log, args);
        int port = mediator.awaitReady(Duration.ofSeconds(60));
        String base = "http://127.0.0.1:" + port;
        Thread.sleep(3000); // core stays away for a while: several registration attempts fail meanwhile
        List<String> seen = new ArrayList<>();
        int tried = 0;
        int survived = 0;
        boolean unregistered = Http.get(base + "/health").body().contains("\"registered\":false");
        tried++;
        if (unregistered) survived++;
        seen.add("3 s without core: /health registered=false " + unregistered);
        Http.Reply served = Http.postJson(base + "/pass", "{\"while\":\"core down\"}", Http.basic("openhim-core:" + INBOUND_PASSWORD));
        tried++;
        if (served.status() == 200) survived++;
        seen.add("still serving meanwhile: " + served.status());

        long coreStart = System.nanoTime();
        core = OpenHimCore.start(OpenHimCore.Options.temp().apiPort(apiPort));
        long coreUp = System.nanoTime();
        boolean registered = false;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline && !(registered = Http.get(base + "/health").body().contains("\"registered\":true"))) Thread.sleep(100);
        long after = (System.nanoTime() - coreUp) / 1_000_000;
        boolean known = core.admin().mediator(URN).isPresent();
        tried++;
        if (registered && known) survived++;
        seen.add("core took " + (coreUp - coreStart) / 1_000_000 + " ms to start; mediator registered " + after
                + " ms after core was up (retry backoff 0.5 s doubling to 30 s); core knows the urn: " + known);
        FaultReport.record("OpenHIM core down at mediator start, then started", tried, survived, String.join("; ", seen));
        assertThat(survived).as(String.join("\n", seen)).isEqualTo(tried);
    }

    @Test
    @Order(2)
    void credentialsNeverReachLogsOrCoreTransactions() throws Exception {
        assertThat(core).as("needs the core of the previous test").isNotNull();
        core.admin().createClient("emr-fault", CLIENT_PASSWORD, "chis");
        core.admin().awaitRouterCache();
        String auth = Http.basic("emr-fault:" + CLIENT_PASSWORD);
        String body = "{\"patient\":\"10001-A\",\"password\":\"" + BODY_SECRET + "\",\"visit\":{\"api_key\":\"" + BODY_SECRET + "\"}}";
        int ok = 0;
        for (int i = 0; i < 5; i++) if (Http.postJson(core.routerUrl() + "/pass", body, auth).status() == 200) ok++;
        // a failing upstream whose error body carries a password: the orchestration must mask it
        var failing = HttpRequest.newBuilder(URI.create(core.routerUrl() + "/pass"))
                .header("Content-Type", "application/json").header("Authorization", auth)
                .POST(HttpRequest.BodyPublishers.ofString(body.replace("{", "{\"fail\":true,"))).build();
        int failStatus = Http.CLIENT.send(failing, HttpResponse.BodyHandlers.ofString()).statusCode();
        JsonNode last = core.admin().waitForTransaction(t -> t.path("status").asText().equals("Failed"), Duration.ofSeconds(20));
        assertThat(last).isNotNull();
        // wait until all 6 transactions are stored with their final status
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        var txs = core.admin().transactions();
        while (System.nanoTime() < deadline && (txs.size() < 6 || txs.findValuesAsText("status").contains("Processing"))) {
            Thread.sleep(200);
            txs = core.admin().transactions();
        }
        StringBuilder recorded = new StringBuilder();
        StringBuilder all = new StringBuilder();
        int orchestrations = 0;
        int coreKeptClientAuth = 0;
        for (JsonNode t : txs) {
            recorded.append(Json.write(t.path("orchestrations"))).append(Json.write(t.path("response")));
            orchestrations += t.path("orchestrations").size();
            JsonNode copy = t.deepCopy();
            // core 4.0.5 itself keeps the client's request headers, Authorization included: core's record of what
            // the client sent, not something a mediator writes or can prevent; counted apart
            if (copy.path("request").path("headers") instanceof ObjectNode h && h.remove("authorization") != null) {
                coreKeptClientAuth++;
            }
            all.append(Json.write(copy));
        }
        String logText = Files.readString(log, StandardCharsets.UTF_8);
        Files.writeString(log.resolveSibling("transactions.json"), Json.write(txs)); // kept for a look when a leak is found
        Map<String, String> credentials = new LinkedHashMap<>();
        credentials.put("upstream password", UPSTREAM_PASSWORD);
        credentials.put("upstream Basic header", b64(UPSTREAM_USER + ":" + UPSTREAM_PASSWORD));
        credentials.put("inbound password", INBOUND_PASSWORD);
        credentials.put("core route Basic header", b64("openhim-core:" + INBOUND_PASSWORD));
        credentials.put("core API password", OpenHimCore.ROOT_PASSWORD);
        credentials.put("client password", CLIENT_PASSWORD);
        credentials.put("client Basic header", b64("emr-fault:" + CLIENT_PASSWORD));
        List<String> leaks = new ArrayList<>();
        int tried = 0;
        for (var c : credentials.entrySet()) {
            for (String form : List.of(c.getValue(), URLEncoder.encode(c.getValue(), StandardCharsets.UTF_8))) {
                tried += 2;
                if (logText.contains(form)) leaks.add(c.getKey() + " in the mediator log");
                if (all.toString().contains(form)) leaks.add(c.getKey() + " in core's stored transactions");
            }
        }
        // a secret field in the client's body: core keeps the request as the client sent it (core's record, not
        // ours), but the mediator's orchestrations and response must show it masked
        tried += 2;
        if (recorded.toString().contains(BODY_SECRET)) leaks.add("password field of the request body in orchestrations/response");
        if (logText.contains(BODY_SECRET)) leaks.add("password field of the request body in the mediator log");
        String detail = txs.size() + " transactions (" + ok + "/5 answered 200, the one with a failing upstream " + failStatus + "), " + orchestrations + " orchestrations, " + logText.lines().count() + " log lines grepped for "
                + credentials.size() + " credentials (raw and URL-encoded) and a body password field: "
                + (leaks.isEmpty() ? "none found" : "FOUND " + leaks)
                + (coreKeptClientAuth == 0 ? "" : "; note: core 4.0.5 itself stores the client's Authorization header in transaction.request.headers ("
                        + coreKeptClientAuth + "/" + txs.size() + " transactions): not mediator output, see bench/README.md");
        FaultReport.record("credentials in logs or core's transactions/orchestrations (grep)", tried, tried - leaks.size(), detail);
        assertThat(ok).isEqualTo(5);
        assertThat(leaks).as(detail).isEmpty();
    }

    private static String b64(String s) { return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)); }
}
