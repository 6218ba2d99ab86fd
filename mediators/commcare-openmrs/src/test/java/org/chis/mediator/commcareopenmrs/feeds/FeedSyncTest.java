package org.chis.mediator.commcareopenmrs.feeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.common.testing.OrchestrationNames;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.commcare.SubmittedForm;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenMRS feeds -> CommCare against the OpenMRS and CommCare simulators, with a real H2 state store. */
class FeedSyncTest {
    static final Path MAPPING = Path.of("../../mediator-configs/commcare-openmrs/feeds.json").toAbsolutePath().normalize();
    static final String XMLNS = "http://chis.org/xforms/openmrs-feed";
    static final OffsetDateTime ENCOUNTER_TIME = OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(30).withNano(0);
    static OpenMrsSimulator openmrs;
    static CommCareSimulator hq;

    @TempDir Path dir;
    StateStore store;
    MutableClock clock = new MutableClock();
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

    Settings settings() {
        Map<String, String> m = new HashMap<>(Map.of("openmrs.url", openmrs.baseUrl(), "openmrs.user", OpenMrsSimulator.USER,
                "openmrs.password", OpenMrsSimulator.PASSWORD, "commcare.url", hq.baseUrl(), "commcare.domain", CommCareSimulator.DOMAIN,
                "commcare.user", CommCareSimulator.USER, "commcare.apiKey", CommCareSimulator.API_KEY, "feeds.mapping", MAPPING.toString()));
        m.putAll(extra);
        return Settings.of(m);
    }

    FeedSync sync() {
        Settings s = settings();
        return FeedSync.create(s, RecordingHttpClient.create(s), store, clock);
    }

    MediatorResponse poll(FeedSync sync) {
        TransactionContext tx = new TransactionContext("poll");
        MediatorResponse r = sync.handle(null, tx);
        return r;
    }

