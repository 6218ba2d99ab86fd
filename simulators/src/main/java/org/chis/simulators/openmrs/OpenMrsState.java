package org.chis.simulators.openmrs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.chis.common.json.Json;
import org.chis.common.systems.openmrs.OpenMrsDates;

/**
 * The data behind the OpenMRS simulator: metadata, persons/patients, visits, encounters, observations and the
 * atom feed events their saves publish. Validation follows OpenMRS (required fields, unknown references,
 * encounter inside its visit's dates, purge refused while dependants exist). Callers hold the simulator's lock.
 */
final class OpenMrsState {

    /** An error OpenMRS would answer, with its JSON (or text) body. */
    static final class Failure extends RuntimeException {
        final int status;
        final JsonNode body;

        Failure(int status, JsonNode body) {
            super(body.toString());
            this.status = status;
            this.body = body;
        }
    }

    static Failure error(int status, String message, String code) {
        ObjectNode b = Json.object();
        ObjectNode e = b.putObject("error");
        e.put("message", message);
        e.put("code", code);
        e.put("detail", "");
        return new Failure(status, b);
    }

    static Failure notFound() {
        return error(404, "Object with given uuid doesn't exist", "org.openmrs.module.webservices.rest.web.resource.impl.BaseDelegatingResource:89");
    }

    /** 400 "Invalid Submission" with field and global errors, as the REST module's ValidationException handler writes it. */
    static Failure invalid(Map<String, String> fieldErrors, String... globalErrors) {
        ObjectNode b = Json.object();
        ObjectNode e = b.putObject("error");
        e.put("message", "Invalid Submission");
        e.put("code", "webservices.rest.error.invalid.submission");
        ArrayNode g = e.putArray("globalErrors");
        for (String ge : globalErrors) g.addObject().put("code", ge).put("message", ge);
        ObjectNode f = e.putObject("fieldErrors");
        fieldErrors.forEach((k, v) -> f.putArray(k).addObject().put("code", v).put("message", MESSAGES.getOrDefault(v, v)));
        return new Failure(400, b);
    }

    /** OpenMRS's English text (messages.properties / the validator's default message) of error codes whose text is known. */
    static final Map<String, String> MESSAGES = Map.of(
            "Visit.visitCannotOverlapAnotherVisitOfTheSamePatient", "This visit overlaps with another visit of the same patient.",
            "Visit.error.visitType.required", "Visit Type is required",
            "Encounter.datetimeShouldBeBeforeCurrent", "The encounter datetime should be before the current date.",
            "Encounter.datetimeShouldBeInVisitDatesRange", "The encounter datetime should be between the visit start and stop dates.");

    static Failure server(String message) {
        return error(500, message, "org.hibernate.exception.ConstraintViolationException");
    }

    record Concept(String uuid, String name, String datatype, List<String> answers) {}

    static final class Name {
        String uuid, given, middle, family;
        boolean preferred = true, voided;
    }

    static final class Identifier {
        String uuid, identifier, type, location;
        boolean preferred, voided;
    }

    static final class Attribute {
        String uuid, type, value;
        boolean voided;
    }

    static final class Person {
        String uuid, gender, birthdate, deathDate;
        boolean birthdateEstimated, dead, voided, patient;
        final List<Name> names = new ArrayList<>();
        final List<Map<String, String>> addresses = new ArrayList<>();
        final List<String> addressUuids = new ArrayList<>();
        final List<Attribute> attributes = new ArrayList<>();
        final List<Identifier> identifiers = new ArrayList<>();
        Instant created, changed;
        /** Creation order: persons are saved in the order they are created, so this is their order in {@code persons}. */
        long seq;

        Name preferredName() {
            for (Name n : names) if (!n.voided && n.preferred) return n;
            for (Name n : names) if (!n.voided) return n;
            return null;
        }

        String display() {
            Name n = preferredName();
            if (n == null) return "";
            return (n.given + (n.middle == null || n.middle.isBlank() ? "" : " " + n.middle) + " " + n.family).trim();
        }
    }

    static final class Visit {
        String uuid, patient, visitType, location;
        OffsetDateTime start, stop;
        boolean voided;
        Instant created, changed;
    }

    static final class Encounter {
        String uuid, patient, type, visit, location, form;
        OffsetDateTime datetime;
        final List<String[]> providers = new ArrayList<>();
        boolean voided;
        Instant created, changed;
    }

    static final class Obs {
        String uuid, person, concept, encounter, location, group;
        OffsetDateTime datetime;
        JsonNode value;
        boolean voided;
        Instant created;
    }

    /** A published atom feed event (one entry). */
    record FeedEvent(String id, String category, String title, String resourceUuid, String action, Instant at) {}

    // metadata resources: name -> uuid -> display
    final Map<String, Map<String, String>> metadata = new LinkedHashMap<>();
    final Map<String, Concept> concepts = new LinkedHashMap<>();
    final Map<String, Person> persons = new LinkedHashMap<>();
    final Map<String, Visit> visits = new LinkedHashMap<>();
    final Map<String, Encounter> encounters = new LinkedHashMap<>();
    final Map<String, Obs> obs = new LinkedHashMap<>();
    final Map<String, List<FeedEvent>> feeds = new LinkedHashMap<>();
    /** Global property {@code visits.allowOverlappingVisits}; OpenMRS's default is true. */
    boolean allowOverlappingVisits = true;

    // Indexes for the lookups every saga call makes (patient by identifier or name, a visit's encounters, an
    // encounter's obs ...): scanning every row per request made the simulator's CPU per call grow with its data, past
    // the mediator's under load. Rows are added when saved and never removed: readers keep only rows that are still
    // the saved one ({@link #current}), so a purge, void or rename needs no bookkeeping here.
    private final Map<String, List<Person>> personsByIdentifier = new HashMap<>();
    private final NavigableMap<String, List<Person>> personsByNamePart = new TreeMap<>();
    private final Map<String, List<Visit>> visitsByPatient = new HashMap<>();
    private final Map<String, List<Encounter>> encountersByPatient = new HashMap<>();
    private final Map<String, List<Encounter>> encountersByVisit = new HashMap<>();
    private final Map<String, List<Obs>> obsByPerson = new HashMap<>();
    private final Map<String, List<Obs>> obsByEncounter = new HashMap<>();
    private final Map<String, List<Obs>> obsByGroup = new HashMap<>();
    private long personSeq;

    OpenMrsState() {
        seed();
    }

    void clear() {
        metadata.clear();
        providers.clear();
        concepts.clear();
        persons.clear();
        visits.clear();
        encounters.clear();
        obs.clear();
        feeds.clear();
        personsByIdentifier.clear();
        personsByNamePart.clear();
        visitsByPatient.clear();
        encountersByPatient.clear();
        encountersByVisit.clear();
        obsByPerson.clear();
        obsByEncounter.clear();
        obsByGroup.clear();
        allowOverlappingVisits = true;
        seed();
    }

