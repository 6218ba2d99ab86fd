package org.chis.common.systems.openmrs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import java.util.List;
import org.chis.common.json.Json;

/** An encounter, optionally in a visit and with its observations nested (one POST creates them all). */
public record NewEncounter(String uuid, String patient, String encounterType, OffsetDateTime encounterDatetime,
                           String visit, String location, String form, List<Provider> providers, List<NewObs> obs) {

    public record Provider(String provider, String encounterRole) {}

    public NewEncounter {
        providers = providers == null ? List.of() : List.copyOf(providers);
        obs = obs == null ? List.of() : List.copyOf(obs);
    }

    public ObjectNode toJson() {
        ObjectNode b = Json.object();
        if (uuid != null) b.put("uuid", uuid);
        b.put("patient", patient).put("encounterType", encounterType).put("encounterDatetime", OpenMrsDates.format(encounterDatetime));
        if (visit != null) b.put("visit", visit);
        if (location != null) b.put("location", location);
        if (form != null) b.put("form", form);
        if (!providers.isEmpty()) {
            ArrayNode ep = b.putArray("encounterProviders");
            providers.forEach(p -> ep.addObject().put("provider", p.provider()).put("encounterRole", p.encounterRole()));
        }
        if (!obs.isEmpty()) {
            ArrayNode o = b.putArray("obs");
            obs.forEach(x -> o.add(x.toJson()));
        }
        return b;
    }
}
