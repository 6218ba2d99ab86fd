package org.chis.common.systems.openmrs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import org.chis.common.json.Json;

/** A visit to create; {@code stop} null leaves it open (close it later with {@link OpenMrsClient#closeVisit}). */
public record NewVisit(String uuid, String patient, String visitType, OffsetDateTime start, OffsetDateTime stop, String location) {
    public ObjectNode toJson() {
        ObjectNode b = Json.object();
        if (uuid != null) b.put("uuid", uuid);
        b.put("patient", patient).put("visitType", visitType).put("startDatetime", OpenMrsDates.format(start));
        if (stop != null) b.put("stopDatetime", OpenMrsDates.format(stop));
        if (location != null) b.put("location", location);
        return b;
    }
}
