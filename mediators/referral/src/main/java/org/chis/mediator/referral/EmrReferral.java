package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.SagaRun;
import org.chis.common.systems.openmrs.NewEncounter;
import org.chis.common.systems.openmrs.NewObs;
import org.chis.common.systems.openmrs.NewPatient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.StableUuid;

/**
 * The EMR output: the patient (found by the community identifier, else created with a stable uuid) and one
 * referral encounter carrying reason, danger signs and urgency as observations. Only what this run created is
 * undone on failure: a patient that was already in OpenMRS stays.
 */
final class EmrReferral {
    static final String PATIENT = "openmrs-patient";
    static final String ENCOUNTER = "openmrs-encounter";
    private static final String CREATE_PATIENT = "create EMR patient";
    private static final String CREATE_ENCOUNTER = "create referral encounter";

    /** Where the referral landed in OpenMRS. */
    record Result(String patientUuid, boolean patientCreated, String encounterUuid) {}

    private final OpenMrsClient openmrs;

    EmrReferral(OpenMrsClient openmrs) { this.openmrs = openmrs; }

    void register(Compensators c) {
        c.register(PATIENT, (tx, ref) -> openmrs.purge(tx, "patient", ref.id()));
        c.register(ENCOUNTER, (tx, ref) -> openmrs.purge(tx, "encounter", ref.id()));
    }

    /**
     * What the write will do, from the two lookups: the patient found (or its planned uuid) and whether the referral
     * encounter is still to be made. The creates it plans are journaled as intents, so they, and whatever else the saga
     * intends before its first call, are durable in one commit instead of one before each create.
     */
    record Plan(String patientUuid, boolean createPatient, String encounterUuid, boolean createEncounter) {}

    Plan plan(SagaRun run, Referral r) throws Exception {
        var tx = run.tx();
        List<JsonNode> found = run.step("find EMR patient", () -> openmrs.patientsByIdentifier(tx, r.patientIdentifier()));
        boolean createPatient = found.isEmpty();
        String patientUuid = createPatient ? StableUuid.of("referral-patient", r.source(), r.patientIdentifier()) : OpenMrsClient.uuidOf(found.get(0));
        String encounterUuid = StableUuid.of("referral", r.referralId(), "encounter");
        Optional<JsonNode> existing = run.step("look for the referral encounter", () -> openmrs.encounter(tx, encounterUuid));
        // only what this run is about to make: a patient or encounter that was already there is never undone
        if (createPatient) run.intend(CREATE_PATIENT, PATIENT, patientUuid);
        if (existing.isEmpty()) run.intend(CREATE_ENCOUNTER, ENCOUNTER, encounterUuid);
        return new Plan(patientUuid, createPatient, encounterUuid, existing.isEmpty());
    }

    Result write(SagaRun run, Plan plan, Referral r, ReferralConfig c) throws Exception {
        var tx = run.tx();
        String patientUuid = plan.patientUuid();
        if (plan.createPatient()) {
            NewPatient p = new NewPatient(patientUuid, new NewPatient.Name(r.givenName(), null, r.familyName()), gender(r.gender()),
                    birthdate(r.birthDate()), false,
                    List.of(new NewPatient.Identifier(r.patientIdentifier(), c.emrIdentifierType(), blankToNull(c.emrLocation()))),
                    List.of(), null);
            patientUuid = run.create(CREATE_PATIENT, PATIENT, patientUuid, () -> openmrs.createReturningUuid(tx, p)).id();
        }
        String encounterUuid = plan.encounterUuid();
        if (plan.createEncounter()) {
            OffsetDateTime at = OffsetDateTime.ofInstant(r.authoredOn(), ZoneOffset.UTC);
            List<NewObs> obs = new ArrayList<>();
            if (!c.conceptReason().isBlank()) obs.add(NewObs.of(StableUuid.of("referral", r.referralId(), "obs-reason"), c.conceptReason(), TextNode.valueOf(r.reason()), at));
            if (!c.conceptDangerSigns().isBlank() && !r.dangerSigns().isEmpty()) {
                obs.add(NewObs.of(StableUuid.of("referral", r.referralId(), "obs-danger"), c.conceptDangerSigns(),
                        TextNode.valueOf(String.join(", ", r.dangerSigns())), at));
            }
            if (!c.conceptUrgency().isBlank()) obs.add(NewObs.of(StableUuid.of("referral", r.referralId(), "obs-urgency"), c.conceptUrgency(), TextNode.valueOf(r.urgency()), at));
            List<NewEncounter.Provider> providers = c.emrProvider().isBlank() ? List.of()
                    : List.of(new NewEncounter.Provider(c.emrProvider(), c.emrEncounterRole()));
            NewEncounter e = new NewEncounter(encounterUuid, patientUuid, c.emrEncounterType(), at, null, blankToNull(c.emrLocation()),
                    null, providers, obs);
            run.create(CREATE_ENCOUNTER, ENCOUNTER, encounterUuid, () -> openmrs.createReturningUuid(tx, e));
        }
        return new Result(patientUuid, plan.createPatient(), encounterUuid);
    }

    /** OpenMRS wants M/F/O/U. */
    static String gender(String fhirGender) {
        if (fhirGender == null) return "U";
        return switch (fhirGender) {
            case "female" -> "F";
            case "male" -> "M";
            case "other" -> "O";
            default -> "U";
        };
    }

    private static LocalDate birthdate(String s) {
        if (s == null) return null;
        try {
            return LocalDate.parse(s);
        } catch (DateTimeParseException e) {
            return null; // a year or year-month is valid FHIR; OpenMRS then simply gets no birthdate
        }
    }

    private static String blankToNull(String s) { return s == null || s.isBlank() ? null : s; }
}
