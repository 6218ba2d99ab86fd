package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.Saga;
import org.chis.common.saga.SagaOutcome;
import org.chis.common.store.KeyLocks;
import org.chis.common.store.SagaJournal;
import org.chis.common.store.StateStore;
import org.chis.common.work.Failures;
import org.chis.common.work.Idempotent;
import org.chis.common.systems.commcare.CaseBlock;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.commcare.FormSubmission;
import org.chis.common.systems.openmrs.NewEncounter;
import org.chis.common.systems.openmrs.NewObs;
import org.chis.common.systems.openmrs.NewPatient;
import org.chis.common.systems.openmrs.NewVisit;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.OpenMrsDates;
import org.chis.common.systems.openmrs.StableUuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One submission -> OpenMRS: claim it in the ledger (a duplicate is answered from there), find the patient, compare
 * with what OpenMRS holds (nothing new -> Completed, nothing written), else a saga: create patient (if allowed),
 * start visit, create encounter, create each observation, end visit, write the ids back to the CommCare case. Any
 * failure purges what the saga created, in reverse. Every uuid is derived from the submission's key, so a rerun
 * re-creates the same resources and can recognise an earlier write instead of duplicating it.
 */
final class FormWorkflow {
    /** Ledger kind of a form's claim. */
    static final String LEDGER_KIND = "form";

    private static final Logger log = LoggerFactory.getLogger(FormWorkflow.class);

    static final String KIND_PATIENT = "openmrs-patient";
    static final String KIND_VISIT = "openmrs-visit";
    static final String KIND_ENCOUNTER = "openmrs-encounter";
    static final String KIND_OBS = "openmrs-obs";
    /** An identifier added to a matched patient; the id is "patient uuid/identifier type uuid/identifier". */
    static final String KIND_IDENTIFIER = "openmrs-patient-identifier";
    /**
     * Case property with the time (encounter datetime, UTC) of the form whose visit/encounter ids the case holds:
     * a form older than that does not overwrite them.
     */
    static final String LAST_FORM_TIME = "openmrs_last_form_time";
    /** Write-back values that describe the newest form, not the patient. */
    private static final Set<String> LATEST_VALUES = Set.of("visit.uuid", "encounter.uuid");
    /** HQ's own xmlns for changes that came from OpenMRS: HQ does not forward such forms again (no echo). */
    static final String WRITE_BACK_XMLNS = "http://commcarehq.org/openmrs-integration";

    /** A submission checked against its mapping, ready to run (nothing read or written upstream yet). */
    record Prepared(Submission submission, FormMapping mapping, FormValues values) {}

    private final FormMappings mappings;
    private final OpenMrsClient openmrs;
    private final CommCareClient commcare;
    private final StateStore store;
    private final PatientFinder finder;
    private final Saga saga;
    private final Idempotent room;

    /** {@code room}: the ledger claims of kind {@value #LEDGER_KIND} (duplicate and busy answers, recovery's release). */
    FormWorkflow(FormMappings mappings, OpenMrsClient openmrs, CommCareClient commcare, StateStore store, Idempotent room) {
        this.mappings = mappings;
        this.openmrs = openmrs;
        this.commcare = commcare;
        this.store = store;
        this.finder = new PatientFinder(openmrs, store.idMap());
        this.saga = new Saga(store, compensators(openmrs));
        this.room = room;
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

    Saga saga() { return saga; }

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
        Submission s = p.submission();
        String patient = body.path("patient").path("uuid").asText(null);
        held.succeed(body, c -> {
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
        });
        return MediatorResponse.json(status, http, body);
    }

