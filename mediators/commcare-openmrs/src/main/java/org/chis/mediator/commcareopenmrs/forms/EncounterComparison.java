package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.OpenMrsDates;

/**
 * Does OpenMRS already hold the encounter a form would write? Then the form is answered Completed with nothing
 * written. Held means: our own encounter uuid (an earlier run whose ledger row is gone), or an encounter of the
 * mapped type at the same second with the same observations (entered twice, or from another route). Anything else,
 * a changed value included, is not held: the form writes its own new encounter and leaves the other one as it is.
 */
final class EncounterComparison {
    private final OpenMrsClient openmrs;

    EncounterComparison(OpenMrsClient openmrs) { this.openmrs = openmrs; }

    /** The uuid of the encounter OpenMRS holds for this form, {@code ours} being the uuid the form would create. */
    Optional<String> held(TransactionContext tx, FormMapping m, FormValues v, String patient, String ours) {
        Optional<JsonNode> own = openmrs.encounter(tx, ours);
        if (own.isPresent() && !own.get().path("voided").asBoolean(false)) return Optional.of(ours);
        List<JsonNode> existing = openmrs.list(tx, "list encounters", "encounter", OpenMrsClient.query(
                "patient", patient, "encounterType", m.encounter().encounterType(), "v", "full"));
        for (JsonNode e : existing) {
            if (e.path("voided").asBoolean(false)) continue;
            OffsetDateTime at;
            try {
                at = OpenMrsDates.parse(e.path("encounterDatetime").asText());
            } catch (IllegalArgumentException ex) {
                continue;
            }
            if (!at.toInstant().truncatedTo(ChronoUnit.SECONDS).equals(v.encounterDatetime().toInstant().truncatedTo(ChronoUnit.SECONDS))) continue;
            if (sameObservations(e.path("obs"), v.observations())) return Optional.of(OpenMrsClient.uuidOf(e));
        }
        return Optional.empty();
    }

    /** The same concept = value pairs, in any order, voided obs left out. */
    static boolean sameObservations(JsonNode existing, List<FormValues.ObsValue> wanted) {
        List<String> have = new ArrayList<>();
        for (JsonNode o : existing) {
            if (o.path("voided").asBoolean(false)) continue;
            JsonNode value = o.path("value");
            String concept = o.path("concept").isObject() ? o.path("concept").path("uuid").asText() : o.path("concept").asText();
            have.add(concept + "=" + normal(value.isObject() ? value.path("uuid") : value));
        }
        List<String> want = new ArrayList<>();
        for (FormValues.ObsValue o : wanted) want.add(o.concept() + "=" + normal(o.value()));
        have.sort(null);
        want.sort(null);
        return have.equals(want);
    }

    /** Comparable text of an obs value: numbers without trailing zeros, dates as instants, the rest as text. */
    private static String normal(JsonNode value) {
        if (value.isNumber()) return value.decimalValue().stripTrailingZeros().toPlainString();
        String t = value.asText();
        try {
            return new BigDecimal(t).stripTrailingZeros().toPlainString();
        } catch (NumberFormatException notNumber) {
            // fall through
        }
        if (t.matches("\\d{4}-\\d{2}-\\d{2}.*")) {
            try {
                return OpenMrsDates.parse(t).toInstant().toString();
            } catch (IllegalArgumentException notDate) {
                return t;
            }
        }
        return t;
    }
}
