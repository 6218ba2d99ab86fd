package org.chis.common.openhim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.testing.CoreStub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start order with OpenHIM core: the login is learnt while the mediator starts; core hears of it only once it listens. */
class MediatorAppStartTest {
    @TempDir
    Path dir;

    @Test
    void learnsTheLoginWhileStartingAndRegistersOnlyOnceListening() throws Exception {
        Files.writeString(dir.resolve("mediator-registration-info.json"), CoreLinkTest.TEMPLATE);
        try (CoreStub core = new CoreStub(CoreStub.Mode.TOKEN_ONLY)) { // core 4.x: Basic is refused with 401
            Map<String, String> m = new HashMap<>(Map.of("core.api.url", core.url(), "core.api.password", CoreStub.PASSWORD,
                    "core.api.auth", "auto", "mediator.host", "127.0.0.1", "mediator.bind", "127.0.0.1", "mediator.port", "0",
                    "openmrs.url", "http://openmrs", "feed.batchSize", "5"));
            try (MediatorApp app = MediatorApp.create("start-test", Settings.of(m, dir))) {
                CoreLinkTest.waitUntil(() -> core.count("GET", "/mediators/urn:mediator:test") > 0);
                Thread.sleep(200);
                assertThat(core.count("POST", "/mediators")).as("not advertised before it listens").isZero();
                int before = core.calls.size();

                app.start();
                assertThat(app.awaitRegistered(Duration.ofSeconds(5))).isTrue();
                List<CoreStub.Call> registration = core.calls.subList(before, core.calls.size()).stream()
                        .filter(c -> !c.path().endsWith("/heartbeat") && !c.path().endsWith("/channels")).toList();
                // the 401 of Basic and the salt were paid during start-up: registering is one call
                assertThat(registration).extracting(c -> c.method() + " " + c.path() + " " + c.scheme()).containsExactly("POST /mediators token");
            }
        }
    }
}
