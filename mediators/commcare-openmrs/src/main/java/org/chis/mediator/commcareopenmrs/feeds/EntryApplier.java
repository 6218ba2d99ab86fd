package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.chis.common.http.UpstreamException;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.IdMap;
import org.chis.common.systems.commcare.CaseBlock;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.commcare.FormSubmission;
import org.chis.common.systems.openmrs.FeedEntry;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.StableUuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one OpenMRS feed entry to CommCare: reads the changed patient or encounter, finds the patient's case
 * (id map, then external_id), and submits one form whose case block creates or updates the case. Every write is
 * repeatable: the case id of a new case and the form's instanceID are derived from the patient uuid / entry id (and,
 * for a patient entry, the changes), so a retry after a lost answer is ignored by HQ instead of writing twice.
 */
final class EntryApplier implements FeedTarget {
    /** IdMap namespace: CommCare case id -> OpenMRS patient uuid (shared with the forms side). */
    static final String CASE_TO_PATIENT = "case->patient";
    private static final Logger log = LoggerFactory.getLogger(EntryApplier.class);

    private final OpenMrsClient openmrs;
    private final CommCareClient commcare;
    private final FeedMapping mapping;
    private final IdMap idMap;
    private final List<String> encounterEchoNamespaces;
    private final List<String> patientEchoNamespaces;
    private final List<String> createdPatientNamespaces;
    private final Cohort cohort;

    EntryApplier(OpenMrsClient openmrs, CommCareClient commcare, FeedMapping mapping, IdMap idMap,
                 List<String> encounterEchoNamespaces, List<String> patientEchoNamespaces, List<String> createdPatientNamespaces) {
        this.openmrs = openmrs;
        this.commcare = commcare;
        this.mapping = mapping;
        this.idMap = idMap;
        this.encounterEchoNamespaces = List.copyOf(encounterEchoNamespaces);
        this.patientEchoNamespaces = List.copyOf(patientEchoNamespaces);
        this.createdPatientNamespaces = List.copyOf(createdPatientNamespaces);
        this.cohort = new Cohort(mapping.cohort(), openmrs, Clock.systemUTC());
    }

    /**
     * @param subject set to the patient uuid as soon as it is known (the caller parks failures under it)
     * @param ahead   the entry's resource as {@link #read read} ahead, or null to read it now
     * @param blocked true when a patient has parked entries this one must wait behind (null = do not check)
     */
    @Override
    public Applied apply(TransactionContext tx, String feed, FeedEntry entry, CompletableFuture<Optional<JsonNode>> ahead,
                  AtomicReference<String> subject, Predicate<String> blocked) {
        String kind = entry.resourceKind();
        String uuid = entry.resourceUuid();
        if (uuid == null) throw new UpstreamException("feed entry " + entry.id() + " names no resource uuid: '" + entry.content() + "'", 0);
        Instant at = entry.updated() != null ? entry.updated() : entry.published();
        if ("encounter".equals(kind)) return encounter(tx, entry, ahead, uuid, at, subject, blocked);
        if ("patient".equals(kind) || "person".equals(kind)) return patient(tx, entry, ahead, uuid, at, subject, blocked);
        throw new UpstreamException("feed " + feed + " entry " + entry.id() + ": resource kind '" + kind + "' is not handled", 0);
    }

    private Applied patient(TransactionContext tx, FeedEntry entry, CompletableFuture<Optional<JsonNode>> ahead, String patientUuid, Instant at, AtomicReference<String> subject,
                            Predicate<String> blocked) {
        subject.set(patientUuid);
        if (blocked != null && blocked.test(patientUuid)) throw new WaitingBehind(patientUuid);
        if (ours(patientEchoNamespaces, patientUuid)) return new Applied(Result.ECHO, patientUuid, null, "patient written by the suite");
        Optional<JsonNode> json = fetch(tx, ahead, "get patient", entry.resourcePath());
        if (json.isEmpty()) return new Applied(Result.GONE, patientUuid, null, "patient no longer exists in OpenMRS");
        if (ours(createdPatientNamespaces, patientUuid) && unchangedSinceCreated(json.get())) {
            // the suite created this patient from a CommCare form and nobody changed it since: CommCare already has it
            return new Applied(Result.ECHO, patientUuid, null, "patient created by the suite, unchanged since");
        }
        OpenMrsPatient p = new OpenMrsPatient(json.get());
        String location = mapping.location().of(p, null);
        Optional<String> outside = cohort.excludes(tx, p, location);
        if (outside.isPresent()) return skipped(tx, entry, patientUuid, outside.get());
        Optional<CommCareCase> current = caseOf(tx, patientUuid);
        if (current.isEmpty() && mapping.updateOnly()) return skipped(tx, entry, patientUuid, "update-only: the patient has no CommCare case");
        Map<String, String> changes = patientChanges(p, current.orElse(null), at);
        if (current.isPresent() && changes.isEmpty()) return new Applied(Result.UNCHANGED, patientUuid, current.get().caseId(), "case already up to date");
        String caseId = current.map(CommCareCase::caseId).orElseGet(() -> newCaseId(patientUuid));
        String owner = owner(patientUuid, location, current.orElse(null));
        CaseBlock block = block(caseId, current.isEmpty(), p, changes, at, owner);
        // same entry + same changes -> same instanceID: HQ ignores the repeat of a submission it already has
        FormSubmission form = form(entry, "OpenMRS patient", new TreeMap<>(changes).toString(), owner).addCase(block);
        form.question("openmrs_patient_uuid", patientUuid);
        commcare.submit(tx, form);
        return new Applied(current.isEmpty() ? Result.CREATED : Result.UPDATED, patientUuid, caseId, changes.keySet().toString());
    }

