package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.chis.common.config.ConfigException;
import org.chis.common.json.Json;

/**
 * What the OpenMRS feeds write into CommCare ({@code feeds.json}): the case type and owner of cases made for new
 * patients, the xmlns of the suite's own submissions, patient fields -> case properties and encounter observations
 * -> case properties, each with a conflict policy. Validated at start-up; errors name the file and the JSON path.
 */
public record FeedMapping(String caseType, String ownerId, String xmlns, String caseNameFrom, List<PropertyRule> patient,
                          String encounterDateProperty, String encounterTypeProperty, List<PropertyRule> observations) {

    /** One case property fed from OpenMRS: {@code from} is a patient field or an obs concept uuid. */
    public record PropertyRule(String property, String from, ConflictPolicy conflict, Map<String, String> valueMap) {
        /** OpenMRS's value as the case stores it (value map applied; unmapped values pass through). */
        public String caseValue(String openmrsValue) {
            if (openmrsValue == null) return "";
            return valueMap.getOrDefault(openmrsValue, openmrsValue);
        }
    }

    public static final String SHADOW_PREFIX = "openmrs_";
    private static final Pattern XML_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");
    private static final Pattern PATIENT_FIELD = Pattern.compile(
            "givenName|middleName|familyName|fullName|gender|birthdate|birthdateEstimated|dead|deathDate"
                    + "|identifier:[0-9A-Za-z-]+|attribute:[0-9A-Za-z-]+|address:[A-Za-z0-9]+");

    public static FeedMapping load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the feed mapping (" + e.getMessage() + ")", e);
        }
        JsonNode root;
        try {
            root = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        return parse(root, file.toString());
    }

    public static FeedMapping parse(JsonNode root, String where) {
        if (!root.isObject()) throw bad(where, "$", "must be a JSON object");
        String caseType = required(root, "caseType", where, "$");
        String ownerId = required(root, "ownerId", where, "$");
        String xmlns = root.path("xmlns").asText("http://chis.org/xforms/openmrs-feed");
        JsonNode patient = root.path("patient");
        String caseName = patient.path("caseName").asText("fullName");
        if (!PATIENT_FIELD.matcher(caseName).matches()) throw bad(where, "$.patient.caseName", "unknown patient field '" + caseName + "'");
        Set<String> seen = new HashSet<>();
        List<PropertyRule> patientRules = rules(patient.path("properties"), "from", where, "$.patient.properties", seen, true);
        JsonNode enc = root.path("encounter");
        String dateProp = enc.path("dateProperty").asText(null);
        String typeProp = enc.path("typeProperty").asText(null);
        for (String[] p : new String[][] {{dateProp, "dateProperty"}, {typeProp, "typeProperty"}}) {
            if (p[0] != null && !XML_NAME.matcher(p[0]).matches()) throw bad(where, "$.encounter." + p[1], "'" + p[0] + "' is not an XML name");
        }
        List<PropertyRule> obsRules = rules(enc.path("observations"), "concept", where, "$.encounter.observations", seen, false);
        return new FeedMapping(caseType, ownerId, xmlns, caseName, patientRules, dateProp, typeProp, obsRules);
    }

    private static List<PropertyRule> rules(JsonNode list, String fromField, String where, String path, Set<String> seen, boolean patientField) {
        List<PropertyRule> out = new ArrayList<>();
        if (list.isMissingNode()) return out;
        if (!list.isArray()) throw bad(where, path, "must be an array");
        for (int i = 0; i < list.size(); i++) {
            JsonNode r = list.get(i);
            String at = path + "[" + i + "]";
            String property = required(r, "property", where, at);
            if (!XML_NAME.matcher(property).matches()) throw bad(where, at + ".property", "'" + property + "' is not an XML name (letters, digits, _ . -)");
            if (property.startsWith(SHADOW_PREFIX)) throw bad(where, at + ".property", "'" + property + "': the " + SHADOW_PREFIX + " prefix is reserved for shadow properties");
            if (!seen.add(property)) throw bad(where, at + ".property", "'" + property + "' is mapped twice");
            String from = required(r, fromField, where, at);
            if (patientField && !PATIENT_FIELD.matcher(from).matches()) {
                throw bad(where, at + "." + fromField, "unknown patient field '" + from + "' (givenName, familyName, gender, birthdate, dead, "
                        + "identifier:<type uuid>, attribute:<type uuid>, address:<field> ...)");
            }
            ConflictPolicy policy;
            try {
                policy = ConflictPolicy.parse(r.path("conflict").asText(null));
            } catch (IllegalArgumentException e) {
                throw bad(where, at + ".conflict", e.getMessage());
            }
            Map<String, String> map = new LinkedHashMap<>();
            JsonNode vm = r.path("valueMap");
            if (!vm.isMissingNode()) {
                if (!vm.isObject()) throw bad(where, at + ".valueMap", "must be an object of OpenMRS value -> case value");
                vm.fields().forEachRemaining(f -> map.put(f.getKey(), f.getValue().asText()));
            }
            out.add(new PropertyRule(property, from, policy, Map.copyOf(map)));
        }
        return List.copyOf(out);
    }

    private static String required(JsonNode n, String field, String where, String path) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) throw bad(where, path + "." + field, "is required (a non-empty string)");
        return v.asText();
    }

    private static ConfigException bad(String where, String path, String what) {
        return new ConfigException(where + ": " + path + " " + what);
    }
}
