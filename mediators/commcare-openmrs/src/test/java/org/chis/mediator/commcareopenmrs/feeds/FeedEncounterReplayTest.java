package org.chis.mediator.commcareopenmrs.feeds;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.StateStore;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.commcare.SubmittedForm;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encounter entry applied again after HQ already saved its form (the answer was lost, or the process was killed
 * before the ledger record): the case already holds its values, so the replay finds no change, and must still not
 * make a second form for the encounter (found by the kill -9 fault suite: 6 of 20 rounds had one).
 */
class FeedEncounterReplayTest {
    static final Path MAPPING = Path.of("../../mediator-configs/commcare-openmrs/feeds.json").toAbsolutePath().normalize();
    static final Pattern ENTRY = Pattern.compile("<openmrs_feed_entry>([^<]*)</openmrs_feed_entry>");

    @TempDir Path dir;

    @Test
    void anEncounterAppliedAgainAfterHqSavedItIsStillOneForm() {
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator hq = new CommCareSimulator(0);
             StateStore store = StateStore.open("jdbc:h2:file:" + dir.resolve("state"), "", "", null, "commcare-openmrs")) {
            String patient = openmrs.registerPatient("Replay", "Encounter", "F", LocalDate.of(1991, 4, 5), "RE-1");
            poll(sync(openmrs, hq, store, Map.of()));
            openmrs.recordEncounter(patient, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, OffsetDateTime.now(ZoneOffset.UTC).minusDays(1).withNano(0),
                    Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 61));
            String encounterEntry = openmrs.feedEntryIds("encounter").get(0);

            // HQ saves the encounter's form but its answer comes after the read timeout: the entry is parked
            hq.slowNext("POST", "/a/" + CommCareSimulator.DOMAIN + "/receiver/.*", 2000);
            poll(sync(openmrs, hq, store, Map.of("http.readTimeoutMs", "700")));
            assertThat(store.failedEvents().count("encounter")).isEqualTo(1);
            assertThat(formsOf(hq, encounterEntry)).isEqualTo(1);

            // retried (due at once): the case holds the values already, and the encounter stays one form
            poll(sync(openmrs, hq, store, Map.of()));
            assertThat(store.failedEvents().count("encounter")).isZero();
            assertThat(formsOf(hq, encounterEntry)).isEqualTo(1);
            assertThat(hq.casesByExternalId(patient)).hasSize(1);
            assertThat(Double.parseDouble(hq.casesByExternalId(patient).get(0).property("last_weight"))).isEqualTo(61.0);
        }
    }

    static FeedSync sync(OpenMrsSimulator openmrs, CommCareSimulator hq, StateStore store, Map<String, String> extra) {
        Map<String, String> m = new HashMap<>(Map.of("openmrs.url", openmrs.baseUrl(), "openmrs.user", OpenMrsSimulator.USER,
                "openmrs.password", OpenMrsSimulator.PASSWORD, "commcare.url", hq.baseUrl(), "commcare.domain", CommCareSimulator.DOMAIN,
                "commcare.user", CommCareSimulator.USER, "commcare.apiKey", CommCareSimulator.API_KEY, "feeds.mapping", MAPPING.toString(),
                "feeds.retry.baseSeconds", "0"));
        m.putAll(extra);
        Settings s = Settings.of(m);
        return FeedSync.create(s, RecordingHttpClient.create(s), store, Clock.systemUTC());
    }

    static MediatorResponse poll(FeedSync sync) { return sync.handle(null, new TransactionContext("poll")); }

    /** Accepted forms that carry this feed entry id. */
    static long formsOf(CommCareSimulator hq, String entryId) {
        List<SubmittedForm> forms = hq.submittedForms();
        return forms.stream().filter(f -> f.xml() != null).filter(f -> {
            Matcher m = ENTRY.matcher(f.xml());
            return m.find() && m.group(1).equals(entryId);
        }).count();
    }
}
