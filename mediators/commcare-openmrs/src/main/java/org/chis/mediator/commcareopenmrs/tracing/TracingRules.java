package org.chis.mediator.commcareopenmrs.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.chis.common.config.ConfigException;
import org.chis.common.json.Json;
import org.chis.common.systems.openmrs.OpenMrsDates;

/**
 * {@code tracing.json}: which community cases are watched ({@code candidates}), what a trace task looks like
 * ({@code task}) and the lost-to-follow-up rules. Read at start-up like the other mapping files: every mistake is
 * listed as {@code <file>: $.path: problem} and the mediator does not start.
 */
public record TracingRules(String candidateCaseType, String patientProperty, String taskCaseType, String taskXmlns,
                           String parentIndex, String chtForm, String chtFrom, List<Rule> rules) {

    private static final Pattern XML_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");
    private static final Pattern RULE_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");

    /**
     * "No encounter of a type in {@code expect} within {@code days} days after the last encounter of a type in
     * {@code after}": a missed visit or refill. The anchor is the patient's latest {@code after} encounter.
     */
    public record Rule(String name, String label, Set<String> after, Set<String> expect, int days) {

        /** The missed appointment, or empty: no anchor yet, not due yet, or the patient came back. */
        public Optional<Missed> missed(List<JsonNode> encounters, Instant now) {
            JsonNode anchor = null;
            OffsetDateTime anchorTime = null;
            for (JsonNode e : encounters) {
                if (e.path("voided").asBoolean(false) || !after.contains(type(e))) continue;
                OffsetDateTime t = time(e);
                if (t != null && (anchorTime == null || t.isAfter(anchorTime))) {
                    anchor = e;
                    anchorTime = t;
                }
            }
            if (anchor == null) return Optional.empty();
            Instant due = anchorTime.toInstant().plus(Duration.ofDays(days));
            if (!now.isAfter(due)) return Optional.empty();
            for (JsonNode e : encounters) {
                OffsetDateTime t = time(e);
                if (!e.path("voided").asBoolean(false) && expect.contains(type(e)) && t != null && t.isAfter(anchorTime)) return Optional.empty();
            }
            return Optional.of(new Missed(this, anchor.path("uuid").asText(), anchorTime, due));
        }

        private static String type(JsonNode e) { return e.path("encounterType").path("uuid").asText(""); }

        private static OffsetDateTime time(JsonNode e) {
            String t = e.path("encounterDatetime").asText(null);
            return t == null ? null : OpenMrsDates.parse(t);
        }
    }

    /** One missed appointment: the rule, the encounter it is counted from, and when the patient was due. */
    public record Missed(Rule rule, String anchorEncounter, OffsetDateTime anchorTime, Instant due) {}

    public static TracingRules load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the tracing rules (" + e.getMessage() + ")", e);
        }
        try {
            return parse(Json.parse(text), file.getFileName().toString());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    public static TracingRules parse(JsonNode root, String where) {
        List<String> problems = new ArrayList<>();
        if (!root.isObject()) throw new ConfigException(where + ": $ must be a JSON object");
        JsonNode c = root.path("candidates");
        String caseType = name(c, "caseType", "patient", "$.candidates", problems);
        String patientProperty = name(c, "patientProperty", "openmrs_uuid", "$.candidates", problems);
        JsonNode t = root.path("task");
        String taskType = name(t, "caseType", "trace", "$.task", problems);
        String xmlns = t.path("xmlns").asText("http://chis.org/xforms/trace-task");
        if (xmlns.isBlank()) problems.add("$.task.xmlns: must not be empty");
        String parentIndex = name(t, "parentIndex", "parent", "$.task", problems);
        String chtForm = t.path("chtForm").asText("TRACE");
        String chtFrom = t.path("chtFrom").asText("openmrs");
        if (chtForm.isBlank()) problems.add("$.task.chtForm: must not be empty");
        List<Rule> rules = new ArrayList<>();
        JsonNode list = root.path("rules");
        if (!list.isArray() || list.isEmpty()) problems.add("$.rules: at least one rule is required");
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode r = list.get(i);
            String at = "$.rules[" + i + "]";
            String name = r.path("name").asText("");
            if (!RULE_NAME.matcher(name).matches()) problems.add(at + ".name: required, lower case letters, digits, - and _ (it is part of the task id)");
            else if (!names.add(name)) problems.add(at + ".name: '" + name + "' is used twice");
            Set<String> after = uuids(r.path("after"), at + ".after", problems);
            Set<String> expect = r.has("expect") ? uuids(r.path("expect"), at + ".expect", problems) : after;
            JsonNode days = r.path("days");
            if (!days.isInt() || days.asInt() < 1) problems.add(at + ".days: required, a whole number of days >= 1");
            rules.add(new Rule(name, r.path("label").asText(name), after, expect, days.asInt()));
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(where + ": " + String.join("; " + where + ": ", problems));
        }
        return new TracingRules(caseType, patientProperty, taskType, xmlns, parentIndex, chtForm, chtFrom, List.copyOf(rules));
    }

    private static String name(JsonNode n, String field, String fallback, String path, List<String> problems) {
        String v = n.path(field).asText(fallback);
        if (!XML_NAME.matcher(v).matches()) problems.add(path + "." + field + ": '" + v + "' is not an XML name");
        return v;
    }

    private static Set<String> uuids(JsonNode n, String path, List<String> problems) {
        Set<String> out = new HashSet<>();
        if (!n.isArray() || n.isEmpty()) {
            problems.add(path + ": required, a list of encounter type uuids");
            return out;
        }
        n.forEach(u -> {
            if (!u.isTextual() || u.asText().isBlank()) problems.add(path + ": '" + u + "' is not an encounter type uuid");
            else out.add(u.asText());
        });
        return Set.copyOf(out);
    }
}
