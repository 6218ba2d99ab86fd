package org.chis.common.openhim;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every mediator's Main assembles: settings, the inbound server, the outbound recording client and the
 * link to OpenHIM core. Start order matters: listen first, then register, so core never routes to a closed port.
 */
public final class MediatorApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MediatorApp.class);

    private final String name;
    private final Settings settings;
    private final MediatorServer server;
    private final RecordingHttpClient http;
    private final Map<String, Supplier<Object>> healthFacts = new LinkedHashMap<>();
    private final java.util.List<AutoCloseable> resources = new java.util.ArrayList<>();
    private CoreLink coreLink;
    private RegistrationInfo registration;

    private MediatorApp(String name, Settings settings) {
        this.name = name;
        this.settings = settings;
        // the urn is needed before the server runs; read it from the template without filling anything yet
        this.registration = RegistrationInfo.load(settings);
        this.server = new MediatorServer(registration.urn(), settings);
        this.http = RecordingHttpClient.create(settings);
        server.health(this::healthFacts);
    }

    public static MediatorApp create(String name, String[] args) { return new MediatorApp(name, Settings.load(name, args)); }

    public static MediatorApp create(String name, Settings settings) { return new MediatorApp(name, settings); }

    public String name() { return name; }

    public Settings settings() { return settings; }

    public RecordingHttpClient http() { return http; }

    public RegistrationInfo registration() { return registration; }

    public MediatorApp route(String method, String pathRegex, RequestHandler handler) {
        server.route(method, pathRegex, handler);
        return this;
    }

    public MediatorApp healthFact(String name, Supplier<Object> fact) {
        healthFacts.put(name, fact);
        return this;
    }

    /** Closed with the app, in reverse order of adding (stores, schedulers). */
    public <T extends AutoCloseable> T closeWithApp(T resource) {
        resources.add(resource);
        return resource;
    }

    public MediatorApp start() {
        if (settings.get("mediator.inbound.username", "").isEmpty()) {
            log.warn("mediator.inbound.username/password not set: anyone who can reach port {} may call this mediator",
                    settings.get("mediator.port", "8500"));
        }
        server.start();
        settings.override("mediator.port", String.valueOf(server.port()));
        registration = RegistrationInfo.load(settings);
        if (settings.getBool("core.register", true)) {
            coreLink = new CoreLink(CoreApi.fromSettings(settings), registration, settings);
            coreLink.start();
        } else {
            log.info("core.register=false: not registering with OpenHIM core");
        }
        return this;
    }

    public int port() { return server.port(); }

    public boolean awaitRegistered(Duration timeout) throws InterruptedException {
        return coreLink != null && coreLink.awaitRegistered(timeout);
    }

    public CoreLink coreLink() { return coreLink; }

    private Map<String, Object> healthFacts() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("registered", coreLink != null && coreLink.registered());
        healthFacts.forEach((k, v) -> {
            try {
                h.put(k, v.get());
            } catch (RuntimeException e) {
                h.put(k, "error: " + e.getMessage());
            }
        });
        return h;
    }

    @Override
    public void close() {
        if (coreLink != null) coreLink.close();
        server.close();
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                log.warn("closing {}: {}", resources.get(i), e.getMessage());
            }
        }
    }
}
