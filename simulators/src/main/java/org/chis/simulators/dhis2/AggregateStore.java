package org.chis.simulators.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.chis.common.json.Json;
import org.chis.common.systems.dhis2.Period;

/**
 * Aggregate data values as {@code /api/dataValueSets} stores them: one value per (data element, period,
 * org unit, category option combo, attribute option combo), so sending a value again updates it. Checks
 * every value against the metadata and reports conflicts the way the played DHIS2 version does.
 */
final class AggregateStore {
    /** A stored value, for tests to inspect. */
    record StoredValue(String dataElement, String period, String orgUnit, String categoryOptionCombo, String attributeOptionCombo, String value) {}

    /**
     * A conflict as DHIS2's ImportConflict.createConflict builds it (2.38+): {@code objects} maps each argument to the
     * schema's singular name of its type (dataElement, period, organisationUnit, categoryOptionCombo, dataSet), or to
     * the conflict's property for a plain text argument; {@code object} is the first of them; conflicts group by
     * code and all the objects.
     */
    private record Problem(String code, Map<String, String> objects, String property, String message) {
        String object() { return objects.values().iterator().next(); }

        String groupingKey() { return code + "|" + String.join(":", objects.values()); }
    }

    private static Map<String, String> objects(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) m.put(keyValues[i], String.valueOf(keyValues[i + 1]));
        return m;
    }

    private final Dhis2Metadata metadata;
    private final Supplier<LocalDate> today;
    private final Map<String, StoredValue> values = new ConcurrentHashMap<>();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean keepValues = true;
    private volatile int openFuturePeriods = 0;

    AggregateStore(Dhis2Metadata metadata, Supplier<LocalDate> today) {
        this.metadata = metadata;
        this.today = today;
    }

    void keepValues(boolean keep) { keepValues = keep; }

    void openFuturePeriods(int n) { openFuturePeriods = n; }

    void clear() {
        values.clear();
        received.set(0);
        requests.set(0);
    }

    List<StoredValue> values() { return List.copyOf(values.values()); }

    Optional<String> value(String de, String pe, String ou, String coc, String aoc) {
        return Optional.ofNullable(values.get(key(de, pe, ou, coc, aoc))).map(StoredValue::value);
    }

    long received() { return received.get(); }

    long requests() { return requests.get(); }

    /** Imports one set; returns HTTP status and body as the played version answers. */
    synchronized Answer importSet(JsonNode set, boolean dryRun, String strategy, Dhis2Version version) {
        requests.incrementAndGet();
        String dataSet = text(set, "dataSet");
        ObjectNode options = importOptions(dryRun, strategy);
        if (dataSet != null && !metadata.dataSets.containsKey(dataSet)) {
            JsonNode values = set.path("dataValues");
            return fatal(version, options, "Data set not found or not accessible: `" + dataSet + "`", "E7600", dataSet, values.size());
        }
        String topPeriod = text(set, "period");
        String topOrgUnit = text(set, "orgUnit");
        String topAoc = text(set, "attributeOptionCombo");
        int imported = 0, updated = 0, ignored = 0, deleted = 0;
        Map<String, List<Integer>> grouped = new LinkedHashMap<>();
        Map<String, Problem> problems = new LinkedHashMap<>();
        int index = 0;
        for (JsonNode v : set.path("dataValues")) {
            received.incrementAndGet();
            String de = text(v, "dataElement");
            String pe = or(text(v, "period"), topPeriod);
            String ou = or(text(v, "orgUnit"), topOrgUnit);
            String coc = or(text(v, "categoryOptionCombo"), Dhis2Metadata.DEFAULT_COMBO);
            String aoc = or(or(text(v, "attributeOptionCombo"), topAoc), Dhis2Metadata.DEFAULT_COMBO);
            String value = text(v, "value");
            Problem p = check(de, pe, ou, coc, aoc, value, text(v, "comment"));
            if (p != null) {
                String k = p.groupingKey();
                grouped.computeIfAbsent(k, x -> new ArrayList<>()).add(index);
                problems.putIfAbsent(k, p);
                ignored++;
                index++;
                continue;
            }
            String key = key(de, pe, ou, coc, aoc);
            boolean exists = values.containsKey(key);
            switch (strategy) {
                case "CREATE" -> { if (exists) ignored++; else imported++; }
                case "UPDATE" -> { if (exists) updated++; else ignored++; }
                case "DELETE" -> { if (exists) deleted++; else ignored++; }
                default -> { if (exists) updated++; else imported++; }
            }
            if (!dryRun && keepValues) {
                if (strategy.equals("DELETE")) values.remove(key);
                else if (!(strategy.equals("CREATE") && exists) && !(strategy.equals("UPDATE") && !exists)) {
                    values.put(key, new StoredValue(de, pe, ou, coc, aoc, value));
                }
            }
            index++;
        }
        ArrayNode conflicts = Json.array();
        for (var e : grouped.entrySet()) {
            Problem p = problems.get(e.getKey());
            ObjectNode c = conflicts.addObject();
            c.put("object", p.object());
            if (version.wrapsImportSummary()) {
                ObjectNode objects = c.putObject("objects");
                p.objects().forEach(objects::put);
                c.put("value", p.message());
                c.put("errorCode", p.code());
                c.put("property", p.property());
                ArrayNode idx = c.putArray("indexes");
                e.getValue().forEach(idx::add);
            } else {
                c.put("value", p.message());
            }
        }
        String status = conflicts.isEmpty() ? "SUCCESS" : "WARNING";
        ObjectNode summary = summary(status, options, "Import process completed successfully", imported, updated, ignored, deleted, conflicts);
        if (version.wrapsImportSummary()) {
            ArrayNode rejected = summary.putArray("rejectedIndexes");
            grouped.values().stream().flatMap(List::stream).sorted().forEach(rejected::add);
            boolean conflict = !conflicts.isEmpty();
            return new Answer(conflict ? 409 : 200, webMessage(conflict ? 409 : 200, conflict ? "WARNING" : "OK",
                    conflict ? "One more conflicts encountered, please check import summary." : "Import was successful.", summary));
        }
        return new Answer(200, summary);
    }

    private Problem check(String de, String pe, String ou, String coc, String aoc, String value, String comment) {
        Dhis2Metadata.ValueType type = de == null ? null : metadata.dataElements.get(de);
        if (type == null) return new Problem("E7610", objects("dataElement", de), "dataElement", "Data element not found or not accessible: `" + de + "`");
        Period period;
        try {
            period = Period.parse(pe);
        } catch (IllegalArgumentException e) {
            return new Problem("E7611", objects("period", pe), "period", "Period not valid: `" + pe + "`");
        }
        if (ou == null || !metadata.orgUnits.containsKey(ou)) {
            return new Problem("E7612", objects("organisationUnit", ou), "orgUnit", "Organisation unit not found or not accessible: `" + ou + "`");
        }
        if (!metadata.categoryOptionCombos.contains(coc)) {
            return new Problem("E7613", objects("categoryOptionCombo", coc), "categoryOptionCombo",
                    "Category option combo not found or not accessible for writing data: `" + coc + "`");
        }
        if (!metadata.attributeOptionCombos.contains(aoc)) {
            return new Problem("E7615", objects("categoryOptionCombo", aoc), "attributeOptionCombo",
                    "Attribute option combo not found or not accessible for writing data: `" + aoc + "`");
        }
        Period latestOpen = period.type().periodOf(today.get());
        for (int i = 0; i < openFuturePeriods; i++) latestOpen = latestOpen.next();
        if (period.start().isAfter(latestOpen.start())) {
            return new Problem("E7641", objects("period", pe, "dataElement", de), "period", "Period: `" + pe
                    + "` is after latest open future period: `" + latestOpen.id() + "` for data element: `" + de + "`");
        }
        if ((value == null || value.isEmpty()) && (comment == null || comment.isEmpty())) {
            return new Problem("E7618", objects("dataElement", de), "value", "Data value or comment not specified for data element: `" + de + "`");
        }
        if (value != null && !value.isEmpty() && !Dhis2Metadata.fits(type, value)) {
            // the second argument is the i18n key of ValidationUtils.dataValueIsValid, translated in the message
            String key = switch (type) {
                case NUMBER -> "value_not_numeric";
                case INTEGER -> "value_not_integer";
                case INTEGER_ZERO_OR_POSITIVE -> "value_not_zero_or_positive_integer";
                case BOOLEAN -> "value_not_bool";
                case TRUE_ONLY -> "value_not_true_only";
                case DATE -> "value_not_valid_date";
                case TEXT -> "value_length_greater_than_max_length";
            };
            return new Problem("E7619", objects("dataElement", de, "value", key), "value",
                    "Value must match data element's `" + de + "` type constraints: " + type);
        }
        return null;
    }

    private Answer fatal(Dhis2Version version, ObjectNode options, String message, String code, String object, int count) {
        ArrayNode conflicts = Json.array();
        ObjectNode c = conflicts.addObject().put("object", object);
        if (version.wrapsImportSummary()) {
            c.putObject("objects").put("dataSet", object);
            c.put("value", message).put("errorCode", code).put("property", "dataSet");
        } else {
            c.put("value", message);
        }
        ObjectNode summary = summary("ERROR", options, message, 0, 0, count, 0, conflicts);
        if (version.wrapsImportSummary()) {
            return new Answer(409, webMessage(409, "ERROR", "An error occurred, please check import summary.", summary));
        }
        return new Answer(200, summary);
    }

    private static ObjectNode summary(String status, ObjectNode options, String description, int imported, int updated, int ignored,
                                      int deleted, ArrayNode conflicts) {
        ObjectNode s = Json.object();
        s.put("responseType", "ImportSummary");
        s.put("status", status);
        s.set("importOptions", options);
        s.put("description", description);
        s.putObject("importCount").put("imported", imported).put("updated", updated).put("ignored", ignored).put("deleted", deleted);
        s.set("conflicts", conflicts);
        s.put("dataSetComplete", "false");
        return s;
    }

    static ObjectNode webMessage(int http, String status, String message, JsonNode response) {
        ObjectNode m = Json.object();
        m.put("httpStatus", http == 200 ? "OK" : http == 409 ? "Conflict" : http == 404 ? "Not Found" : http == 400 ? "Bad Request"
                : http == 401 ? "Unauthorized" : http == 415 ? "Unsupported Media Type" : "Internal Server Error");
        m.put("httpStatusCode", http);
        m.put("status", status);
        if (message != null) m.put("message", message);
        if (response != null) m.set("response", response);
        return m;
    }

    private static ObjectNode importOptions(boolean dryRun, String strategy) {
        ObjectNode o = Json.object();
        o.putObject("idSchemes");
        o.put("dryRun", dryRun);
        o.put("async", false);
        o.put("importStrategy", strategy);
        o.put("mergeMode", "REPLACE");
        o.put("reportMode", "FULL");
        o.put("skipExistingCheck", false);
        o.put("sharing", false);
        o.put("skipNotifications", false);
        o.put("skipAudit", false);
        o.put("datasetAllowsPeriods", false);
        o.put("strictPeriods", false);
        o.put("strictDataElements", false);
        o.put("strictCategoryOptionCombos", false);
        o.put("strictAttributeOptionCombos", false);
        o.put("strictOrganisationUnits", false);
        o.put("requireCategoryOptionCombo", false);
        o.put("requireAttributeOptionCombo", false);
        o.put("skipPatternValidation", false);
        o.put("force", false);
        return o;
    }

    private static String key(String de, String pe, String ou, String coc, String aoc) {
        return de + "|" + pe + "|" + ou + "|" + coc + "|" + aoc;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String or(String a, String b) { return a != null ? a : b; }

    record Answer(int status, JsonNode body) {}
}
