package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.chis.common.config.ConfigException;
import org.chis.common.config.JsonConfigReader.Node;
import org.chis.common.http.BadInputException;

/**
 * One source's mapping file ({@code mediator-configs/referral/sources/<source>.json}): where each referral field
 * sits in that app's JSON, how its coded answers translate, and which field holds a space-separated list.
 * See the README for the format.
 */
final class ReferralMapping {
    static final Set<String> FIELDS = Set.of("referralId", "communityId", "patientIdentifier", "givenName", "familyName", "name",
            "gender", "birthDate", "phone", "reason", "dangerSigns", "urgency", "facility", "requester", "requesterName",
            "authoredOn", "focus", "taskStatus");
    private static final Pattern SOURCE_NAME = Pattern.compile("[a-z0-9-]{1,50}");
    private static final List<String> REQUIRED = List.of("referralId", "patientIdentifier", "reason", "facility", "requester");

    private final String source;
    private final FieldPath detect;
    private final Map<String, List<FieldPath>> fields = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> values = new LinkedHashMap<>();
    private final Map<String, String> listSeparators = new LinkedHashMap<>();

    private ReferralMapping(String source, FieldPath detect) {
        this.source = source;
        this.detect = detect;
    }

    /** The mapping at {@code j}, or null when its file has problems (all recorded with the reader). */
    static ReferralMapping read(Node j) {
        if (!j.requireObject("a referral mapping must be a JSON object")) return null;
        String source = j.matching("source", true, SOURCE_NAME, "a short lower-case name (a-z, 0-9, -; at most 50)");
        ReferralMapping m = new ReferralMapping(source, j.has("detect") ? path(j.at("detect")) : null);
        Node fieldNodes = j.at("fields");
        j.members("fields").forEach((field, value) -> {
            if (!FIELDS.contains(field)) value.problem("unknown field '" + field + "' (known: " + new TreeSet<>(FIELDS) + ")");
            List<FieldPath> paths = new ArrayList<>();
            List<Node> alternatives = value.json().isArray() ? fieldNodes.list(field) : List.of(value);
            for (Node p : alternatives) {
                FieldPath fp = path(p);
                if (fp != null) paths.add(fp);
            }
            m.fields.put(field, paths);
        });
        for (String r : REQUIRED) if (!m.fields.containsKey(r)) fieldNodes.problem(r, "is required");
        if (!m.fields.containsKey("name") && !(m.fields.containsKey("givenName") && m.fields.containsKey("familyName"))) {
            fieldNodes.problem("map either 'name' or both 'givenName' and 'familyName'");
        }
        Node valueTables = j.at("values");
        j.members("values").forEach((field, table) -> {
            Map<String, String> lower = new LinkedHashMap<>();
            valueTables.stringMap(field).forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
            m.values.put(field, lower);
        });
        m.listSeparators.putAll(j.stringMap("lists"));
        return j.clean() ? m : null;
    }

    private static FieldPath path(Node n) {
        String text = n.asString();
        if (text == null) return null;
        try {
            return FieldPath.parse(text);
        } catch (ConfigException e) {
            n.problem(e.getMessage());
            return null;
        }
    }

    String source() { return source; }

    /** True when {@code doc} looks like this source's payload (its detect path is present). */
    boolean recognises(JsonNode doc) {
        if (detect == null) return false;
        JsonNode n = detect.find(doc);
        return !n.isMissingNode() && !n.isNull();
    }

