package org.chis.common.systems.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** A FHIR resource as the server returned it (JSON), with the bits every caller needs: type, id, version. */
public record FhirResource(ObjectNode json) {

    public static FhirResource of(JsonNode json) {
        if (!(json instanceof ObjectNode o) || !json.hasNonNull("resourceType")) {
            throw new IllegalArgumentException("not a FHIR resource: " + (json == null ? "null" : json.getNodeType()));
        }
        return new FhirResource(o);
    }

    public String resourceType() { return json.path("resourceType").asText(); }

    public String id() { return json.path("id").asText(null); }

    /** {@code meta.versionId}, what an {@code If-Match} must name; null when the server keeps no versions. */
    public String versionId() { return json.path("meta").path("versionId").asText(null); }

    public Instant lastUpdated() {
        String v = json.path("meta").path("lastUpdated").asText(null);
        if (v == null) return null;
        try {
            return OffsetDateTime.parse(v).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The relative reference other resources use, e.g. {@code Task/123}. */
    public String reference() { return resourceType() + "/" + id(); }

    /** The first identifier value of {@code system}, or null. */
    public String identifier(String system) {
        for (JsonNode i : json.path("identifier")) {
            if (system.equals(i.path("system").asText())) return i.path("value").asText(null);
        }
        return null;
    }

    public String text(String field) { return json.path(field).asText(null); }
}
