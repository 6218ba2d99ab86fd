package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.chis.common.config.JsonConfigReader.Node;

/**
 * Where a patient's location is read ({@code locationFrom} in {@code feeds.json}), for the cohort filter and the
 * case owner: each source in turn, the first that gives a location uuid wins. {@code encounter}: the location of the
 * encounter the entry is about (patient entries have none); {@code identifier}: the location of the preferred
 * identifier (else the first); {@code identifier:<type uuid>}: of that identifier type; {@code attribute:<type uuid>}:
 * a person attribute holding a location (OpenMRS's Location-format attributes, e.g. "Health Center").
 */
public record PatientLocation(List<String> from) {
    static final PatientLocation DEFAULT = new PatientLocation(List.of("identifier"));
    private static final Pattern SOURCE = Pattern.compile("encounter|identifier|identifier:[0-9A-Za-z-]+|attribute:[0-9A-Za-z-]+");

    /** Reads {@code locationFrom}: a source or a list of them; default {@code ["identifier"]}. */
    static PatientLocation read(Node root) {
        if (!root.has("locationFrom")) return DEFAULT;
        List<String> sources = new ArrayList<>();
        if (root.json().get("locationFrom").isTextual()) {
            sources.add(root.string("locationFrom"));
        } else {
            sources.addAll(root.strings("locationFrom"));
            if (sources.isEmpty()) root.problem("locationFrom", "must name at least one source");
        }
        for (String s : sources) {
            if (s != null && !SOURCE.matcher(s).matches()) {
                root.problem("locationFrom", "unknown location source '" + s + "' (encounter, identifier, identifier:<type uuid>, attribute:<type uuid>)");
            }
        }
        return new PatientLocation(List.copyOf(sources));
    }

    /** The patient's location uuid, or null when no source gives one; {@code encounter} may be null. */
    public String of(OpenMrsPatient patient, JsonNode encounter) {
        for (String source : from) {
            String loc = switch (source) {
                case "encounter" -> encounter == null ? null : uuid(encounter.path("location"));
                case "identifier" -> identifierLocation(patient, null);
                default -> source.startsWith("identifier:") ? identifierLocation(patient, source.substring("identifier:".length()))
                        : attributeLocation(patient, source.substring("attribute:".length()));
            };
            if (loc != null && !loc.isBlank()) return loc;
        }
        return null;
    }

    private static String identifierLocation(OpenMrsPatient p, String type) {
        if (p == null) return null;
        String first = null;
        for (JsonNode id : p.json().path("identifiers")) {
            if (id.path("voided").asBoolean(false)) continue;
            if (type != null && !type.equals(id.path("identifierType").path("uuid").asText())) continue;
            String loc = uuid(id.path("location"));
            if (loc == null) continue;
            if (type == null && id.path("preferred").asBoolean(false)) return loc;
            if (first == null) first = loc;
        }
        return first;
    }

    private static String attributeLocation(OpenMrsPatient p, String type) {
        if (p == null) return null;
        for (JsonNode a : p.json().path("person").path("attributes")) {
            if (!a.path("voided").asBoolean(false) && type.equals(a.path("attributeType").path("uuid").asText())) return uuid(a.path("value"));
        }
        return null;
    }

    // a reference {uuid, display} or a plain uuid string
    private static String uuid(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) return null;
        return n.isObject() ? n.path("uuid").asText(null) : n.asText(null);
    }
}