    private MediatorResponse runClaimed(TransactionContext tx, Prepared p, Idempotent.Held held) {
        Submission s = p.submission();
        FormMapping m = p.mapping();
        FormValues v = p.values();
        String src = s.source().label;
        String encounterUuid = StableUuid.of(src, s.key(), "encounter");

        // a run of this form that died mid-saga (kill -9) left part of it in OpenMRS: undo that first, or the patient
        // match and the "already holds this encounter" check below take the half-written records for finished ones
        if (!saga.undoInterrupted(tx, held.claim())) {
            return Failures.of(tx, "form " + s.key(), new IllegalStateException("what an interrupted earlier run created could not"
                    + " all be undone (see saga_step); nothing written, rerun later"), Failures.Rollback.INCOMPLETE);
        }
        PatientFinder.Found found = finder.find(tx, m, s, v);
        if (!found.ambiguous().isEmpty()) {
            return failed(409, "form " + s.key() + ": " + found.ambiguous().size() + " OpenMRS patients match " + found.ambiguous()
                    + " and none clearly best; not guessing, nothing written (merge the duplicates in OpenMRS or add an identifier, then rerun)");
        }
        if (!found.conflicts().isEmpty()) {
            return failed(409, "form " + s.key() + ": an OpenMRS patient with this name, sex and birth date holds a different identifier ("
                    + String.join("; ", found.conflicts()) + "); not merging two people (twins, household members), nothing written"
                    + " (if it is the same person, correct the identifier in the form or in OpenMRS, then rerun)");
        }
        ObjectNode body = Json.object().put("form", s.key()).put("formType", m.name());
        String patientUuid;
        boolean createPatient = !found.matched();
        if (createPatient) {
            if (!m.createPatient()) {
                return failed(422, "form " + s.key() + ": no OpenMRS patient found (case " + v.caseId() + ", identifiers "
                        + v.matchIdentifiers().stream().map(NewPatient.Identifier::identifier).toList() + ") and " + m.file()
                        + " does not allow creating one (createPatient); nothing written");
            }
            List<String> missing = new ArrayList<>();
            if (v.name() == null || v.name().givenName() == null) missing.add("givenName");
            if (v.name() == null || v.name().familyName() == null) missing.add("familyName");
            if (v.gender() == null) missing.add("gender");
            if (v.identifiers().isEmpty()) missing.add("an identifier");
            if (!missing.isEmpty()) {
                return failed(400, "form " + s.key() + ": a new patient needs " + String.join(", ", missing) + "; the form has no value for it; nothing written");
            }
            patientUuid = StableUuid.of(src, s.key(), "patient");
            body.putObject("patient").put("uuid", patientUuid).put("created", true);
        } else {
            patientUuid = OpenMrsClient.uuidOf(found.patient());
            Optional<String> maker = interruptedCreator(s, patientUuid);
            if (maker.isPresent()) {
                // its run died mid-saga (a live run would hold this person's lock): the patient may yet be undone when
                // that form is resent; an encounter added to it now would be purged with it
                return Idempotent.busy("form " + s.key() + ": the matching OpenMRS patient " + patientUuid + " was created by form "
                        + maker.get() + ", whose run was interrupted and is not finished (undone and redone when that form is"
                        + " resent); nothing written, retry later", room.retryAfter());
            }
            body.putObject("patient").put("uuid", patientUuid).put("created", false).put("matchedBy", found.how());
            tx.property("matchedBy", found.how());
            Optional<String> same = sameEncounter(tx, m, v, patientUuid, encounterUuid);
            if (same.isPresent()) {
                tx.property("patient", patientUuid).property("encounter", same.get()).property("unchanged", true);
                body.put("encounter", same.get()).put("message", "OpenMRS already holds this encounter with these observations; nothing written");
                return succeed(held, p, MediatorStatus.COMPLETED, 200, body);
            }
        }
        tx.property("patient", patientUuid);
        // a visit the patient has that the mapping lets this form join: not ours, so the saga neither starts, ends
        // nor purges it
        String reusedVisit = createPatient || m.visit() == null ? null : reusableVisit(tx, m, patientUuid, v.encounterDatetime()).orElse(null);
        boolean ownVisit = m.visit() != null && reusedVisit == null;
        String visitUuid = ownVisit ? StableUuid.of(src, s.key(), "visit") : reusedVisit;

        // recorded before writing: the OpenMRS feeds may show our encounter before this transaction ends (echo)
        store.inTransaction(c -> {
            store.idMap().put(c, Forms.FORM_TO_ENCOUNTER, src + ":" + s.key(), encounterUuid);
            if (createPatient) store.idMap().put(c, Forms.FORM_TO_PATIENT, src + ":" + s.key(), patientUuid);
            return null;
        });

        // a matched patient lacking a matchOn identifier type of the form gets it, so the next form with that id
        // finds the patient by identifier instead of by name (a conflicting value was ruled out by the finder)
        List<NewPatient.Identifier> missingIds = createPatient ? List.of() : PatientFinder.missingTypes(found.patient(), v.matchIdentifiers());
        OffsetDateTime when = v.encounterDatetime();
        List<String> obsUuids = new ArrayList<>();
        for (int i = 0; i < v.observations().size(); i++) {
            obsUuids.add(StableUuid.of(src, s.key(), "obs", String.valueOf(i), v.observations().get(i).concept()));
        }
        SagaOutcome outcome = saga.run(tx, held.claim(), run -> {
            // every id is derived (StableUuid): the journal gets all the creates in one commit before the first call
            if (createPatient) run.intend("create patient", KIND_PATIENT, patientUuid);
            if (ownVisit) run.intend("start visit", KIND_VISIT, visitUuid);
            run.intend("create encounter", KIND_ENCOUNTER, encounterUuid);
            for (int i = 0; i < obsUuids.size(); i++) run.intend("create obs " + v.observations().get(i).concept(), KIND_OBS, obsUuids.get(i));
            for (NewPatient.Identifier id : missingIds) {
                run.create("add identifier " + id.identifierType(), KIND_IDENTIFIER, patientUuid + "/" + id.identifierType() + "/" + id.identifier(),
                        () -> {
                            openmrs.addIdentifier(tx, patientUuid, id);
                            return null; // undone by type and value, whatever uuid OpenMRS gave it
                        });
            }
            if (createPatient) {
                run.create("create patient", KIND_PATIENT, patientUuid, () -> OpenMrsClient.uuidOf(openmrs.createPatient(tx, new NewPatient(
                        patientUuid, v.name(), v.gender(), v.birthdate(), m.patient().birthdateEstimated(), v.identifiers(), v.attributes(), null))));
            }
            if (ownVisit) {
                run.create("start visit", KIND_VISIT, visitUuid, () -> OpenMrsClient.uuidOf(openmrs.createVisit(tx,
                        new NewVisit(visitUuid, patientUuid, m.visit().visitType(), when, null, v.location()))));
            }
            List<NewEncounter.Provider> providers = v.provider() == null ? List.of()
                    : List.of(new NewEncounter.Provider(v.provider(), m.encounter().encounterRole()));
            run.create("create encounter", KIND_ENCOUNTER, encounterUuid, () -> OpenMrsClient.uuidOf(openmrs.createEncounter(tx, new NewEncounter(
                    encounterUuid, patientUuid, m.encounter().encounterType(), when, visitUuid, v.location(), m.encounter().form(), providers, List.of()))));
            for (int i = 0; i < v.observations().size(); i++) {
                FormValues.ObsValue o = v.observations().get(i);
                String obsUuid = obsUuids.get(i);
                run.create("create obs " + o.concept(), KIND_OBS, obsUuid, () -> OpenMrsClient.uuidOf(openmrs.createObs(tx,
                        new NewObs(obsUuid, o.concept(), o.value(), when, patientUuid, encounterUuid, v.location(), List.of()))));
            }
            if (ownVisit) {
                run.step("end visit", () -> openmrs.closeVisit(tx, visitUuid, visitEnd(when, m)));
            }
            if (!m.writeBack().isEmpty() && v.caseId() != null) {
                run.step("write ids back to CommCare case", () -> writeBack(tx, s, m, v, patientUuid, visitUuid, encounterUuid));
            }
        });
        // an OpenMRS validation error (422) is bad data: Failed without auto-retry; the others are faults
        if (!outcome.succeeded()) return Failures.of(tx, "form " + s.key(), outcome);
        body.put("visit", visitUuid).put("encounter", encounterUuid).put("observations", obsUuids.size());
        if (reusedVisit != null) body.put("visitReused", true);
        if (!missingIds.isEmpty()) {
            var added = body.with("patient").putArray("identifiersAdded");
            missingIds.forEach(id -> added.add(id.identifier()));
        }
        if (!m.writeBack().isEmpty() && v.caseId() != null) body.put("caseWrittenBack", v.caseId());
        tx.property("encounter", encounterUuid).property("observations", obsUuids.size());
        return succeed(held, p, MediatorStatus.SUCCESSFUL, 201, body);
    }

