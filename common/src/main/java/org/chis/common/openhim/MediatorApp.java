package org.chis.common.openhim;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.ops.OperatorEndpoints;
import org.chis.common.store.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every mediator's Main assembles: settings, the inbound server, the outbound recording client and the
 * link to OpenHIM core. Start order matters: listen first, then register, so core never routes to a closed port.
 */
public final class MediatorApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MediatorApp.class);
    /** System property: exit once started and registered (the AppCDS training run of ./suite and the images). */
    public static final String TRAINING_RUN = "chis.trainingRun";

    private final String name;
    private final Settings settings;
    private final MediatorServer server;
    private final RecordingHttpClient http;
    private final Map<String, Supplier<Object>> healthFacts = new LinkedHashMap<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private CoreLink coreLink;
    private RegistrationInfo registration;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MediatorApp(String name, Settings settings) {
        this.name = name;
        this.settings = settings;
        // the urn is needed before the server runs; read it from the template without filling anything yet
        this.registration = RegistrationInfo.load(settings);
        this.server = new MediatorServer(registration.urn(), settings);
        this.http = RecordingHttpClient.create(settings);
        server.health(this::healthFacts);
        // get the core link ready in parallel with the rest of start-up; it registers only in start()
        if (settings.getBool("core.register", true)) coreLink = CoreLink.prepare(settings, registration.urn());
    }

    public static MediatorApp create(String name, String[] args) { return new MediatorApp(name, Settings.load(name, args)); }

    public static MediatorApp create(String name, Settings settings) { return new MediatorApp(name, settings); }

    /** A mediator's {@code main}: start it from the command line's config, close it when the JVM stops. */
    public static MediatorApp run(Mediator mediator, String[] args) {
        MediatorApp app = start(mediator, Settings.load(mediator.name(), args));
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
        return app;
    }

    /** Creates the app for {@code mediator} with {@code settings} and {@link #start(Mediator) starts} it (tests, bench). */
    public static MediatorApp start(Mediator mediator, Settings settings) { return create(mediator.name(), settings).start(mediator); }

    /**
     * Installs {@code mediator} (store, recovery, routes), then listens and registers. Anything failing on the way
     * closes what was opened (store, server, core link) before it is thrown: a failed start leaves nothing running.
     */
    public MediatorApp start(Mediator mediator) {
        try {
            mediator.install(this);
            start();
            mediator.started(this);
            return this;
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    public String name() { return name; }

    public Settings settings() { return settings; }

    public RecordingHttpClient http() { return http; }

    public RegistrationInfo registration() { return registration; }

    public MediatorApp route(String method, String pathRegex, RequestHandler handler) {
        server.route(method, pathRegex, handler);
        return this;
    }

    /** An endpoint whose body must be one of {@code accepts} (e.g. {@link MediatorServer#JSON}); others get 415. */
    public MediatorApp route(String method, String pathRegex, List<String> accepts, RequestHandler handler) {
        server.route(method, pathRegex, accepts, handler);
        return this;
    }

    public MediatorApp healthFact(String name, Supplier<Object> fact) {
        healthFacts.put(name, fact);
        return this;
    }

    /** Closed with the app, in reverse order of adding (stores, schedulers). */
    public <T extends AutoCloseable> T closeWithApp(T resource) {
        resources.add(resource);
        // every mediator opens its store this way: that is where its operator endpoints and store gauges come from
        if (resource instanceof StateStore store) OperatorEndpoints.mount(server, server.metrics(), name, settings, store);
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
        // listening, routes installed, stores open: only now may core hear of the mediator and route to it
        if (coreLink != null) {
            coreLink.start(registration);
        } else {
            log.info("core.register=false: not registering with OpenHIM core");
        }
        if (Boolean.getBoolean(TRAINING_RUN)) exitAfterTraining();
        return this;
    }

    /**
     * {@code -Dchis.trainingRun=true}: start, register, answer one /health, then exit. With
     * {@code -XX:ArchiveClassesAtExit=app.jsa} this writes the AppCDS archive the real starts use
     * ({@code -XX:SharedArchiveFile=app.jsa}): the classes start-up loads, already parsed and verified.
     */
    private void exitAfterTraining() {
        Thread t = new Thread(() -> {
            int status = 0;
            try {
                if (coreLink != null && !coreLink.awaitRegistered(Duration.ofSeconds(20))) {
                    log.warn("training run: not registered within 20 s; the archive lacks the registration's classes");
                }
                try (var in = URI.create("http://127.0.0.1:" + port() + "/health").toURL().openStream()) {
                    in.readAllBytes();
                }
            } catch (Exception e) {
                log.warn("training run: {}", e.toString());
                status = 1;
            }
            close();
            log.info("training run done: exiting");
            System.exit(status);
        }, "training-run");
        t.start();
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
        if (closed.getAndSet(true)) return; // the training run and the shutdown hook may both close
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
