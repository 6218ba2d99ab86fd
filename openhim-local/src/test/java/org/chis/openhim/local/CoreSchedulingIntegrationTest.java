package org.chis.openhim.local;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.CoreLink;
import org.chis.common.openhim.RegistrationInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What core's own schedulers do with the channels a mediator installs, against a real core: a polling channel
 * installed through {@code POST /mediators/<urn>/channels} polls on its schedule (nobody triggers it), and a
 * channel with auto-retry reruns a transiently failed transaction by itself, which then ends Successful once.
 */
class CoreSchedulingIntegrationTest {
    static OpenHimCore core;
    static CoreAdmin admin;

    @BeforeAll
    static void start() throws Exception {
        // rerun tasks (auto-retry creates one) picked up within 1 s (default), channels routed within 0.5 s
        core = OpenHimCore.start(OpenHimCore.Options.temp().cacheRefreshMillis(500));
        admin = core.admin();
        admin.createClient("sched-app", "sched-app-pass", "chis");
    }

    @AfterAll
    static void stop() {
        if (core != null) core.close();
    }

    @Test
    void aPollingChannelInstalledByTheMediatorIsPolledByCoreWithoutATrigger() throws Exception {
        try (Upstream upstream = new Upstream()) {
            String template = """
                {"urn": "urn:mediator:chis-sched-poll", "version": "1.0.0", "name": "polling schedule test",
                 "endpoints": [{"name": "poll endpoint", "host": "127.0.0.1", "port": "%1$d", "path": "/", "type": "http"}],
                 "defaultChannelConfig": [
                   {"name": "Scheduled poll", "urlPattern": "^/sched/poll$", "type": "polling", "pollingSchedule": "2 seconds",
                    "allow": [], "methods": [], "status": "enabled",
                    "routes": [{"name": "poll route", "host": "127.0.0.1", "port": "%1$d", "path": "/sched/poll", "primary": true, "type": "http"}]}
                 ]}
                """.formatted(upstream.port());
            Map<String, String> s = new HashMap<>(core.settingsFor());
            s.put("core.channels.install", "true");
            s.put("mediator.heartbeat.periodMs", "60000");
            Settings settings = Settings.of(s);
            try (CoreLink link = new CoreLink(core.api(), RegistrationInfo.fromTemplate(template, settings), settings)) {
                long t0 = System.nanoTime();
                link.start();
                assertThat(link.awaitRegistered(Duration.ofSeconds(20))).isTrue();
                // agenda looks for due jobs every 5 s; a channel that is not scheduled never polls
                admin.await("core polls the installed channel by itself", Duration.ofSeconds(30),
                        () -> upstream.hits.stream().anyMatch(h -> h.path().equals("/sched/poll")));
                System.out.println("first poll by core " + (System.nanoTime() - t0) / 1_000_000 + " ms after the mediator started");
            }
            // core records a poll as a GET of its polling listener's /trigger on the channel
            String channelId = admin.channel("Scheduled poll").orElseThrow().path("_id").asText();
            JsonNode tx = admin.waitForTransaction(t -> t.path("channelID").asText().equals(channelId)
                    && !t.path("status").asText().equals("Processing"), Duration.ofSeconds(10));
            assertThat(tx.path("request").path("path").asText()).isEqualTo("/trigger");
            assertThat(tx.path("status").asText()).isEqualTo("Successful");
        }
    }