    private void seed() {
        meta("patientidentifiertype", OpenMrsSimulator.ID_TYPE_OPENMRS_ID, "OpenMRS ID");
        meta("patientidentifiertype", OpenMrsSimulator.ID_TYPE_OLD, "Old Identification Number");
        meta("patientidentifiertype", OpenMrsSimulator.ID_TYPE_NATIONAL_ID, "National ID");
        meta("location", OpenMrsSimulator.LOCATION_UNKNOWN, "Unknown Location");
        meta("location", OpenMrsSimulator.LOCATION_CLINIC, "Amani Clinic");
        meta("visittype", OpenMrsSimulator.VISIT_TYPE_FACILITY, "Facility Visit");
        meta("visittype", OpenMrsSimulator.VISIT_TYPE_COMMUNITY, "Community Visit");
        meta("encountertype", OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, "Vitals");
        meta("encountertype", OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, "Visit Note");
        meta("encountertype", OpenMrsSimulator.ENCOUNTER_TYPE_REGISTRATION, "Adult Initial");
        meta("encountertype", OpenMrsSimulator.ENCOUNTER_TYPE_REFERRAL, "Referral");
        meta("encountertype", OpenMrsSimulator.ENCOUNTER_TYPE_TRACING, "Tracing");
        meta("encounterrole", OpenMrsSimulator.ENCOUNTER_ROLE_UNKNOWN, "Unknown");
        meta("encounterrole", OpenMrsSimulator.ENCOUNTER_ROLE_CLINICIAN, "Clinician");
        meta("provider", OpenMrsSimulator.PROVIDER_UNKNOWN, "UNKNOWN - Unknown Provider");
        meta("provider", OpenMrsSimulator.PROVIDER_CHW, "CHW-1 - Community Health Worker");
        meta("personattributetype", OpenMrsSimulator.ATTRIBUTE_PHONE, "Telephone Number");
        meta("personattributetype", OpenMrsSimulator.ATTRIBUTE_VILLAGE, "Village");
        meta("form", OpenMrsSimulator.FORM_COMMUNITY, "Community Health Form");
        concept(OpenMrsSimulator.CONCEPT_YES, "Yes", "N/A");
        concept(OpenMrsSimulator.CONCEPT_NO, "No", "N/A");
        concept(OpenMrsSimulator.CONCEPT_WEIGHT, "Weight (kg)", "Numeric");
        concept(OpenMrsSimulator.CONCEPT_HEIGHT, "Height (cm)", "Numeric");
        concept(OpenMrsSimulator.CONCEPT_TEMPERATURE, "Temperature (C)", "Numeric");
        concept(OpenMrsSimulator.CONCEPT_MUAC, "Mid-upper arm circumference", "Numeric");
        concept(OpenMrsSimulator.CONCEPT_PREGNANT, "Patient pregnant", "Coded", OpenMrsSimulator.CONCEPT_YES, OpenMrsSimulator.CONCEPT_NO);
        concept(OpenMrsSimulator.CONCEPT_FEVER, "Fever", "Coded", OpenMrsSimulator.CONCEPT_YES, OpenMrsSimulator.CONCEPT_NO);
        concept(OpenMrsSimulator.CONCEPT_EDD, "Estimated date of confinement", "Date");
        concept(OpenMrsSimulator.CONCEPT_LMP, "Date of last menstrual period", "Date");
        concept(OpenMrsSimulator.CONCEPT_VISIT_TIME, "Time of community visit", "Datetime");
        concept(OpenMrsSimulator.CONCEPT_COMMENT, "General comment", "Text");
        concept(OpenMrsSimulator.CONCEPT_REFERRED, "Referred to facility", "Boolean");
        concept(OpenMrsSimulator.CONCEPT_REFERRAL_REASON, "Reason for referral", "Text");
        concept(OpenMrsSimulator.CONCEPT_TRACE_FOUND, "Found, returning to care", "N/A");
        concept(OpenMrsSimulator.CONCEPT_TRACE_MOVED, "Moved away", "N/A");
        concept(OpenMrsSimulator.CONCEPT_TRACE_DIED, "Died", "N/A");
        concept(OpenMrsSimulator.CONCEPT_TRACE_REFUSED, "Refused to return to care", "N/A");
        concept(OpenMrsSimulator.CONCEPT_TRACE_OUTCOME, "Tracing outcome", "Coded", OpenMrsSimulator.CONCEPT_TRACE_FOUND,
                OpenMrsSimulator.CONCEPT_TRACE_MOVED, OpenMrsSimulator.CONCEPT_TRACE_DIED, OpenMrsSimulator.CONCEPT_TRACE_REFUSED);
    }

    void meta(String resource, String uuid, String display) {
        metadata.computeIfAbsent(resource, k -> new LinkedHashMap<>()).put(uuid, display);
        if (resource.equals("provider")) {
            // seeded as "IDENTIFIER - Name", the display ProviderResource gives
            int dash = display.indexOf(" - ");
            providers.put(uuid, new Provider(uuid, dash < 0 ? display : display.substring(0, dash), dash < 0 ? display : display.substring(dash + 3), null));
        }
    }

    // ------------------------------------------------------------------ providers

    /** A provider (ProviderResource): an identifier, and a person or (legacy) a name. */
    record Provider(String uuid, String identifier, String name, String person) {}

    final Map<String, Provider> providers = new LinkedHashMap<>();

    /**
     * {@code POST /provider}: ProviderValidator wants a person or a name ("Provider.error.personOrName.required") and an
     * identifier no other provider has ("Provider.error.duplicateIdentifier", compared without letter case like MySQL's
     * default collation); an unknown person uuid is 404 like any reference the REST module cannot convert.
     */
    Provider createProvider(JsonNode body) {
        String identifier = text(body, "identifier");
        String name = text(body, "name");
        String person = text(body, "person");
        Map<String, String> fieldErrors = new LinkedHashMap<>();
        if (person == null && name == null) fieldErrors.put("name", "Provider.error.personOrName.required");
        if (identifier != null && providers.values().stream().anyMatch(p -> identifier.equalsIgnoreCase(p.identifier()))) {
            fieldErrors.put("identifier", "Provider.error.duplicateIdentifier");
        }
        if (!fieldErrors.isEmpty()) throw invalid(fieldErrors);
        if (person != null && !persons.containsKey(person)) throw notFound();
        String uuid = body.hasNonNull("uuid") ? body.get("uuid").asText() : UUID.randomUUID().toString();
        String display = (identifier == null ? "" : identifier) + " - " + (person != null ? persons.get(person).display() : name);
        Provider p = new Provider(uuid, identifier, name, person);
        providers.put(uuid, p);
        metadata.computeIfAbsent("provider", k -> new LinkedHashMap<>()).put(uuid, display);
        return p;
    }

    /** ProviderResource's default representation. */
    ObjectNode providerRep(Provider p, String base) {
        ObjectNode r = ref("provider", p.uuid(), metadata.getOrDefault("provider", Map.of()).getOrDefault(p.uuid(), p.identifier()), base);
        if (p.person() == null) r.putNull("person");
        else r.set("person", ref("person", p.person(), persons.get(p.person()).display(), base));
        r.put("identifier", p.identifier());
        r.putArray("attributes");
        r.put("retired", false);
        return r;
    }

    void concept(String uuid, String name, String datatype, String... answers) {
        concepts.put(uuid, new Concept(uuid, name, datatype, List.of(answers)));
    }

    // ------------------------------------------------------------------ feed

