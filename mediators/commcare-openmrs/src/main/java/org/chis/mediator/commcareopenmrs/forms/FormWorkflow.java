package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.chis.common.audit.TransactionContext;
import org.chis.common.http.BadInputException;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.saga.SagaOutcome;
import org.chis.common.store.KeyLocks;
import org.chis.common.store.SagaJournal;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.openmrs.NewPatient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.work.Failures;
import org.chis.common.work.Idempotent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One submission -> OpenMRS, through the room ({@link Idempotent}: a duplicate is answered from the ledger): find the
 * patient ({@link PatientFinder}, {@link FormPatient}: found, new, or refused), skip a form whose encounter OpenMRS
 * already holds ({@link EncounterComparison}: Completed, nothing written), else run the form's saga under the claim
 * ({@link FormSaga}: patient, visit ({@link VisitFinder}), encounter, observations, {@link CaseWriteBack}) and record
 * the outcome with the case -> patient mapping.
 */
final class FormWorkflow {
    /** Ledger kind of a form's claim. */
    static final String LEDGER_KIND = "form";

    private static final Logger log = LoggerFactory.getLogger(FormWorkflow.class);

    /** A submission checked against its mapping, ready to run (nothing read or written upstream yet). */
    record Prepared(Submission submission, FormMapping mapping, FormValues values) {}

    private final FormMappings mappings;
    private final StateStore store;
    private final PatientFinder finder;
    private final EncounterComparison comparison;
    private final VisitFinder visits;
    private final FormSaga saga;
    private final Idempotent room;

    /** {@code room}: the ledger claims of kind {@value #LEDGER_KIND} (duplicate and busy answers, recovery's release). */
    FormWorkflow(FormMappings mappings, OpenMrsClient openmrs, CommCareClient commcare, StateStore store, Idempotent room) {
        this.mappings = mappings;
        this.store = store;
        this.finder = new PatientFinder(openmrs, store.idMap());
        this.comparison = new EncounterComparison(openmrs);
        this.visits = new VisitFinder(openmrs);
        this.saga = new FormSaga(store, openmrs, new CaseWriteBack(commcare));
        this.room = room;
    }

    boolean maps(FormMapping.Source source, String formType) { return mappings.find(source, formType).isPresent(); }

    /** Mapping and values, or a 4xx naming what is wrong. */
    Prepared prepare(Submission s) {
        FormMapping m = mappings.find(s.source(), s.formType()).orElseThrow(() -> new BadInputException(422,
                "no mapping for " + switch (s.source()) { case COMMCARE -> "form xmlns '"; case OPENSRP -> "OpenSRP eventType '"; case CHT -> "CHT form '"; } + s.formType()
                        + "' (mapped: " + mappings.formTypes(s.source()) + "); add a file to forms.mappingsDir"));
        return new Prepared(s, m, FormValues.read(m, s));
    }

    MediatorResponse run(TransactionContext tx, Prepared p) throws Exception {
        Submission s = p.submission();
        return room.run(tx, s.ledgerKey(), "form " + s.key(), held -> {
            // one person's forms one at a time, in every replica on the database: two new forms of one new person must
            // not both find no patient and both create one
            KeyLocks locks = store.keyLocks();
            try (KeyLocks.Held person = locks.tryLock("patient", patientKeys(p))) {
                if (person == null) {
                    MediatorResponse busy = Idempotent.busy("form " + s.key() + ": another form of the same person has been in progress for "
                            + locks.waitLimit().toSeconds() + " s; nothing written, retry later", room.retryAfter());
                    held.fail(busy.body());
                    return busy;
                }
                return runClaimed(tx, p, held);
            }
        });
    }

    /**
     * What names the person: the case id and each matchOn identifier (the finder matches on either), else the name.
     * Identifiers are compared without letter case, as OpenMRS's default collation does.
     */
    static List<String> patientKeys(Prepared p) {
        List<String> keys = new ArrayList<>();
        FormValues v = p.values();
        if (v.caseId() != null) keys.add("case/" + p.submission().source().label + "/" + v.caseId());
        for (NewPatient.Identifier id : v.matchIdentifiers()) {
            keys.add("identifier/" + id.identifierType() + "/" + id.identifier().toLowerCase(Locale.ROOT));
        }
        if (keys.isEmpty() && v.name() != null) keys.add("name/" + v.name());
        return keys;
    }

    /**
     * The form whose saga created {@code patientUuid} and is still RUNNING, other than {@code s}: under the person's
     * lock that run is dead (a replica killed mid-saga; with {@code db.replicas=many} its saga waits for the form's
     * resend or the lease).
     */
    private Optional<String> interruptedCreator(Submission s, String patientUuid) {
        Optional<String> form = store.idMap().source(Forms.FORM_TO_PATIENT, patientUuid); // "<source>:<key>"
        if (form.isEmpty() || form.get().equals(s.source().label + ":" + s.key())) return Optional.empty();
        int colon = form.get().indexOf(':');
        if (colon < 0) return Optional.empty();
        String sagaKey = form.get().substring(0, colon) + "-form:" + form.get().substring(colon + 1);
        boolean running = store.sagaJournal().find(sagaKey).map(e -> e.state() == SagaJournal.State.RUNNING).orElse(false);
        return running ? Optional.of(form.get().substring(colon + 1)) : Optional.empty();
    }

