package org.chis.simulators.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The search parameters the simulator understands, per resource type, with FHIR's matching rules for the
 * kinds we use: token ({@code system|code}, {@code |code}, {@code system|}, {@code code}), reference
 * ({@code Type/id}, {@code id}, absolute URL), string (starts with, case-insensitive) and date with the
 * {@code gt/ge/lt/le/eq} prefixes. Comma = OR within a parameter; repeated parameters = AND.
 * An unknown parameter is refused (400) the way HAPI does, listing the valid ones.
 */
final class FhirQuery {
    enum Kind { TOKEN, REFERENCE, STRING, DATE, ID }

    record Param(Kind kind, List<String> paths) {}

    /** Thrown for a search the server refuses (400 with an OperationOutcome). */
    static final class Refused extends RuntimeException {
        Refused(String message) { super(message); }
    }

    /** Control parameters: not filters. */
    static final List<String> CONTROL = List.of("_count", "_sort", "_total", "_summary", "_format", "_pretty",
            "_include", "_revinclude", "_elements", "_getpages", "_getpagesoffset", "_bundletype");

    private static final Map<String, Map<String, Param>> PARAMS = new LinkedHashMap<>();

    static {
        def("Patient", "identifier", Kind.TOKEN, "identifier");
        def("Patient", "name", Kind.STRING, "name.family", "name.given", "name.text");
        def("Patient", "family", Kind.STRING, "name.family");
        def("Patient", "given", Kind.STRING, "name.given");
        def("Patient", "gender", Kind.TOKEN, "gender");
        def("Patient", "birthdate", Kind.DATE, "birthDate");
        def("Patient", "phone", Kind.TOKEN, "telecom.value");
        def("Patient", "active", Kind.TOKEN, "active");
        def("Task", "identifier", Kind.TOKEN, "identifier");
        def("Task", "status", Kind.TOKEN, "status");
        def("Task", "business-status", Kind.TOKEN, "businessStatus");
        def("Task", "intent", Kind.TOKEN, "intent");
        def("Task", "priority", Kind.TOKEN, "priority");
        def("Task", "code", Kind.TOKEN, "code");
        def("Task", "patient", Kind.REFERENCE, "for");
        def("Task", "subject", Kind.REFERENCE, "for");
        def("Task", "focus", Kind.REFERENCE, "focus");
        def("Task", "owner", Kind.REFERENCE, "owner");
        def("Task", "requester", Kind.REFERENCE, "requester");
        def("Task", "based-on", Kind.REFERENCE, "basedOn");
        def("Task", "authored-on", Kind.DATE, "authoredOn");
        def("Task", "modified", Kind.DATE, "lastModified");
        def("ServiceRequest", "identifier", Kind.TOKEN, "identifier");
        def("ServiceRequest", "status", Kind.TOKEN, "status");
        def("ServiceRequest", "intent", Kind.TOKEN, "intent");
        def("ServiceRequest", "priority", Kind.TOKEN, "priority");
        def("ServiceRequest", "code", Kind.TOKEN, "code");
        def("ServiceRequest", "subject", Kind.REFERENCE, "subject");
        def("ServiceRequest", "patient", Kind.REFERENCE, "subject");
        def("ServiceRequest", "requester", Kind.REFERENCE, "requester");
        def("ServiceRequest", "performer", Kind.REFERENCE, "performer");
        def("ServiceRequest", "authored", Kind.DATE, "authoredOn");
        for (String t : List.of("Organization", "Location", "Practitioner")) {
            def(t, "identifier", Kind.TOKEN, "identifier");
            def(t, "name", Kind.STRING, "name", "name.family", "name.given");
        }
        for (String t : List.of("Encounter", "Observation", "Condition")) {
            def(t, "identifier", Kind.TOKEN, "identifier");
            def(t, "subject", Kind.REFERENCE, "subject");
            def(t, "patient", Kind.REFERENCE, "subject");
            def(t, "code", Kind.TOKEN, "code");
        }
        // Appointment as R4 defines its search parameters: date = start, actor/patient = participant.actor
        def("Appointment", "identifier", Kind.TOKEN, "identifier");
        def("Appointment", "status", Kind.TOKEN, "status");
        def("Appointment", "date", Kind.DATE, "start");
        def("Appointment", "patient", Kind.REFERENCE, "participant.actor");
        def("Appointment", "actor", Kind.REFERENCE, "participant.actor");
        def("Appointment", "service-type", Kind.TOKEN, "serviceType");
        def("Encounter", "status", Kind.TOKEN, "status");
        def("Observation", "status", Kind.TOKEN, "status");
    }