    /** Maps a source document; missing or unreadable fields are the sender's problem (400 naming them). */
    Referral map(JsonNode doc) {
        List<String> problems = new ArrayList<>();
        String referralId = required(doc, "referralId", problems);
        String patientId = required(doc, "patientIdentifier", problems);
        String reason = required(doc, "reason", problems);
        String facility = required(doc, "facility", problems);
        String requester = required(doc, "requester", problems);
        String given = text(doc, "givenName");
        String family = text(doc, "familyName");
        String full = text(doc, "name");
        if ((given == null || family == null) && full != null) {
            String[] parts = full.trim().split("\\s+");
            if (parts.length == 1) {
                given = given == null ? parts[0] : given;
                family = family == null ? parts[0] : family;
            } else {
                family = family == null ? parts[parts.length - 1] : family;
                given = given == null ? String.join(" ", Arrays.copyOf(parts, parts.length - 1)) : given;
            }
        }
        if (given == null || family == null) problems.add("the patient's name (" + paths("givenName") + paths("familyName") + paths("name") + ")");
        String urgency = coded("urgency", text(doc, "urgency"));
        if (urgency == null) urgency = "routine";
        if (!urgency.equals("urgent") && !urgency.equals("routine")) {
            problems.add("urgency '" + urgency + "' (add it to values.urgency in the " + source + " mapping as urgent or routine)");
        }
        String taskStatus = coded("taskStatus", text(doc, "taskStatus"));
        TaskStatus initial = TaskStatus.of(taskStatus == null ? "requested" : taskStatus).orElse(null);
        if (initial != TaskStatus.REQUESTED && initial != TaskStatus.READY) {
            problems.add("taskStatus '" + taskStatus + "' (a referral starts requested or ready; add it to values.taskStatus in the " + source + " mapping)");
        }
        Instant authoredOn = instant(text(doc, "authoredOn"), problems);
        if (!problems.isEmpty()) {
            throw new BadInputException("not a usable " + source + " referral: missing or invalid " + String.join(", ", problems));
        }
        String communityId = text(doc, "communityId");
        return new Referral(referralId, source, communityId == null ? patientId : communityId, patientId, given, family,
                coded("gender", text(doc, "gender")), text(doc, "birthDate"), text(doc, "phone"), reason, list(doc, "dangerSigns"),
                urgency, facility, requester, text(doc, "requesterName"), authoredOn, coded("focus", text(doc, "focus")), initial);
    }

    private String required(JsonNode doc, String field, List<String> problems) {
        String v = text(doc, field);
        if (v == null) problems.add(field + " (" + paths(field).trim() + ")");
        return v;
    }

    private String paths(String field) {
        List<FieldPath> p = fields.get(field);
        return p == null ? "" : String.join(" or ", p.stream().map(FieldPath::text).toList()) + " ";
    }

    private JsonNode node(JsonNode doc, String field) {
        for (FieldPath p : fields.getOrDefault(field, List.of())) {
            JsonNode n = p.find(doc);
            if (!n.isMissingNode() && !n.isNull() && !(n.isTextual() && n.asText().isBlank())) return n;
        }
        return null;
    }

    private String text(JsonNode doc, String field) {
        JsonNode n = node(doc, field);
        if (n == null) return null;
        if (n.isArray()) return n.isEmpty() ? null : n.get(0).asText();
        return n.isValueNode() ? n.asText().trim() : null;
    }

    private List<String> list(JsonNode doc, String field) {
        JsonNode n = node(doc, field);
        List<String> out = new ArrayList<>();
        if (n == null) return out;
        if (n.isArray()) n.forEach(v -> out.add(v.asText()));
        else for (String s : n.asText().split(Pattern.quote(listSeparators.getOrDefault(field, " ")))) if (!s.isBlank()) out.add(s.trim());
        List<String> coded = new ArrayList<>();
        for (String s : out) coded.add(coded(field, s));
        return coded;
    }

    private String coded(String field, String raw) {
        if (raw == null) return null;
        Map<String, String> table = values.get(field);
        if (table == null) return raw;
        return table.getOrDefault(raw.toLowerCase(Locale.ROOT), raw);
    }

    /** ISO date-times, plain dates, or epoch milliseconds (CHT's reported_date); absent = now. */
    private static Instant instant(String v, List<String> problems) {
        if (v == null) return Instant.now();
        try {
            if (v.matches("\\d{10,}")) return Instant.ofEpochMilli(Long.parseLong(v));
            if (v.length() == 10) return LocalDate.parse(v).atStartOfDay().toInstant(ZoneOffset.UTC);
            if (v.endsWith("Z") || v.matches(".*[+-]\\d\\d:?\\d\\d$")) return OffsetDateTime.parse(v).toInstant();
            return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException | NumberFormatException e) {
            problems.add("authoredOn '" + v + "' (ISO date-time or epoch milliseconds)");
            return null;
        }
    }
}
