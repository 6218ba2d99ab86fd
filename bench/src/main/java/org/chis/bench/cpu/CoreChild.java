package org.chis.bench.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chis.bench.ChildJvm;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.CoreApi;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimLocalMain;

/**
 * A real OpenHIM core 4.0.5 as {@code ./suite up} runs it ({@code scripts/openhim-core.sh start --persistent}: the
 * openhim-local JVM holding the MongoDB stand-in, -Xmx512m SerialGC, and core's node master + worker), but on free
 * ports in a folder of the bench's. Started as a child JVM so the MongoDB stand-in's CPU is its own process's and
 * core's is the node process tree's, each read from /proc.
 */
final class CoreChild implements AutoCloseable {
    private final ChildJvm jvm;
    private final JsonNode coreJson;
    private final CoreAdmin admin;

    private CoreChild(ChildJvm jvm, JsonNode coreJson) {
        this.jvm = jvm;
        this.coreJson = coreJson;
        this.admin = new CoreAdmin(CoreApi.fromSettings(Settings.of(settingsFor(coreJson, "token"))), 1000);
    }

    /** Starts core in {@code dir} and returns once it wrote {@code core.json} (it is up and its certificate captured). */
    static CoreChild start(Path dir) throws Exception {
        Path file = dir.resolve("core.json");
        ChildJvm jvm = ChildJvm.launchWith(List.of("-Xmx512m", "-XX:+UseSerialGC", "-Dfile.encoding=UTF-8"), OpenHimLocalMain.class,
                dir.resolve("openhim-local.out"), List.of("start", "--dir", dir.toString(), "--free-ports", "--persistent", "--timeout", "180"));
        try {
            long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            while (!Files.exists(file)) {
                if (!jvm.alive()) throw new IOException("OpenHIM core did not start:\n" + jvm.tail());
                if (System.nanoTime() > deadline) throw new IOException("OpenHIM core not up after 4 min:\n" + jvm.tail());
                Thread.sleep(100);
            }
            return new CoreChild(jvm, Json.parse(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (Exception e) {
            jvm.close();
            throw e;
        }
    }

    /** core.api.url, user, password, certificate: what a mediator needs to register with this core. */
    Map<String, String> settingsFor() { return settingsFor(coreJson, "auto"); }

    private static Map<String, String> settingsFor(JsonNode core, String auth) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("core.api.url", core.path("apiUrl").asText());
        s.put("core.api.user", core.path("rootUser").asText());
        s.put("core.api.password", core.path("rootPassword").asText());
        s.put("core.api.certificate", core.path("certificate").asText());
        s.put("core.api.auth", auth);
        return s;
    }

    CoreAdmin admin() { return admin; }

    String routerUrl() { return coreJson.path("routerUrl").asText(); }

    /** CPU ms used so far by core's node processes: the master and every descendant alive now (its cluster worker). */
    double coreMillis() {
        long master = coreJson.path("pids").path("node").path(0).asLong(-1);
        Optional<ProcessHandle> h = ProcessHandle.of(master);
        if (h.isEmpty()) throw new IllegalStateException("OpenHIM core's node process " + master + " is gone:\n" + jvm.tail());
        double ms = ProcessCpu.millis(master);
        for (ProcessHandle d : h.get().descendants().toList()) ms += Math.max(0, ProcessCpu.millis(d.pid()));
        return ms;
    }

    /** CPU ms used so far by the openhim-local JVM, i.e. the MongoDB stand-in (mongo-java-server, H2 backend). */
    double mongoMillis() { return ProcessCpu.millis(jvm.pid()); }

    String tail() { return jvm.tail(); }

    @Override
    public void close() throws InterruptedException {
        jvm.close(); // SIGTERM: openhim-local stops node, then the stand-in
    }
}
