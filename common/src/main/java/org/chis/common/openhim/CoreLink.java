package org.chis.common.openhim;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mediator's life with OpenHIM core: register (retrying with backoff while core is down), optionally install
 * the default channels, then heartbeat with uptime; config returned by a heartbeat is applied to the settings;
 * a heartbeat answered 404 (mediator deleted in the console, core's database reset) registers again.
 */
public final class CoreLink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoreLink.class);

    private final CoreApi api;
    private final RegistrationInfo registration;
    private final Settings settings;
    private final Duration heartbeatPeriod;
    private final int configPullEvery;
    private final boolean installChannels;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "openhim-core-link");
        t.setDaemon(true);
        return t;
    });
    private final Instant started = Instant.now();
    private final CountDownLatch firstRegistration = new CountDownLatch(1);
    private volatile boolean registered;
    private volatile Instant registeredAt;
    private volatile long backoffMillis = 500;
    private long heartbeats;
    private volatile boolean closed;

    public CoreLink(CoreApi api, RegistrationInfo registration, Settings settings) {
        this.api = api;
        this.registration = registration;
        this.settings = settings;
        this.heartbeatPeriod = Duration.ofMillis(settings.getLong("mediator.heartbeat.periodMs", 10_000));
        // config:true every N heartbeats as well, so replicas sharing one urn all see console edits
        this.configPullEvery = settings.getInt("mediator.heartbeat.configPullEvery", 6);
        this.installChannels = settings.getBool("core.channels.install", false);
    }

    public void start() { scheduler.execute(this::register); }

    public boolean registered() { return registered; }

    /** When the first registration succeeded (null until then). */
    public Instant registeredAt() { return registeredAt; }

    public Instant startedAt() { return started; }

    public boolean awaitRegistered(Duration timeout) throws InterruptedException {
        return firstRegistration.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private String urnPath() { return "/mediators/" + URLEncoder.encode(registration.urn(), StandardCharsets.UTF_8); }

    private void register() {
        try {
            CoreApi.ApiResponse r = api.post("/mediators", Json.write(registration.json()));
            if (r.status() == 201 || r.status() == 200) {
                registered = true;
                backoffMillis = 500;
                if (registeredAt == null) {
                    registeredAt = Instant.now();
                    log.info("registered {} {} with OpenHIM core {} in {} ms", registration.urn(), registration.version(),
                            api.baseUrl(), Duration.between(started, registeredAt).toMillis());
                } else {
                    log.info("registered {} again with OpenHIM core", registration.urn());
                }
                if (installChannels) installDefaultChannels();
                firstRegistration.countDown();
                heartbeat(true);
                return;
            }
            log.error("OpenHIM core refused registration of {}: HTTP {} {}", registration.urn(), r.status(), r.body());
        } catch (Exception e) {
            if (closed) return;
            log.warn("OpenHIM core {} not reachable for registration ({}); retrying in {} ms", api.baseUrl(), e.getMessage(), backoffMillis);
        }
        later(this::register, backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, 30_000);
    }

    private void installDefaultChannels() {
        try {
            // core answers 500 for channels that exist already; only missing ones are installed
            CoreApi.ApiResponse existing = api.get("/channels");
            java.util.Set<String> have = new java.util.HashSet<>();
            if (existing.ok()) existing.json().forEach(c -> have.add(c.path("name").asText()));
            var missing = registration.defaultChannelNames().stream().filter(n -> !have.contains(n)).toList();
            if (missing.isEmpty()) return;
            CoreApi.ApiResponse r = api.post(urnPath() + "/channels", Json.write(missing));
            if (r.ok()) log.info("installed default channels {}", missing);
            else log.warn("could not install default channels {}: HTTP {} {}", missing, r.status(), r.body());
        } catch (Exception e) {
            log.warn("could not install default channels: {}", e.getMessage());
        }
    }

    private void heartbeat(boolean first) {
        boolean pullConfig = first || (configPullEvery > 0 && heartbeats % configPullEvery == 0);
        heartbeats++;
        try {
            var body = Json.object().put("uptime", Duration.between(started, Instant.now()).toSeconds());
            if (pullConfig) body.put("config", true);
            CoreApi.ApiResponse r = api.post(urnPath() + "/heartbeat", Json.write(body));
            if (r.status() == 404) {
                log.warn("OpenHIM core does not know {} any more (heartbeat 404): registering again", registration.urn());
                registered = false;
                scheduler.execute(this::register);
                return;
            }
            if (r.ok() && r.body() != null && !r.body().isBlank()) {
                JsonNode config = r.json();
                if (config.isObject() && config.size() > 0) {
                    settings.applyPushed(registration.toSettingKeys(config));
                }
            } else if (!r.ok()) {
                log.warn("heartbeat answered HTTP {} {}", r.status(), r.body());
            }
        } catch (Exception e) {
            if (closed) return;
            log.warn("heartbeat to OpenHIM core failed: {}", e.getMessage());
        }
        later(() -> heartbeat(false), heartbeatPeriod.toMillis());
    }

    private void later(Runnable task, long delayMillis) {
        if (!closed) scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
    }
}
