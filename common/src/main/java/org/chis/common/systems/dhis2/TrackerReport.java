package org.chis.common.systems.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.chis.common.json.Json;

/**
 * What {@code POST /api/tracker?async=false} answered: overall status (OK, WARNING, ERROR; DHIS2 answers 409
 * for ERROR), the stats, and every error and warning with the object it is about. Errors are collected from
 * {@code validationReport} and from the per-object reports of {@code bundleReport}, without duplicates.
 */
public record TrackerReport(int httpStatus, String status, int created, int updated, int deleted, int ignored, int total,
                            List<ObjectReport> errors, List<ObjectReport> warnings, String message) {

    /** One error or warning about one tracker object. */
    public record ObjectReport(String trackerType, String uid, String errorCode, String message) {
        public String text() {
            return (trackerType == null ? "" : trackerType + " ") + (uid == null ? "" : uid + ": ")
                    + (errorCode == null ? "" : errorCode + " ") + (message == null ? "" : message);
        }
    }

    public boolean ok() { return !status.equals("ERROR"); }

    public static TrackerReport parse(int httpStatus, String body) {
        JsonNode root;
        try {
            root = Json.parse(body == null ? "" : body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("DHIS2 tracker answered HTTP " + httpStatus + " with a body that is not JSON: " + ImportSummary.excerpt(body));
        }
        if (!root.isObject()) throw new IllegalArgumentException("DHIS2 tracker answered HTTP " + httpStatus + " with unexpected JSON: " + ImportSummary.excerpt(body));
        JsonNode response = root.path("response");
        if (!root.has("validationReport") && !root.has("stats") && !root.has("bundleReport")) {
            if (response.has("id") && response.path("location").asText("").contains("/tracker/jobs/")) {
                throw new IllegalArgumentException("DHIS2 queued an asynchronous tracker job instead of importing (async=true?): " + ImportSummary.excerpt(body));
            }
            // a WebMessage turning down the whole request (bad parameter, unknown import strategy ...)
            if (root.has("httpStatus") || root.has("status")) {
                String msg = root.path("message").asText("tracker import rejected");
                return new TrackerReport(httpStatus, "ERROR", 0, 0, 0, 0, 0,
                        List.of(new ObjectReport(null, null, root.path("errorCode").asText(null), msg)), List.of(), msg);
            }
            throw new IllegalArgumentException("DHIS2 tracker answered HTTP " + httpStatus + " without an import report: " + ImportSummary.excerpt(body));
        }
        String status = root.path("status").asText(httpStatus == 409 ? "ERROR" : "OK").toUpperCase(Locale.ROOT);
        JsonNode stats = root.path("stats");
        Set<ObjectReport> errors = new LinkedHashSet<>(reports(root.path("validationReport").path("errorReports")));
        Set<ObjectReport> warnings = new LinkedHashSet<>(reports(root.path("validationReport").path("warningReports")));
        for (JsonNode type : root.path("bundleReport").path("typeReportMap")) {
            for (JsonNode object : type.path("objectReports")) errors.addAll(reports(object.path("errorReports")));
        }
        if (status.equals("OK") && !errors.isEmpty()) status = "ERROR";
        return new TrackerReport(httpStatus, status, stats.path("created").asInt(), stats.path("updated").asInt(),
                stats.path("deleted").asInt(), stats.path("ignored").asInt(), stats.path("total").asInt(),
                List.copyOf(errors), List.copyOf(warnings), root.path("message").asText(null));
    }

    private static List<ObjectReport> reports(JsonNode array) {
        List<ObjectReport> out = new ArrayList<>();
        for (JsonNode e : array) {
            out.add(new ObjectReport(e.path("trackerType").asText(null), e.path("uid").asText(null),
                    e.path("errorCode").asText(null), e.path("message").asText(null)));
        }
        return out;
    }
}
