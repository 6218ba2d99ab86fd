package org.chis.openhim.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.CoreApi;

/**
 * The demo's last step in {@code ./suite up}, against the core described by {@code DIR/core.json}:
 * <pre>
 *   DemoSetup --dir DIR --client ID --password P --role R    create the router client (kept when it exists)
 *   DemoSetup --dir DIR --list-mediators                      print "urn  version  name  channels" per mediator
 * </pre>
 */
public final class DemoSetup {
    private DemoSetup() {}

    public static void main(String[] args) throws Exception {
        Quiet.cli();
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--list-mediators")) opt.put("list", "true");
            else if (args[i].startsWith("--") && i + 1 < args.length) opt.put(args[i].substring(2), args[++i]);
            else usage("unexpected argument " + args[i]);
        }
        if (!opt.containsKey("dir")) usage("--dir is required");
        JsonNode core = Json.parse(Files.readString(Path.of(opt.get("dir")).resolve("core.json")));
        Map<String, String> s = new HashMap<>();
        s.put("core.api.url", core.path("apiUrl").asText());
        s.put("core.api.user", core.path("rootUser").asText());
        s.put("core.api.password", core.path("rootPassword").asText());
        s.put("core.api.certificate", core.path("certificate").asText());
        s.put("core.api.auth", "auto");
        CoreApi api = CoreApi.fromSettings(Settings.of(s, null));

        if (opt.containsKey("list")) {
            JsonNode channels = Json.parse(api.get("/channels").body());
            for (JsonNode m : Json.parse(api.get("/mediators").body())) {
                StringBuilder names = new StringBuilder();
                for (JsonNode ch : channels) {
                    for (JsonNode r : ch.path("routes")) {
                        if (r.path("port").asText().equals(m.path("endpoints").path(0).path("port").asText())
                                && r.path("host").asText().equals(m.path("endpoints").path(0).path("host").asText())) {
                            if (names.length() > 0) names.append(", ");
                            names.append(ch.path("name").asText()).append(" ").append(ch.path("urlPattern").asText());
                        }
                    }
                }
                System.out.printf("%-36s %-8s %-50s channels: %s%n", m.path("urn").asText(), m.path("version").asText(),
                        m.path("name").asText(), names.length() == 0 ? "none" : names);
            }
            return;
        }
        String client = opt.getOrDefault("client", "chis-demo");
        JsonNode existing = Json.parse(api.get("/clients").body());
        for (JsonNode c : existing) {
            if (c.path("clientID").asText().equals(client)) {
                System.out.println("client " + client + " exists");
                return;
            }
        }
        new CoreAdmin(api, 0).createClient(client, opt.getOrDefault("password", "chis-demo-password"), opt.getOrDefault("role", "chis"));
        System.out.println("client " + client + " created (role " + opt.getOrDefault("role", "chis") + ")");
    }

    private static void usage(String msg) {
        System.err.println("DemoSetup: " + msg + "\nusage: DemoSetup --dir DIR (--client ID --password P --role R | --list-mediators)");
        System.exit(2);
    }
}
