package org.chis.mediator.commcareopenmrs.cht;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.IdMap;
import org.chis.common.systems.openmrs.FeedEntry;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.OpenMrsDates;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.mediator.commcareopenmrs.feeds.FeedMapping;
import org.chis.mediator.commcareopenmrs.feeds.FeedTarget;
import org.chis.mediator.commcareopenmrs.feeds.OpenMrsPatient;
import org.chis.mediator.commcareopenmrs.forms.Forms;
import org.chis.mediator.commcareopenmrs.forms.SourceIntake;

/**
 * OpenMRS feed entries -> CHT: a patient becomes a CHT person under the configured place ({@code POST /api/v1/people},
 * with an {@code _id} derived from the patient uuid, so a repeat is CHT's 409 and nothing twice); an encounter becomes
 * a CHT report ({@code POST /api/v1/records}) about that person (created first if CHT has none yet), with the
 * observations of the feed mapping ({@code feeds.json} {@code encounter.observations}: the same field names the
 * CommCare case gets). Patients and encounters that came from CHT reports (id map {@code form->patient} /
 * {@code form->encounter} with a {@code cht:} key) are echo and not sent back. The id map
 * {@value SourceIntake#CHT_PERSON_TO_PATIENT} links CHT person and OpenMRS patient both ways.
 */
final class ChtTarget implements FeedTarget {
    /** OpenMRS encounter uuid -> CHT report doc id (what was sent; a replayed entry finds it and sends nothing). */
    static final String ENCOUNTER_TO_REPORT = "encounter->cht-report";

    /** Where people are filed and how reports are labelled in CHT. */
    record Settings(String parentPlace, String contactType, String identifierType, String reportForm, String reportFrom) {}

    private final OpenMrsClient openmrs;
    private final ChtClient cht;
    private final IdMap idMap;
    private final FeedMapping mapping;
    private final Settings settings;

    ChtTarget(OpenMrsClient openmrs, ChtClient cht, IdMap idMap, FeedMapping mapping, Settings settings) {
        this.openmrs = openmrs;
        this.cht = cht;
        this.idMap = idMap;
        this.mapping = mapping;
        this.settings = settings;
    }

    @Override
    public String statePrefix() { return "cht:"; }

    @Override
    public CompletableFuture<Optional<JsonNode>> read(TransactionContext tx, FeedEntry e, Executor pool) {
        String path = e.resourcePath();
        String kind = e.resourceKind();
        if (path == null || (!"patient".equals(kind) && !"encounter".equals(kind))) return null;
        String name = "encounter".equals(kind) ? "get encounter" : "get patient";
        return CompletableFuture.supplyAsync(() -> openmrs.getPath(tx, name, path), pool);
    }

    @Override
    public Applied apply(TransactionContext tx, String feed, FeedEntry entry, CompletableFuture<Optional<JsonNode>> ahead,
                         AtomicReference<String> subject, Predicate<String> blocked) {
        String uuid = entry.resourceUuid();
        if (uuid == null) throw new UpstreamException("feed entry " + entry.id() + " names no resource uuid: '" + entry.content() + "'", 0);
        String kind = entry.resourceKind();
        if ("encounter".equals(kind)) return encounter(tx, entry, ahead, uuid, subject, blocked);
        if ("patient".equals(kind) || "person".equals(kind)) return patient(tx, entry, ahead, uuid, subject, blocked);
        throw new UpstreamException("feed " + feed + " entry " + entry.id() + ": resource kind '" + kind + "' is not handled", 0);
    }

    private Applied patient(TransactionContext tx, FeedEntry entry, CompletableFuture<Optional<JsonNode>> ahead, String patientUuid,
                            AtomicReference<String> subject, Predicate<String> blocked) {
        subject.set(patientUuid);
        if (blocked != null && blocked.test(patientUuid)) throw new WaitingBehind(patientUuid);
        if (fromCht(Forms.FORM_TO_PATIENT, patientUuid)) return new Applied(Result.ECHO, patientUuid, null, "patient created from a CHT report");
        Optional<String> person = idMap.source(SourceIntake.CHT_PERSON_TO_PATIENT, patientUuid);
        if (person.isPresent()) return new Applied(Result.UNCHANGED, patientUuid, person.get(), "CHT person exists (people are created, not updated)");
        Optional<JsonNode> json = fetch(tx, ahead, "get patient", entry.resourcePath());
        if (json.isEmpty()) return new Applied(Result.GONE, patientUuid, null, "patient no longer exists in OpenMRS");
        OpenMrsPatient p = new OpenMrsPatient(json.get());
        if (p.voided()) return new Applied(Result.GONE, patientUuid, null, "patient is voided");
        ChtClient.Saved saved = createPerson(tx, p);
        return new Applied(saved.existed() ? Result.UNCHANGED : Result.CREATED, patientUuid, saved.id(), "CHT person " + saved.id());
    }

