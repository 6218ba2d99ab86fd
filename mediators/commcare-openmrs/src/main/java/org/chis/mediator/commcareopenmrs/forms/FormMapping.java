package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;

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
        NUMERIC, CODED, TEXT, BOOLEAN, DATE, DATETIME
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

    /** Reads and checks one mapping document; every problem goes to {@code problems}. Returns null when it had any. */
    static FormMapping read(Path file, JsonNode doc, List<ConfigProblem> problems) {
        return read(JsonConfigReader.of(doc, file.getFileName().toString(), problems));
    }

    /** Reads and checks one mapping document ("{@code <file>: $.path: what is wrong}" per problem); null when it had problems. */
    static FormMapping read(Node doc) {
        if (!doc.json().isObject()) {
            doc.problem("a mapping file must hold one JSON object");
            return null;
        }
        Map<String, Source> sources = new LinkedHashMap<>();
        for (Source x : Source.values()) sources.put(x.label, x);
        Source source = doc.choice("source", sources, null);
        String formType = doc.string("formType");
        String name = doc.string("name", null);
        boolean createPatient = doc.bool("createPatient", false);
        ValueSource caseId = source(doc.at("caseId"), false, false);

        Node p = doc.object("patient", true);
        List<Identifier> ids = new ArrayList<>();
        List<Attribute> attrs = new ArrayList<>();
        PatientFields patient = null;
        if (p != null) {
            for (Node n : p.list("identifiers")) {
                ids.add(new Identifier(uuid(n, "identifierType", true), source(n.at("value"), false, true),
                        uuid(n, "location", false), n.bool("matchOn", true)));
            }
            for (Node n : p.list("attributes")) {
                attrs.add(new Attribute(uuid(n, "attributeType", true), source(n.at("value"), false, true)));
            }
            patient = new PatientFields(ids, source(p.at("givenName"), false, createPatient),
                    source(p.at("middleName"), false, false),
                    source(p.at("familyName"), false, createPatient),
                    source(p.at("gender"), false, createPatient),
                    source(p.at("birthdate"), false, false),
                    p.bool("birthdateEstimated", false), attrs);
            if (ids.isEmpty() && caseId == null && !doc.has("matcher")) {
                p.problem("identifiers", "no way to find a patient: give identifiers, a caseId or a matcher");
            }
        }

        Matcher matcher = null;
        Node m = doc.object("matcher", false);
        if (m != null) {
            List<Weight> weights = new ArrayList<>();
            List<Node> w = m.list("weights");
            if (w.isEmpty()) m.problem("weights", "a matcher needs at least one weight");
            for (Node n : w) {
                String field = n.string("field");
                if (field != null && !List.of("givenName", "familyName", "gender", "birthdate", "identifier").contains(field)) {
                    n.problem("field", "'" + field + "' is not one of givenName, familyName, gender, birthdate, identifier");
                }
                MatchType mt = n.enumOf("match", MatchType.class, MatchType.EXACT);
                double weight = n.number("weight", 0);
                if (weight <= 0) n.problem("weight", "must be a number > 0");
                weights.add(new Weight(field, source(n.at("value"), false, true), weight, mt, n.number("param", 0)));
            }
            Map<String, IdentifierConflict> conflicts = new LinkedHashMap<>();
            for (IdentifierConflict x : IdentifierConflict.values()) conflicts.put(x.label, x);
            IdentifierConflict onConflict = m.choice("onIdentifierConflict", conflicts, IdentifierConflict.RULE_OUT);
            matcher = new Matcher(source(m.at("search"), false, true), weights,
                    m.number("threshold", 1.0), m.number("confidenceMargin", 0.667), onConflict);
        }

        VisitFields visit = null;
        Node v = doc.object("visit", false);
        if (v != null) {
            int window = v.integer("windowHours", 24);
            if (window < 1 || window > 24) v.problem("windowHours", "must be 1..24 (a visit ends the same day, within 24 h)");
            Map<String, VisitReuse> reuses = new LinkedHashMap<>();
            for (VisitReuse x : VisitReuse.values()) reuses.put(x.label, x);
            VisitReuse reuse = v.choice("reuse", reuses, VisitReuse.NEW);
            visit = new VisitFields(uuid(v, "visitType", true), window, reuse);
        }

        EncounterFields encounter = null;
        Node e = doc.object("encounter", true);
        if (e != null) {
            ZoneId zone = e.zone("timeZone", ZoneId.of("UTC"));
            DataType dt = e.enumOf("datetimeType", DataType.class, DataType.DATETIME);
            if (dt != DataType.DATE && dt != DataType.DATETIME) e.problem("datetimeType", "must be date or datetime");
            ValueSource when = source(e.at("datetime"), false, false);
            if (when == null) {
                // CHT: the outbound mapping's "reported_date" (doc.reported_date, ms since 1970, read as UTC)
                when = ValueSource.path(source == Source.OPENSRP ? "event/eventDate" : source == Source.CHT ? "reported_date" : "metadata/timeEnd", Map.of(), true, null);
            }
            encounter = new EncounterFields(uuid(e, "encounterType", true), when, dt, zone,
                    source(e.at("location"), true, true),
                    source(e.at("provider"), true, false),
                    uuid(e, "encounterRole", false), uuid(e, "form", false));
            if (encounter.provider() != null && encounter.encounterRole() == null) {
                e.problem("encounterRole", "required when a provider is mapped");
            }
        }

        List<Observation> obs = new ArrayList<>();
        for (Node n : doc.list("observations")) {
            DataType dt = n.enumOf("dataType", DataType.class, null);
            ValueSource value = source(n.at("value"), false, true);
            if (dt == DataType.CODED && value != null && value.valueMap().isEmpty() && value.constant() == null) {
                n.problem("value.valueMap", "a coded observation needs a valueMap (form answer -> answer concept uuid)");
            }
            if (dt == DataType.CODED && value != null) {
                value.valueMap().forEach((k, x) -> {
                    if (!UUID_LIKE.matcher(x).matches()) n.problem("value.valueMap." + k, "'" + x + "' is not a concept uuid");
                });
            }
            obs.add(new Observation(uuid(n, "concept", true), value, dt == null ? DataType.TEXT : dt));
        }

        Map<String, String> writeBack = new LinkedHashMap<>();
        Node wb = doc.at("writeBack");
        wb.members("properties").forEach((property, target) -> {
            if (!CASE_PROPERTY.matcher(property).matches()) target.problem("not a case property name (an XML name)");
            String t = target.json().asText();
            if (!WRITE_BACK_VALUES.contains(t)) target.problem("'" + t + "' is not one of " + WRITE_BACK_VALUES);
            writeBack.put(property, t);
        });
        if (!writeBack.isEmpty() && source != null && source != Source.COMMCARE) wb.problem("write-back goes to a CommCare case: only for source commcare");

        if (!doc.clean()) return null;
        return new FormMapping(doc.file(), source, formType, name == null ? formType : name, createPatient, caseId,
                patient, matcher, visit, encounter, List.copyOf(obs), Map.copyOf(writeBack));
    }

    private static String uuid(Node n, String field, boolean required) {
        return n.matching(field, required, UUID_LIKE, "an OpenMRS uuid");
    }

    /**
     * A value source: a path string, or {@code {"path"|"value", "valueMap", "required", "timeZone"}}. With
     * {@code textIsConstant} a plain string is a constant uuid (location, provider), not a path.
     */
    private static ValueSource source(Node n, boolean textIsConstant, boolean required) {
        JsonNode j = n.json();
        if (n.isMissing()) {
            if (required) n.problem("is required");
            return null;
        }
        if (j.isTextual()) {
            if (j.asText().isBlank()) {
                n.problem("must not be empty");
                return null;
            }
            if (textIsConstant) {
                if (!UUID_LIKE.matcher(j.asText()).matches()) n.problem("'" + j.asText() + "' is not an OpenMRS uuid");
                return ValueSource.constant(j.asText());
            }
            return ValueSource.path(j.asText(), Map.of(), false, null);
        }
        if (!j.isObject()) {
            n.problem("must be a path string or an object {path|value, valueMap, required}");
            return null;
        }
        String path = n.string("path", null);
        String constant = n.string("value", null);
        if ((path == null) == (constant == null)) {
            n.problem("give exactly one of 'path' and 'value'");
            return null;
        }
        Map<String, String> map = n.stringMap("valueMap", "{form answer: OpenMRS value}");
        ZoneId zone = n.zone("timeZone", null);
        boolean required2 = n.bool("required", false);
        if (constant != null) return new ValueSource(null, constant, Map.copyOf(map), required2, zone);
        return ValueSource.path(path, Map.copyOf(map), required2, zone);
    }
}