    private static void def(String type, String name, Kind kind, String... paths) {
        PARAMS.computeIfAbsent(type, t -> new LinkedHashMap<>()).put(name, new Param(kind, List.of(paths)));
    }

    private static Param param(String type, String name) {
        return switch (name) {
            case "_id" -> new Param(Kind.ID, List.of("id"));
            case "_lastUpdated" -> new Param(Kind.DATE, List.of("meta.lastUpdated"));
            default -> PARAMS.getOrDefault(type, Map.of()).get(name);
        };
    }

    /** Filters and sorts; {@code params} are decoded name/value pairs in request order. */
    static List<ObjectNode> run(String type, List<ObjectNode> candidates, List<Map.Entry<String, String>> params) {
        List<ObjectNode> out = new ArrayList<>(candidates);
        for (Map.Entry<String, String> p : params) {
            String name = p.getKey();
            if (CONTROL.contains(name)) continue;
            String modifier = null;
            int colon = name.indexOf(':');
            if (colon > 0) {
                modifier = name.substring(colon + 1);
                name = name.substring(0, colon);
            }
            Param def = param(type, name);
            if (def == null) {
                TreeSet<String> valid = new TreeSet<>(PARAMS.getOrDefault(type, Map.of()).keySet());
                valid.add("_id");
                valid.add("_lastUpdated");
                throw new Refused("HAPI-0524: Unknown search parameter \"" + name + "\" for resource type \"" + type
                        + "\". Valid search parameters for this search are: " + valid);
            }
            if (modifier != null && !(modifier.equals("exact") && def.kind() == Kind.STRING) && !modifier.equals("missing")) {
                throw new Refused("HAPI-1935: Invalid search parameter modifier \":" + modifier + "\" for parameter \"" + name + "\"");
            }
            final String mod = modifier;
            String[] alternatives = p.getValue().split(",");
            out.removeIf(r -> !matchesAny(r, def, alternatives, mod));
        }
        sort(out, params);
        return out;
    }

    private static boolean matchesAny(ObjectNode r, Param def, String[] alternatives, String modifier) {
        List<JsonNode> values = new ArrayList<>();
        for (String path : def.paths()) collect(r, path.split("\\."), 0, values);
        if ("missing".equals(modifier)) {
            boolean missing = values.isEmpty();
            return Boolean.parseBoolean(alternatives[0]) == missing;
        }
        for (String alt : alternatives) {
            for (JsonNode v : values) {
                if (matches(def.kind(), v, alt.trim(), modifier)) return true;
            }
        }
        return false;
    }

    /** Walks a dotted path through objects and arrays, collecting every value found. */
    private static void collect(JsonNode node, String[] path, int i, List<JsonNode> out) {
        if (node == null || node.isMissingNode() || node.isNull()) return;
        if (node.isArray()) {
            node.forEach(n -> collect(n, path, i, out));
            return;
        }
        if (i == path.length) {
            out.add(node);
            return;
        }
        collect(node.get(path[i]), path, i + 1, out);
    }

    private static boolean matches(Kind kind, JsonNode v, String wanted, String modifier) {
        return switch (kind) {
            case ID -> v.asText().equals(wanted);
            case TOKEN -> token(v, wanted);
            case REFERENCE -> reference(v, wanted);
            case STRING -> "exact".equals(modifier) ? v.asText().equals(wanted)
                    : v.asText().toLowerCase(Locale.ROOT).startsWith(wanted.toLowerCase(Locale.ROOT));
            case DATE -> date(v.asText(), wanted);
        };
    }

    private static boolean token(JsonNode v, String wanted) {
        String system = null;
        String code = wanted;
        int bar = wanted.indexOf('|');
        if (bar >= 0) {
            system = wanted.substring(0, bar);
            code = wanted.substring(bar + 1);
        }
        if (v.isValueNode()) return system == null || system.isEmpty() ? v.asText().equals(code) : false;
        if (v.has("value") && !v.has("coding")) { // Identifier (or ContactPoint)
            return tokenParts(v.path("system").asText(null), v.path("value").asText(null), system, code);
        }
        if (v.has("coding")) { // CodeableConcept
            for (JsonNode c : v.path("coding")) {
                if (tokenParts(c.path("system").asText(null), c.path("code").asText(null), system, code)) return true;
            }
            return system == null && v.path("text").asText("").equalsIgnoreCase(code);
        }
        if (v.has("code")) return tokenParts(v.path("system").asText(null), v.path("code").asText(null), system, code);
        return false;
    }

