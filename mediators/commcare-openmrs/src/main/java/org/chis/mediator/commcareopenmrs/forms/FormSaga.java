package org.chis.mediator.commcareopenmrs.forms;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.Saga;
import org.chis.common.saga.SagaOutcome;
import org.chis.common.store.Ledger;
import org.chis.common.store.Rows;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.NewEncounter;
import org.chis.common.systems.openmrs.NewObs;
import org.chis.common.systems.openmrs.NewPatient;
import org.chis.common.systems.openmrs.NewVisit;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.StableUuid;

/**
 * The saga of one form: add the form's missing identifiers to a matched patient, create the patient (if new), start
 * a visit (unless it joins one), create the encounter and each observation, end the visit, write the ids back to the
 * CommCare case. Any failure purges what it created, in reverse. Every uuid is derived from the submission's key
 * ({@link Plan}), so a rerun re-creates the same resources and can recognise an earlier write instead of duplicating it.
 */
final class FormSaga {
    static final String KIND_PATIENT = "openmrs-patient";
    static final String KIND_VISIT = "openmrs-visit";
    static final String KIND_ENCOUNTER = "openmrs-encounter";
    static final String KIND_OBS = "openmrs-obs";
    /** An identifier added to a matched patient; the id is "patient uuid/identifier type uuid/identifier". */
    static final String KIND_IDENTIFIER = "openmrs-patient-identifier";

    /**
     * What the saga writes, every id known before the first call.
     *
     * @param visitUuid the visit the encounter goes into: the form's own ({@code ownVisit}), a joined one, or null
     *                  for a mapping without a visit
     */
    record Plan(FormWorkflow.Prepared form, String patientUuid, boolean createPatient, List<NewPatient.Identifier> addedIdentifiers,
                String visitUuid, boolean ownVisit, String encounterUuid, List<String> obsUuids) {

        static Plan of(FormWorkflow.Prepared p, FormPatient patient, String joinedVisit) {
            Submission s = p.submission();
            FormValues v = p.values();
            String src = s.source().label;
            boolean ownVisit = p.mapping().visit() != null && joinedVisit == null;
            List<String> obsUuids = new ArrayList<>();
            for (int i = 0; i < v.observations().size(); i++) {
                obsUuids.add(StableUuid.of(src, s.key(), "obs", String.valueOf(i), v.observations().get(i).concept()));
            }
            return new Plan(p, patient.uuid(), patient.created(), patient.missingIdentifiers(v),
                    ownVisit ? StableUuid.of(src, s.key(), "visit") : joinedVisit, ownVisit, FormSaga.encounterUuid(s), obsUuids);
        }

        boolean writesBack() { return CaseWriteBack.wanted(form.mapping(), form.values()); }
    }

    private final StateStore store;
    private final OpenMrsClient openmrs;
    private final CaseWriteBack writeBack;
    private final Saga saga;

    FormSaga(StateStore store, OpenMrsClient openmrs, CaseWriteBack writeBack) {
        this.store = store;
        this.openmrs = openmrs;
        this.writeBack = writeBack;
        this.saga = new Saga(store, compensators(openmrs));
    }

    /** Purge (hard delete) what a saga created: a rolled-back form leaves nothing behind in OpenMRS. 404 = already gone. */
    static Compensators compensators(OpenMrsClient openmrs) {
        return new Compensators()
                .register(KIND_PATIENT, (tx, ref) -> openmrs.purge(tx, "patient", ref.id()))
                .register(KIND_VISIT, (tx, ref) -> openmrs.purge(tx, "visit", ref.id()))
                .register(KIND_ENCOUNTER, (tx, ref) -> openmrs.purge(tx, "encounter", ref.id()))
                .register(KIND_OBS, (tx, ref) -> openmrs.purge(tx, "obs", ref.id()))
                .register(KIND_IDENTIFIER, (tx, ref) -> {
                    String[] parts = ref.id().split("/", 3);
                    openmrs.purgeIdentifier(tx, parts[0], parts[1], parts[2]);
                });
    }

    /** The encounter uuid of a submission, the same on every run. */
    static String encounterUuid(Submission s) { return StableUuid.of(s.source().label, s.key(), "encounter"); }

