package org.chis.mediator.commcareopenmrs.feeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.chis.common.audit.TransactionContext;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feed cohorts against the OpenMRS and CommCare simulators with a real H2 store: each cohort filter in and out,
 * the case owner by location (and an unmapped location parked with its reason), update-only, and the bulk import
 * of an OpenMRS cohort resuming after an interruption without duplicates.
 */
class FeedCohortTest {
    static final String OTHER_PLACE = "6351fcf4-e311-4a19-90f9-35667d99a8af";
    static final String FAR_PLACE = "1ce1b7d4-c865-4178-82b0-5932e51503d6";
    static final String HIV = "64f950e6-1b07-4ac0-8e7e-f3e148f3463f";
    static final String ART_COHORT = "2c3f6a57-8f3a-4f7e-9d5b-0e4b1c7d9a11";
    static OpenMrsSimulator openmrs;
    static CommCareSimulator hq;

    @TempDir Path dir;
    StateStore store;
    Map<String, String> extra = new HashMap<>();

    @BeforeAll
    static void start() {
        openmrs = new OpenMrsSimulator(0);
        hq = new CommCareSimulator(0);
    }

    @AfterAll
    static void stop() {
        openmrs.close();
        hq.close();
    }

    @BeforeEach
    void fresh() {
        openmrs.reset();
        hq.reset();
        store = open();
    }

    @AfterEach
    void close() { store.close(); }

    StateStore open() {
        return StateStore.open("jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE", "", "", null, "commcare-openmrs");
    }

    /** The shipped feeds.json with {@code edit} applied, written beside the store. */
    Path mapping(Consumer<ObjectNode> edit) throws Exception {
        ObjectNode m = (ObjectNode) Json.parse(Files.readString(FeedSyncTest.MAPPING));
        edit.accept(m);
        Path file = dir.resolve("feeds-" + System.nanoTime() + ".json");
        Files.writeString(file, Json.write(m));
        return file;
    }

    FeedSync sync(Path mapping) {
        Map<String, String> m = new HashMap<>(Map.of("openmrs.url", openmrs.baseUrl(), "openmrs.user", OpenMrsSimulator.USER,
                "openmrs.password", OpenMrsSimulator.PASSWORD, "commcare.url", hq.baseUrl(), "commcare.domain", CommCareSimulator.DOMAIN,
                "commcare.user", CommCareSimulator.USER, "commcare.apiKey", CommCareSimulator.API_KEY, "feeds.mapping", mapping.toString()));
        m.putAll(extra);
        Settings s = Settings.of(m);
        return FeedSync.create(s, RecordingHttpClient.create(s), store, Clock.systemUTC());
    }

    static JsonNode poll(FeedSync sync) {
        MediatorResponse r = sync.handle(null, new TransactionContext("poll"));
        assertThat(r.status()).as(r.body()).isNotEqualTo(MediatorStatus.FAILED);
        return Json.parse(r.body());
    }

    static String patientAt(String given, String location) {
        return openmrs.registerPatientAt(given, "Otieno", "F", LocalDate.of(1990, 5, 1), "ID-" + given, location);
    }

    static int casesOf(String patient) { return hq.casesByExternalId(patient).size(); }

    Ledger.Entry ledgerOfPatientEntry(String patient) {
        // the patient feed's entries in order: the n-th registration is the n-th entry
        List<String> ids = openmrs.feedEntryIds("patient");
        for (String id : ids) {
            Ledger.Entry e = store.ledger().find("openmrs-feed:" + id).orElse(null);
            if (e != null && e.outcome() != null && e.outcome().contains(patient)) return e;
        }
        throw new AssertionError("no ledger record names patient " + patient);
    }

    // ------------------------------------------------------------------ cohort filters

