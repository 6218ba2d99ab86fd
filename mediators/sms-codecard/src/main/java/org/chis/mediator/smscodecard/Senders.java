package org.chis.mediator.smscodecard;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;

/**
 * The phones allowed to report, from {@code senders.json} ({@code {"senders":[{phone, name, language, provider,
 * location, commands, active}]}}). Phones are compared in E.164 form (+ and digits).
 */
public final class Senders {
    private final Map<String, Sender> byPhone;

    private Senders(Map<String, Sender> byPhone) { this.byPhone = Map.copyOf(byPhone); }

    public static Senders load(Path file) {
        List<ConfigProblem> problems = new ArrayList<>();
        Node root = JsonConfigReader.read(file, problems);
        Map<String, Sender> map = new HashMap<>();
        for (Node s : root == null ? List.<Node>of() : root.list("senders")) {
            String phone = normalise(s.string("phone"));
            if (phone != null && (phone.length() < 8 || !phone.startsWith("+"))) s.problem("phone", "must be E.164 (+255712000001)");
            List<String> commands = new ArrayList<>();
            s.strings("commands").forEach(c -> commands.add(c.toUpperCase(Locale.ROOT)));
            if (commands.isEmpty()) commands.add("*");
            Sender sender = new Sender(phone, s.string("name", null), s.string("language", null),
                    s.string("provider", null), s.string("location", null), List.copyOf(commands), s.bool("active", true));
            if (phone != null && map.put(phone, sender) != null) s.problem("phone", phone + " is listed twice");
        }
        ConfigException.throwIfAny("registered senders are not valid", problems);
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

    /** Digits and '+' only (every message's sender goes through it: a loop, not a regex compiled per call). */
    static String normalise(String phone) {
        if (phone == null) return null;
        StringBuilder p = new StringBuilder(phone.length());
        for (int i = 0; i < phone.length(); i++) {
            char c = phone.charAt(i);
            if (c >= '0' && c <= '9' || c == '+') p.append(c);
        }
        return p.isEmpty() ? null : p.toString();
    }
}
