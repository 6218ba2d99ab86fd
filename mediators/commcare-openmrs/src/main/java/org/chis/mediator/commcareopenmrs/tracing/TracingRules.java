package org.chis.mediator.commcareopenmrs.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;
import org.chis.common.systems.openmrs.OpenMrsDates;

/**
 * {@code tracing.json}: which community cases are watched ({@code candidates}), what a trace task looks like
 * ({@code task}) and the lost-to-follow-up rules. Read at start-up like the other mapping files: every mistake is
 * listed as {@code <file>: $.path: problem} and the mediator does not start.
 */
public record TracingRules(String candidateCaseType, String patientProperty, String taskCaseType, String taskXmlns,
                           String parentIndex, String chtForm, String chtFrom, OpenSrpTask opensrp, List<Rule> rules) {

    private static final Pattern XML_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");
    private static final Pattern RULE_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");

    /** What a rule reads: OpenMRS encounters, or a FHIR server's no-show Appointments. */
    public enum Kind { ENCOUNTER_GAP, APPOINTMENT_NOSHOW }

    /**
     * {@code encounter-gap}: "no encounter of a type in {@code expect} within {@code days} days after the last
     * encounter of a type in {@code after}": a missed visit or refill; the anchor is the patient's latest {@code after}
     * encounter. {@code appointment-noshow}: a FHIR {@code Appointment} with status noshow that started in the last
     * {@code days} days; the anchor is the appointment, and an {@code expect} encounter after its start (the patient
     * came anyway) cancels the trace. Its Patient is the OpenMRS patient: by {@code identifierSystem} (the FHIR
     * identifier whose value OpenMRS holds) or, without it, the Patient id is the OpenMRS uuid (OpenMRS's FHIR module).
     */
    public record Rule(String name, String label, Kind kind, Set<String> after, Set<String> expect, int days, String identifierSystem) {

        /** The no-show as a missed appointment, or empty when the patient had an {@code expect} encounter after it. */
        public Optional<Missed> noShow(String appointment, OffsetDateTime start, List<JsonNode> encounters) {
            for (JsonNode e : encounters) {
                OffsetDateTime t = time(e);
                if (!e.path("voided").asBoolean(false) && expect.contains(type(e)) && t != null && t.isAfter(start)) return Optional.empty();
            }
            return Optional.of(new Missed(this, "Appointment/" + appointment, start, start.toInstant()));
        }

        /** The missed appointment, or empty: no anchor yet, not due yet, or the patient came back. */
        public Optional<Missed> missed(List<JsonNode> encounters, Instant now) {
            if (kind != Kind.ENCOUNTER_GAP) return Optional.empty();
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

    /**
     * {@code opensrp}: the OpenSRP Task a trace becomes ({@code planIdentifier}, {@code groupIdentifier}: the location
     * the CHWs sync, {@code code}, {@code owner}: the CHW's username) and the businessStatus values that are outcomes,
     * which come back as OpenSRP events of {@code outcomeEventType} (mapping {@code forms/opensrp-trace-outcome.json}).
     */
    public record OpenSrpTask(String planIdentifier, String groupIdentifier, String code, String owner, String outcomeEventType,
                              Set<String> outcomes) {
        /** The businessStatus OpenSRP apps give a task not yet done. */
        public static final String NOT_VISITED = "Not Visited";
    }

    /** One missed appointment: the rule, the encounter (or "Appointment/id") it is counted from, and when the patient was due. */
    public record Missed(Rule rule, String anchorEncounter, OffsetDateTime anchorTime, Instant due) {}

    /** Reads and checks {@code tracing.json}; every problem (file, JSON path, what is wrong) in one {@link ConfigException}. */
    public static TracingRules load(Path file) {
        List<ConfigProblem> problems = new ArrayList<>();
        Node root = JsonConfigReader.read(file, problems);
        TracingRules rules = root == null ? null : read(root);
        ConfigException.throwIfAny("the tracing rules " + file, problems);
        return rules;
    }

    /** A document already parsed, its problems reported against {@code where} (a file name). */
    public static TracingRules parse(JsonNode doc, String where) {
        List<ConfigProblem> problems = new ArrayList<>();
        TracingRules rules = read(JsonConfigReader.of(doc, where, problems));
        ConfigException.throwIfAny("the tracing rules " + where, problems);
        return rules;
    }

    private static TracingRules read(Node root) {
        if (!root.requireObject("must be a JSON object")) return null;
        Node c = root.at("candidates");
        String caseType = name(c, "caseType", "patient");
        String patientProperty = name(c, "patientProperty", "openmrs_uuid");
        Node t = root.at("task");
        String taskType = name(t, "caseType", "trace");
        String xmlns = t.string("xmlns", "http://chis.org/xforms/trace-task");
        String parentIndex = name(t, "parentIndex", "parent");
        String chtForm = t.string("chtForm", "TRACE");
        String chtFrom = t.string("chtFrom", "openmrs");
        for (String given : List.of("xmlns", "chtForm")) {
            if (t.json().path(given).isTextual() && t.json().path(given).asText().isBlank()) t.problem(given, "must not be empty");
        }
        OpenSrpTask opensrp = opensrp(root.at("opensrp"));
        List<Rule> rules = new ArrayList<>();
        List<Node> list = root.list("rules");
        if (list.isEmpty()) root.problem("rules", "at least one rule is required");
        Set<String> names = new HashSet<>();
        for (Node r : list) {
            String name = r.matching("name", true, RULE_NAME, "a rule name: lower case letters, digits, - and _ (it is part of the task id)");
            if (name != null && !names.add(name)) r.problem("name", "'" + name + "' is used twice");
            Kind kind = r.choice("kind", KINDS, Kind.ENCOUNTER_GAP);
            Set<String> after = kind == Kind.ENCOUNTER_GAP ? uuids(r, "after") : Set.of();
            if (kind == Kind.APPOINTMENT_NOSHOW && r.has("after")) r.problem("after", "an appointment-noshow rule has no 'after': the appointment is the anchor");
            Set<String> expect = r.has("expect") ? uuids(r, "expect") : after;
            Integer days = r.integer("days");
            if (days != null && days < 1) r.problem("days", "must be a whole number of days >= 1");
            String system = kind == Kind.APPOINTMENT_NOSHOW ? r.string("identifierSystem", null) : null;
            if (kind == Kind.ENCOUNTER_GAP && r.has("identifierSystem")) r.problem("identifierSystem", "only an appointment-noshow rule reads FHIR identifiers");
            rules.add(new Rule(name, r.string("label", name), kind == null ? Kind.ENCOUNTER_GAP : kind, after, expect, days == null ? 0 : days, system));
        }
        if (!root.clean()) return null;
        return new TracingRules(caseType, patientProperty, taskType, xmlns, parentIndex, chtForm, chtFrom, opensrp, List.copyOf(rules));
    }

    private static final Map<String, Kind> KINDS = new LinkedHashMap<>();

    static {
        KINDS.put("encounter-gap", Kind.ENCOUNTER_GAP);
        KINDS.put("appointment-noshow", Kind.APPOINTMENT_NOSHOW);
    }

    /** Whether a rule reads FHIR Appointments (the FHIR server is then required). */
    public boolean readsAppointments() { return rules.stream().anyMatch(r -> r.kind() == Kind.APPOINTMENT_NOSHOW); }

    private static OpenSrpTask opensrp(Node o) {
        List<String> outcomes = o.has("outcomes") ? o.strings("outcomes") : List.of("Found", "Returned", "Moved", "Died", "Refused");
        if (o.has("outcomes") && outcomes.isEmpty()) o.problem("outcomes", "name at least one businessStatus that is a trace outcome");
        if (outcomes.contains(OpenSrpTask.NOT_VISITED)) o.problem("outcomes", "'" + OpenSrpTask.NOT_VISITED + "' is the status of a task not yet done, not an outcome");
        OpenSrpTask t = new OpenSrpTask(o.string("planIdentifier", "chis-ltfu-tracing"), o.string("groupIdentifier", null),
                o.string("code", "LTFU Trace"), o.string("owner", null), o.string("outcomeEventType", "LTFU Trace Outcome"), Set.copyOf(outcomes));
        for (String given : List.of("planIdentifier", "groupIdentifier", "code", "owner", "outcomeEventType")) {
            if (o.json().path(given).isTextual() && o.json().path(given).asText().isBlank()) o.problem(given, "must not be empty");
        }
        return t;
    }

    private static String name(Node n, String field, String fallback) {
        String v = n.matching(field, false, XML_NAME, "an XML name");
        return v == null ? fallback : v;
    }

    private static Set<String> uuids(Node r, String field) {
        List<String> list = r.strings(field);
        if (list.isEmpty()) r.problem(field, "required, a list of encounter type uuids");
        return Set.copyOf(list);
    }
}