    private Applied encounter(TransactionContext tx, FeedEntry entry, CompletableFuture<Optional<JsonNode>> ahead, String encounterUuid, Instant at, AtomicReference<String> subject,
                              Predicate<String> blocked) {
        subject.set("encounter:" + encounterUuid);
        if (ours(encounterEchoNamespaces, encounterUuid)) {
            return new Applied(Result.ECHO, null, null, "encounter " + encounterUuid + " was created by the suite");
        }
        Optional<JsonNode> found = fetch(tx, ahead, "get encounter", entry.resourcePath());
        if (found.isEmpty()) return new Applied(Result.GONE, null, null, "encounter no longer exists in OpenMRS");
        JsonNode enc = found.get();
        String patientUuid = patientOf(enc);
        if (patientUuid == null || patientUuid.isBlank()) throw new UpstreamException("encounter " + encounterUuid + " has no patient", 0);
        subject.set(patientUuid);
        if (blocked != null && blocked.test(patientUuid)) throw new WaitingBehind(patientUuid);
        if (enc.path("voided").asBoolean(false)) return new Applied(Result.GONE, patientUuid, null, "encounter is voided");

        // a cohort filter decides on the patient (and the encounter's location), so it is read first
        OpenMrsPatient patient = cohort.everyone() ? null : patient(tx, encounterUuid, patientUuid);
        String location = patient == null ? null : mapping.location().of(patient, enc);
        Optional<String> outside = patient == null ? Optional.empty() : cohort.excludes(tx, patient, location);
        if (outside.isPresent()) return skipped(tx, entry, patientUuid, outside.get());
        Optional<CommCareCase> current = caseOf(tx, patientUuid);
        if (current.isEmpty() && mapping.updateOnly()) return skipped(tx, entry, patientUuid, "update-only: the patient has no CommCare case");
        Map<String, String> changes = new LinkedHashMap<>();
        if (current.isEmpty()) {
            // the patient's case comes first: its entry may be further down the patient feed or was before our start
            if (patient == null) patient = patient(tx, encounterUuid, patientUuid);
            location = mapping.location().of(patient, enc);
            changes.putAll(patientChanges(patient, null, at));
        }
        Map<String, String> observed = observations(enc);
        changes.putAll(CaseChanges.compute(mapping.observations(), observed::get, current.orElse(null), at));
        String when = text(enc, "encounterDatetime", "encounterDateTime");
        String type = enc.path("encounterType").isObject() ? enc.path("encounterType").path("display").asText(null) : text(enc, "encounterType");
        if (mapping.encounterDateProperty() != null && when != null) {
            CaseChanges.property(changes, mapping.encounterDateProperty(), when.length() >= 10 ? when.substring(0, 10) : when,
                    ConflictPolicy.OPENMRS_WINS, current.orElse(null), at);
        }
        if (mapping.encounterTypeProperty() != null && type != null) {
            CaseChanges.property(changes, mapping.encounterTypeProperty(), type, ConflictPolicy.OPENMRS_WINS, current.orElse(null), at);
        }
        String caseId = current.map(CommCareCase::caseId).orElseGet(() -> newCaseId(patientUuid));
        // a new encounter is always recorded as a form (the encounter is an event in CommCare), even with no property change
        String owner = owner(patientUuid, location, current.orElse(null));
        CaseBlock block = block(caseId, current.isEmpty(), patient, changes, at, owner);
        // one form per encounter entry, whatever the case held when it was applied: a replay after HQ saved the first
        // submission (answer lost, or kill -9 before the ledger record) finds no change left, and a changes-based
        // instanceID would have made it a second form for the same encounter
        FormSubmission form = form(entry, "OpenMRS encounter", "encounter", owner).addCase(block);
        form.question("openmrs_encounter_uuid", encounterUuid).question("openmrs_patient_uuid", patientUuid)
                .question("encounter_type", type).question("encounter_datetime", when);
        commcare.submit(tx, form);
        return new Applied(current.isEmpty() ? Result.CREATED : Result.UPDATED, patientUuid, caseId, "encounter " + encounterUuid);
    }