    void publish(String category, String title, String resourceUuid, String action) {
        feeds.computeIfAbsent(category, k -> new ArrayList<>())
                .add(new FeedEvent(UUID.randomUUID().toString(), category, title, resourceUuid, action, Instant.now()));
    }

    List<FeedEvent> feed(String category) { return feeds.getOrDefault(category, List.of()); }

    // ------------------------------------------------------------------ indexes

    private static <T> void add(Map<String, List<T>> index, String key, T row) {
        index.computeIfAbsent(key, k -> new ArrayList<>(2)).add(row);
    }

    /** Whether {@code row} is still what {@code rows} holds under its uuid (not purged, not replaced). */
    private static <T> boolean current(Map<String, T> rows, String uuid, T row) {
        return rows.get(uuid) == row;
    }

    /** The indexed rows that are still saved, in the order they were saved. */
    private static <T> List<T> current(Map<String, T> rows, List<T> indexed, Function<T, String> uuid) {
        if (indexed == null) return List.of();
        List<T> out = new ArrayList<>(indexed.size());
        for (T r : indexed) if (current(rows, uuid.apply(r), r)) out.add(r);
        return out;
    }

    /**
     * The key under which {@code equalsIgnoreCase} identifiers meet: String.equalsIgnoreCase compares chars by
     * upper case, then by the lower case of that, so this per-char mapping makes two identifiers equal exactly when
     * equalsIgnoreCase says so.
     */
    private static String identifierKey(String identifier) {
        StringBuilder k = new StringBuilder(identifier.length());
        for (int i = 0; i < identifier.length(); i++) k.append(Character.toLowerCase(Character.toUpperCase(identifier.charAt(i))));
        return k.toString();
    }

    private void indexName(Person p, Name n) {
        for (String part : new String[] {n.given, n.middle, n.family}) {
            if (part != null) add(personsByNamePart, part.toLowerCase(Locale.ROOT), p);
        }
    }

    private void saveObs(Obs o) {
        obs.put(o.uuid, o);
        add(obsByPerson, o.person, o);
        if (o.encounter != null) add(obsByEncounter, o.encounter, o);
        if (o.group != null) add(obsByGroup, o.group, o);
    }

    List<Visit> visitsOf(String patient) { return current(visits, visitsByPatient.get(patient), v -> v.uuid); }

    List<Encounter> encountersOf(String patient) { return current(encounters, encountersByPatient.get(patient), e -> e.uuid); }

    List<Encounter> encountersOfVisit(String visit) { return current(encounters, encountersByVisit.get(visit), e -> e.uuid); }

    List<Obs> obsOf(String person) { return current(obs, obsByPerson.get(person), o -> o.uuid); }

    List<Obs> obsOfEncounter(String encounter) { return current(obs, obsByEncounter.get(encounter), o -> o.uuid); }

    List<Obs> obsOfGroup(String group) { return current(obs, obsByGroup.get(group), o -> o.uuid); }

    /** {@code GET /patient?identifier=}: patients (not voided) holding it (not voided), in the order they were saved. */
    List<Person> patientsByIdentifier(String identifier) {
        List<Person> hits = new ArrayList<>();
        for (Person p : current(persons, personsByIdentifier.get(identifierKey(identifier)), p -> p.uuid)) {
            if (p.patient && !p.voided && !hits.contains(p) && p.identifiers.stream().anyMatch(i -> !i.voided && i.identifier.equals(identifier))) hits.add(p);
        }
        hits.sort(Comparator.comparingLong(p -> p.seq));
        return hits;
    }

    /** {@code GET /patient?q=}: patients (not voided) that {@link #matches} q, in the order they were saved. */
    List<Person> patientsMatching(String q) {
        String query = q.toLowerCase(Locale.ROOT).trim();
        List<String> words = query.isEmpty() ? List.of() : new ArrayList<>(List.of(query.split("\\s+")));
        Collection<Person> candidates;
        if (words.isEmpty()) {
            candidates = persons.values(); // every name starts with the empty word
        } else {
            // the persons with a name part starting with the most selective word, plus those holding q as an identifier
            List<Person> fewest = null;
            words.sort(Comparator.comparingInt(String::length).reversed());
            for (String w : words) {
                List<Person> c = new ArrayList<>();
                for (Map.Entry<String, List<Person>> e : personsByNamePart.tailMap(w, true).entrySet()) {
                    if (!e.getKey().startsWith(w)) break;
                    c.addAll(e.getValue());
                    if (fewest != null && c.size() >= fewest.size()) break;
                }
                if (fewest == null || c.size() < fewest.size()) fewest = c;
            }
            Set<Person> union = Collections.newSetFromMap(new IdentityHashMap<>());
            union.addAll(fewest);
            union.addAll(personsByIdentifier.getOrDefault(identifierKey(query), List.of()));
            candidates = union;
        }
        List<Person> hits = new ArrayList<>();
        for (Person p : candidates) {
            if (current(persons, p.uuid, p) && p.patient && !p.voided && matches(p, q)) hits.add(p);
        }
        hits.sort(Comparator.comparingLong(p -> p.seq));
        return hits;
    }

