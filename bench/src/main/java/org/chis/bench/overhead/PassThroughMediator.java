package org.chis.bench.overhead;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import okhttp3.Request;
import org.chis.bench.ProcessMemory;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorResponse;

/**
 * The thinnest real mediator: the common runtime (MediatorApp, MediatorServer, RecordingHttpClient) and one
 * route, {@code POST /pass}, that checks the body is a JSON object and sends it to {@code upstream.url}. Whatever
 * it costs over calling the upstream directly is the runtime's overhead. Run as a child JVM
 * ({@code main(key=value ...)}, prints {@code READY port=<n>}) or in-process ({@link #create}).
 */
public final class PassThroughMediator {
    private PassThroughMediator() {}

    public static MediatorApp create(Map<String, String> values) throws IOException {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("mediator.host", "127.0.0.1");
        s.put("mediator.bind", "127.0.0.1");
        s.put("mediator.port", "0");
        s.put("core.register", "false");
        s.putAll(values);
        Settings settings = Settings.of(s, configDir());
        MediatorApp app = MediatorApp.create("bench-passthrough", settings);
        String upstream = settings.require("upstream.url");
        // optional upstream credentials: the fault suite checks they never reach logs or core's transactions
        String user = settings.get("upstream.user", "");
        String credentials = user.isEmpty() ? null : okhttp3.Credentials.basic(user, settings.get("upstream.password", ""));
        RecordingHttpClient http = app.http();
        app.route("POST", "/pass", (req, tx) -> {
            var body = req.json();
            if (!body.isObject()) throw new BadInputException("a JSON object is expected, got " + body.getNodeType().name().toLowerCase());
            Request.Builder call = new Request.Builder().url(upstream).post(RecordingHttpClient.jsonBody(req.body()));
            if (credentials != null) call.header("Authorization", credentials);
            UpstreamResponse r = http.send(tx, "upstream echo", call.build());
            if (r.status() >= 400) return MediatorResponse.failed(502, "upstream answered " + r.status());
            return MediatorResponse.successful(Json.parse(r.body()));
        });
        app.healthFact("heapPeakMb", () -> Math.round(ProcessMemory.peakHeapMb()));
        app.healthFact("rssPeakMb", () -> Math.round(ProcessMemory.selfPeakRssMb()));
        app.healthFact("registeredAfterJvmStartMs", () -> {
            var link = app.coreLink();
            if (link == null || link.registeredAt() == null) return -1;
            return link.registeredAt().toEpochMilli() - ManagementFactory.getRuntimeMXBean().getStartTime();
        });
        app.healthFact("registeredAfterAppStartMs", () -> {
            var link = app.coreLink();
            if (link == null || link.registeredAt() == null) return -1;
            return Duration.between(link.startedAt(), link.registeredAt()).toMillis();
        });
        return app;
    }

    /** A config folder holding only the registration template (the bench has no mediator-configs/ folder). */
    private static Path configDir() throws IOException {
        Path dir = Files.createTempDirectory("chis-bench-passthrough");
        try (InputStream in = PassThroughMediator.class.getResourceAsStream("/bench/passthrough-registration-info.json")) {
            Files.copy(in, dir.resolve("mediator-registration-info.json"));
        }
        dir.toFile().deleteOnExit();
        dir.resolve("mediator-registration-info.json").toFile().deleteOnExit();
        return dir;
    }

    /** {@code key=value ...} settings; prints {@code READY port=<n>} once listening. */
    public static void main(String[] args) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String a : args) {
            int i = a.indexOf('=');
            if (i > 0) values.put(a.substring(0, i), a.substring(i + 1));
        }
        MediatorApp app = create(values).start();
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
        System.out.println("READY port=" + app.port());
        System.out.flush();
    }
}