    /** Records the outcome with the case -> patient mapping in one transaction; the answer carries any warning. */
    private MediatorResponse succeed(Idempotent.Held held, Prepared p, MediatorStatus status, int http, ObjectNode body) {
        held.succeed(body, caseMapping(p, body));
        return MediatorResponse.json(status, http, body);
    }

    /** The case -> patient row of the outcome; a case already mapped to another patient adds a warning to {@code body}. */
    private Idempotent.Rows caseMapping(Prepared p, ObjectNode body) {
        Submission s = p.submission();
        String patient = body.path("patient").path("uuid").asText(null);
        return c -> {
            if (p.values().caseId() != null && patient != null) {
                String ns = Forms.patientNamespace(s.source());
                try {
                    store.idMap().put(c, ns, p.values().caseId(), patient);
                } catch (IllegalStateException e) {
                    // another case already maps to this patient (a duplicate case in CommCare): keep the first, say so
                    log.warn("form {}: {}", s.key(), e.getMessage());
                    body.put("warning", e.getMessage());
                }
            }
        };
    }

    private MediatorResponse runClaimed(TransactionContext tx, Prepared p, Idempotent.Held held) {
        Submission s = p.submission();
        FormMapping m = p.mapping();
        FormValues v = p.values();
        // a run of this form that died mid-saga (kill -9) left part of it in OpenMRS: undo that first, or the patient
        // match and the "already holds this encounter" check below take the half-written records for finished ones
        if (!saga.undoInterrupted(tx, held.claim())) {
            return Failures.of(tx, "form " + s.key(), new IllegalStateException("what an interrupted earlier run created could not"
                    + " all be undone (see saga_journal.steps); nothing written, rerun later"), Failures.Rollback.INCOMPLETE);
        }
        FormPatient patient = FormPatient.choose(p, finder.find(tx, m, s, v));
        if (patient.refused()) return patient.refusal();
        ObjectNode body = Json.object().put("form", s.key()).put("formType", m.name());
        patient.describe(body.putObject("patient"));
        if (!patient.created()) {
            Optional<String> maker = interruptedCreator(s, patient.uuid());
            if (maker.isPresent()) {
                // its run died mid-saga (a live run would hold this person's lock): the patient may yet be undone when
                // that form is resent; an encounter added to it now would be purged with it
                return Idempotent.busy("form " + s.key() + ": the matching OpenMRS patient " + patient.uuid() + " was created by form "
                        + maker.get() + ", whose run was interrupted and is not finished (undone and redone when that form is"
                        + " resent); nothing written, retry later", room.retryAfter());
            }
            tx.property("matchedBy", patient.matchedBy());
            Optional<String> same = comparison.held(tx, m, v, patient.uuid(), FormSaga.encounterUuid(s));
            if (same.isPresent()) {
                tx.property("patient", patient.uuid()).property("encounter", same.get()).property("unchanged", true);
                body.put("encounter", same.get()).put("message", "OpenMRS already holds this encounter with these observations; nothing written");
                return succeed(held, p, MediatorStatus.COMPLETED, 200, body);
            }
        }
        tx.property("patient", patient.uuid());
        String joinedVisit = visits.joinable(tx, m, patient, v.encounterDatetime()).orElse(null);
        FormSaga.Plan plan = FormSaga.Plan.of(p, patient, joinedVisit);
        // the answer is known before the saga runs (every id is planned): recorded with the saga's end, in one commit
        body.put("visit", plan.visitUuid()).put("encounter", plan.encounterUuid()).put("observations", plan.obsUuids().size());
        if (joinedVisit != null) body.put("visitReused", true);
        if (!plan.addedIdentifiers().isEmpty()) {
            ArrayNode added = ((ObjectNode) body.get("patient")).putArray("identifiersAdded");
            plan.addedIdentifiers().forEach(id -> added.add(id.identifier()));
        }
        if (plan.writesBack()) body.put("caseWrittenBack", v.caseId());
        Idempotent.Rows caseMapping = caseMapping(p, body);
        SagaOutcome outcome = saga.run(tx, held.claim(), plan, c -> held.succeed(c, body, caseMapping));
        // an OpenMRS validation error (422) is bad data: Failed without auto-retry; the others are faults
        if (!outcome.succeeded()) return Failures.of(tx, "form " + s.key(), outcome);
        tx.property("encounter", plan.encounterUuid()).property("observations", plan.obsUuids().size());
        return MediatorResponse.json(MediatorStatus.SUCCESSFUL, 201, body);
    }
}
