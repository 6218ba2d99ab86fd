package org.chis.bench.feeds;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.chis.bench.ProcessMemory;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;
import org.chis.mediator.commcareopenmrs.Main;

/**
 * The commcare-openmrs mediator alone in a JVM for {@code feed-catchup}, so its memory is measured apart from the
 * simulators: not registered with a core, H2 file state store. Args: configDir statsFile key=value... (settings).
 * Writes its heap figures to the stats file every 100 ms ("peakPoolsMb maxSampledUsedMb").
 */
public final class FeedMediatorProcess {
    private FeedMediatorProcess() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> s = new HashMap<>();
        s.put("mediator.port", "0");
        s.put("mediator.host", "127.0.0.1");
        s.put("mediator.bind", "127.0.0.1");
        s.put("mediator.inbound.username", "");
        s.put("mediator.requestTimeoutMs", "600000");
        s.put("core.register", "false");
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            s.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        MediatorApp app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, Path.of(args[0]))));
        Path stats = Path.of(args[1]);
        ProcessMemory.writeHeapPeaksTo(stats);
        System.out.println("READY port=" + app.port());
        System.out.flush();
    }
}
