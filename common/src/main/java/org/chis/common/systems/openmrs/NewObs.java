package org.chis.common.systems.openmrs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import java.util.List;
import org.chis.common.json.Json;

/**
 * An observation. {@code value} is a JSON number, text, boolean, or (coded) the answer concept uuid as text.
 * Nested in an encounter, {@code person}/{@code encounter} may be null (OpenMRS fills them from the encounter).
 */
public record NewObs(String uuid, String concept, JsonNode value, OffsetDateTime obsDatetime, String person,
                     String encounter, String location, List<NewObs> groupMembers) {

    public NewObs {
        groupMembers = groupMembers == null ? List.of() : List.copyOf(groupMembers);
    }

    public static NewObs of(String uuid, String concept, JsonNode value, OffsetDateTime at) {
        return new NewObs(uuid, concept, value, at, null, null, null, List.of());
    }

    public ObjectNode toJson() {
        ObjectNode b = Json.object();
        if (uuid != null) b.put("uuid", uuid);
        b.put("concept", concept);
        if (person != null) b.put("person", person);
        if (obsDatetime != null) b.put("obsDatetime", OpenMrsDates.format(obsDatetime));
        if (encounter != null) b.put("encounter", encounter);
        if (location != null) b.put("location", location);
        if (value != null && !value.isNull()) b.set("value", value);
        if (!groupMembers.isEmpty()) {
            ArrayNode members = b.putArray("groupMembers");
            groupMembers.forEach(m -> members.add(m.toJson()));
        }
        return b;
    }
}