    @Test
    void locationFilterPatientsOfOtherLocationsAreSkippedRecordedCountedNotParkedMarkerMovesOn() throws Exception {
        FeedSync sync = sync(mapping(m -> m.putObject("cohort").putArray("locations").add(OpenMrsSimulator.LOCATION_CLINIC)));
        String inside = patientAt("Achieng", OpenMrsSimulator.LOCATION_CLINIC);
        String outside = patientAt("Bahati", OTHER_PLACE);

        JsonNode r = poll(sync);
        assertThat(r.path("feeds").path("patient").path("created").asInt()).isEqualTo(1);
        assertThat(r.path("feeds").path("patient").path("skipped").asInt()).isEqualTo(1);
        assertThat(casesOf(inside)).isEqualTo(1);
        assertThat(casesOf(outside)).isZero();
        Ledger.Entry skipped = ledgerOfPatientEntry(outside);
        assertThat(skipped.status()).isEqualTo(Ledger.Status.SUCCEEDED);
        assertThat(skipped.outcome()).contains("SKIPPED").contains("location " + OTHER_PLACE);
        assertThat(store.failedEvents().all("patient")).isEmpty();
        // the marker passed it: the next poll reads nothing
        assertThat(poll(sync).path("feeds").path("patient").path("read").asInt()).isZero();
    }

    @Test
    void encounterLocationAPatientSeenAtACohortFacilityGetsACaseOneNeverSeenThereDoesNot() throws Exception {
        FeedSync sync = sync(mapping(m -> {
            m.putArray("locationFrom").add("encounter");
            m.putObject("cohort").putArray("locations").add(OpenMrsSimulator.LOCATION_CLINIC);
        }));
        String seen = patientAt("Chausiku", OTHER_PLACE);
        String never = patientAt("Dalila", OTHER_PLACE);
        openmrs.recordEncounter(seen, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, OpenMrsSimulator.todayNoon().minusDays(1),
                Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 61.5));

