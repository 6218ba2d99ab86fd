package org.chis.common.systems.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.chis.common.json.Json;

/**
 * What DHIS2 answered to a {@code dataValueSets} import, whatever the version's shape: the bare ImportSummary
 * (2.36/2.37, HTTP 200 even with conflicts), the WebMessage wrapper with the summary under {@code response}
 * (2.38+, HTTP 200, or 409 when there are conflicts), or a WebMessage without a summary (a whole-request
 * rejection such as an unknown data set).
 *
 * @param status SUCCESS, WARNING or ERROR (an "OK" WebMessage without a summary reads as SUCCESS)
 */
public record ImportSummary(int httpStatus, String status, int imported, int updated, int ignored, int deleted,
                            List<Conflict> conflicts, String description) {

    /**
     * One rejected value (or a whole-set problem when {@code indexes} is empty).
     *
     * @param object the offending id (data element, period, org unit ...), as DHIS2 reports it
     * @param value  DHIS2's explanation
     */
    public record Conflict(String object, String value, String errorCode, String property, List<Integer> indexes) {
        public String text() {
            return (errorCode == null ? "" : errorCode + " ") + (object == null ? "" : object + ": ") + (value == null ? "" : value);
        }
    }

    public int written() { return imported + updated + deleted; }

    /** DHIS2 took nothing of this request. */
    public boolean rejectedAll() { return status.equals("ERROR") && written() == 0; }

    /** Something was not taken: conflicts, ignored values, or a non-success status. */
    public boolean hasProblems() { return !conflicts.isEmpty() || ignored > 0 || !status.equals("SUCCESS"); }

    /**
     * Parses an answer body. Throws {@link IllegalArgumentException} when the body is not an import summary of
     * any known shape (HTML login page, proxy error text, async job reference).
     */
    public static ImportSummary parse(int httpStatus, String body) {
        JsonNode root;
        try {
            root = Json.parse(body == null ? "" : body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("DHIS2 answered HTTP " + httpStatus + " with a body that is not JSON: " + excerpt(body));
        }
        if (!root.isObject()) throw new IllegalArgumentException("DHIS2 answered HTTP " + httpStatus + " with unexpected JSON: " + excerpt(body));
        JsonNode response = root.path("response");
        JsonNode summary;
        if (isSummary(root)) {
            summary = root; // 2.36/2.37: the bare ImportSummary
        } else if (isSummary(response)) {
            summary = response; // 2.38+: WebMessage wrapper
        } else if (response.path("responseType").asText().startsWith("JobConfiguration") || response.has("jobType")) {
            throw new IllegalArgumentException("DHIS2 started an asynchronous import job instead of importing (async=true?): " + excerpt(body));
        } else if (root.has("httpStatus") || root.has("status")) {
            // a WebMessage without summary: the whole request was turned down
            String st = norm(root.path("status").asText("ERROR"));
            String message = root.path("message").asText(null);
            List<Conflict> conflicts = new ArrayList<>();
            for (JsonNode e : root.path("response").path("errorReports")) {
                conflicts.add(new Conflict(e.path("mainId").asText(null), e.path("message").asText(null), e.path("errorCode").asText(null), null, List.of()));
            }
            return new ImportSummary(httpStatus, httpStatus >= 400 && st.equals("SUCCESS") ? "ERROR" : st, 0, 0, 0, 0, conflicts, message);
        } else {
            throw new IllegalArgumentException("DHIS2 answered HTTP " + httpStatus + " without an import summary: " + excerpt(body));
        }
        JsonNode count = summary.path("importCount");
        List<Conflict> conflicts = new ArrayList<>();
        for (JsonNode c : summary.path("conflicts")) {
            List<Integer> indexes = new ArrayList<>();
            for (JsonNode i : c.path("indexes")) indexes.add(i.asInt());
            conflicts.add(new Conflict(text(c, "object"), text(c, "value"), text(c, "errorCode"), text(c, "property"), List.copyOf(indexes)));
        }
        String status = norm(summary.path("status").asText("SUCCESS"));
        // 2.36 sometimes reports SUCCESS next to conflicts: they still mean values were turned down
        if (status.equals("SUCCESS") && !conflicts.isEmpty()) status = "WARNING";
        String description = summary.path("description").asText(null);
        if (description == null) description = root.path("message").asText(null);
        return new ImportSummary(httpStatus, status, count.path("imported").asInt(), count.path("updated").asInt(),
                count.path("ignored").asInt(), count.path("deleted").asInt(), List.copyOf(conflicts), description);
    }

    private static boolean isSummary(JsonNode n) {
        return n.isObject() && (n.path("responseType").asText().equals("ImportSummary") || n.has("importCount"));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String norm(String status) {
        String s = status.toUpperCase(Locale.ROOT);
        return s.equals("OK") ? "SUCCESS" : s;
    }

    static String excerpt(String body) {
        if (body == null) return "(empty)";
        String s = body.replaceAll("\\s+", " ").trim();
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
