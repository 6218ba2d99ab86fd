package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One form type's mapping (one JSON file in {@code mediator-configs/commcare-openmrs/forms/}): which submissions it
 * takes ({@code source} + {@code formType} = CommCare xmlns or OpenSRP eventType) and how their values become an
 * OpenMRS patient, visit, encounter and observations. See the README for the file format.
 */
record FormMapping(String file, Source source, String formType, String name, boolean createPatient, ValueSource caseId,
                   PatientFields patient, Matcher matcher, VisitFields visit, EncounterFields encounter,
                   List<Observation> observations, Map<String, String> writeBack) {

    enum Source {
        COMMCARE("commcare"), OPENSRP("opensrp"), CHT("cht");

        final String label;

        Source(String label) { this.label = label; }
    }

    enum DataType {
        NUMERIC, CODED, TEXT, BOOLEAN, DATE, DATETIME;

        static String names() { return "numeric, coded, text, boolean, date, datetime"; }
    }

    record Identifier(String identifierType, ValueSource value, String location, boolean matchOn) {}

    record Attribute(String attributeType, ValueSource value) {}

    record PatientFields(List<Identifier> identifiers, ValueSource givenName, ValueSource middleName, ValueSource familyName,
                         ValueSource gender, ValueSource birthdate, boolean birthdateEstimated, List<Attribute> attributes) {}

    enum MatchType { EXACT, LEVENSHTEIN, DAYS_DIFF }

    /** One scored property of the weighted matcher: a patient field compared with a form value. */
    record Weight(String field, ValueSource value, double weight, MatchType match, double param) {}

    /**
     * What the matcher does with a candidate holding another value of a form's matchOn identifier type (a different
     * person with the same name, sex and birth date): leave it out of the match, or refuse the form (409) for review.
     */
    enum IdentifierConflict {
        RULE_OUT("ruleOut"), REVIEW("review");

        final String label;

        IdentifierConflict(String label) { this.label = label; }
    }

    /** Optional fuzzy matcher (after id map and identifiers): never guesses, ambiguous = no match. */
    record Matcher(ValueSource search, List<Weight> weights, double threshold, double confidenceMargin,
                   IdentifierConflict onIdentifierConflict) {}

    /**
     * Whether a form starts its own visit ({@code new}) or joins one the patient has: {@code open} = a visit not
     * ended yet that started before the encounter, {@code sameDay} = any visit covering the encounter time (open, or
     * ended after it, e.g. the one an earlier form of that day started). Needed where OpenMRS refuses overlapping
     * visits ({@code visits.allowOverlappingVisits=false}).
     */
    enum VisitReuse {
        NEW("new"), OPEN("open"), SAME_DAY("sameDay");

        final String label;

        VisitReuse(String label) { this.label = label; }
    }

    record VisitFields(String visitType, int windowHours, VisitReuse reuse) {}

    record EncounterFields(String encounterType, ValueSource datetime, DataType datetimeType, ZoneId timeZone,
                           ValueSource location, ValueSource provider, String encounterRole, String form) {}

    record Observation(String concept, ValueSource value, DataType dataType) {}

    /** Case write-back targets: {@code patient.uuid}, {@code patient.identifier}, {@code visit.uuid}, {@code encounter.uuid}. */
    static final List<String> WRITE_BACK_VALUES = List.of("patient.uuid", "patient.identifier", "visit.uuid", "encounter.uuid");

    /** OpenMRS uuids, incl. CIEL-style concept ids ("5089AAAA..."). */
    private static final Pattern UUID_LIKE = Pattern.compile("[0-9a-fA-F-]{36}|[A-Za-z0-9]{36,38}");
    private static final Pattern CASE_PROPERTY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");

    /**
     * Reads and checks one mapping document; every problem is collected into {@code errors} as
     * "{@code <file>: $.path: what is wrong}". Returns null when there were errors.
     */
    static FormMapping read(Path file, JsonNode doc, List<String> errors) {
        Reader r = new Reader(file.getFileName().toString(), errors);
        int before = errors.size();
        if (!doc.isObject()) {
            r.error("$", "a mapping file must hold one JSON object");
            return null;
        }
        Source source = null;
        String s = r.text(doc, "$", "source", true);
        if (s != null) {
            for (Source x : Source.values()) if (x.label.equals(s)) source = x;
            if (source == null) r.error("$.source", "'" + s + "' is not one of commcare, opensrp, cht");
        }
        String formType = r.text(doc, "$", "formType", true);
        String name = r.text(doc, "$", "name", false);
        boolean createPatient = doc.path("createPatient").asBoolean(false);
        ValueSource caseId = r.source(doc.get("caseId"), "$.caseId", false, false);

        JsonNode p = r.object(doc, "$", "patient", true);
        List<Identifier> ids = new ArrayList<>();
        List<Attribute> attrs = new ArrayList<>();
        PatientFields patient = null;
        if (p != null) {
            JsonNode idNodes = p.path("identifiers");
            for (int i = 0; i < idNodes.size(); i++) {
                String at = "$.patient.identifiers[" + i + "]";
                JsonNode n = idNodes.get(i);
                ids.add(new Identifier(r.uuid(n, at, "identifierType", true), r.source(n.get("value"), at + ".value", false, true),
                        r.uuid(n, at, "location", false), n.path("matchOn").asBoolean(true)));
            }
            JsonNode attrNodes = p.path("attributes");
            for (int i = 0; i < attrNodes.size(); i++) {
                String at = "$.patient.attributes[" + i + "]";
                JsonNode n = attrNodes.get(i);
                attrs.add(new Attribute(r.uuid(n, at, "attributeType", true), r.source(n.get("value"), at + ".value", false, true)));
            }
            patient = new PatientFields(ids, r.source(p.get("givenName"), "$.patient.givenName", false, createPatient),
                    r.source(p.get("middleName"), "$.patient.middleName", false, false),
                    r.source(p.get("familyName"), "$.patient.familyName", false, createPatient),
                    r.source(p.get("gender"), "$.patient.gender", false, createPatient),
                    r.source(p.get("birthdate"), "$.patient.birthdate", false, false),
                    p.path("birthdateEstimated").asBoolean(false), attrs);
            if (ids.isEmpty() && caseId == null && !doc.has("matcher")) {
                r.error("$.patient.identifiers", "no way to find a patient: give identifiers, a caseId or a matcher");
            }
        }

        Matcher matcher = null;
        JsonNode m = doc.get("matcher");
        if (m != null) {
            List<Weight> weights = new ArrayList<>();
            JsonNode w = m.path("weights");
            if (!w.isArray() || w.isEmpty()) r.error("$.matcher.weights", "a matcher needs at least one weight");
            for (int i = 0; i < w.size(); i++) {
                String at = "$.matcher.weights[" + i + "]";
                JsonNode n = w.get(i);
                String field = r.text(n, at, "field", true);
                if (field != null && !List.of("givenName", "familyName", "gender", "birthdate", "identifier").contains(field)) {
                    r.error(at + ".field", "'" + field + "' is not one of givenName, familyName, gender, birthdate, identifier");
                }
                MatchType mt = MatchType.EXACT;
                String mts = n.path("match").asText("exact");
                try {
                    mt = MatchType.valueOf(mts.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    r.error(at + ".match", "'" + mts + "' is not one of exact, levenshtein, days_diff");
                }
                double weight = n.path("weight").asDouble(0);
                if (weight <= 0) r.error(at + ".weight", "must be a number > 0");
                weights.add(new Weight(field, r.source(n.get("value"), at + ".value", false, true), weight, mt, n.path("param").asDouble(0)));
            }
            IdentifierConflict onConflict = null;
            String oc = m.path("onIdentifierConflict").asText(IdentifierConflict.RULE_OUT.label);
            for (IdentifierConflict x : IdentifierConflict.values()) if (x.label.equals(oc)) onConflict = x;
            if (onConflict == null) r.error("$.matcher.onIdentifierConflict", "'" + oc + "' is not one of ruleOut, review");
            matcher = new Matcher(r.source(m.get("search"), "$.matcher.search", false, true), weights,
                    m.path("threshold").asDouble(1.0), m.path("confidenceMargin").asDouble(0.667), onConflict);
        }

        VisitFields visit = null;
        JsonNode v = doc.get("visit");
        if (v != null) {
            int window = v.path("windowHours").asInt(24);
            if (window < 1 || window > 24) r.error("$.visit.windowHours", "must be 1..24 (a visit ends the same day, within 24 h)");
            VisitReuse reuse = null;
            String ru = v.path("reuse").asText(VisitReuse.NEW.label);
            for (VisitReuse x : VisitReuse.values()) if (x.label.equals(ru)) reuse = x;
            if (reuse == null) r.error("$.visit.reuse", "'" + ru + "' is not one of new, open, sameDay");
            visit = new VisitFields(r.uuid(v, "$.visit", "visitType", true), window, reuse);
        }

        EncounterFields encounter = null;
        JsonNode e = r.object(doc, "$", "encounter", true);
        if (e != null) {
            ZoneId zone = ZoneId.of("UTC");
            String z = e.path("timeZone").asText("UTC");
            try {
                zone = ZoneId.of(z);
            } catch (RuntimeException ex) {
                r.error("$.encounter.timeZone", "'" + z + "' is not a time zone id (e.g. Africa/Nairobi, UTC, +03:00)");
            }
            DataType dt = r.dataType(e, "$.encounter", "datetimeType", DataType.DATETIME);
            if (dt != DataType.DATE && dt != DataType.DATETIME) r.error("$.encounter.datetimeType", "must be date or datetime");
            ValueSource when = r.source(e.get("datetime"), "$.encounter.datetime", false, false);
            if (when == null) {
                // CHT: the outbound mapping's "reported_date" (doc.reported_date, ms since 1970, read as UTC)
                when = ValueSource.path(source == Source.OPENSRP ? "event/eventDate" : source == Source.CHT ? "reported_date" : "metadata/timeEnd", Map.of(), true, null);
            }
            encounter = new EncounterFields(r.uuid(e, "$.encounter", "encounterType", true), when, dt, zone,
                    r.source(e.get("location"), "$.encounter.location", true, true),
                    r.source(e.get("provider"), "$.encounter.provider", true, false),
                    r.uuid(e, "$.encounter", "encounterRole", false), r.uuid(e, "$.encounter", "form", false));
            if (encounter.provider() != null && encounter.encounterRole() == null) {
                r.error("$.encounter.encounterRole", "required when a provider is mapped");
            }
        }

        List<Observation> obs = new ArrayList<>();
        JsonNode o = doc.path("observations");
        if (!o.isMissingNode() && !o.isArray()) r.error("$.observations", "must be an array");
        for (int i = 0; i < o.size(); i++) {
            String at = "$.observations[" + i + "]";
            JsonNode n = o.get(i);
            DataType dt = r.dataType(n, at, "dataType", null);
            ValueSource value = r.source(n.get("value"), at + ".value", false, true);
            if (dt == DataType.CODED && value != null && value.valueMap().isEmpty() && value.constant() == null) {
                r.error(at + ".value.valueMap", "a coded observation needs a valueMap (form answer -> answer concept uuid)");
            }
            if (dt == DataType.CODED && value != null) {
                value.valueMap().forEach((k, x) -> {
                    if (!UUID_LIKE.matcher(x).matches()) r.error(at + ".value.valueMap." + k, "'" + x + "' is not a concept uuid");
                });
            }
            obs.add(new Observation(r.uuid(n, at, "concept", true), value, dt));
        }

        Map<String, String> writeBack = new LinkedHashMap<>();
        JsonNode wb = doc.path("writeBack").path("properties");
        wb.fields().forEachRemaining(f -> {
            if (!CASE_PROPERTY.matcher(f.getKey()).matches()) r.error("$.writeBack.properties." + f.getKey(), "not a case property name (an XML name)");
            if (!WRITE_BACK_VALUES.contains(f.getValue().asText())) {
                r.error("$.writeBack.properties." + f.getKey(), "'" + f.getValue().asText() + "' is not one of " + WRITE_BACK_VALUES);
            }
            writeBack.put(f.getKey(), f.getValue().asText());
        });
        if (!writeBack.isEmpty() && source != null && source != Source.COMMCARE) r.error("$.writeBack", "write-back goes to a CommCare case: only for source commcare");

        if (errors.size() > before) return null;
        return new FormMapping(file.getFileName().toString(), source, formType, name == null ? formType : name, createPatient, caseId,
                patient, matcher, visit, encounter, List.copyOf(obs), Map.copyOf(writeBack));
    }

    /** Field readers that record "file: $.path: problem" instead of throwing, so one start-up shows every mistake. */
    private static final class Reader {
        private final String file;
        private final List<String> errors;

        Reader(String file, List<String> errors) {
            this.file = file;
            this.errors = errors;
        }

        void error(String path, String message) { errors.add(file + ": " + path + ": " + message); }

        String text(JsonNode n, String at, String field, boolean required) {
            JsonNode v = n == null ? null : n.get(field);
            if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) {
                if (required) error(at + "." + field, "is required");
                return null;
            }
            if (!v.isTextual()) {
                error(at + "." + field, "must be a string");
                return null;
            }
            return v.asText().trim();
        }

        String uuid(JsonNode n, String at, String field, boolean required) {
            String v = text(n, at, field, required);
            if (v != null && !UUID_LIKE.matcher(v).matches()) {
                error(at + "." + field, "'" + v + "' is not an OpenMRS uuid");
                return null;
            }
            return v;
        }

        JsonNode object(JsonNode n, String at, String field, boolean required) {
            JsonNode v = n.get(field);
            if (v == null || !v.isObject()) {
                if (required || v != null) error(at + "." + field, "must be an object");
                return null;
            }
            return v;
        }

        DataType dataType(JsonNode n, String at, String field, DataType fallback) {
            String v = text(n, at, field, fallback == null);
            if (v == null) return fallback;
            try {
                return DataType.valueOf(v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                error(at + "." + field, "'" + v + "' is not one of " + DataType.names());
                return fallback == null ? DataType.TEXT : fallback;
            }
        }

        /**
         * A value source: a path string, or {@code {"path"|"value", "valueMap", "required", "timeZone"}}. With
         * {@code textIsConstant} a plain string is a constant uuid (location, provider), not a path.
         */
        ValueSource source(JsonNode n, String at, boolean textIsConstant, boolean required) {
            if (n == null || n.isNull()) {
                if (required) error(at, "is required");
                return null;
            }
            if (n.isTextual()) {
                if (n.asText().isBlank()) {
                    error(at, "must not be empty");
                    return null;
                }
                if (textIsConstant) {
                    if (!UUID_LIKE.matcher(n.asText()).matches()) error(at, "'" + n.asText() + "' is not an OpenMRS uuid");
                    return ValueSource.constant(n.asText());
                }
                return ValueSource.path(n.asText(), Map.of(), false, null);
            }
            if (!n.isObject()) {
                error(at, "must be a path string or an object {path|value, valueMap, required}");
                return null;
            }
            String path = n.path("path").asText(null);
            String constant = n.path("value").asText(null);
            if ((path == null) == (constant == null)) {
                error(at, "give exactly one of 'path' and 'value'");
                return null;
            }
            Map<String, String> map = new LinkedHashMap<>();
            JsonNode vm = n.get("valueMap");
            if (vm != null && !vm.isObject()) error(at + ".valueMap", "must be an object {form answer: OpenMRS value}");
            if (vm != null) vm.fields().forEachRemaining(f -> map.put(f.getKey(), f.getValue().asText()));
            ZoneId zone = null;
            String z = n.path("timeZone").asText(null);
            if (z != null) {
                try {
                    zone = ZoneId.of(z);
                } catch (RuntimeException ex) {
                    error(at + ".timeZone", "'" + z + "' is not a time zone id (e.g. UTC, Africa/Nairobi, +03:00)");
                }
            }
            if (constant != null) return new ValueSource(null, constant, Map.copyOf(map), n.path("required").asBoolean(false), zone);
            return ValueSource.path(path, Map.copyOf(map), n.path("required").asBoolean(false), zone);
        }
    }
}
