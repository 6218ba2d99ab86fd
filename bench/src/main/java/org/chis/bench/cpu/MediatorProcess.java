package org.chis.bench.cpu;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;

/**
 * Any of the mediators alone in a JVM for {@code cpu-per-unit}, so /proc/&lt;pid&gt;/stat counts its CPU only.
 * Args: mediator name, config folder, then {@code key=value} settings; prints {@code READY port=<n>}.
 */
public final class MediatorProcess {
    private MediatorProcess() {}

    /** Settings as this process takes them: {@code key=value} each. */
    public static List<String> args(Map<String, String> settings) {
        List<String> args = new ArrayList<>();
        settings.forEach((k, v) -> args.add(k + "=" + v));
        return args;
    }

    public static void main(String[] args) {
        String mediator = args[0];
        Map<String, String> s = new LinkedHashMap<>();
        s.put("mediator.port", "0");
        s.put("mediator.host", "127.0.0.1");
        s.put("mediator.bind", "127.0.0.1");
        s.put("mediator.inbound.username", "");
        s.put("mediator.inbound.password", "");
        s.put("mediator.requestTimeoutMs", "600000");
        s.put("core.register", "false");
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            s.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        Settings settings = Settings.of(s, Path.of(args[1]));
        MediatorApp app = switch (mediator) {
            case "commcare-openmrs" -> org.chis.mediator.commcareopenmrs.Main.start(MediatorApp.create(mediator, settings));
            case "referral" -> org.chis.mediator.referral.Main.start(settings);
            case "sms-codecard" -> org.chis.mediator.smscodecard.Main.start(settings);
            default -> throw new IllegalArgumentException("unknown mediator " + mediator);
        };
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
        System.out.println("READY port=" + app.port());
        System.out.flush();
    }
}
