package org.chis.mediator.smscodecard;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.chis.common.config.ConfigException;
import org.chis.common.json.Json;

/**
 * The phones allowed to report, from {@code senders.json} ({@code {"senders":[{phone, name, language, provider,
 * location, commands, active}]}}). Phones are compared in E.164 form (+ and digits).
 */
public final class Senders {
    private final Map<String, Sender> byPhone;

    private Senders(Map<String, Sender> byPhone) { this.byPhone = Map.copyOf(byPhone); }

    public static Senders load(Path file) {
        JsonNode root;
        try {
            root = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the registered senders (" + e.getMessage() + ")", e);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
        List<String> problems = new ArrayList<>();
        Map<String, Sender> map = new HashMap<>();
        int i = 0;
        for (JsonNode s : root.path("senders")) {
            String at = file.getFileName() + ": senders[" + i++ + "]";
            String phone = normalise(s.path("phone").asText(""));
            if (phone == null || phone.length() < 8 || !phone.startsWith("+")) problems.add(at + ": phone must be E.164 (+255712000001)");
            List<String> commands = new ArrayList<>();
            s.path("commands").forEach(c -> commands.add(c.asText().toUpperCase(Locale.ROOT)));
            if (commands.isEmpty()) commands.add("*");
            Sender sender = new Sender(phone, s.path("name").asText(null), s.path("language").asText(null),
                    s.path("provider").asText(null), s.path("location").asText(null), List.copyOf(commands), s.path("active").asBoolean(true));
            if (phone != null && map.put(phone, sender) != null) problems.add(at + ": phone " + phone + " listed twice");
        }
        if (!problems.isEmpty()) throw new ConfigException("registered senders are not valid:\n  - " + String.join("\n  - ", problems));
        return new Senders(map);
    }

    public static Senders of(List<Sender> senders) {
        Map<String, Sender> map = new HashMap<>();
        senders.forEach(s -> map.put(normalise(s.phone()), s));
        return new Senders(map);
    }

    public Optional<Sender> find(String phone) {
        String p = normalise(phone);
        return p == null ? Optional.empty() : Optional.ofNullable(byPhone.get(p));
    }

    public int size() { return byPhone.size(); }

    static String normalise(String phone) {
        if (phone == null) return null;
        String p = phone.replaceAll("[^0-9+]", "");
        return p.isEmpty() ? null : p;
    }
}
