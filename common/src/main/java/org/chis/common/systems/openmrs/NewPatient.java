package org.chis.common.systems.openmrs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.chis.common.json.Json;

/**
 * A patient to create with its person in one {@code POST /patient}. {@code uuid} may be null (OpenMRS picks
 * one) but should be a {@link StableUuid} so a rerun can find the earlier create. Patient and person share the uuid.
 */
public record NewPatient(String uuid, Name name, String gender, LocalDate birthdate, boolean birthdateEstimated,
                         List<Identifier> identifiers, List<Attribute> attributes, Map<String, String> address) {

    public record Name(String givenName, String middleName, String familyName) {}

    /** {@code location} may be null; some installs require it. */
    public record Identifier(String identifier, String identifierType, String location) {}

    public record Attribute(String attributeType, String value) {}

    public NewPatient {
        identifiers = identifiers == null ? List.of() : List.copyOf(identifiers);
        attributes = attributes == null ? List.of() : List.copyOf(attributes);
        address = address == null ? Map.of() : Map.copyOf(address);
    }

    public ObjectNode toJson() {
        ObjectNode body = Json.object();
        if (uuid != null) body.put("uuid", uuid);
        ObjectNode person = body.putObject("person");
        if (uuid != null) person.put("uuid", uuid);
        ObjectNode n = person.putArray("names").addObject();
        n.put("givenName", name.givenName());
        if (name.middleName() != null && !name.middleName().isBlank()) n.put("middleName", name.middleName());
        n.put("familyName", name.familyName());
        n.put("preferred", true);
        if (gender != null) person.put("gender", gender);
        if (birthdate != null) {
            person.put("birthdate", OpenMrsDates.format(birthdate));
            person.put("birthdateEstimated", birthdateEstimated);
        }
        if (!address.isEmpty()) {
            ObjectNode a = person.putArray("addresses").addObject();
            address.forEach(a::put);
            a.put("preferred", true);
        }
        if (!attributes.isEmpty()) {
            ArrayNode attrs = person.putArray("attributes");
            attributes.forEach(at -> attrs.addObject().put("attributeType", at.attributeType()).put("value", at.value()));
        }
        ArrayNode ids = body.putArray("identifiers");
        boolean first = true;
        for (Identifier id : identifiers) {
            ObjectNode i = ids.addObject().put("identifier", id.identifier()).put("identifierType", id.identifierType());
            if (id.location() != null) i.put("location", id.location());
            i.put("preferred", first);
            first = false;
        }
        return body;
    }
}
