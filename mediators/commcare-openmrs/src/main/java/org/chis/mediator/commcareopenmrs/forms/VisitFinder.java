package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.Optional;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.OpenMrsDates;

/**
 * The visit a matched patient already has that a form's encounter may join ({@code visit.reuse}). Such a visit is not
 * the form's own: its saga neither starts, ends nor purges it.
 */
final class VisitFinder {
    private final OpenMrsClient openmrs;

    VisitFinder(OpenMrsClient openmrs) { this.openmrs = openmrs; }

    /**
     * With {@code visit.reuse} open or sameDay, the patient's visit (not voided) this encounter can join: open = not
     * ended and started before it, sameDay = covering its time. The mapped visit type first, then the latest start.
     * None for a patient the form creates (no visits yet) or a mapping without a visit.
     */
    Optional<String> joinable(TransactionContext tx, FormMapping m, FormPatient patient, OffsetDateTime when) {
        if (patient.created() || m.visit() == null || m.visit().reuse() == FormMapping.VisitReuse.NEW) return Optional.empty();
        JsonNode best = null;
        OffsetDateTime bestStart = null;
        for (JsonNode visit : openmrs.visits(tx, patient.uuid())) {
            if (visit.path("voided").asBoolean(false)) continue;
            OffsetDateTime start, stop;
            try {
                start = OpenMrsDates.parse(visit.path("startDatetime").asText());
                stop = visit.path("stopDatetime").isTextual() ? OpenMrsDates.parse(visit.path("stopDatetime").asText()) : null;
            } catch (IllegalArgumentException unreadable) {
                continue;
            }
            boolean fits = !start.isAfter(when) && (m.visit().reuse() == FormMapping.VisitReuse.OPEN ? stop == null : stop == null || !stop.isBefore(when));
            if (!fits) continue;
            boolean sameType = m.visit().visitType().equals(visit.path("visitType").path("uuid").asText());
            boolean bestSameType = best != null && m.visit().visitType().equals(best.path("visitType").path("uuid").asText());
            if (best == null || (sameType && !bestSameType) || (sameType == bestSameType && start.isAfter(bestStart))) {
                best = visit;
                bestStart = start;
            }
        }
        return Optional.ofNullable(best).map(OpenMrsClient::uuidOf);
    }
}