    private OpenMrsPatient patient(TransactionContext tx, String encounterUuid, String patientUuid) {
        return new OpenMrsPatient(openmrs.patient(tx, patientUuid)
                .orElseThrow(() -> new UpstreamException("encounter " + encounterUuid + ": patient " + patientUuid + " not found in OpenMRS", 404)));
    }

    /** Outside the cohort or update-only: recorded (ledger outcome, poll count "skipped"), never parked; the marker moves on. */
    private static Applied skipped(TransactionContext tx, FeedEntry entry, String patientUuid, String why) {
        log.info("[{}] feed entry {} of patient {} skipped: {}", tx.transactionId(), entry.id(), patientUuid, why);
        return new Applied(Result.SKIPPED, patientUuid, null, why);
    }

    /**
     * A new case's owner, by the patient's location ({@link CaseOwner.Unmapped} when there is none: the entry parks).
     * An existing case keeps its owner; the form is then submitted as the owner the mapping gives, else the case's.
     */
    private String owner(String patientUuid, String location, CommCareCase current) {
        if (current == null) return mapping.owner().ownerFor(patientUuid, location);
        try {
            return mapping.owner().ownerFor(patientUuid, location);
        } catch (CaseOwner.Unmapped e) {
            return current.ownerId();
        }
    }

    // ------------------------------------------------------------------ read-ahead

    /**
     * Starts reading an entry's resource on {@code pool}, so the resources of many entries are read in parallel
     * while entries are applied per patient in feed order. Safe because the resource is read after the entry was
     * published, as a sequential read would. Null when the entry names no patient or encounter to read.
     */
    @Override
    public CompletableFuture<Optional<JsonNode>> read(TransactionContext tx, FeedEntry e, Executor pool) {
        String path = e.resourcePath();
        String kind = e.resourceKind();
        if (path == null || (!"patient".equals(kind) && !"encounter".equals(kind))) return null;
        String name = "encounter".equals(kind) ? "get encounter" : "get patient";
        return CompletableFuture.supplyAsync(() -> openmrs.getPath(tx, name, path), pool);
    }

    /**
     * The lane an entry belongs to: its patient's uuid. A patient entry names it; an encounter's patient is only
     * known from the encounter itself (read ahead); one that cannot be read has a lane of its own.
     */
    static String patientLane(FeedEntry e, CompletableFuture<Optional<JsonNode>> ahead) {
        String uuid = e.resourceUuid();
        String kind = e.resourceKind();
        if (uuid == null) return "entry:" + e.id();
        if ("patient".equals(kind) || "person".equals(kind)) return uuid;
        if ("encounter".equals(kind) && ahead != null) {
            try {
                String patient = ahead.join().map(EntryApplier::patientOf).orElse(null);
                if (patient != null && !patient.isBlank()) return patient;
            } catch (CompletionException | CancellationException ex) {
                // unreadable now: applying it will fail and park it under its own name
            }
        }
        return kind + ":" + uuid;
    }

    static String patientOf(JsonNode encounter) {
        return encounter.path("patient").path("uuid").asText(encounter.path("patientUuid").asText(null));
    }

    private Optional<JsonNode> fetch(TransactionContext tx, CompletableFuture<Optional<JsonNode>> ahead, String name, String path) {
        if (ahead != null) {
            try {
                return ahead.join();
            } catch (CompletionException | CancellationException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                // cancelled or an error: read it now instead
            }
        }
        return openmrs.getPath(tx, name, path);
    }