    // ------------------------------------------------------------------ helpers

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (v.isObject()) return v.path("uuid").asText(null);
        String s = v.asText();
        return s.isBlank() ? null : s;
    }

    private String requireMeta(String resource, String uuid, String field, Map<String, String> fieldErrors) {
        if (uuid == null) {
            fieldErrors.put(field, "error.null");
            return null;
        }
        if (!metadata.getOrDefault(resource, Map.of()).containsKey(uuid)) {
            throw error(400, "Object with given uuid doesn't exist [" + uuid + "] for property " + field,
                    "org.openmrs.module.webservices.rest.web.ConversionUtil:412");
        }
        return uuid;
    }

    private static final Pattern NEW_UUID = Pattern.compile("[0-9a-fA-F-]{36}|[A-Za-z0-9]{36,38}");

    private void checkNewUuid(String uuid) {
        if (uuid == null) return;
        if (!NEW_UUID.matcher(uuid).matches()) {
            throw invalid(Map.of("uuid", "error.uuid.invalid"));
        }
        if (persons.containsKey(uuid) || visits.containsKey(uuid) || encounters.containsKey(uuid) || obs.containsKey(uuid)) {
            throw server("could not execute statement; SQL [n/a]; constraint [uuid]; nested exception is "
                    + "org.hibernate.exception.ConstraintViolationException: Duplicate entry '" + uuid + "' for key 'uuid'");
        }
    }

    static OffsetDateTime datetime(String value, String field) {
        try {
            return OpenMrsDates.parse(value);
        } catch (IllegalArgumentException e) {
            throw error(400, "Failed to convert '" + value + "' to a date for property " + field,
                    "org.openmrs.module.webservices.rest.web.ConversionUtil:278");
        }
    }

    Person patient(String uuid, boolean mustBeActive) {
        Person p = persons.get(uuid);
        if (p == null || !p.patient) throw notFound();
        if (mustBeActive && p.voided) throw invalid(Map.of("patient", "Patient.voided"));
        return p;
    }

    // ------------------------------------------------------------------ persons and patients

    Person createPerson(JsonNode body, String uuidIfMissing) {
        Map<String, String> fieldErrors = new LinkedHashMap<>();
        String uuid = text(body, "uuid");
        if (uuid == null) uuid = uuidIfMissing;
        checkNewUuid(uuid);
        Person p = new Person();
        p.uuid = uuid == null ? UUID.randomUUID().toString() : uuid;
        p.seq = ++personSeq;
        String gender = text(body, "gender");
        if (gender == null) fieldErrors.put("gender", "Person.gender.required");
        else if (!List.of("M", "F", "O", "U").contains(gender)) fieldErrors.put("gender", "Person.gender.invalid");
        p.gender = gender;
        JsonNode names = body.path("names");
        if (!names.isArray() || names.isEmpty()) fieldErrors.put("names", "Person.names.length");
        for (JsonNode n : names) {
            Name name = new Name();
            name.uuid = text(n, "uuid") == null ? UUID.randomUUID().toString() : text(n, "uuid");
            name.given = text(n, "givenName");
            name.middle = text(n, "middleName");
            name.family = text(n, "familyName");
            if (name.given == null) fieldErrors.put("names[0].givenName", "Patient.names.required.given.family");
            if (name.family == null) fieldErrors.put("names[0].familyName", "Patient.names.required.given.family");
            name.preferred = !n.has("preferred") || n.path("preferred").asBoolean(true);
            p.names.add(name);
            indexName(p, name);
        }
        String bd = text(body, "birthdate");
        if (bd != null) {
            OffsetDateTime b = datetime(bd, "birthdate");
            if (b.isAfter(OffsetDateTime.now())) fieldErrors.put("birthdate", "error.date.future");
            p.birthdate = OpenMrsDates.format(b.withOffsetSameInstant(ZoneOffset.UTC));
        }
        p.birthdateEstimated = body.path("birthdateEstimated").asBoolean(false);
        for (JsonNode a : body.path("addresses")) {
            Map<String, String> fields = new LinkedHashMap<>();
            a.fields().forEachRemaining(f -> {
                if (!f.getKey().equals("preferred") && !f.getKey().equals("uuid")) fields.put(f.getKey(), f.getValue().asText());
            });
            p.addresses.add(fields);
            p.addressUuids.add(UUID.randomUUID().toString());
        }
        for (JsonNode a : body.path("attributes")) {
            Attribute at = new Attribute();
            at.uuid = UUID.randomUUID().toString();
            at.type = requireMeta("personattributetype", text(a, "attributeType"), "attributes.attributeType", fieldErrors);
            at.value = text(a, "value");
            p.attributes.add(at);
        }
        if (!fieldErrors.isEmpty()) throw invalid(fieldErrors);
        p.created = Instant.now();
        return p;
    }

    Person createPatient(JsonNode body) {
        String uuid = text(body, "uuid");
        JsonNode personNode = body.get("person");
        Person p;
        if (personNode == null || personNode.isNull()) throw invalid(Map.of("person", "error.null"));
        if (personNode.isTextual()) {
            // an existing person becomes a patient
            p = persons.get(personNode.asText());
            if (p == null) throw error(400, "Object with given uuid doesn't exist [" + personNode.asText() + "] for property person",
                    "org.openmrs.module.webservices.rest.web.ConversionUtil:412");
            if (p.patient) throw server("could not execute statement; Duplicate entry '" + p.uuid + "' for key 'PRIMARY'");
        } else {
            String personUuid = text(personNode, "uuid");
            if (uuid != null && personUuid != null && !uuid.equals(personUuid)) {
                throw invalid(Map.of("uuid", "Patient and person uuid must be the same"));
            }
            p = createPerson(personNode, uuid);
        }
        Map<String, String> fieldErrors = new LinkedHashMap<>();
        JsonNode ids = body.path("identifiers");
        if (!ids.isArray() || ids.isEmpty()) {
            throw invalid(Map.of(), "Patient.identifiers.required: A patient must have at least one identifier");
        }
        List<Identifier> identifiers = new ArrayList<>();
        boolean anyPreferred = false;
        for (JsonNode i : ids) {
            Identifier id = new Identifier();
            id.uuid = UUID.randomUUID().toString();
            id.identifier = text(i, "identifier");
            if (id.identifier == null) fieldErrors.put("identifiers.identifier", "PatientIdentifier.error.nullOrBlank");
            id.type = requireMeta("patientidentifiertype", text(i, "identifierType"), "identifiers.identifierType", fieldErrors);
            String loc = text(i, "location");
            if (loc != null) id.location = requireMeta("location", loc, "identifiers.location", fieldErrors);
            id.preferred = i.path("preferred").asBoolean(false);
            anyPreferred |= id.preferred;
            identifiers.add(id);
        }
        if (!fieldErrors.isEmpty()) throw invalid(fieldErrors);
        if (!anyPreferred) identifiers.get(0).preferred = true;
        for (Identifier id : identifiers) checkNotInUse(p, id);
        p.identifiers.addAll(identifiers);
        for (Identifier id : identifiers) add(personsByIdentifier, identifierKey(id.identifier), p);
        p.patient = true;
        persons.put(p.uuid, p);
        publish("patient", "Patient", p.uuid, "CREATED");
        return p;
    }

    /**
     * PatientIdentifierValidator.validateIdentifier: an identifier of a unique type held (not voided) by another patient
     * is rejected; PatientValidator turns the IdentifierNotUniqueException into a global error, so the REST module
     * answers 400 "Invalid Submission" with globalErrors [{code, message}] = "Identifier X already in use by another
     * patient" (PatientIdentifier.error.notUniqueWithParameter). Compared without letter case, as OpenMRS's MySQL
     * default collation (utf8_general_ci) compares {@code identifier = ?}.
     */
    private void checkNotInUse(Person p, Identifier id) {
        for (Person other : personsByIdentifier.getOrDefault(identifierKey(id.identifier), List.of())) {
            if (other == p || !current(persons, other.uuid, other) || !other.patient || other.voided) continue;
            for (Identifier oi : other.identifiers) {
                if (!oi.voided && oi.type.equals(id.type) && oi.identifier.equalsIgnoreCase(id.identifier)) {
                    throw invalid(Map.of(), "Identifier " + id.identifier + " already in use by another patient");
                }
            }
        }
    }

    /** {@code POST /patient/{uuid}/identifier} (PatientIdentifierResource): validated like a new patient's identifier. */
    Identifier addIdentifier(Person p, JsonNode body) {
        Map<String, String> fieldErrors = new LinkedHashMap<>();
        Identifier id = new Identifier();
        id.uuid = text(body, "uuid") != null ? text(body, "uuid") : UUID.randomUUID().toString();
        id.identifier = text(body, "identifier");
        if (id.identifier == null) fieldErrors.put("identifier", "PatientIdentifier.error.nullOrBlank");
        id.type = requireMeta("patientidentifiertype", text(body, "identifierType"), "identifierType", fieldErrors);
        String loc = text(body, "location");
        if (loc != null) id.location = requireMeta("location", loc, "location", fieldErrors);
        id.preferred = body.path("preferred").asBoolean(false);
        if (!fieldErrors.isEmpty()) throw invalid(fieldErrors);
        checkNotInUse(p, id);
        if (id.preferred) p.identifiers.forEach(i -> i.preferred = false);
        p.identifiers.add(id);
        add(personsByIdentifier, identifierKey(id.identifier), p);
        p.changed = Instant.now();
        return id;
    }

    /** {@code DELETE /patient/{uuid}/identifier/{uuid}}: voids it, or with purge removes it. */
    void deleteIdentifier(Person p, String identifierUuid, boolean purge) {
        Identifier id = p.identifiers.stream().filter(i -> i.uuid.equals(identifierUuid)).findFirst().orElseThrow(OpenMrsState::notFound);
        if (purge) p.identifiers.remove(id);
        else id.voided = true;
        p.changed = Instant.now();
    }

    Person updatePerson(String uuid, JsonNode body) {
        Person p = persons.get(uuid);
        if (p == null) throw notFound();
        Map<String, String> fieldErrors = new LinkedHashMap<>();
        if (body.has("gender")) {
            String g = text(body, "gender");
            if (g == null || !List.of("M", "F", "O", "U").contains(g)) fieldErrors.put("gender", "Person.gender.invalid");
            else p.gender = g;
        }
        if (body.has("birthdate")) {
            String bd = text(body, "birthdate");
            p.birthdate = bd == null ? null : OpenMrsDates.format(datetime(bd, "birthdate").withOffsetSameInstant(ZoneOffset.UTC));
        }
        if (body.has("birthdateEstimated")) p.birthdateEstimated = body.path("birthdateEstimated").asBoolean();
        if (body.has("dead")) p.dead = body.path("dead").asBoolean();
        if (body.has("deathDate")) p.deathDate = text(body, "deathDate");
        if (body.has("names") || body.has("addresses") || body.has("attributes")) {
            fieldErrors.put("names", "use the name/address/attribute sub-resources to change these");
        }
        if (!fieldErrors.isEmpty()) throw invalid(fieldErrors);
        p.changed = Instant.now();
        if (p.patient) publish("patient", "Patient", p.uuid, "UPDATED");
        return p;
    }

    Name updateName(String personUuid, String nameUuid, JsonNode body) {
        Person p = persons.get(personUuid);
        if (p == null) throw notFound();
        Name n = null;
        for (Name x : p.names) if (x.uuid.equals(nameUuid)) n = x;
        if (n == null) throw notFound();
        if (body.has("givenName")) n.given = text(body, "givenName");
        if (body.has("middleName")) n.middle = text(body, "middleName");
        if (body.has("familyName")) n.family = text(body, "familyName");
        if (n.given == null || n.family == null) throw invalid(Map.of("givenName", "Patient.names.required.given.family"));
        indexName(p, n);
        p.changed = Instant.now();
        if (p.patient) publish("patient", "Patient", p.uuid, "UPDATED");
        return n;
    }

    Attribute setAttribute(String personUuid, String attributeUuid, JsonNode body) {
        Person p = persons.get(personUuid);
        if (p == null) throw notFound();
        Map<String, String> fieldErrors = new LinkedHashMap<>();
        Attribute a;
        if (attributeUuid != null) {
            a = p.attributes.stream().filter(x -> x.uuid.equals(attributeUuid)).findFirst().orElseThrow(OpenMrsState::notFound);
            if (body.has("value")) a.value = text(body, "value");
        } else {
            String type = requireMeta("personattributetype", text(body, "attributeType"), "attributeType", fieldErrors);
            if (!fieldErrors.isEmpty()) throw invalid(fieldErrors);
            // OpenMRS keeps one active attribute per type: adding another voids the old one
            for (Attribute old : p.attributes) if (!old.voided && old.type.equals(type)) old.voided = true;
            a = new Attribute();
            a.uuid = text(body, "uuid") == null ? UUID.randomUUID().toString() : text(body, "uuid");
            a.type = type;
            a.value = text(body, "value");
            p.attributes.add(a);
        }
        p.changed = Instant.now();
        if (p.patient) publish("patient", "Patient", p.uuid, "UPDATED");
        return a;
    }

    void deletePatient(String uuid, boolean purge) {
        Person p = persons.get(uuid);
        if (p == null || !p.patient) throw notFound();
        if (!purge) {
            p.voided = true;
            for (Identifier i : p.identifiers) i.voided = true;
            publish("patient", "Patient", uuid, "VOIDED");
            return;
        }
        boolean referenced = visits.values().stream().anyMatch(v -> v.patient.equals(uuid))
                || encounters.values().stream().anyMatch(e -> e.patient.equals(uuid))
                || obs.values().stream().anyMatch(o -> o.person.equals(uuid));
        if (referenced) {
            throw server("could not execute statement; SQL [n/a]; constraint [null]; nested exception is "
                    + "org.hibernate.exception.ConstraintViolationException: Cannot delete or update a parent row: a foreign key "
                    + "constraint fails (`openmrs`.`encounter`, CONSTRAINT `encounter_patient` FOREIGN KEY (`patient_id`))");
        }
        persons.remove(uuid);
    }

    // ------------------------------------------------------------------ visits

    Visit createVisit(JsonNode body) {
        Map<String, String> fieldErrors = new LinkedHashMap<>();
        String uuid = text(body, "uuid");
        checkNewUuid(uuid);
        Visit v = new Visit();
        v.uuid = uuid == null ? UUID.randomUUID().toString() : uuid;
        String patient = text(body, "patient");
        if (patient == null) fieldErrors.put("patient", "error.null");
        else patient(patient, true);
        v.patient = patient;
        String visitType = requireMeta("visittype", text(body, "visitType"), "visitType", fieldErrors);
        if (text(body, "visitType") == null) fieldErrors.put("visitType", "Visit.error.visitType.required");
        v.visitType = visitType;
        String loc = text(body, "location");
        if (loc != null) v.location = requireMeta("location", loc, "location", fieldErrors);
        String start = text(body, "startDatetime");
        v.start = start == null ? OffsetDateTime.now(ZoneOffset.UTC) : datetime(start, "startDatetime");
        String stop = text(body, "stopDatetime");
        if (stop != null) v.stop = datetime(stop, "stopDatetime");
        if (v.stop != null && v.stop.isBefore(v.start)) fieldErrors.put("stopDatetime", "Visit.error.endDateBeforeStartDate");
        if (v.start.isAfter(OffsetDateTime.now().plusMinutes(1))) fieldErrors.put("startDatetime", "Visit.startDateCannotBeInTheFuture");
        if (!fieldErrors.isEmpty()) throw invalid(fieldErrors);
        refuseOverlap(v, v.start, v.stop);
        v.created = Instant.now();
        visits.put(v.uuid, v);
        add(visitsByPatient, v.patient, v);
        return v;
    }

    Visit updateVisit(String uuid, JsonNode body) {
        Visit v = visits.get(uuid);
        if (v == null) throw notFound();
        if (body.has("stopDatetime")) {
            String stop = text(body, "stopDatetime");
            OffsetDateTime s = stop == null ? null : datetime(stop, "stopDatetime");
            if (s != null && s.isBefore(v.start)) throw invalid(Map.of("stopDatetime", "Visit.error.endDateBeforeStartDate"));
            if (s != null) {
                for (Encounter e : encountersOfVisit(uuid)) {
                    if (!e.voided && e.datetime.isAfter(s)) {
                        throw invalid(Map.of("stopDatetime", "Visit.encountersCannotBeAfterStopDate"));
                    }
                }
            }
            refuseOverlap(v, v.start, s);
            v.stop = s;
        }
        if (body.has("startDatetime")) {
            OffsetDateTime start = datetime(text(body, "startDatetime"), "startDatetime");
            refuseOverlap(v, start, v.stop);
            v.start = start;
        }
        v.changed = Instant.now();
        return v;
    }

    /**
     * With {@code visits.allowOverlappingVisits=false}, as VisitValidator does since OpenMRS 2.7 (TRUNK-6257): any
     * other non-voided visit of the patient, ended or not, that overlaps [start, stop] (no stop = open-ended;
     * touching ends count) -> 400 on startDatetime. The visit itself does not count, so ending it is allowed.
     */
    private void refuseOverlap(Visit v, OffsetDateTime start, OffsetDateTime stop) {
        if (allowOverlappingVisits || v.patient == null) return;
        for (Visit other : visitsOf(v.patient)) {
            if (other.uuid.equals(v.uuid) || other.voided) continue;
            boolean startsBeforeItEnds = stop == null || !other.start.isAfter(stop);
            boolean endsAfterItStarts = other.stop == null || !other.stop.isBefore(start);
            if (startsBeforeItEnds && endsAfterItStarts) {
                throw invalid(Map.of("startDatetime", "Visit.visitCannotOverlapAnotherVisitOfTheSamePatient"));
            }
        }
    }

    void deleteVisit(String uuid, boolean purge) {
        Visit v = visits.get(uuid);
        if (v == null) throw notFound();
        if (!purge) {
            v.voided = true;
            for (Encounter e : encountersOfVisit(uuid)) voidEncounter(e);
            return;
        }
        if (!encountersOfVisit(uuid).isEmpty()) {
            throw error(500, "[Visit cannot be purged since it has encounters]", "org.openmrs.api.impl.VisitServiceImpl:230");
        }
        visits.remove(uuid);
    }

    // ------------------------------------------------------------------ encounters and obs

    Encounter createEncounter(JsonNode body) {
        Map<String, String> fieldErrors = new LinkedHashMap<>();
        String uuid = text(body, "uuid");
        checkNewUuid(uuid);
        Encounter e = new Encounter();
        e.uuid = uuid == null ? UUID.randomUUID().toString() : uuid;
        String patient = text(body, "patient");
        if (patient == null) fieldErrors.put("patient", "error.null");
        else patient(patient, true);
        e.patient = patient;
        e.type = requireMeta("encountertype", text(body, "encounterType"), "encounterType", fieldErrors);
        String loc = text(body, "location");
        if (loc != null) e.location = requireMeta("location", loc, "location", fieldErrors);
        String form = text(body, "form");
        if (form != null) e.form = requireMeta("form", form, "form", fieldErrors);
        String dt = text(body, "encounterDatetime");
        if (dt == null) fieldErrors.put("encounterDatetime", "error.null");
        else e.datetime = datetime(dt, "encounterDatetime");
        if (e.datetime != null && e.datetime.isAfter(OffsetDateTime.now().plusMinutes(1))) {
            fieldErrors.put("encounterDatetime", "Encounter.datetimeShouldBeBeforeCurrent");
        }
        String visit = text(body, "visit");
        if (visit != null) {
            Visit v = visits.get(visit);
            if (v == null) throw error(400, "Object with given uuid doesn't exist [" + visit + "] for property visit",
                    "org.openmrs.module.webservices.rest.web.ConversionUtil:412");
            if (!v.patient.equals(patient)) fieldErrors.put("visit", "Encounter.visit.patients.dontMatch");
            if (e.datetime != null && (e.datetime.isBefore(v.start) || (v.stop != null && e.datetime.isAfter(v.stop)))) {
                fieldErrors.put("encounterDatetime", "Encounter.datetimeShouldBeInVisitDatesRange");
            }
            e.visit = visit;
        }
        for (JsonNode p : body.path("encounterProviders")) {
            String provider = requireMeta("provider", text(p, "provider"), "encounterProviders.provider", fieldErrors);
            String role = requireMeta("encounterrole", text(p, "encounterRole"), "encounterProviders.encounterRole", fieldErrors);
            e.providers.add(new String[] {UUID.randomUUID().toString(), provider, role});
        }
        if (!fieldErrors.isEmpty()) throw invalid(fieldErrors);
        // nested observations are validated before anything is saved: one POST is one database transaction
        List<Obs> nested = new ArrayList<>();
        for (JsonNode o : body.path("obs")) nested.addAll(buildObs(o, e.patient, e.uuid, e.datetime, e.location, null));
        e.created = Instant.now();
        encounters.put(e.uuid, e);
        add(encountersByPatient, e.patient, e);
        if (e.visit != null) add(encountersByVisit, e.visit, e);
        for (Obs o : nested) saveObs(o);
        publish("encounter", "Encounter", e.uuid, "CREATED");
        return e;
    }

    private void voidEncounter(Encounter e) {
        e.voided = true;
        for (Obs o : obsOfEncounter(e.uuid)) o.voided = true;
    }

    void deleteEncounter(String uuid, boolean purge) {
        Encounter e = encounters.get(uuid);
        if (e == null) throw notFound();
        if (!purge) {
            voidEncounter(e);
            publish("encounter", "Encounter", uuid, "VOIDED");
            return;
        }
        // purging an encounter purges its observations with it (cascade)
        obs.values().removeIf(o -> uuid.equals(o.encounter));
        encounters.remove(uuid);
    }

    Obs createObs(JsonNode body) {
        String encounter = text(body, "encounter");
        Encounter e = null;
        if (encounter != null) {
            e = encounters.get(encounter);
            if (e == null) throw error(400, "Object with given uuid doesn't exist [" + encounter + "] for property encounter",
                    "org.openmrs.module.webservices.rest.web.ConversionUtil:412");
        }
        String person = text(body, "person");
        if (person == null && e != null) person = e.patient;
        if (person == null) throw invalid(Map.of("person", "error.null"));
        if (!persons.containsKey(person)) throw error(400, "Object with given uuid doesn't exist [" + person + "] for property person",
                "org.openmrs.module.webservices.rest.web.ConversionUtil:412");
        OffsetDateTime at = e == null ? null : e.datetime;
        List<Obs> built = buildObs(body, person, encounter, at, e == null ? null : e.location, null);
        for (Obs o : built) saveObs(o);
        if (e != null) {
            e.changed = Instant.now();
        }
        return built.get(0);
    }

    private List<Obs> buildObs(JsonNode body, String person, String encounter, OffsetDateTime defaultAt, String defaultLocation, String group) {
        Map<String, String> fieldErrors = new LinkedHashMap<>();
        String uuid = text(body, "uuid");
        checkNewUuid(uuid);
        Obs o = new Obs();
        o.uuid = uuid == null ? UUID.randomUUID().toString() : uuid;
        o.person = text(body, "person") == null ? person : text(body, "person");
        o.encounter = encounter;
        o.group = group;
        String conceptUuid = text(body, "concept");
        Concept c = conceptUuid == null ? null : concepts.get(conceptUuid);
        if (conceptUuid == null) fieldErrors.put("concept", "error.null");
        else if (c == null) throw error(400, "Object with given uuid doesn't exist [" + conceptUuid + "] for property concept",
                "org.openmrs.module.webservices.rest.web.ConversionUtil:412");
        o.concept = conceptUuid;
        String dt = text(body, "obsDatetime");
        o.datetime = dt == null ? defaultAt : datetime(dt, "obsDatetime");
        if (o.datetime == null) fieldErrors.put("obsDatetime", "error.null");
        String loc = text(body, "location");
        o.location = loc == null ? defaultLocation : requireMeta("location", loc, "location", fieldErrors);
        List<Obs> members = new ArrayList<>();
        JsonNode gm = body.path("groupMembers");
        if (gm.isArray() && !gm.isEmpty()) {
            for (JsonNode m : gm) members.addAll(buildObs(m, o.person, encounter, o.datetime, o.location, o.uuid));
        } else if (c != null) {
            o.value = convertValue(c, body.get("value"), fieldErrors);
        }
        if (!fieldErrors.isEmpty()) throw invalid(fieldErrors);
        o.created = Instant.now();
        List<Obs> all = new ArrayList<>();
        all.add(o);
        all.addAll(members);
        return all;
    }

    private JsonNode convertValue(Concept c, JsonNode v, Map<String, String> fieldErrors) {
        if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) {
            fieldErrors.put("value", "error.null");
            return null;
        }
        String raw = v.isObject() ? v.path("uuid").asText() : v.asText();
        switch (c.datatype()) {
            case "Numeric" -> {
                try {
                    return Json.MAPPER.getNodeFactory().numberNode(Double.parseDouble(raw));
                } catch (NumberFormatException e) {
                    fieldErrors.put("value", "error.numeric");
                    return null;
                }
            }
            case "Coded" -> {
                if (!concepts.containsKey(raw)) {
                    throw error(400, "Object with given uuid doesn't exist [" + raw + "] for property value",
                            "org.openmrs.module.webservices.rest.web.ConversionUtil:412");
                }
                if (!c.answers().isEmpty() && !c.answers().contains(raw)) fieldErrors.put("value", "Obs.error.invalidAnswer");
                return Json.MAPPER.getNodeFactory().textNode(raw);
            }
            case "Boolean" -> {
                if (raw.equalsIgnoreCase("true") || raw.equals("1") || raw.equals(OpenMrsSimulator.CONCEPT_YES)) return Json.MAPPER.getNodeFactory().booleanNode(true);
                if (raw.equalsIgnoreCase("false") || raw.equals("0") || raw.equals(OpenMrsSimulator.CONCEPT_NO)) return Json.MAPPER.getNodeFactory().booleanNode(false);
                fieldErrors.put("value", "error.boolean");
                return null;
            }
            case "Date", "Datetime" -> {
                return Json.MAPPER.getNodeFactory().textNode(OpenMrsDates.format(datetime(raw, "value")));
            }
            default -> {
                return Json.MAPPER.getNodeFactory().textNode(raw);
            }
        }
    }

    void deleteObs(String uuid, boolean purge) {
        Obs o = obs.get(uuid);
        if (o == null) throw notFound();
        if (!purge) {
            o.voided = true;
            return;
        }
        obs.values().removeIf(x -> uuid.equals(x.group));
        obs.remove(uuid);
    }

    // ------------------------------------------------------------------ representations

    static String fmt(Instant t) { return t == null ? null : OpenMrsDates.format(t); }

    static String fmt(OffsetDateTime t) { return t == null ? null : OpenMrsDates.format(t); }

    ObjectNode ref(String resource, String uuid, String display, String base) {
        ObjectNode r = Json.object();
        r.put("uuid", uuid);
        r.put("display", display);
        r.putArray("links").addObject().put("rel", "self").put("uri", base + "/ws/rest/v1/" + resource + "/" + uuid);
        return r;
    }

    ObjectNode metaRef(String resource, String uuid, String base) {
        if (uuid == null) return null;
        return ref(resource, uuid, metadata.getOrDefault(resource, Map.of()).getOrDefault(uuid, uuid), base);
    }

    ObjectNode conceptRep(String uuid, String base) {
        Concept c = concepts.get(uuid);
        ObjectNode r = ref("concept", uuid, c == null ? uuid : c.name(), base);
        if (c != null) {
            r.putObject("name").put("display", c.name()).put("name", c.name()).put("locale", "en");
            r.putObject("datatype").put("display", c.datatype());
            ArrayNode answers = r.putArray("answers");
            for (String a : c.answers()) answers.add(ref("concept", a, concepts.containsKey(a) ? concepts.get(a).name() : a, base));
        }
        return r;
    }

    ObjectNode audit(Instant created, Instant changed) {
        ObjectNode a = Json.object();
        a.putObject("creator").put("uuid", "A4F30A1B-5EB9-11DF-A648-37A07F9C90FB").put("display", "admin");
        a.put("dateCreated", fmt(created));
        if (changed != null) a.putObject("changedBy").put("uuid", "A4F30A1B-5EB9-11DF-A648-37A07F9C90FB").put("display", "admin");
        else a.putNull("changedBy");
        a.put("dateChanged", fmt(changed));
        return a;
    }

    ObjectNode personRep(Person p, String base) {
        ObjectNode r = ref("person", p.uuid, p.display(), base);
        r.put("gender", p.gender);
        if (p.birthdate != null) {
            r.put("age", Period.between(OpenMrsDates.datePart(p.birthdate), LocalDate.now()).getYears());
        } else {
            r.putNull("age");
        }
        r.put("birthdate", p.birthdate);
        r.put("birthdateEstimated", p.birthdateEstimated);
        r.put("dead", p.dead);
        r.put("deathDate", p.deathDate);
        r.putNull("causeOfDeath");
        Name pn = p.preferredName();
        if (pn != null) r.set("preferredName", nameRep(p, pn, base));
        ArrayNode names = r.putArray("names");
        for (Name n : p.names) if (!n.voided) names.add(nameRep(p, n, base));
        ArrayNode addresses = r.putArray("addresses");
        for (int i = 0; i < p.addresses.size(); i++) {
            ObjectNode a = Json.object();
            a.put("uuid", p.addressUuids.get(i));
            a.put("display", p.addresses.get(i).getOrDefault("address1", ""));
            p.addresses.get(i).forEach(a::put);
            a.put("preferred", i == 0);
            addresses.add(a);
        }
        if (addresses.isEmpty()) r.putNull("preferredAddress");
        else r.set("preferredAddress", addresses.get(0));
        ArrayNode attrs = r.putArray("attributes");
        for (Attribute a : p.attributes) {
            if (a.voided) continue;
            String typeName = metadata.getOrDefault("personattributetype", Map.of()).getOrDefault(a.type, a.type);
            ObjectNode at = ref("person/" + p.uuid + "/attribute", a.uuid, typeName + " = " + a.value, base);
            at.put("value", a.value);
            at.set("attributeType", metaRef("personattributetype", a.type, base));
            at.put("voided", false);
            attrs.add(at);
        }
        r.put("voided", p.voided);
        r.put("isPatient", p.patient);
        r.set("auditInfo", audit(p.created, p.changed));
        r.put("resourceVersion", "1.11");
        return r;
    }

    private ObjectNode nameRep(Person p, Name n, String base) {
        ObjectNode r = ref("person/" + p.uuid + "/name", n.uuid,
                (n.given + (n.middle == null ? "" : " " + n.middle) + " " + n.family).trim(), base);
        r.put("givenName", n.given);
        r.put("middleName", n.middle);
        r.put("familyName", n.family);
        r.put("preferred", n.preferred);
        r.put("voided", n.voided);
        return r;
    }

    ObjectNode identifierRep(Person p, Identifier i, String base) {
        String typeName = metadata.getOrDefault("patientidentifiertype", Map.of()).getOrDefault(i.type, i.type);
        ObjectNode ir = ref("patient/" + p.uuid + "/identifier", i.uuid, typeName + " = " + i.identifier, base);
        ir.put("identifier", i.identifier);
        ir.set("identifierType", metaRef("patientidentifiertype", i.type, base));
        if (i.location == null) ir.putNull("location");
        else ir.set("location", metaRef("location", i.location, base));
        ir.put("preferred", i.preferred);
        ir.put("voided", i.voided);
        return ir;
    }

    ObjectNode patientRep(Person p, String base) {
        Identifier preferred = p.identifiers.stream().filter(i -> i.preferred && !i.voided).findFirst()
                .orElse(p.identifiers.isEmpty() ? null : p.identifiers.get(0));
        ObjectNode r = ref("patient", p.uuid, (preferred == null ? "" : preferred.identifier + " - ") + p.display(), base);
        ArrayNode ids = r.putArray("identifiers");
        for (Identifier i : p.identifiers) {
            if (i.voided && !p.voided) continue;
            ids.add(identifierRep(p, i, base));
        }
        r.set("person", personRep(p, base));
        r.put("voided", p.voided);
        r.set("auditInfo", audit(p.created, p.changed));
        r.put("resourceVersion", "1.8");
        return r;
    }

    ObjectNode visitRep(Visit v, String base) {
        Person p = persons.get(v.patient);
        String typeName = metadata.getOrDefault("visittype", Map.of()).getOrDefault(v.visitType, "Visit");
        ObjectNode r = ref("visit", v.uuid, typeName + " @ " + (v.location == null ? "" : metadata.get("location").getOrDefault(v.location, ""))
                + " - " + v.start.toLocalDate(), base);
        r.set("patient", ref("patient", v.patient, p == null ? v.patient : p.display(), base));
        r.set("visitType", metaRef("visittype", v.visitType, base));
        r.putNull("indication");
        if (v.location == null) r.putNull("location");
        else r.set("location", metaRef("location", v.location, base));
        r.put("startDatetime", fmt(v.start));
        r.put("stopDatetime", fmt(v.stop));
        ArrayNode encs = r.putArray("encounters");
        for (Encounter e : encountersOfVisit(v.uuid)) {
            if (!e.voided) encs.add(ref("encounter", e.uuid, encounterDisplay(e), base));
        }
        r.putArray("attributes");
        r.put("voided", v.voided);
        r.set("auditInfo", audit(v.created, v.changed));
        return r;
    }

    String encounterDisplay(Encounter e) {
        return metadata.getOrDefault("encountertype", Map.of()).getOrDefault(e.type, "Encounter") + " "
                + e.datetime.toLocalDate().format(DateTimeFormatter.ofPattern("dd/MM/yyyy"));
    }

    ObjectNode encounterRep(Encounter e, String base) {
        Person p = persons.get(e.patient);
        ObjectNode r = ref("encounter", e.uuid, encounterDisplay(e), base);
        r.put("encounterDatetime", fmt(e.datetime));
        r.set("patient", ref("patient", e.patient, p == null ? e.patient : p.display(), base));
        if (e.location == null) r.putNull("location");
        else r.set("location", metaRef("location", e.location, base));
        if (e.form == null) r.putNull("form");
        else r.set("form", metaRef("form", e.form, base));
        r.set("encounterType", metaRef("encountertype", e.type, base));
        ArrayNode obsArr = r.putArray("obs");
        for (Obs o : obsOfEncounter(e.uuid)) {
            if (o.group == null && (!o.voided || e.voided)) obsArr.add(obsRep(o, base));
        }
        r.putArray("orders");
        r.put("voided", e.voided);
        if (e.visit == null) r.putNull("visit");
        else r.set("visit", ref("visit", e.visit, "visit", base));
        ArrayNode eps = r.putArray("encounterProviders");
        for (String[] ep : e.providers) {
            ObjectNode x = Json.object();
            x.put("uuid", ep[0]);
            x.set("provider", metaRef("provider", ep[1], base));
            x.set("encounterRole", metaRef("encounterrole", ep[2], base));
            eps.add(x);
        }
        r.set("auditInfo", audit(e.created, e.changed));
        return r;
    }

    ObjectNode obsRep(Obs o, String base) {
        Concept c = concepts.get(o.concept);
        String cname = c == null ? o.concept : c.name();
        JsonNode value = o.value;
        String shown = value == null ? "" : value.asText();
        if (c != null && c.datatype().equals("Coded") && value != null) {
            Concept answer = concepts.get(value.asText());
            shown = answer == null ? value.asText() : answer.name();
        }
        ObjectNode r = ref("obs", o.uuid, cname + ": " + shown, base);
        r.set("concept", conceptRep(o.concept, base));
        Person p = persons.get(o.person);
        r.set("person", ref("person", o.person, p == null ? o.person : p.display(), base));
        r.put("obsDatetime", fmt(o.datetime));
        if (o.encounter == null) r.putNull("encounter");
        else r.set("encounter", ref("encounter", o.encounter, "encounter", base));
        if (o.location == null) r.putNull("location");
        else r.set("location", metaRef("location", o.location, base));
        if (value == null) r.putNull("value");
        else if (c != null && c.datatype().equals("Coded")) r.set("value", conceptRep(value.asText(), base));
        else r.set("value", value);
        ArrayNode members = Json.array();
        for (Obs m : obsOfGroup(o.uuid)) members.add(obsRep(m, base));
        if (members.isEmpty()) r.putNull("groupMembers");
        else r.set("groupMembers", members);
        r.put("voided", o.voided);
        r.set("auditInfo", audit(o.created, null));
        return r;
    }

    /** Name or identifier match, as OpenMRS's patient search does (names match by word start, case-insensitive). */
    boolean matches(Person p, String q) {
        String query = q.toLowerCase(Locale.ROOT).trim();
        for (Identifier i : p.identifiers) if (!i.voided && i.identifier.equalsIgnoreCase(query)) return true;
        String[] words = query.split("\\s+");
        for (String w : words) {
            boolean found = false;
            for (Name n : p.names) {
                if (n.voided) continue;
                for (String part : new String[] {n.given, n.middle, n.family}) {
                    if (part != null && part.toLowerCase(Locale.ROOT).startsWith(w)) found = true;
                }
            }
            if (!found) return false;
        }
        return true;
    }
}