    /**
     * With {@code visit.reuse} open or sameDay, the patient's visit (not voided) this encounter can join: open = not
     * ended and started before it, sameDay = covering its time. The mapped visit type first, then the latest start.
     */
    private Optional<String> reusableVisit(TransactionContext tx, FormMapping m, String patient, OffsetDateTime when) {
        if (m.visit().reuse() == FormMapping.VisitReuse.NEW) return Optional.empty();
        JsonNode best = null;
        OffsetDateTime bestStart = null;
        for (JsonNode visit : openmrs.visits(tx, patient)) {
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

    /** End of the visit: the configured window after its start, but never past the end of that day (the form's zone). */
    static OffsetDateTime visitEnd(OffsetDateTime start, FormMapping m) {
        OffsetDateTime window = start.plusHours(m.visit().windowHours()).minusSeconds(1);
        OffsetDateTime endOfDay = start.atZoneSameInstant(m.encounter().timeZone()).toLocalDate().atTime(23, 59, 59)
                .atZone(m.encounter().timeZone()).toOffsetDateTime();
        return window.isBefore(endOfDay) ? window : endOfDay;
    }

    /**
     * Does OpenMRS hold this encounter already: our own uuid (an earlier run whose ledger row is gone), or one of the
     * same type at the same time with the same observations (entered twice, or from another route)?
     */
    private Optional<String> sameEncounter(TransactionContext tx, FormMapping m, FormValues v, String patient, String encounterUuid) {
        Optional<JsonNode> ours = openmrs.encounter(tx, encounterUuid);
        if (ours.isPresent() && !ours.get().path("voided").asBoolean(false)) return Optional.of(encounterUuid);
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

    /** Case-block form with the OpenMRS ids; its instanceID is fixed per form, so HQ ignores a repeat. */
    private Object writeBack(TransactionContext tx, Submission s, FormMapping m, FormValues v, String patient, String visit, String encounter) {
        CaseBlock block = CaseBlock.of(v.caseId());
        Submission.CaseCreate cc = s.caseCreate();
        boolean writesLatest = m.writeBack().values().stream().anyMatch(LATEST_VALUES::contains);
        Optional<CommCareCase> current = writesLatest || (cc != null && cc.caseId().equals(v.caseId()) && cc.caseType() != null)
                ? commcare.caseById(tx, v.caseId()) : Optional.empty();
        // HQ rejects an update of a case it does not know; re-create it from the forwarded form's create block
        if (cc != null && cc.caseId().equals(v.caseId()) && cc.caseType() != null && current.isEmpty()) {
            block.create(cc.caseType(), cc.caseName() == null ? v.caseId() : cc.caseName(), cc.ownerId());
        }
        // the "last" visit/encounter belong to the newest form: an older form (a rerun days later) leaves them alone
        Instant formTime = v.encounterDatetime().toInstant();
        Instant written = current.map(c -> c.property(LAST_FORM_TIME)).map(FormWorkflow::instantOrNull).orElse(null);
        boolean older = written != null && formTime.isBefore(written);
        m.writeBack().forEach((property, what) -> {
            if (older && LATEST_VALUES.contains(what)) return;
            block.set(property, switch (what) {
                case "patient.uuid" -> patient;
                case "patient.identifier" -> v.identifiers().isEmpty() ? "" : v.identifiers().get(0).identifier();
                case "visit.uuid" -> visit == null ? "" : visit;
                default -> encounter;
            });
        });
        if (older) {
            tx.property("caseWriteBack", "kept the newer form's ids (" + LAST_FORM_TIME + " " + written + " > " + formTime + ")");
            if (m.writeBack().values().stream().allMatch(LATEST_VALUES::contains)) return "nothing to write: the case holds a newer form's ids";
        } else if (writesLatest) {
            block.set(LAST_FORM_TIME, formTime.toString());
        }
        FormSubmission form = new FormSubmission(WRITE_BACK_XMLNS, StableUuid.of(s.source().label, s.key(), "case-write-back"))
                .name("OpenMRS ids").addCase(block);
        return commcare.submit(tx, form);
    }

    private static Instant instantOrNull(String text) {
        if (text == null || text.isBlank()) return null;
        try {
            return OpenMrsDates.parse(text).toInstant();
        } catch (IllegalArgumentException e) {
            return null; // edited by hand on the case: not a time, so not newer
        }
    }

    /** Data that cannot be written as it is (4xx): Failed without {@code error}, so core does not auto-retry it. */
    static MediatorResponse failed(int status, String message) {
        return status >= 500 ? MediatorResponse.failed(status, message) : MediatorResponse.rejected(status, message);
    }

    /**
     * Several submissions of one request (an OpenSRP sync batch): Failed if any failed (with {@code error} when one of
     * them was a fault, so core retries the batch; the done ones answer as duplicates then), else Successful if any wrote.
     */
    static MediatorResponse combine(List<MediatorResponse> results) {
        ObjectNode body = Json.object();
        ArrayNode items = body.putArray("events");
        MediatorStatus status = MediatorStatus.COMPLETED;
        int http = 200;
        List<String> errors = new ArrayList<>();
        boolean fault = false;
        String retryAfter = null;
        for (MediatorResponse r : results) {
            ObjectNode item = (ObjectNode) Json.parse(r.body());
            item.put("status", r.status().label());
            items.add(item);
            if (r.status() == MediatorStatus.FAILED) {
                status = MediatorStatus.FAILED;
                http = Math.max(http, r.httpStatus());
                errors.add(item.path("error").asText());
                fault |= r.errorMessage() != null;
                if (r.headers().containsKey("Retry-After")) retryAfter = r.headers().get("Retry-After");
            } else if (r.status() == MediatorStatus.SUCCESSFUL && status != MediatorStatus.FAILED) {
                status = MediatorStatus.SUCCESSFUL;
                http = Math.max(http, r.httpStatus());
            }
        }
        if (errors.isEmpty()) return MediatorResponse.json(status, http, body);
        String error = String.join("; ", errors);
        body.put("error", error);
        if (!fault) return MediatorResponse.json(MediatorStatus.FAILED, http, body);
        MediatorResponse failed = MediatorResponse.failed(http, body, error);
        return retryAfter == null ? failed : failed.header("Retry-After", retryAfter);
    }
}