    /** Polls until a poll reads nothing new; returns the polls' responses. */
    List<MediatorResponse> drain(FeedSync sync) {
        List<MediatorResponse> out = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            MediatorResponse r = poll(sync);
            out.add(r);
            if (!Json.parse(r.body()).path("more").asBoolean()) return out;
        }
        throw new AssertionError("feed did not drain in 50 polls");
    }

    static JsonNode body(MediatorResponse r) { return Json.parse(r.body()); }

    static String patient(String given, String family) {
        return openmrs.registerPatient(given, family, "F", LocalDate.of(1994, 3, 2), "ID-" + given.hashCode());
    }

    CommCareCase caseOf(String patientUuid) {
        List<CommCareCase> found = hq.casesByExternalId(patientUuid);
        assertThat(found).as("cases of patient " + patientUuid).hasSize(1);
        return found.get(0);
    }

    /** Feed entry ids the suite's submissions carried, in submission order. */
    static List<String> submittedEntryIds() {
        Pattern p = Pattern.compile("<openmrs_feed_entry>([^<]*)</openmrs_feed_entry>");
        List<String> out = new ArrayList<>();
        for (SubmittedForm f : hq.submittedForms()) {
            if (!XMLNS.equals(f.xmlns())) continue;
            Matcher m = p.matcher(f.xml());
            if (m.find()) out.add(m.group(1));
        }
        return out;
    }

    // ------------------------------------------------------------------ tests

    @Test
    void newPatientAndEncounterBecomeACaseWithShadowsAndUtf8Intact() {
        String uuid = patient("Zoë", "Ødegård-Nyaradzó");
        openmrs.setAttribute(uuid, OpenMrsSimulator.ATTRIBUTE_PHONE, "+254 700 000 001");
        openmrs.setAttribute(uuid, OpenMrsSimulator.ATTRIBUTE_VILLAGE, "Kibera – Olympic");
        Map<String, Object> obs = new LinkedHashMap<>();
        obs.put(OpenMrsSimulator.CONCEPT_WEIGHT, 61.5);
        obs.put(OpenMrsSimulator.CONCEPT_PREGNANT, OpenMrsSimulator.CONCEPT_YES);
        String enc = openmrs.recordEncounter(uuid, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, ENCOUNTER_TIME, obs);

        MediatorResponse r = poll(sync());
        assertThat(r.status()).isEqualTo(MediatorStatus.SUCCESSFUL);
        assertThat(body(r).at("/feeds/patient/created").asInt()).isEqualTo(1);
        assertThat(body(r).at("/feeds/encounter/updated").asInt()).isEqualTo(1);

        CommCareCase c = caseOf(uuid);
        assertThat(c.caseName()).isEqualTo("Zoë Ødegård-Nyaradzó");
        assertThat(c.caseType()).isEqualTo("patient");
        assertThat(c.ownerId()).isEqualTo(CommCareSimulator.MOBILE_WORKER_ID);
        assertThat(c.property("given_name")).isEqualTo("Zoë");
        assertThat(c.property("openmrs_given_name")).isEqualTo("Zoë");
        assertThat(c.property("family_name")).isEqualTo("Ødegård-Nyaradzó");
        assertThat(c.property("sex")).isEqualTo("female");
        assertThat(c.property("dob")).isEqualTo("1994-03-02");
        assertThat(c.property("village")).isEqualTo("Kibera – Olympic");
        assertThat(c.property("phone_number")).isEqualTo("+254 700 000 001");
        assertThat(c.property("openmrs_uuid")).isEqualTo(uuid);
        assertThat(c.property("last_weight")).isEqualTo("61.5");
        assertThat(c.property("pregnant")).isEqualTo("yes");
        assertThat(c.property("openmrs_pregnant")).isEqualTo("yes");
        assertThat(c.property("last_encounter_date")).isEqualTo(ENCOUNTER_TIME.toLocalDate().toString());
        assertThat(hq.submittedForms()).filteredOn(f -> f.xml() != null && f.xml().contains(enc)).hasSize(1);

        // nothing new: Completed, nothing written
        int forms = hq.submittedForms().size();
        MediatorResponse again = poll(sync());
        assertThat(again.status()).isEqualTo(MediatorStatus.COMPLETED);
        assertThat(hq.submittedForms()).hasSize(forms);
    }

    @Test
    void aPollsOrchestrationsNameTheirSystemOnce() {
        String uuid = patient("Wairimu", "Kamau");
        openmrs.recordEncounter(uuid, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, ENCOUNTER_TIME, Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 58.0));
        TransactionContext tx = new TransactionContext("poll");
        assertThat(sync().handle(null, tx).status()).isEqualTo(MediatorStatus.SUCCESSFUL);
        List<String> names = tx.orchestrations().stream().map(o -> o.name()).toList();
        // was "OpenMRS OpenMRS get patient": the feed side named the system and the client added it again
        assertThat(names).contains("OpenMRS: feed page patient/recent", "OpenMRS: get patient", "OpenMRS: get encounter", "CommCare: submit form");
        OrchestrationNames.assertOneScheme(names);
    }

    @Test
    void genericPublisherEntriesAreUnderstoodToo() {
        openmrs.feedStyle(OpenMrsSimulator.FeedStyle.GENERIC);
        String uuid = patient("Amina", "Wanjiru");
        openmrs.recordEncounter(uuid, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, ENCOUNTER_TIME,
                Map.of(OpenMrsSimulator.CONCEPT_MUAC, 11.2));
        assertThat(poll(sync()).status()).isEqualTo(MediatorStatus.SUCCESSFUL);
        assertThat(caseOf(uuid).property("last_muac")).isEqualTo("11.2");
    }

    @Test
    void conflictPoliciesDecidePerPropertyAndShadowsAlwaysCarryOpenMrs() {
        String uuid = patient("Grace", "Achieng");
        openmrs.setAttribute(uuid, OpenMrsSimulator.ATTRIBUTE_PHONE, "0700111222");
        openmrs.setAttribute(uuid, OpenMrsSimulator.ATTRIBUTE_VILLAGE, "Ngong");
        FeedSync sync = sync();
        poll(sync);
        String caseId = caseOf(uuid).caseId();

        // a CHW edits three properties on the phone...
        hq.editCase(caseId, CommCareSimulator.props("given_name", "Gracie", "phone_number", "0799000000", "village", "Ngong Hills"));
        // ...then OpenMRS changes them too (later than the phone edit)
        openmrs.renamePatient(uuid, "Grace Mary", "Achieng");
        openmrs.setAttribute(uuid, OpenMrsSimulator.ATTRIBUTE_PHONE, "0700333444");
        openmrs.setAttribute(uuid, OpenMrsSimulator.ATTRIBUTE_VILLAGE, "Karen");
        poll(sync);

        CommCareCase c = hq.caseById(caseId).orElseThrow();
        assertThat(c.property("given_name")).as("openmrs-wins").isEqualTo("Grace Mary");
        assertThat(c.property("phone_number")).as("commcare-wins").isEqualTo("0799000000");
        assertThat(c.property("village")).as("latest-wins, OpenMRS later").isEqualTo("Karen");
        assertThat(c.property("openmrs_given_name")).isEqualTo("Grace Mary");
        assertThat(c.property("openmrs_phone_number")).isEqualTo("0700333444");
        assertThat(c.property("openmrs_village")).isEqualTo("Karen");

        // latest-wins the other way: OpenMRS changes first, the phone edit comes after it
        openmrs.setAttribute(uuid, OpenMrsSimulator.ATTRIBUTE_VILLAGE, "Langata");
        clock.sleepPast(); // entry times and case times are wall clock: make the phone edit strictly later
        hq.editCase(caseId, CommCareSimulator.props("village", "Rongai"));
        poll(sync);
        c = hq.caseById(caseId).orElseThrow();
        assertThat(c.property("village")).as("latest-wins, CommCare later").isEqualTo("Rongai");
        assertThat(c.property("openmrs_village")).isEqualTo("Langata");

        // no edit in CommCare: the OpenMRS value is taken even under commcare-wins
        hq.editCase(caseId, CommCareSimulator.props("phone_number", "0700333444"));
        openmrs.setAttribute(uuid, OpenMrsSimulator.ATTRIBUTE_PHONE, "0700555666");
        poll(sync);
        assertThat(hq.caseById(caseId).orElseThrow().property("phone_number")).isEqualTo("0700555666");
    }

    @Test
    void threePagesWithAFailingEntryRetriedInPatientOrderMarkerNeverSkips() {
        String a = patient("Akinyi", "Otieno");
        String b = patient("Baraka", "Mwangi");
        String c = patient("Chebet", "Kiprop");
        openmrs.renamePatient(a, "Akinyi", "Otieno-Ouma");
        openmrs.renamePatient(b, "Baraka", "Mwangi-Kamau");
        openmrs.renamePatient(a, "Akinyi Grace", "Otieno-Ouma");
        for (int i = 0; i < 6; i++) openmrs.setAttribute(c, OpenMrsSimulator.ATTRIBUTE_VILLAGE, "Village " + i);
        openmrs.renamePatient(a, "Akinyi Final", "Otieno-Ouma"); // a's last word
        assertThat(openmrs.feedSize("patient")).isEqualTo(13); // pages 1..3 of 5
        List<String> ids = openmrs.feedEntryIds("patient");

        StubMapping down = openmrs.failAlways("GET", "/openmrs/ws/rest/v1/patient/" + a, 500, null);
        extra.put("feeds.categories", "patient");
        FeedSync sync = sync();
        MediatorResponse first = poll(sync);
        assertThat(first.status()).isEqualTo(MediatorStatus.COMPLETED_WITH_ERRORS);
        assertThat(body(first).at("/feeds/patient/failed").asInt()).isEqualTo(1);
        assertThat(body(first).at("/feeds/patient/waiting").asInt()).isEqualTo(3);
        // other patients went on; the marker is at the feed's end, with a's entries parked, none skipped
        assertThat(caseOf(b).property("family_name")).isEqualTo("Mwangi-Kamau");
        assertThat(caseOf(c).property("village")).isEqualTo("Village 5");
        assertThat(hq.casesByExternalId(a)).isEmpty();
        assertThat(FeedMarker.parse(store.feedMarkers().get("patient").orElseThrow()).lastEntryId()).isEqualTo(ids.get(12));
        assertThat(store.failedEvents().all("patient")).extracting(e -> e.entryId())
                .containsExactly(ids.get(0), ids.get(3), ids.get(5), ids.get(12));

        // still down: retried after the back-off, attempts counted, nothing applied out of order
        clock.advance(Duration.ofMinutes(2));
        poll(sync);
        assertThat(store.failedEvents().all("patient").get(0).attempts()).isEqualTo(2);
        assertThat(hq.casesByExternalId(a)).isEmpty();

        openmrs.wireMock().removeStub(down);
        MediatorResponse early = poll(sync);
        assertThat(body(early).at("/feeds/patient/retried").asInt()).as("not due yet (x3 back-off)").isZero();
        clock.advance(Duration.ofMinutes(10));
        MediatorResponse fixed = poll(sync);
        assertThat(fixed.status()).isEqualTo(MediatorStatus.SUCCESSFUL);
        assertThat(store.failedEvents().count("patient")).isZero();
        assertThat(caseOf(a).property("given_name")).as("last one wins").isEqualTo("Akinyi Final");
        // every entry has exactly one ledger record, all succeeded
        for (String id : ids) {
            assertThat(store.ledger().find("openmrs-feed:" + id)).get().extracting(Ledger.Entry::status).isEqualTo(Ledger.Status.SUCCEEDED);
        }
    }

    @Test
    void restartMidFeedLosesNothingAndAppliesNothingTwice() {
        List<String> patients = new ArrayList<>();
        for (int i = 0; i < 6; i++) patients.add(patient("Pat" + i, "Émile-" + i));
        for (String p : patients) openmrs.renamePatient(p, "Renamed", "Ñandú " + p.substring(0, 4));
        extra.put("feeds.batchSize", "4");
        extra.put("feeds.categories", "patient");
        poll(sync()); // 4 of 12 entries

        // the answer to the next submission is lost after HQ saved it (client read timeout), then the mediator "crashes"
        extra.put("http.readTimeoutMs", "700");
        hq.slowNext("POST", "/a/demo-project/receiver/", 2000);
        MediatorResponse lost = poll(sync());
        assertThat(body(lost).at("/feeds/patient/failed").asInt()).isEqualTo(1);
        store.close();

        // a new process on the same database file
        store = open();
        extra.remove("http.readTimeoutMs");
        clock.advance(Duration.ofMinutes(5));
        drain(sync());
        for (String p : patients) assertThat(caseOf(p).property("family_name")).isEqualTo("Ñandú " + p.substring(0, 4));
        assertThat(store.failedEvents().count("patient")).isZero();
        // every entry once: the repeat of the lost submission carried the same instanceID or found nothing to change
        List<String> submitted = submittedEntryIds();
        assertThat(submitted).doesNotHaveDuplicates();
        for (String id : openmrs.feedEntryIds("patient")) {
            assertThat(store.ledger().find("openmrs-feed:" + id)).get().extracting(Ledger.Entry::status).isEqualTo(Ledger.Status.SUCCEEDED);
        }
        assertThat(hq.cases()).hasSize(6);
    }

    /** Feed entry ids of the suite's submissions about one patient, in submission order. */
    static List<String> submittedEntryIds(String patientUuid) {
        Pattern p = Pattern.compile("<openmrs_feed_entry>([^<]*)</openmrs_feed_entry>");
        List<String> out = new ArrayList<>();
        for (SubmittedForm f : hq.submittedForms()) {
            if (!XMLNS.equals(f.xml() == null ? null : f.xmlns()) || !f.xml().contains(patientUuid)) continue;
            Matcher m = p.matcher(f.xml());
            if (m.find()) out.add(m.group(1));
        }
        return out;
    }

    /** Position of the stored marker's entry in the feed, -1 before the first. */
    int markerIndex(String feed, List<String> ids) {
        FeedMarker m = FeedMarker.parse(store.feedMarkers().get(feed).orElse(null));
        return m == null || m.lastEntryId() == null ? -1 : ids.indexOf(m.lastEntryId());
    }

    boolean done(String entryId) {
        return store.ledger().find("openmrs-feed:" + entryId).map(e -> e.status() != Ledger.Status.IN_PROGRESS).orElse(false);
    }

    @Test
    void parallelLanesKeepEachPatientsOrderAFailingPatientWaitsTheMarkerOnlyPassesDoneEntries() throws Exception {
        String a = patient("Slow", "Lane");
        String b = patient("Quick", "Lane");
        List<String> aEncounters = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            aEncounters.add(openmrs.recordEncounter(a, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, ENCOUNTER_TIME, Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 60 + i)));
            openmrs.recordEncounter(b, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, ENCOUNTER_TIME, Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 70 + i));
        }
        List<String> patientIds = openmrs.feedEntryIds("patient"); // a, b
        List<String> ids = openmrs.feedEntryIds("encounter"); // a1, b1, a2, b2, a3, b3: interleaved
        extra.put("feeds.parallelism", "4");
        FeedSync sync = sync();

        // a's first encounter is slow to apply (its CommCare submission; a slow read would hold the routing of every
        // entry behind it instead): b's lane runs ahead, but the marker must wait for a
        hq.slowNextContaining("POST", ".*/receiver/.*", "<openmrs_feed_entry>" + ids.get(0) + "<", 3000); // wide enough for b's lane on a loaded machine
        AtomicBoolean aheadOfMarker = new AtomicBoolean();
        AtomicReference<String> broken = new AtomicReference<>();
        Thread watcher = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                int m = markerIndex("encounter", ids);
                for (int i = 0; i <= m; i++) if (!done(ids.get(i))) broken.compareAndSet(null, "marker at " + m + " passed entry " + i + ", not done");
                for (int i = m + 2; i < ids.size(); i++) if (done(ids.get(i))) aheadOfMarker.set(true);
            }
        });
        watcher.start();
        MediatorResponse first = poll(sync);
        watcher.interrupt();
        watcher.join();
        assertThat(broken.get()).isNull();
        assertThat(aheadOfMarker).as("entries past the marker were applied while an earlier one was still running").isTrue();
        assertThat(first.status()).isEqualTo(MediatorStatus.SUCCESSFUL);
        assertThat(markerIndex("encounter", ids)).isEqualTo(ids.size() - 1);
        assertThat(submittedEntryIds(a)).as("a's entries in feed order").containsExactly(patientIds.get(0), ids.get(0), ids.get(2), ids.get(4));
        assertThat(submittedEntryIds(b)).as("b's entries in feed order").containsExactly(patientIds.get(1), ids.get(1), ids.get(3), ids.get(5));
        assertThat(caseOf(a).property("last_weight")).as("a's last encounter wins").isEqualTo("63.0");
        assertThat(caseOf(b).property("last_weight")).isEqualTo("73.0");

        // now a's reads fail: a's first new entry is parked, its later ones wait behind it; b goes on
        StubMapping down = openmrs.failAlways("GET", "/openmrs/ws/rest/v1/patient/" + a, 500, null);
        for (int i = 4; i <= 6; i++) {
            openmrs.renamePatient(a, "A" + i, "Slow");
            openmrs.renamePatient(b, "B" + i, "Quick");
        }
        List<String> all = openmrs.feedEntryIds("patient"); // a, b, a4, b4, a5, b5, a6, b6
        extra.put("feeds.categories", "patient");
        sync = sync();
        MediatorResponse second = poll(sync);
        assertThat(second.status()).isEqualTo(MediatorStatus.COMPLETED_WITH_ERRORS);
        assertThat(body(second).at("/feeds/patient/failed").asInt()).isEqualTo(1);
        assertThat(body(second).at("/feeds/patient/waiting").asInt()).isEqualTo(2);
        assertThat(caseOf(b).property("given_name")).isEqualTo("B6");
        assertThat(caseOf(a).property("given_name")).isEqualTo("Slow");
        assertThat(store.failedEvents().all("patient")).extracting(e -> e.entryId()).containsExactly(all.get(2), all.get(4), all.get(6));
        assertThat(markerIndex("patient", all)).as("parked entries are done: the marker passes them").isEqualTo(all.size() - 1);

        openmrs.wireMock().removeStub(down);
        clock.advance(Duration.ofMinutes(2));
        assertThat(poll(sync).status()).isEqualTo(MediatorStatus.SUCCESSFUL);
        assertThat(store.failedEvents().count("patient")).isZero();
        assertThat(caseOf(a).property("given_name")).as("last one wins").isEqualTo("A6");
        assertThat(submittedEntryIds(b)).doesNotHaveDuplicates();
    }

    @Test
    void crashMidBatchWithParallelLanesLosesNothingAndAppliesNothingTwice() throws Exception {
        List<String> patients = new ArrayList<>();
        for (int i = 0; i < 8; i++) patients.add(patient("Crash" + i, "Lanes"));
        for (String p : patients) openmrs.renamePatient(p, "Renamed", "Lanes " + p.substring(0, 4));
        List<String> ids = openmrs.feedEntryIds("patient"); // 16 entries
        extra.put("feeds.categories", "patient");
        extra.put("feeds.batchSize", "16");
        extra.put("feeds.leaseSeconds", "2"); // the lease is real time (the store's clock)
        // the first patient's read hangs: its lane is in flight while the others finish past the marker
        openmrs.slowNext("GET", "/openmrs/ws/rest/v1/patient/" + patients.get(0), 4000);
        FeedSync sync = sync();
        Thread poller = new Thread(() -> {
            try {
                poll(sync);
            } catch (RuntimeException expected) {
                // the "crashed" process's poll dies with its database
            }
        });
        poller.start();
        long until = System.nanoTime() + 10_000_000_000L;
        int aheadDone = 0;
        while (System.nanoTime() < until) {
            aheadDone = 0;
            for (int i = 1; i < ids.size(); i++) if (done(ids.get(i))) aheadDone++;
            if (aheadDone >= 8) break;
            Thread.sleep(20);
        }
        assertThat(markerIndex("patient", ids)).as("marker still before the slow entry").isEqualTo(-1);
        assertThat(aheadDone).isGreaterThanOrEqualTo(8);
        store.close(); // crash: the process's database connections are gone
        poller.join(20_000);
        int submittedBeforeCrash = submittedEntryIds().size();

        store = open();
        Thread.sleep(2_100); // the dead process's claims run out
        drain(sync());
        for (String p : patients) assertThat(caseOf(p).property("family_name")).isEqualTo("Lanes " + p.substring(0, 4));
        assertThat(submittedEntryIds()).as("no entry written twice").doesNotHaveDuplicates();
        assertThat(submittedEntryIds().size()).isGreaterThan(submittedBeforeCrash);
        for (String id : ids) {
            assertThat(store.ledger().find("openmrs-feed:" + id)).get().extracting(Ledger.Entry::status).isEqualTo(Ledger.Status.SUCCEEDED);
        }
        assertThat(markerIndex("patient", ids)).isEqualTo(ids.size() - 1);
        assertThat(hq.cases()).hasSize(8);
    }

    @Test
    void encountersTheSuiteCreatedAreSkippedAsEcho() {
        String uuid = patient("Wanjiku", "Kamau");
        String ours = openmrs.recordEncounter(uuid, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, ENCOUNTER_TIME,
                Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 70));
        String theirs = openmrs.recordEncounter(uuid, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, ENCOUNTER_TIME,
                Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 71));
        // the forms side records the encounters it creates under this namespace
        store.idMap().put("form->encounter", "commcare-form-1", ours);

        MediatorResponse r = poll(sync());
        assertThat(body(r).at("/feeds/encounter/echo").asInt()).isEqualTo(1);
        assertThat(hq.submittedForms()).noneMatch(f -> f.xml() != null && f.xml().contains(ours));
        assertThat(hq.submittedForms()).filteredOn(f -> f.xml() != null && f.xml().contains(theirs)).hasSize(1);
        assertThat(caseOf(uuid).property("last_weight")).isEqualTo("71.0");
    }

    @Test
    void aPatientTheSuiteCreatedIsEchoUntilSomeoneChangesItInOpenMrs() {
        String ours = patient("Created", "ByForms");
        store.idMap().put("form->patient", "commcare:form-9", ours);
        extra.put("feeds.categories", "patient");
        FeedSync sync = sync();
        MediatorResponse r = poll(sync);
        assertThat(body(r).at("/feeds/patient/echo").asInt()).isEqualTo(1);
        assertThat(hq.casesByExternalId(ours)).isEmpty();

        // a clerk edits the patient in OpenMRS: that change must reach CommCare
        openmrs.renamePatient(ours, "Edited", "ByClerk");
        poll(sync);
        assertThat(caseOf(ours).property("given_name")).isEqualTo("Edited");
    }

    @Test
    void circuitBreakerStopsTheFeedLoudlyInsteadOfSkipping() {
        List<String> patients = new ArrayList<>();
        for (int i = 0; i < 6; i++) patients.add(patient("Breaker" + i, "Test"));
        List<String> ids = openmrs.feedEntryIds("patient");
        StubMapping down = openmrs.failAlways("GET", "/openmrs/ws/rest/v1/patient/.*", 500, null);
        extra.put("feeds.maxFailedEvents", "3");
        extra.put("feeds.categories", "patient");
        FeedSync sync = sync();
        MediatorResponse r = poll(sync);
        assertThat(r.status()).isEqualTo(MediatorStatus.FAILED);
        assertThat(r.httpStatus()).isEqualTo(503);
        assertThat(body(r).path("error").asText()).contains("feed patient stopped").contains("3 entries are parked").contains("500");
        assertThat(FeedMarker.parse(store.feedMarkers().get("patient").orElseThrow()).lastEntryId()).isEqualTo(ids.get(2));
        assertThat(poll(sync).status()).as("stays open").isEqualTo(MediatorStatus.FAILED);

        openmrs.wireMock().removeStub(down);
        clock.advance(Duration.ofHours(1));
        drain(sync);
        for (String p : patients) assertThat(hq.casesByExternalId(p)).hasSize(1);
        assertThat(store.failedEvents().count("patient")).isZero();
    }

    @Test
    void openMrsDownFailsThePollAndKeepsTheMarker() {
        patient("Down", "Time");
        openmrs.failNext("GET", "/openmrs/ws/atomfeed/patient/.*", 503, null);
        FeedSync sync = sync();
        MediatorResponse r = poll(sync);
        assertThat(r.status()).isEqualTo(MediatorStatus.FAILED);
        assertThat(r.httpStatus()).isEqualTo(502);
        assertThat(store.feedMarkers().get("patient")).isEmpty();
        assertThat(poll(sync).status()).isEqualTo(MediatorStatus.SUCCESSFUL);
    }

    @Test
    void badMappingNamesFileAndPath(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("feeds.json");
        Files.writeString(bad, "{\"caseType\":\"patient\",\"ownerId\":\"o\",\"patient\":{\"properties\":[{\"property\":\"x\",\"from\":\"shoeSize\"}]}}");
        assertThatThrownBy(() -> FeedMapping.load(bad)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(bad.toString()).hasMessageContaining("$.patient.properties[0].from").hasMessageContaining("shoeSize");
        Files.writeString(bad, "{\"caseType\":\"patient\",\"ownerId\":\"o\",\"patient\":{\"properties\":[{\"property\":\"a\",\"from\":\"gender\",\"conflict\":\"both-win\"}]}}");
        assertThatThrownBy(() -> FeedMapping.load(bad)).hasMessageContaining("$.patient.properties[0].conflict").hasMessageContaining("both-win");
        assertThat(FeedMapping.load(MAPPING).patient()).isNotEmpty();
    }

    @Test
    void conflictPolicyThreeWayMerge() {
        Instant t1 = Instant.parse("2024-01-01T10:00:00Z");
        Instant t2 = Instant.parse("2024-01-01T11:00:00Z");
        // unchanged in CommCare (local == shadow): OpenMRS's new value under every policy
        for (ConflictPolicy p : ConflictPolicy.values()) assertThat(p.resolve("a", "a", "b", t1, t2)).isEqualTo("b");
        // already equal: nothing to write
        assertThat(ConflictPolicy.OPENMRS_WINS.resolve("b", "a", "b", t1, t2)).isNull();
        // edited in CommCare
        assertThat(ConflictPolicy.OPENMRS_WINS.resolve("c", "a", "b", t1, t2)).isEqualTo("b");
        assertThat(ConflictPolicy.COMMCARE_WINS.resolve("c", "a", "b", t1, t2)).isNull();
        assertThat(ConflictPolicy.LATEST_WINS.resolve("c", "a", "b", t1, t2)).as("CommCare later").isNull();
        assertThat(ConflictPolicy.LATEST_WINS.resolve("c", "a", "b", t2, t1)).as("OpenMRS later").isEqualTo("b");
        // never synced, CommCare has a value of its own: that is an edit too
        assertThat(ConflictPolicy.COMMCARE_WINS.resolve("c", null, "b", t1, t2)).isNull();
        assertThat(ConflictPolicy.COMMCARE_WINS.resolve(null, null, "b", t1, t2)).isEqualTo("b");
    }

    /** A clock the test moves (retry back-off); starts at the real time. */
    static final class MutableClock extends Clock {
        private volatile Duration offset = Duration.ZERO;

        void advance(Duration d) { offset = offset.plus(d); }

        /** Lets real time pass a few milliseconds, so wall-clock stamps on both sides are strictly ordered. */
        void sleepPast() {
            long until = System.nanoTime() + 20_000_000L;
            while (System.nanoTime() < until) Thread.onSpinWait();
        }

        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return Instant.now().plus(offset); }
    }
}