    private Map<String, String> patientChanges(OpenMrsPatient p, CommCareCase current, Instant at) {
        Map<String, String> changes = new LinkedHashMap<>();
        CaseChanges.property(changes, "case_name", p.field(mapping.caseNameFrom()) == null ? p.fullName() : p.field(mapping.caseNameFrom()),
                ConflictPolicy.OPENMRS_WINS, current, at);
        changes.putAll(CaseChanges.compute(mapping.patient(), p::field, current, at));
        String uuidShadow = current == null ? null : current.property("openmrs_uuid");
        if (!p.uuid().equals(uuidShadow)) changes.put("openmrs_uuid", p.uuid());
        String voided = String.valueOf(p.voided());
        String voidedShadow = current == null ? null : current.property("openmrs_voided");
        if (p.voided() && !voided.equals(voidedShadow) || !p.voided() && "true".equals(voidedShadow)) changes.put("openmrs_voided", voided);
        return changes;
    }

    private CaseBlock block(String caseId, boolean create, OpenMrsPatient patient, Map<String, String> changes, Instant at, String owner) {
        CaseBlock b = CaseBlock.of(caseId).dateModified(at == null ? Instant.now() : at);
        Map<String, String> updates = new LinkedHashMap<>(changes);
        if (create) {
            String name = updates.getOrDefault("case_name", patient == null ? caseId : patient.fullName());
            b.create(mapping.caseType(), name, owner);
            String uuid = updates.get("openmrs_uuid");
            if (uuid != null) b.externalId(uuid);
        }
        b.setAll(updates);
        return b;
    }

    /** The entry's form; its instanceID is derived from the entry id and {@code variant}, so HQ ignores a repeat. */
    private FormSubmission form(FeedEntry entry, String name, String variant, String user) {
        String instanceId = StableUuid.of("openmrs-feed-entry", entry.id(), variant);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new FormSubmission(mapping.xmlns(), instanceId).name(name).deviceId("chis-openmrs-atomfeed")
                .user(user, "chis-openmrs-feed").times(now, now).question("openmrs_feed_entry", entry.id());
    }

    /** Concept uuid -> value of every observation (group members too); coded answers as the answer concept's uuid. */
    static Map<String, String> observations(JsonNode encounter) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode obs = encounter.has("obs") ? encounter.get("obs") : encounter.path("observations");
        collect(obs, out);
        return out;
    }

    private static void collect(JsonNode list, Map<String, String> out) {
        for (JsonNode o : list) {
            if (o.path("voided").asBoolean(false)) continue;
            String concept = o.path("concept").path("uuid").asText(o.path("conceptUuid").asText(null));
            JsonNode v = o.path("value");
            if (concept != null && !v.isMissingNode() && !v.isNull()) {
                out.put(concept, v.isObject() ? v.path("uuid").asText(v.path("display").asText()) : v.asText());
            }
            collect(o.path("groupMembers"), out);
        }
    }

    private Optional<CommCareCase> caseOf(TransactionContext tx, String patientUuid) {
        Optional<String> mapped = idMap.source(CASE_TO_PATIENT, patientUuid);
        if (mapped.isPresent()) {
            Optional<CommCareCase> c = commcare.caseById(tx, mapped.get());
            if (c.isPresent()) return c;
        }
        return commcare.caseByExternalId(tx, patientUuid);
    }

    /** The case of a patient it wrote, for the next entry's lookup: in the transaction that records the entry. */
    @Override
    public void keep(Connection c, Applied applied) throws SQLException {
        if (applied.result() != Result.CREATED && applied.result() != Result.UPDATED) return;
        String caseId = applied.caseId();
        String patientUuid = applied.subject();
        if (caseId == null || patientUuid == null) return;
        if (idMap.source(c, CASE_TO_PATIENT, patientUuid).isEmpty() && idMap.target(c, CASE_TO_PATIENT, caseId).isEmpty()) {
            idMap.put(c, CASE_TO_PATIENT, caseId, patientUuid);
        }
    }

    private static boolean unchangedSinceCreated(JsonNode patient) {
        return patient.path("auditInfo").path("dateChanged").isNull() && patient.path("person").path("auditInfo").path("dateChanged").isNull()
                && !patient.path("auditInfo").isMissingNode();
    }

    private boolean ours(List<String> namespaces, String uuid) {
        for (String ns : namespaces) if (idMap.source(ns, uuid).isPresent()) return true;
        return false;
    }

    /** The case id of a case we create for a patient: the same on every retry. */
    static String newCaseId(String patientUuid) { return StableUuid.of("openmrs-patient", patientUuid, "case"); }

    private static String text(JsonNode n, String... fields) {
        for (String f : fields) if (n.hasNonNull(f) && !n.get(f).isObject()) return n.get(f).asText();
        return null;
    }
}
