package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.systems.openmrs.NewPatient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.StableUuid;

/**
 * The OpenMRS patient a form is written to: the one {@link PatientFinder} found, or a new one (uuid derived from the
 * form's key) when the mapping allows creating and the form has what a new patient needs. Otherwise a
 * {@link #refusal} (4xx without {@code error}, nothing written, core does not auto-retry): several candidates, a
 * candidate holding another identifier, no patient for a mapping that never creates, or too little to create one.
 *
 * @param matched the patient found, null for a new one
 */
record FormPatient(String uuid, JsonNode matched, String matchedBy, MediatorResponse refusal) {

    static FormPatient choose(FormWorkflow.Prepared p, PatientFinder.Found found) {
        Submission s = p.submission();
        FormMapping m = p.mapping();
        FormValues v = p.values();
        if (!found.ambiguous().isEmpty()) {
            return refused(409, "form " + s.key() + ": " + found.ambiguous().size() + " OpenMRS patients match " + found.ambiguous()
                    + " and none clearly best; not guessing, nothing written (merge the duplicates in OpenMRS or add an identifier, then rerun)");
        }
        if (!found.conflicts().isEmpty()) {
            return refused(409, "form " + s.key() + ": an OpenMRS patient with this name, sex and birth date holds a different identifier ("
                    + String.join("; ", found.conflicts()) + "); not merging two people (twins, household members), nothing written"
                    + " (if it is the same person, correct the identifier in the form or in OpenMRS, then rerun)");
        }
        if (found.matched()) return new FormPatient(OpenMrsClient.uuidOf(found.patient()), found.patient(), found.how(), null);
        if (!m.createPatient()) {
            return refused(422, "form " + s.key() + ": no OpenMRS patient found (case " + v.caseId() + ", identifiers "
                    + v.matchIdentifiers().stream().map(NewPatient.Identifier::identifier).toList() + ") and " + m.file()
                    + " does not allow creating one (createPatient); nothing written");
        }
        List<String> missing = new ArrayList<>();
        if (v.name() == null || v.name().givenName() == null) missing.add("givenName");
        if (v.name() == null || v.name().familyName() == null) missing.add("familyName");
        if (v.gender() == null) missing.add("gender");
        if (v.identifiers().isEmpty()) missing.add("an identifier");
        if (!missing.isEmpty()) {
            return refused(400, "form " + s.key() + ": a new patient needs " + String.join(", ", missing) + "; the form has no value for it; nothing written");
        }
        return new FormPatient(StableUuid.of(s.source().label, s.key(), "patient"), null, null, null);
    }

    private static FormPatient refused(int status, String message) {
        return new FormPatient(null, null, null, MediatorResponse.rejected(status, message));
    }

    boolean refused() { return refusal != null; }

    /** The form creates this patient (in its saga). */
    boolean created() { return matched == null; }

    /**
     * The form's {@code matchOn} identifiers a matched patient lacks the type of: added, so the next form with that
     * id finds the patient by identifier instead of by name (a conflicting value was ruled out by the finder).
     */
    List<NewPatient.Identifier> missingIdentifiers(FormValues v) {
        return created() ? List.of() : PatientFinder.missingTypes(matched, v.matchIdentifiers());
    }

    /** The answer's {@code patient} object. */
    void describe(ObjectNode patient) {
        patient.put("uuid", uuid).put("created", created());
        if (!created()) patient.put("matchedBy", matchedBy);
    }
}