    /** system null = any system; "" = no system; code "" (from "system|") = any code. */
    private static boolean tokenParts(String haveSystem, String haveCode, String system, String code) {
        if (system != null) {
            if (system.isEmpty() ? haveSystem != null : !system.equals(haveSystem)) return false;
        }
        return code.isEmpty() || code.equals(haveCode);
    }

    private static boolean reference(JsonNode v, String wanted) {
        String ref = v.path("reference").asText(null);
        if (ref == null) return false;
        if (ref.equals(wanted)) return true;
        if (!wanted.contains("/")) return ref.endsWith("/" + wanted);
        return ref.endsWith("/" + wanted) || wanted.endsWith("/" + ref);
    }

    private static boolean date(String have, String wanted) {
        String prefix = "eq";
        if (wanted.length() > 2 && Character.isLetter(wanted.charAt(0)) && Character.isLetter(wanted.charAt(1))) {
            prefix = wanted.substring(0, 2);
            wanted = wanted.substring(2);
        }
        Instant[] want = range(wanted.replace(' ', '+')); // a '+' offset sent unencoded arrives as a space
        Instant[] got = range(have);
        if (want == null) throw new Refused("HAPI-1882: Invalid date/time format: \"" + wanted + "\"");
        if (got == null) return false;
        return switch (prefix) {
            case "gt" -> got[1].isAfter(want[1]);
            case "ge" -> !got[0].isBefore(want[0]);
            case "lt" -> got[0].isBefore(want[0]);
            case "le" -> got[0].isBefore(want[1]);
            case "eq" -> !got[0].isBefore(want[0]) && got[1].compareTo(want[1]) <= 0;
            case "ne" -> got[0].isBefore(want[0]) || got[1].compareTo(want[1]) > 0;
            default -> throw new Refused("HAPI-1883: Invalid date prefix \"" + prefix + "\" in \"" + prefix + wanted + "\"");
        };
    }

    /** The instant range a FHIR date/dateTime/instant covers: [start, end). A day covers 24 h, an instant 1 ms. */
    static Instant[] range(String s) {
        try {
            if (s.length() == 4) {
                Instant a = LocalDate.of(Integer.parseInt(s), 1, 1).atStartOfDay().toInstant(ZoneOffset.UTC);
                return new Instant[] {a, LocalDate.of(Integer.parseInt(s) + 1, 1, 1).atStartOfDay().toInstant(ZoneOffset.UTC)};
            }
            if (s.length() == 7) {
                LocalDate d = LocalDate.parse(s + "-01");
                return new Instant[] {d.atStartOfDay().toInstant(ZoneOffset.UTC), d.plusMonths(1).atStartOfDay().toInstant(ZoneOffset.UTC)};
            }
            if (s.length() == 10) {
                LocalDate d = LocalDate.parse(s);
                return new Instant[] {d.atStartOfDay().toInstant(ZoneOffset.UTC), d.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC)};
            }
            Instant at;
            try {
                at = OffsetDateTime.parse(s).toInstant();
            } catch (DateTimeParseException e) {
                at = LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
            }
            return new Instant[] {at, at.plusMillis(1)};
        } catch (DateTimeParseException | NumberFormatException e) {
            return null;
        }
    }

    private static void sort(List<ObjectNode> out, List<Map.Entry<String, String>> params) {
        String sort = params.stream().filter(p -> p.getKey().equals("_sort")).map(Map.Entry::getValue).findFirst().orElse("_lastUpdated");
        boolean desc = sort.startsWith("-");
        String field = desc ? sort.substring(1) : sort;
        Comparator<ObjectNode> c = switch (field) {
            case "_lastUpdated" -> Comparator.comparing(r -> range(r.path("meta").path("lastUpdated").asText())[0]);
            case "_id" -> Comparator.comparing(r -> r.path("id").asText());
            case "authored-on", "authored" -> Comparator.comparing(r -> r.path("authoredOn").asText(""));
            default -> throw new Refused("HAPI-1442: Unknown _sort parameter value \"" + field + "\"");
        };
        out.sort(desc ? c.reversed() : c);
    }
}