    @Test
    void aTransientUpstreamFailureIsRetriedByCoreAndEndsSuccessfulOnce() throws Exception {
        WireMockServer upstream = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        String urn = "urn:mediator:chis-sched-retry";
        try {
            upstream.stubFor(post("/api/session").willReturn(MediatorRuntimeIntegrationTest.json(200, "{\"authenticated\":true,\"sessionId\":\"s-1\"}")));
            String uuid = PatientMediator.uuidOf("patient:p-auto");
            var sameUuid = matchingJsonPath("$.uuid", equalTo(uuid));
            // OpenMRS-style transient failure first, then the create goes through
            upstream.stubFor(post(urlPathEqualTo("/api/patients")).withRequestBody(sameUuid).inScenario("auto").whenScenarioStateIs(STARTED)
                    .willReturn(MediatorRuntimeIntegrationTest.json(503, "{\"error\":{\"message\":\"Service Unavailable\"}}")).willSetStateTo("up"));
            upstream.stubFor(post(urlPathEqualTo("/api/patients")).withRequestBody(sameUuid).inScenario("auto").whenScenarioStateIs("up")
                    .willReturn(MediatorRuntimeIntegrationTest.json(201, "{{{request.body}}}").withTransformers("response-template")));
            upstream.stubFor(WireMock.delete(WireMock.urlPathMatching("/api/patients/.*"))
                    .willReturn(aResponse().withStatus(404)));

            // the shipped channels' choice (mediator-configs), with the shortest period core allows
            ObjectNode template = (ObjectNode) Json.parse(PatientMediator.registrationTemplate(urn));
            ((ObjectNode) template.path("defaultChannelConfig").get(0)).put("autoRetryEnabled", true)
                    .put("autoRetryPeriodMinutes", 1).put("autoRetryMaxAttempts", 3);
            Map<String, String> s = new HashMap<>(core.settingsFor());
            s.put("mediator.port", "0");
            s.put("mediator.host", "127.0.0.1");
            s.put("mediator.inbound.username", "openhim-core");
            s.put("mediator.inbound.password", "core-to-mediator-pw");
            s.put("upstream.url", upstream.baseUrl());
            s.put("greeting", "hello");
            s.put("retries", "3");
            s.put("core.channels.install", "true");
            try (PatientMediator m = PatientMediator.start(urn, s, core.workDir().resolve("retry-mediator"), Json.write(template))) {
                assertThat(m.app.awaitRegistered(Duration.ofSeconds(30))).isTrue();
                admin.await("channel installed", Duration.ofSeconds(15), () -> admin.channel("Runtime IT chis-sched-retry").isPresent());
                admin.awaitRouterCache();

                long t0 = System.nanoTime();
                HttpResponse<String> r = core.postToRouter("/rt/patients", "{\"id\":\"p-auto\",\"name\":\"Wanjiru Auto\"}", "sched-app", "sched-app-pass");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
                JsonNode failed = admin.waitForTransaction(t -> t.path("request").path("body").asText().contains("p-auto")
                        && t.path("status").asText().equals("Failed"), Duration.ofSeconds(20));
                String failedId = failed.path("_id").asText();
                // core writes the mediator's status with the response and sets autoRetry in a later update
                // (messageStore storeResponse, then setFinalStatus), so a read in between sees Failed without it
                admin.await("core queues the failure for auto-retry: " + failed, Duration.ofSeconds(10),
                        () -> admin.transaction(failedId).path("autoRetry").asBoolean());

                // core's agenda looks at the AutoRetry queue once a minute
                JsonNode child = admin.waitForTransaction(t -> t.path("parentID").asText().equals(failedId)
                        && t.path("status").asText().equals("Successful"), Duration.ofSeconds(150));
                System.out.println("auto-retried by core and Successful " + (System.nanoTime() - t0) / 1_000_000 + " ms after the failure");
                assertThat(child.path("autoRetryAttempt").asInt()).isEqualTo(1);
                Thread.sleep(1_500); // nothing more may follow
                List<JsonNode> all = new ArrayList<>();
                admin.transactions().forEach(t -> { if (t.path("request").path("body").asText().contains("p-auto")) all.add(t); });
                assertThat(all).as("the failure and its one retry").hasSize(2);
                long created = upstream.getAllServeEvents().stream().filter(e -> e.getRequest().getUrl().equals("/api/patients")
                        && e.getResponse().getStatus() == 201).count();
                assertThat(created).as("patient created upstream exactly once").isEqualTo(1);
            }
        } finally {
            upstream.stop();
        }
    }
}
