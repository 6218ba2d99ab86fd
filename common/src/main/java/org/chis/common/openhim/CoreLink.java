package org.chis.common.openhim;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mediator's life with OpenHIM core: prepare while the mediator starts (API client, login scheme, TLS
 * connection; nothing that advertises the mediator), register (retrying with backoff while core is down), optionally install
 * the default channels, then heartbeat with uptime; config returned by a heartbeat is applied to the settings;
 * a heartbeat answered 404 (mediator deleted in the console, core's database reset) registers again.
 */
public final class CoreLink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoreLink.class);

    private final CompletableFuture<CoreApi> apiReady = new CompletableFuture<>();
    private volatile CoreApi api;
    private volatile RegistrationInfo registration;
    private final Settings settings;
    private final Duration heartbeatPeriod;
    private final int configPullEvery;
    private final boolean installChannels;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "openhim-core-link");
        t.setDaemon(true);
        return t;
    });
    private volatile Instant started = Instant.now();
    private final CountDownLatch firstRegistration = new CountDownLatch(1);
    private volatile boolean registered;
    private volatile Instant registeredAt;
    private volatile long backoffMillis = 500;
    private long heartbeats;
    private volatile boolean closed;

    public CoreLink(CoreApi api, RegistrationInfo registration, Settings settings) {
        this(settings);
        this.api = api;
        this.registration = registration;
        apiReady.complete(api);
    }

    private CoreLink(Settings settings) {
        this.settings = settings;
        this.heartbeatPeriod = Duration.ofMillis(settings.getLong("mediator.heartbeat.periodMs", 10_000));
        // config:true every N heartbeats as well, so replicas sharing one urn all see console edits
        this.configPullEvery = settings.getInt("mediator.heartbeat.configPullEvery", 6);
        this.installChannels = settings.getBool("core.channels.install", false);
    }

    /**
     * Starts getting ready while the mediator is still starting (stores, mappings, HTTP server): builds the API
     * client (TLS trust) and sends one read-only call, {@code GET /mediators/{urn}}, which learns the login scheme
     * (auto: the 401 of Basic on core 4.x is paid here) and the token salt and loads the client's classes. Core hears
     * of the mediator only in {@link #start(RegistrationInfo)}, once it can serve.
     */
    public static CoreLink prepare(Settings settings, String urn) {
        CoreLink link = new CoreLink(settings);
        link.scheduler.execute(() -> link.prepareLogin(urn));
        return link;
    }

    private void prepareLogin(String urn) {
        CoreApi a;
        try {
            a = CoreApi.fromSettings(settings);
            apiReady.complete(a);
        } catch (RuntimeException e) {
            apiReady.completeExceptionally(e); // start() reports it (bad certificate file, missing password)
            return;
        }
        try {
            CoreApi.ApiResponse r = a.get("/mediators/" + URLEncoder.encode(urn, StandardCharsets.UTF_8));
            log.debug("OpenHIM core login check: GET /mediators/{} answered {}", urn, r.status());
        } catch (Exception e) {
            if (!closed) log.debug("OpenHIM core not reachable yet ({}); registration will retry", e.getMessage());
        }
    }

    /** Registers (in the background, retrying) with the registration as filled once the server listens. */
    public void start(RegistrationInfo registration) {
        try {
            this.api = apiReady.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw e;
        }
        this.registration = registration;
        this.started = Instant.now();
        scheduler.execute(this::register);
    }

    public void start() { start(registration); }

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
            Set<String> have = new HashSet<>();
            if (existing.ok()) existing.json().forEach(c -> have.add(c.path("name").asText()));
            var missing = registration.defaultChannelNames().stream().filter(n -> !have.contains(n)).toList();
            if (missing.isEmpty()) return;
            CoreApi.ApiResponse r = api.post(urnPath() + "/channels", Json.write(missing));
            if (!r.ok()) {
                log.warn("could not install default channels {}: HTTP {} {}", missing, r.status(), r.body());
                return;
            }
            log.info("installed default channels {}", missing);
            schedulePolling(missing);
        } catch (Exception e) {
            log.warn("could not install default channels: {}", e.getMessage());
        }
    }

    /**
     * Core (4.0.5 to 8.5.0) saves channels installed with {@code POST /mediators/<urn>/channels} without scheduling
     * the polling ones: they would first poll after core restarts. An update of the channel schedules it, so each
     * just-installed polling channel gets a {@code PUT /channels/<id>} that changes nothing.
     */
    private void schedulePolling(List<String> installed) throws IOException {
        Set<String> polling = new HashSet<>();
        registration.json().path("defaultChannelConfig").forEach(c -> {
            if ("polling".equals(c.path("type").asText()) && installed.contains(c.path("name").asText())) polling.add(c.path("name").asText());
        });
        if (polling.isEmpty()) return;
        CoreApi.ApiResponse channels = api.get("/channels");
        if (!channels.ok()) {
            log.warn("cannot schedule polling channels {}: GET /channels answered HTTP {}", polling, channels.status());
            return;
        }
        for (JsonNode c : channels.json()) {
            String name = c.path("name").asText();
            if (!polling.contains(name)) continue;
            var same = Json.object().put("pollingSchedule", c.path("pollingSchedule").asText());
            CoreApi.ApiResponse r = api.put("/channels/" + c.path("_id").asText(), Json.write(same));
            if (r.ok()) log.info("scheduled polling channel '{}' ({})", name, same.path("pollingSchedule").asText());
            else log.warn("could not schedule polling channel '{}': HTTP {} {}", name, r.status(), r.body());
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