        JsonNode r = poll(sync);
        // both patient entries have no encounter: skipped; the encounter at the clinic makes the case
        assertThat(r.path("feeds").path("patient").path("skipped").asInt()).isEqualTo(2);
        assertThat(r.path("feeds").path("encounter").path("created").asInt()).isEqualTo(1);
        assertThat(casesOf(seen)).isEqualTo(1);
        assertThat(hq.casesByExternalId(seen).get(0).property("last_weight")).isEqualTo("61.5");
        assertThat(casesOf(never)).isZero();
    }

    @Test
    void programFilterOnlyPatientsWithAnActiveEnrollment() throws Exception {
        openmrs.addProgram(HIV, "HIV Program");
        FeedSync sync = sync(mapping(m -> m.putObject("cohort").putArray("programs").add(HIV)));
        String active = patientAt("Eshe", OpenMrsSimulator.LOCATION_CLINIC);
        String completed = patientAt("Faraja", OpenMrsSimulator.LOCATION_CLINIC);
        String none = patientAt("Gift", OpenMrsSimulator.LOCATION_CLINIC);
        openmrs.enroll(active, HIV, LocalDate.now().minusYears(1), null);
        openmrs.enroll(completed, HIV, LocalDate.now().minusYears(2), LocalDate.now().minusMonths(3));

        JsonNode r = poll(sync);
        assertThat(r.path("feeds").path("patient").path("skipped").asInt()).isEqualTo(2);
        assertThat(casesOf(active)).isEqualTo(1);
        assertThat(casesOf(completed)).isZero();
        assertThat(casesOf(none)).isZero();
        assertThat(ledgerOfPatientEntry(completed).outcome()).contains("no active enrollment");
    }

    @Test
    void identifierTypeFilterOnlyPatientsHoldingThatIdentifier() throws Exception {
        FeedSync sync = sync(mapping(m -> m.putObject("cohort").putArray("identifierTypes").add(OpenMrsSimulator.ID_TYPE_NATIONAL_ID)));
        String withId = patientAt("Hadiza", OpenMrsSimulator.LOCATION_CLINIC);
        openmrs.addIdentifier(withId, OpenMrsSimulator.ID_TYPE_NATIONAL_ID, "NAT-77", null);
        String without = patientAt("Imani", OpenMrsSimulator.LOCATION_CLINIC);

        poll(sync);
        assertThat(casesOf(withId)).isEqualTo(1);
        assertThat(casesOf(without)).isZero();
        assertThat(ledgerOfPatientEntry(without).outcome()).contains("SKIPPED").contains("identifierTypes");
    }

    @Test
    void openMrsCohortFilterOnlyCurrentMembers() throws Exception {
        openmrs.addCohort(ART_COHORT, "ART clients");
        FeedSync sync = sync(mapping(m -> m.putObject("cohort").putArray("cohorts").add(ART_COHORT)));
        String member = patientAt("Jabali", OpenMrsSimulator.LOCATION_CLINIC);
        String left = patientAt("Kamaria", OpenMrsSimulator.LOCATION_CLINIC);
        String stranger = patientAt("Lulu", OpenMrsSimulator.LOCATION_CLINIC);
        openmrs.addCohortMember(ART_COHORT, member, LocalDate.now().minusMonths(6), null);
        openmrs.addCohortMember(ART_COHORT, left, LocalDate.now().minusMonths(6), LocalDate.now().minusDays(3));

        JsonNode r = poll(sync);
        assertThat(r.path("feeds").path("patient").path("created").asInt()).isEqualTo(1);
        assertThat(r.path("feeds").path("patient").path("skipped").asInt()).isEqualTo(2);
        assertThat(casesOf(member)).isEqualTo(1);
        assertThat(casesOf(left)).isZero();
        assertThat(casesOf(stranger)).isZero();
        // memberships are read once and kept (cohortRefreshSeconds), not once per entry
        assertThat(openmrs.requestCount("GET", ".*/cohort/" + ART_COHORT + "/membership")).isEqualTo(1);
    }

    // ------------------------------------------------------------------ owner by location, update-only

    @Test
    void ownerByLocationEachNewCaseGetsItsLocationsOwnerAnUnmappedLocationIsParkedWithTheReason() throws Exception {
        FeedSync sync = sync(mapping(m -> {
            m.remove("ownerId");
            ObjectNode by = m.putObject("owner").putObject("byLocation");
            by.put(OpenMrsSimulator.LOCATION_CLINIC, "owner-amani-clinic");
            by.put(OTHER_PLACE, "owner-outreach-team");
        }));
        String atClinic = patientAt("Malaika", OpenMrsSimulator.LOCATION_CLINIC);
        String atOutreach = patientAt("Nia", OTHER_PLACE);
        String far = patientAt("Oni", FAR_PLACE);

        MediatorResponse r = sync.handle(null, new TransactionContext("poll"));
        assertThat(r.status()).isEqualTo(MediatorStatus.COMPLETED_WITH_ERRORS);
        assertThat(hq.casesByExternalId(atClinic).get(0).ownerId()).isEqualTo("owner-amani-clinic");
        assertThat(hq.casesByExternalId(atOutreach).get(0).ownerId()).isEqualTo("owner-outreach-team");
        assertThat(casesOf(far)).isZero();
        assertThat(store.failedEvents().all("patient")).singleElement().satisfies(ev -> {
            assertThat(ev.subject()).isEqualTo(far);
            assertThat(ev.lastError()).contains("no CommCare owner for patient " + far).contains("location " + FAR_PLACE + " is not in feeds.json owner.byLocation");
        });
    }

    @Test
    void ownerDefaultTakesLocationsNotInTheMap() throws Exception {
        FeedSync sync = sync(mapping(m -> {
            m.remove("ownerId");
            ObjectNode owner = m.putObject("owner");
            owner.putObject("byLocation").put(OpenMrsSimulator.LOCATION_CLINIC, "owner-amani-clinic");
            owner.put("default", "owner-district");
        }));
        String far = patientAt("Pendo", FAR_PLACE);
        poll(sync);
        assertThat(hq.casesByExternalId(far).get(0).ownerId()).isEqualTo("owner-district");
    }

    @Test
    void updateOnlyUpdatesExistingCasesNewPatientsAreSkippedAndRecorded() throws Exception {
        String known = patientAt("Rehema", OpenMrsSimulator.LOCATION_CLINIC);
        poll(sync(mapping(m -> { })));
        assertThat(casesOf(known)).isEqualTo(1);

        FeedSync updateOnly = sync(mapping(m -> m.put("updateOnly", true)));
        openmrs.renamePatient(known, "Rehema", "Wanjiru");
        String newcomer = patientAt("Sanaa", OpenMrsSimulator.LOCATION_CLINIC);
        JsonNode r = poll(updateOnly);
        assertThat(r.path("feeds").path("patient").path("updated").asInt()).isEqualTo(1);
        assertThat(r.path("feeds").path("patient").path("skipped").asInt()).isEqualTo(1);
        CommCareCase c = hq.casesByExternalId(known).get(0);
        assertThat(c.property("family_name")).isEqualTo("Wanjiru");
        assertThat(casesOf(newcomer)).isZero();
        assertThat(ledgerOfPatientEntry(newcomer).outcome()).contains("update-only");
        assertThat(store.failedEvents().all("patient")).isEmpty();
    }

    @Test
    void badCohortOwnerAndLocationConfigListsEveryProblem() throws Exception {
        Path bad = mapping(m -> {
            ObjectNode cohort = m.putObject("cohort");
            cohort.putArray("locations").add("not a uuid");
            cohort.putArray("programs");
            cohort.put("ward", "x");
            m.putObject("owner");
            m.put("locationFrom", "village");
        });
        assertThatThrownBy(() -> FeedMapping.load(bad)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("$.cohort.locations: 'not a uuid' is not a uuid")
                .hasMessageContaining("$.cohort.programs: is empty")
                .hasMessageContaining("$.cohort.ward: unknown cohort filter")
                .hasMessageContaining("$.ownerId: give either ownerId (one owner) or owner (by location), not both")
                .hasMessageContaining("$.owner: needs byLocation")
                .hasMessageContaining("$.locationFrom: unknown location source 'village'");
    }

    // ------------------------------------------------------------------ bulk import

    static MediatorResponse importCohort(FeedSync sync, String query) {
        Map<String, String> q = new HashMap<>();
        for (String kv : query.split("&")) if (!kv.isEmpty()) q.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        MediatorRequest req = new MediatorRequest("POST", BulkImport.PATH, q, Map.of(), "");
        return sync.bulkImport().handle(req, new TransactionContext("import"));
    }

    List<String> membershipStartIndexes() {
        return openmrs.wireMock().getAllServeEvents().stream().map(ServeEvent::getRequest)
                .filter(r -> r.getUrl().contains("/membership")).map(r -> r.queryParameter("startIndex").firstValue()).toList();
    }

    @Test
    void bulkImportStoppedAfterPageOneResumesAfterARestartNoDuplicatesARerunWritesNothing() throws Exception {
        extra.put("feeds.import.pageSize", "2");
        openmrs.addCohort(ART_COHORT, "ART clients");
        String[] members = new String[5];
        for (int i = 0; i < 5; i++) {
            members[i] = patientAt("Member" + i, OpenMrsSimulator.LOCATION_CLINIC);
            openmrs.addCohortMember(ART_COHORT, members[i], LocalDate.now().minusMonths(1), i == 1 ? LocalDate.now().minusDays(1) : null);
        }
        Path feeds = mapping(m -> { });
        FeedSync sync = sync(feeds);
        // OpenMRS fails the first patient of page 2: the run stops there, after page 1
        StubMapping down = openmrs.failAlways("GET", "/openmrs/ws/rest/v1/patient/" + members[2], 500, null);
        MediatorResponse first = importCohort(sync, "cohort=" + ART_COHORT);
        assertThat(first.status()).isEqualTo(MediatorStatus.FAILED);
        assertThat(first.httpStatus()).isEqualTo(502);
        JsonNode stopped = Json.parse(first.body());
        assertThat(stopped.path("next").asInt()).isEqualTo(2);
        assertThat(stopped.path("error").asText()).contains("the import stopped at member 2");
        assertThat(stopped.path("patients").path("created").asInt()).isEqualTo(1);
        assertThat(stopped.path("patients").path("notCurrent").asInt()).isEqualTo(1);
        assertThat(hq.cases()).hasSize(1);

        // "restart": a new process on the same state store; OpenMRS is back
        store.close();
        store = open();
        openmrs.wireMock().removeStub(down);
        openmrs.wireMock().resetRequests();
        sync = sync(feeds);
        MediatorResponse resumed = importCohort(sync, "cohort=" + ART_COHORT);
        assertThat(resumed.status()).as(resumed.body()).isEqualTo(MediatorStatus.SUCCESSFUL);
        JsonNode done = Json.parse(resumed.body());
        assertThat(done.path("from").asInt()).isEqualTo(2);
        assertThat(done.path("done").asBoolean()).isTrue();
        assertThat(done.path("patients").path("created").asInt()).isEqualTo(3);
        assertThat(membershipStartIndexes()).containsExactlyInAnyOrder("2", "4"); // page 1 is not read again
        for (int i = 0; i < 5; i++) assertThat(casesOf(members[i])).as("cases of member " + i).isEqualTo(i == 1 ? 0 : 1);
        int forms = hq.submittedForms().size();

        // the console's rerun: nothing to do; a rerun from the start finds every patient in the ledger
        MediatorResponse rerun = importCohort(sync, "cohort=" + ART_COHORT);
        assertThat(rerun.status()).isEqualTo(MediatorStatus.COMPLETED);
        MediatorResponse again = importCohort(sync, "cohort=" + ART_COHORT + "&restart=true");
        assertThat(again.status()).isEqualTo(MediatorStatus.COMPLETED);
        assertThat(Json.parse(again.body()).path("patients").path("alreadyImported").asInt()).isEqualTo(4);
        assertThat(hq.submittedForms()).hasSize(forms);

        // the feed later reads the same patients' entries: their cases are found, none made twice
        JsonNode poll = poll(sync);
        assertThat(poll.path("feeds").path("patient").path("created").asInt()).isEqualTo(1); // the member who left, not imported
        for (int i = 0; i < 5; i++) assertThat(casesOf(members[i])).isEqualTo(1);
        assertThat(hq.cases()).hasSize(5);
    }

    @Test
    void bulkImportWithoutACohortIs400AnUnknownCohortIs404NothingWritten() throws Exception {
        FeedSync sync = sync(mapping(m -> { }));
        assertThat(importCohort(sync, "").httpStatus()).isEqualTo(400);
        MediatorResponse unknown = importCohort(sync, "cohort=" + OpenMrsSimulator.newUuid());
        assertThat(unknown.httpStatus()).isEqualTo(404);
        assertThat(unknown.body()).contains("OpenMRS has no cohort");
        // the cohort in a JSON body (what core's console can rerun) works the same; a body that is not an object is 400
        MediatorRequest inBody = new MediatorRequest("POST", BulkImport.PATH, Map.of(), Map.of(), "{\"cohort\": \"" + OpenMrsSimulator.newUuid() + "\"}");
        assertThat(sync.bulkImport().handle(inBody, new TransactionContext("import")).httpStatus()).isEqualTo(404);
        MediatorRequest notAnObject = new MediatorRequest("POST", BulkImport.PATH, Map.of(), Map.of(), "[\"x\"]");
        assertThat(sync.bulkImport().handle(notAnObject, new TransactionContext("import")).httpStatus()).isEqualTo(400);
        assertThat(hq.submittedForms()).isEmpty();
    }
}
