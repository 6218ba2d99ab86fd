package org.chis.bench.dhis2;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.chis.bench.ProcessMemory;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;
import org.chis.mediator.dhis2.Main;

/**
 * The dhis2 mediator alone in a JVM (the benchmark starts it with a small -Xmx): not registered with a core,
 * in-memory state store. Args: configDir dhis2Url sourceUrl chunkSize statsFile. Writes its heap figures to the
 * stats file every 100 ms ("peakPoolsMb maxSampledUsedMb").
 */
public final class Dhis2MediatorProcess {
    private Dhis2MediatorProcess() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> s = new HashMap<>();
        s.put("mediator.port", "0");
        s.put("mediator.bind", "127.0.0.1");
        s.put("mediator.inbound.username", "");
        s.put("mediator.requestTimeoutMs", "600000");
        s.put("core.register", "false");
        s.put("db.url", "jdbc:h2:mem:dhis2-bench;DB_CLOSE_DELAY=-1");
        s.put("dhis2.url", args[1]);
        s.put("dhis2.user", "admin");
        s.put("dhis2.password", "district");
        s.put("commcare.url", "http://localhost:1");
        s.put("commcare.domain", "bench");
        s.put("commcare.user", "bench");
        s.put("aggregate.source.url", args[2]);
        s.put("aggregate.chunkSize", args[3]);
        s.put("http.readTimeoutMs", "120000");
        MediatorApp app = Main.start(Settings.of(s, Path.of(args[0])));
        Path stats = Path.of(args[4]);
        ProcessMemory.writeHeapPeaksTo(stats);
        System.out.println("READY port=" + app.port());
        System.out.flush();
    }
}
