package org.chis.bench.feeds;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
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
        Thread sampler = new Thread(() -> {
            double maxUsed = 0;
            var heap = ManagementFactory.getMemoryMXBean();
            long lastWrite = 0;
            while (true) {
                maxUsed = Math.max(maxUsed, heap.getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0));
                if (System.nanoTime() - lastWrite > 100_000_000L) {
                    try {
                        Files.writeString(stats, String.format(java.util.Locale.ROOT, "%.1f %.1f", ProcessMemory.peakHeapMb(), maxUsed));
                    } catch (Exception ignored) {
                        // next round
                    }
                    lastWrite = System.nanoTime();
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
        System.out.println("READY port=" + app.port());
        System.out.flush();
    }
}
