package org.chis.common.openhim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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

    @Test
    void aMediatorWhoseInstallFailsLeavesNothingOpenAndOneThatInstallsIsStartedAndListens() throws Exception {
        Files.writeString(dir.resolve("mediator-registration-info.json"), CoreLinkTest.TEMPLATE);
        Settings s = Settings.of(Map.of("core.register", "false", "mediator.bind", "127.0.0.1", "mediator.port", "0"), dir);
        AtomicBoolean closed = new AtomicBoolean();
        Mediator broken = new Mediator() {
            public String name() { return "start-test"; }

            public void install(MediatorApp app) {
                app.closeWithApp(() -> closed.set(true)); // e.g. its state store
                throw new IllegalStateException("mapping file broken");
            }
        };
        assertThatThrownBy(() -> MediatorApp.start(broken, s)).hasMessage("mapping file broken");
        assertThat(closed).isTrue();

        AtomicInteger startedPort = new AtomicInteger();
        Mediator ok = new Mediator() {
            public String name() { return "start-test"; }

            public void install(MediatorApp app) { app.healthFact("installed", () -> true); }

            public void started(MediatorApp app) { startedPort.set(app.port()); }
        };
        try (MediatorApp app = MediatorApp.start(ok, s)) {
            assertThat(app.port()).isPositive().isEqualTo(startedPort.get());
            try (var in = URI.create("http://127.0.0.1:" + app.port() + "/health").toURL().openStream()) {
                assertThat(new String(in.readAllBytes())).contains("installed");
            }
        }
    }
}
