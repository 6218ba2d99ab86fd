package org.chis.mediator.commcareopenmrs.feeds;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;

/**
 * What the OpenMRS feeds write into CommCare ({@code feeds.json}): the case type and owner of cases made for new
 * patients (one {@code ownerId}, or {@code owner} by the patient's location), the xmlns of the suite's own
 * submissions, patient fields -> case properties and encounter observations -> case properties, each with a conflict
 * policy; which patients go at all ({@code cohort}, {@code locationFrom}) and whether new cases may be made
 * ({@code updateOnly}). Validated at start-up; every problem is listed with the file and the JSON path.
 */
public record FeedMapping(String caseType, CaseOwner owner, String xmlns, String caseNameFrom, List<PropertyRule> patient,
                          String encounterDateProperty, String encounterTypeProperty, List<PropertyRule> observations,
                          PatientLocation location, CohortFilter cohort, boolean updateOnly) {

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

    /** Reads and checks {@code feeds.json}; every problem (file, JSON path, what is wrong) in one {@link ConfigException}. */
    public static FeedMapping load(Path file) {
        List<ConfigProblem> problems = new ArrayList<>();
        Node root = JsonConfigReader.read(file, file.toString(), problems);
        FeedMapping m = root == null ? null : read(root);
        ConfigException.throwIfAny("the feed mapping " + file, problems);
        return m;
    }

    /** The mapping, or null when {@code root} has problems (recorded in its reader). */
    static FeedMapping read(Node root) {
        if (!root.requireObject("must be a JSON object")) return null;
        String caseType = root.string("caseType");
        CaseOwner owner = CaseOwner.read(root);
        PatientLocation location = PatientLocation.read(root);
        CohortFilter cohort = CohortFilter.read(root);
        boolean updateOnly = root.bool("updateOnly", false);
        String xmlns = root.string("xmlns", "http://chis.org/xforms/openmrs-feed");
        Node patient = root.at("patient");
        String caseName = patient.string("caseName", "fullName");
        if (!PATIENT_FIELD.matcher(caseName).matches()) patient.problem("caseName", "unknown patient field '" + caseName + "'");
        Set<String> seen = new HashSet<>();
        List<PropertyRule> patientRules = rules(patient.list("properties"), "from", seen, true);
        Node enc = root.at("encounter");
        String dateProp = enc.matching("dateProperty", false, XML_NAME, "an XML name");
        String typeProp = enc.matching("typeProperty", false, XML_NAME, "an XML name");
        List<PropertyRule> obsRules = rules(enc.list("observations"), "concept", seen, false);
        if (!root.clean()) return null;
        return new FeedMapping(caseType, owner, xmlns, caseName, patientRules, dateProp, typeProp, obsRules, location, cohort, updateOnly);
    }

    private static List<PropertyRule> rules(List<Node> list, String fromField, Set<String> seen, boolean patientField) {
        List<PropertyRule> out = new ArrayList<>();
        for (Node r : list) {
            String property = r.matching("property", true, XML_NAME, "an XML name (letters, digits, _ . -)");
            if (property != null && property.startsWith(SHADOW_PREFIX)) {
                r.problem("property", "'" + property + "': the " + SHADOW_PREFIX + " prefix is reserved for shadow properties");
            }
            if (property != null && !seen.add(property)) r.problem("property", "'" + property + "' is mapped twice");
            String from = r.string(fromField);
            if (patientField && from != null && !PATIENT_FIELD.matcher(from).matches()) {
                r.problem(fromField, "unknown patient field '" + from + "' (givenName, familyName, gender, birthdate, dead, "
                        + "identifier:<type uuid>, attribute:<type uuid>, address:<field> ...)");
            }
            ConflictPolicy policy = ConflictPolicy.OPENMRS_WINS;
            try {
                policy = ConflictPolicy.parse(r.string("conflict", null));
            } catch (IllegalArgumentException e) {
                r.problem("conflict", e.getMessage());
            }
            Map<String, String> map = r.stringMap("valueMap", "of OpenMRS value -> case value");
            out.add(new PropertyRule(property, from, policy, Map.copyOf(map)));
        }
        return List.copyOf(out);
    }
}
