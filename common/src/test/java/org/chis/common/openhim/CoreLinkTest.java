package org.chis.common.openhim;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.testing.CoreStub;
import org.junit.jupiter.api.Test;

class CoreLinkTest {
    static final String TEMPLATE = """
            {"urn":"urn:mediator:test","version":"1.2.3","name":"Test","endpoints":[{"name":"e","host":"${mediator.host}","port":"${mediator.port}","path":"/","type":"http"}],
             "defaultChannelConfig":[{"name":"Test channel","urlPattern":"^/t$","routes":[{"name":"r","host":"${mediator.host}","port":"${mediator.port}","primary":true}]}],
             "configDefs":[{"param":"openmrsUrl","displayName":"OpenMRS","type":"string"},{"param":"batchSize","displayName":"Batch","type":"number"}],
             "config":{"openmrsUrl":"${openmrs.url}","batchSize":"${feed.batchSize}"}}""";

    static Settings settings(int corePort) {
        Map<String, String> m = new HashMap<>(Map.of("core.api.url", "http://127.0.0.1:" + corePort, "core.api.password", CoreStub.PASSWORD,
                "mediator.host", "mediator.example", "mediator.port", "8555", "openmrs.url", "http://openmrs:8080/openmrs",
                "feed.batchSize", "50", "mediator.heartbeat.periodMs", "100"));
        m.put("core.channels.install", "true");
        return Settings.of(m);
    }

    @Test
    void registrationFillsPlaceholdersAndKeepsConfigTypes() {
        RegistrationInfo r = RegistrationInfo.fromTemplate(TEMPLATE, settings(1));
        assertThat(r.json().at("/endpoints/0/host").asText()).isEqualTo("mediator.example");
        assertThat(r.json().at("/defaultChannelConfig/0/routes/0/port").asText()).isEqualTo("8555");
        assertThat(r.json().at("/config/openmrsUrl").asText()).isEqualTo("http://openmrs:8080/openmrs");
        assertThat(r.json().at("/config/batchSize").isNumber()).isTrue();
        assertThat(r.toSettingKeys(Json.parse("{\"batchSize\":75,\"openmrsUrl\":\"http://x\"}")))
                .containsEntry("feed.batchSize", "75").containsEntry("openmrs.url", "http://x");
    }

    @Test
    void anUnsetNumberIsLeftOutOfTheConfigBecauseCoreRefusesAnEmptyString() {
        Settings s = Settings.of(Map.of("mediator.host", "m", "mediator.port", "1", "openmrs.url", "http://openmrs:8080/openmrs"));
        RegistrationInfo r = RegistrationInfo.fromTemplate(TEMPLATE, s);
        assertThat(r.json().at("/config").has("batchSize")).isFalse();
        assertThat(r.toSettingKeys(Json.parse("{\"batchSize\":75}"))).containsEntry("feed.batchSize", "75");
    }

    @Test
    void registersHeartbeatsAndAppliesConfigPushedByCore() throws Exception {
        try (CoreStub core = new CoreStub(CoreStub.Mode.TOKEN_ONLY)) {
            Settings s = settings(core.port());
            try (CoreLink link = new CoreLink(CoreApi.fromSettings(s), RegistrationInfo.fromTemplate(TEMPLATE, s), s)) {
                link.start();
                assertThat(link.awaitRegistered(Duration.ofSeconds(5))).isTrue();
                assertThat(core.mediators).containsKey("urn:mediator:test");
                assertThat(core.count("POST", "/mediators/urn:mediator:test/channels")).isEqualTo(1);
                core.pendingConfig.put("urn:mediator:test", Json.object().put("openmrsUrl", "http://new-openmrs/openmrs").put("batchSize", 20));
                waitUntil(() -> s.get("openmrs.url", "").equals("http://new-openmrs/openmrs"));
                assertThat(s.getInt("feed.batchSize", 0)).isEqualTo(20);
                assertThat(core.calls.stream().filter(c -> c.path().endsWith("/heartbeat")).findFirst().orElseThrow().body()).contains("\"config\":true");
            }
        }
    }

    @Test
    void registersAgainWhenCoreForgetsTheMediator() throws Exception {
        try (CoreStub core = new CoreStub(CoreStub.Mode.BOTH)) {
            Settings s = settings(core.port());
            try (CoreLink link = new CoreLink(CoreApi.fromSettings(s), RegistrationInfo.fromTemplate(TEMPLATE, s), s)) {
                link.start();
                assertThat(link.awaitRegistered(Duration.ofSeconds(5))).isTrue();
                core.mediators.clear(); // deleted in the console: heartbeats now get 404
                waitUntil(() -> core.mediators.containsKey("urn:mediator:test"));
                assertThat(core.count("POST", "/mediators")).isGreaterThanOrEqualTo(2);
            }
        }
    }

    @Test
    void keepsTryingWhileCoreIsDownAndRegistersWhenItComesUp() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) { port = free.getLocalPort(); }
        Settings s = settings(port);
        try (CoreLink link = new CoreLink(CoreApi.fromSettings(s), RegistrationInfo.fromTemplate(TEMPLATE, s), s)) {
            link.start();
            Thread.sleep(1500); // a few refused attempts
            assertThat(link.registered()).isFalse();
            try (CoreStub core = new CoreStub(CoreStub.Mode.TOKEN_ONLY, port)) {
                assertThat(link.awaitRegistered(Duration.ofSeconds(10))).isTrue();
                assertThat(core.mediators).containsKey("urn:mediator:test");
            }
        }
    }

    static void waitUntil(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("condition not met within 10 s");
            Thread.sleep(50);
        }
    }
}