    private Applied encounter(TransactionContext tx, FeedEntry entry, CompletableFuture<Optional<JsonNode>> ahead, String encounterUuid,
                              AtomicReference<String> subject, Predicate<String> blocked) {
        subject.set("encounter:" + encounterUuid);
        if (fromCht(Forms.FORM_TO_ENCOUNTER, encounterUuid)) {
            return new Applied(Result.ECHO, null, null, "encounter " + encounterUuid + " was created from a CHT report");
        }
        Optional<JsonNode> found = fetch(tx, ahead, "get encounter", entry.resourcePath());
        if (found.isEmpty()) return new Applied(Result.GONE, null, null, "encounter no longer exists in OpenMRS");
        JsonNode enc = found.get();
        String patientUuid = enc.path("patient").path("uuid").asText(enc.path("patientUuid").asText(null));
        if (patientUuid == null || patientUuid.isBlank()) throw new UpstreamException("encounter " + encounterUuid + " has no patient", 0);
        subject.set(patientUuid);
        if (blocked != null && blocked.test(patientUuid)) throw new WaitingBehind(patientUuid);
        if (enc.path("voided").asBoolean(false)) return new Applied(Result.GONE, patientUuid, null, "encounter is voided");
        Optional<String> sent = idMap.target(ENCOUNTER_TO_REPORT, encounterUuid);
        if (sent.isPresent()) return new Applied(Result.UNCHANGED, patientUuid, sent.get(), "CHT report " + sent.get() + " exists");

        String person = idMap.source(SourceIntake.CHT_PERSON_TO_PATIENT, patientUuid).orElse(null);
        if (person == null) {
            // the person comes first: the patient's entry may be further down the patient feed or before our start
            OpenMrsPatient p = new OpenMrsPatient(openmrs.patient(tx, patientUuid)
                    .orElseThrow(() -> new UpstreamException("encounter " + encounterUuid + ": patient " + patientUuid + " not found in OpenMRS", 404)));
            person = createPerson(tx, p).id();
        }
        String report = cht.createReport(tx, report(enc, encounterUuid, patientUuid, person));
        idMap.put(ENCOUNTER_TO_REPORT, encounterUuid, report);
        return new Applied(Result.CREATED, patientUuid, person, "CHT report " + report + " for encounter " + encounterUuid);
    }

    /** The CHT person of a patient: {@code _id} derived from the patient uuid, filed under the configured place. */
    private ChtClient.Saved createPerson(TransactionContext tx, OpenMrsPatient p) {
        ObjectNode person = Json.object().put("_id", personId(p.uuid())).put("name", p.fullName());
        if (settings.contactType() == null) person.put("type", "person");
        else person.put("type", "contact").put("contact_type", settings.contactType());
        person.put("place", settings.parentPlace());
        String birthdate = p.field("birthdate");
        if (birthdate != null) person.put("date_of_birth", birthdate);
        String gender = p.field("gender");
        if ("M".equals(gender)) person.put("sex", "male");
        else if ("F".equals(gender)) person.put("sex", "female");
        person.put("openmrs_patient_uuid", p.uuid());
        if (settings.identifierType() != null) {
            String id = p.field("identifier:" + settings.identifierType());
            if (id != null) person.put("openmrs_id", id);
        }
        ChtClient.Saved saved = cht.createPerson(tx, person);
        if (idMap.target(SourceIntake.CHT_PERSON_TO_PATIENT, saved.id()).isEmpty()) idMap.put(SourceIntake.CHT_PERSON_TO_PATIENT, saved.id(), p.uuid());
        return saved;
    }

    /** A flat JSON report (CHT keeps only string and number fields): who, when, and the mapped observations. */
    private ObjectNode report(JsonNode enc, String encounterUuid, String patientUuid, String person) {
        ObjectNode r = Json.object();
        String when = enc.path("encounterDatetime").asText(null);
        long reported = when == null ? Instant.now().toEpochMilli() : OpenMrsDates.parse(when).toInstant().toEpochMilli();
        r.putObject("_meta").put("form", settings.reportForm()).put("from", settings.reportFrom()).put("reported_date", reported);
        r.put("patient_uuid", person).put("openmrs_patient_uuid", patientUuid).put("openmrs_encounter_uuid", encounterUuid);
        if (when != null) r.put("encounter_datetime", when);
        String type = enc.path("encounterType").isObject() ? enc.path("encounterType").path("display").asText(null) : enc.path("encounterType").asText(null);
        if (type != null) r.put("encounter_type", type);
        Map<String, String> observed = observations(enc);
        for (FeedMapping.PropertyRule rule : mapping.observations()) {
            String v = observed.get(rule.from());
            if (v != null) r.put(rule.property(), rule.caseValue(v));
        }
        return r;
    }

    /** Concept uuid -> value of every observation (group members too); coded answers as the answer concept's uuid. */
    private static Map<String, String> observations(JsonNode encounter) {
        Map<String, String> out = new LinkedHashMap<>();
        collect(encounter.has("obs") ? encounter.get("obs") : encounter.path("observations"), out);
        return out;
    }

    private static void collect(JsonNode list, Map<String, String> out) {
        for (JsonNode o : list) {
            if (o.path("voided").asBoolean(false)) continue;
            String concept = o.path("concept").path("uuid").asText(o.path("conceptUuid").asText(null));
            JsonNode v = o.path("value");
            if (concept != null && !v.isMissingNode() && !v.isNull()) out.put(concept, v.isObject() ? v.path("uuid").asText(v.path("display").asText()) : v.asText());
            collect(o.path("groupMembers"), out);
        }
    }

    /** The CHT person id of a patient: the same on every retry. */
    static String personId(String patientUuid) { return StableUuid.of("openmrs-patient", patientUuid, "cht-person"); }

    /** Whether the suite wrote this OpenMRS uuid from a CHT report (the forms workflow's "cht:&lt;doc id&gt;" keys). */
    private boolean fromCht(String namespace, String uuid) {
        return idMap.source(namespace, uuid).map(k -> k.startsWith("cht:")).orElse(false);
    }

    private Optional<JsonNode> fetch(TransactionContext tx, CompletableFuture<Optional<JsonNode>> ahead, String name, String path) {
        if (ahead != null) {
            try {
                return ahead.join();
            } catch (CompletionException | CancellationException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
            }
        }
        return openmrs.getPath(tx, name, path);
    }
}