    /** End of the visit: the configured window after its start, but never past the end of that day (the form's zone). */
    static OffsetDateTime visitEnd(OffsetDateTime start, FormMapping m) {
        OffsetDateTime window = start.plusHours(m.visit().windowHours()).minusSeconds(1);
        OffsetDateTime endOfDay = start.atZoneSameInstant(m.encounter().timeZone()).toLocalDate().atTime(23, 59, 59)
                .atZone(m.encounter().timeZone()).toOffsetDateTime();
        return window.isBefore(endOfDay) ? window : endOfDay;
    }

    /** Undoes what an earlier run under this claim left half-written; false if some of it could not be undone. */
    boolean undoInterrupted(TransactionContext tx, Ledger.Claim claim) { return saga.undoInterrupted(tx, claim); }

    /** {@code atEnd}: the form's outcome, written in the commit that ends the saga COMPLETED. */
    SagaOutcome run(TransactionContext tx, Ledger.Claim claim, Plan plan, Rows atEnd) {
        FormWorkflow.Prepared p = plan.form();
        Submission s = p.submission();
        FormMapping m = p.mapping();
        FormValues v = p.values();
        String src = s.source().label;
        String patientUuid = plan.patientUuid();
        String visitUuid = plan.visitUuid();
        String encounterUuid = plan.encounterUuid();
        List<String> obsUuids = plan.obsUuids();
        OffsetDateTime when = v.encounterDatetime();

        return saga.run(tx, claim, run -> {
            // durable before the first call (in the journal's commit): the OpenMRS feeds may show our encounter before
            // this saga ends (echo)
            run.writeWithJournal(c -> {
                store.idMap().put(c, Forms.FORM_TO_ENCOUNTER, src + ":" + s.key(), encounterUuid);
                if (plan.createPatient()) store.idMap().put(c, Forms.FORM_TO_PATIENT, src + ":" + s.key(), patientUuid);
            });
            // every id is derived (StableUuid): the journal gets all the creates in one commit before the first call
            if (plan.createPatient()) run.intend("create patient", KIND_PATIENT, patientUuid);
            if (plan.ownVisit()) run.intend("start visit", KIND_VISIT, visitUuid);
            run.intend("create encounter", KIND_ENCOUNTER, encounterUuid);
            for (int i = 0; i < obsUuids.size(); i++) run.intend("create obs " + v.observations().get(i).concept(), KIND_OBS, obsUuids.get(i));
            for (NewPatient.Identifier id : plan.addedIdentifiers()) {
                run.create("add identifier " + id.identifierType(), KIND_IDENTIFIER, patientUuid + "/" + id.identifierType() + "/" + id.identifier(),
                        () -> {
                            openmrs.addIdentifier(tx, patientUuid, id);
                            return null; // undone by type and value, whatever uuid OpenMRS gave it
                        });
            }
            if (plan.createPatient()) {
                run.create("create patient", KIND_PATIENT, patientUuid, () -> openmrs.createReturningUuid(tx, new NewPatient(
                        patientUuid, v.name(), v.gender(), v.birthdate(), m.patient().birthdateEstimated(), v.identifiers(), v.attributes(), null)));
            }
            if (plan.ownVisit()) {
                run.create("start visit", KIND_VISIT, visitUuid, () -> openmrs.createReturningUuid(tx,
                        new NewVisit(visitUuid, patientUuid, m.visit().visitType(), when, null, v.location())));
            }
            List<NewEncounter.Provider> providers = v.provider() == null ? List.of()
                    : List.of(new NewEncounter.Provider(v.provider(), m.encounter().encounterRole()));
            run.create("create encounter", KIND_ENCOUNTER, encounterUuid, () -> openmrs.createReturningUuid(tx, new NewEncounter(
                    encounterUuid, patientUuid, m.encounter().encounterType(), when, visitUuid, v.location(), m.encounter().form(), providers, List.of())));
            for (int i = 0; i < v.observations().size(); i++) {
                FormValues.ObsValue o = v.observations().get(i);
                String obsUuid = obsUuids.get(i);
                run.create("create obs " + o.concept(), KIND_OBS, obsUuid, () -> openmrs.createReturningUuid(tx,
                        new NewObs(obsUuid, o.concept(), o.value(), when, patientUuid, encounterUuid, v.location(), List.of())));
            }
            if (plan.ownVisit()) {
                run.step("end visit", () -> openmrs.closeVisit(tx, visitUuid, visitEnd(when, m)));
            }
            if (plan.writesBack()) {
                run.step("write ids back to CommCare case", () -> writeBack.write(tx, p, patientUuid, visitUuid, encounterUuid));
            }
        }, atEnd);
    }
}
