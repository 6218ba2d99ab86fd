package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What HAPI's verdict on one of our resources depends on: the structure and every value, except that the values a
 * referral fills in (names, identifiers, texts, ids, references, dates and times) count only by what the R4 rules can
 * see of them. A free text that is plainly valid as a FHIR {@code string} and {@code code} (no control characters, no
 * leading, trailing or double white space, no markup) stands as {@code ~text}; a valid id as {@code ~id}; a date in a
 * sane year by its precision; the date-times (any precision or offset is valid) by how each compares with each other
 * one, '?' where FHIRPath cannot tell (the only thing the invariants, e.g. Task inv-1 and Period per-1, look at). Any other value stays as it is, so an odd value is
 * always judged by the validator itself. Two resources with the same shape get the same verdict, which is what lets
 * {@link FhirValidation} validate a referral's resources once per shape instead of once per referral.
 * <p>
 * The element types are those of R4 Patient, ServiceRequest and Task; other resource types keep every value.
 */
final class ValidationShape {
    /** string / code / markdown elements our resources fill from the referral or the facility's status change. */
    private static final Set<String> TEXT = Set.of("identifier.value", "name.family", "name.given", "telecom.value", "meta.tag.code",
            "meta.tag.display", "code.text", "reasonCode.text", "note.text", "requester.display", "requester.identifier.value",
            "performer.display", "performer.identifier.value", "owner.display", "owner.identifier.value", "description",
            "statusReason.text", "businessStatus.text", "businessStatus.coding.code");
    private static final Set<String> IDS = Set.of("id", "meta.versionId");
    private static final Set<String> DATES = Set.of("birthDate");
    private static final Set<String> DATE_TIMES = Set.of("authoredOn", "lastModified", "executionPeriod.start", "executionPeriod.end",
            "restriction.period.start", "restriction.period.end", "meta.lastUpdated", "occurrenceDateTime");
    private static final Set<String> TYPES = Set.of("Patient", "ServiceRequest", "Task");
    /** An identifier whose value must itself be a URI: keep the value. */
    private static final String URI_SYSTEM = "urn:ietf:rfc:3986";

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
    private static final Pattern REFERENCE = Pattern.compile("([A-Z][A-Za-z]{1,60})/([A-Za-z0-9\\-.]{1,64})");
    private static final Pattern DATE = Pattern.compile("(\\d{4})(-\\d{2}(-\\d{2})?)?");
    private static final Pattern DATE_TIME = Pattern.compile("(\\d{4})-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.(\\d{1,9}))?(Z|[+-]\\d{2}:\\d{2})");

    private final StringBuilder key = new StringBuilder(1024);
    private final List<Instant> times = new ArrayList<>();
    private final List<Integer> precisions = new ArrayList<>();

    private ValidationShape() {}

    /** The shape of {@code resource} as a string: equal shapes, equal verdicts. */
    static String of(JsonNode resource) {
        ValidationShape s = new ValidationShape();
        boolean ours = TYPES.contains(resource.path("resourceType").asText());
        s.walk(resource, ours ? "" : null, null);
        s.key.append('|');
        for (int i = 0; i < s.times.size(); i++) {
            for (int j = i + 1; j < s.times.size(); j++) s.key.append(s.compare(i, j));
        }
        return s.key.toString();
    }

    /** {@code path}: dotted element names from the resource (no indices); null = keep every value below. */
    private void walk(JsonNode n, String path, JsonNode parent) {
        if (n.isObject()) {
            key.append('{');
            for (Map.Entry<String, JsonNode> f : n.properties()) {
                key.append(quoted(f.getKey())).append(':');
                walk(f.getValue(), path == null ? null : path.isEmpty() ? f.getKey() : path + "." + f.getKey(), n);
                key.append(',');
            }
            key.append('}');
        } else if (n.isArray()) {
            key.append('[');
            for (JsonNode e : n) {
                walk(e, path, parent);
                key.append(',');
            }
            key.append(']');
        } else if (n.isTextual() && path != null) {
            key.append(token(n.asText(), path, parent));
        } else {
            key.append(n); // numbers, booleans, null and the values of other types: as they are
        }
    }

    private String token(String v, String path, JsonNode parent) {
        if (TEXT.contains(path) && plainText(v) && !(path.endsWith("identifier.value") && URI_SYSTEM.equals(parent.path("system").asText()))) {
            return "~text";
        }
        if (IDS.contains(path) && ID.matcher(v).matches()) return "~id";
        if (path.endsWith(".reference")) {
            Matcher m = REFERENCE.matcher(v);
            if (m.matches()) return "~ref:" + m.group(1);
        }
        if (DATES.contains(path) && saneDate(v)) return "~date:" + v.length();
        if (DATE_TIMES.contains(path)) {
            String t = dateTime(v);
            if (t != null) return t;
        }
        return "=" + quoted(v);
    }

    /** Valid as FHIR string, code and markdown alike. */
    static boolean plainText(String v) {
        int n = v.length();
        if (n == 0 || n > 10_000 || v.charAt(0) == ' ' || v.charAt(n - 1) == ' ') return false;
        for (int i = 0; i < n; i++) {
            char c = v.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == '<' || c == '>' || c == '&' || Character.isWhitespace(c) && c != ' ') return false;
            if (c == ' ' && v.charAt(i - 1) == ' ') return false;
            if (Character.isSurrogate(c) || c == '\u2028' || c == '\u2029' || c == '\ufeff') return false;
        }
        return true;
    }

    private static boolean saneDate(String v) {
        Matcher m = DATE.matcher(v);
        if (!m.matches() || !saneYear(m.group(1))) return false;
        if (v.length() == 4) return true;
        try {
            LocalDate.parse(v.length() == 7 ? v + "-01" : v);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** {@code ~t}, the value kept for the comparisons; null = not a plain date-time. */
    private String dateTime(String v) {
        Matcher m = DATE_TIME.matcher(v);
        if (!m.matches() || !saneYear(m.group(1))) return null;
        Instant at;
        try {
            at = OffsetDateTime.parse(v).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
        times.add(at);
        precisions.add(m.group(3) == null ? 0 : m.group(3).length());
        return "~t"; // any precision and offset is valid; what differs is in the comparisons
    }

    /** How two date-times compare; '?' when they differ in precision and agree up to the coarser one (FHIRPath: unknown). */
    private char compare(int i, int j) {
        Instant a = times.get(i), b = times.get(j);
        int pa = precisions.get(i), pb = precisions.get(j);
        if (pa != pb && truncated(a, Math.min(pa, pb)).equals(truncated(b, Math.min(pa, pb)))) return '?';
        int c = a.compareTo(b);
        return c < 0 ? '<' : c > 0 ? '>' : '=';
    }

    private static Instant truncated(Instant t, int fractionDigits) {
        long unit = (long) Math.pow(10, 9 - fractionDigits);
        return Instant.ofEpochSecond(t.getEpochSecond(), t.getNano() / unit * unit);
    }

    private static boolean saneYear(String year) {
        int y = Integer.parseInt(year);
        return y >= 1900 && y <= 2100;
    }

    private static String quoted(String v) {
        StringBuilder b = new StringBuilder(v.length() + 2).append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') b.append('\\');
            b.append(c);
        }
        return b.append('"').toString();
    }
}
