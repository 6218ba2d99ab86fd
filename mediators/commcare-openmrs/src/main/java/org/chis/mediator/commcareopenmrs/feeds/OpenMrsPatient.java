package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;

/** An OpenMRS patient ({@code v=full}) read by the field names the feed mapping uses. */
public record OpenMrsPatient(JsonNode json) {
    public String uuid() { return json.path("uuid").asText(); }

    public boolean voided() { return json.path("voided").asBoolean(false) || json.path("person").path("voided").asBoolean(false); }

    /** The value of a mapped field, null when OpenMRS has none. */
    public String field(String from) {
        JsonNode person = json.path("person");
        JsonNode name = person.path("preferredName");
        if (from.startsWith("identifier:")) {
            String type = from.substring("identifier:".length());
            for (JsonNode id : json.path("identifiers")) {
                if (!id.path("voided").asBoolean(false) && type.equals(id.path("identifierType").path("uuid").asText())) {
                    return id.path("identifier").asText(null);
                }
            }
            return null;
        }
        if (from.startsWith("attribute:")) {
            String type = from.substring("attribute:".length());
            for (JsonNode a : person.path("attributes")) {
                if (!a.path("voided").asBoolean(false) && type.equals(a.path("attributeType").path("uuid").asText())) {
                    JsonNode v = a.path("value");
                    // coded attributes come back as {uuid, display}
                    return v.isObject() ? v.path("display").asText(v.path("uuid").asText(null)) : v.asText(null);
                }
            }
            return null;
        }
        if (from.startsWith("address:")) return text(person.path("preferredAddress").path(from.substring("address:".length())));
        return switch (from) {
            case "givenName" -> text(name.path("givenName"));
            case "middleName" -> text(name.path("middleName"));
            case "familyName" -> text(name.path("familyName"));
            case "fullName" -> fullName();
            case "gender" -> text(person.path("gender"));
            case "birthdate" -> date(text(person.path("birthdate")));
            case "birthdateEstimated" -> text(person.path("birthdateEstimated"));
            case "dead" -> text(person.path("dead"));
            case "deathDate" -> date(text(person.path("deathDate")));
            default -> null;
        };
    }

    public String fullName() {
        JsonNode name = json.path("person").path("preferredName");
        StringBuilder b = new StringBuilder();
        for (String part : new String[] {text(name.path("givenName")), text(name.path("middleName")), text(name.path("familyName"))}) {
            if (part == null || part.isBlank()) continue;
            if (b.length() > 0) b.append(' ');
            b.append(part);
        }
        if (b.length() == 0) return json.path("person").path("display").asText(uuid());
        return b.toString();
    }

    private static String text(JsonNode n) { return n == null || n.isNull() || n.isMissingNode() ? null : n.asText(); }

    // OpenMRS sends "1990-04-01T00:00:00.000+0000" for a date; CommCare date properties hold "1990-04-01"
    private static String date(String s) { return s == null || s.length() < 10 ? s : s.substring(0, 10); }
}
