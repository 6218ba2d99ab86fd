package org.chis.common.systems.commcare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.chis.common.json.Json;

/** A case as the Case Data API v2 serialises it. Property values are strings (HQ stores them as text). */
public record CommCareCase(String domain, String caseId, String caseType, String caseName, String externalId, String ownerId,
                           Instant dateOpened, Instant lastModified, Instant serverLastModified, boolean closed,
                           Map<String, String> properties, Map<String, Index> indices) {

    public record Index(String caseId, String caseType, String relationship) {}

    public CommCareCase {
        properties = properties == null ? Map.of() : Map.copyOf(properties);
        indices = indices == null ? Map.of() : Map.copyOf(indices);
    }

    /** A case property; also answers the special names case_name, external_id, owner_id, case_type. */
    public String property(String name) {
        return switch (name) {
            case "case_name" -> caseName;
            case "external_id" -> externalId;
            case "owner_id" -> ownerId;
            case "case_type" -> caseType;
            case "case_id" -> caseId;
            default -> properties.get(name);
        };
    }

    public static CommCareCase fromJson(JsonNode j) {
        Map<String, String> props = new LinkedHashMap<>();
        j.path("properties").fields().forEachRemaining(f -> props.put(f.getKey(), f.getValue().isNull() ? null : f.getValue().asText()));
        Map<String, Index> idx = new LinkedHashMap<>();
        j.path("indices").fields().forEachRemaining(f -> idx.put(f.getKey(), new Index(f.getValue().path("case_id").asText(null),
                f.getValue().path("case_type").asText(null), f.getValue().path("relationship").asText(null))));
        return new CommCareCase(j.path("domain").asText(null), j.path("case_id").asText(null), j.path("case_type").asText(null),
                j.path("case_name").asText(null), text(j, "external_id"), text(j, "owner_id"), time(j, "date_opened"),
                time(j, "last_modified"), time(j, "server_last_modified"), j.path("closed").asBoolean(false), props, idx);
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("domain", domain).put("case_id", caseId).put("case_type", caseType).put("case_name", caseName)
                .put("external_id", externalId).put("owner_id", ownerId)
                .put("date_opened", dateOpened == null ? null : dateOpened.toString())
                .put("last_modified", lastModified == null ? null : lastModified.toString())
                .put("server_last_modified", serverLastModified == null ? null : serverLastModified.toString())
                .put("closed", closed);
        ObjectNode p = o.putObject("properties");
        properties.forEach(p::put);
        ObjectNode i = o.putObject("indices");
        indices.forEach((k, v) -> i.putObject(k).put("case_id", v.caseId()).put("case_type", v.caseType()).put("relationship", v.relationship()));
        return o;
    }

    private static String text(JsonNode j, String field) {
        JsonNode v = j.get(field);
        return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
    }

    // HQ writes "2021-05-04T10:11:12.123456Z", sometimes without the Z
    static Instant time(JsonNode j, String field) {
        String t = text(j, field);
        if (t == null) return null;
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                try {
                    return LocalDate.parse(t).atStartOfDay().toInstant(ZoneOffset.UTC);
                } catch (DateTimeParseException e3) {
                    return null;
                }
            }
        }
    }
}
