package org.chis.mediator.commcareopenmrs.feeds;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A poll killed mid-entry (kill -9) leaves that entry's ledger claim in progress with minutes of lease. Polls run one
 * at a time, so the next poll knows the claim is a dead one and takes it over at once: the entry is applied on the
 * first poll after the restart, not after feeds.leaseSeconds of failed polls.
 */
class FeedDeadClaimTest {
    static final Path MAPPING = Path.of("../../mediator-configs/commcare-openmrs/feeds.json").toAbsolutePath().normalize();

    @TempDir Path dir;

    @Test
    void anEntryClaimedByADeadPollIsAppliedByTheNextPoll() {
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator hq = new CommCareSimulator(0);
             StateStore store = StateStore.open("jdbc:h2:file:" + dir.resolve("state"), "", "", null, "commcare-openmrs")) {
            String patient = openmrs.registerPatient("Dead", "Claim", "F", LocalDate.of(1990, 1, 2), "DC-1");
            List<String> entries = openmrs.feedEntryIds("patient");
            // what the killed poll left: the entry claimed, nothing recorded, the lease (default 120 s) still running
            String key = "openmrs-feed:" + entries.get(0);
            assertThat(store.ledger().claim(key, "feed-entry", Duration.ofSeconds(120)).result()).isEqualTo(Ledger.ClaimResult.NEW);

            Settings s = Settings.of(Map.of("openmrs.url", openmrs.baseUrl(), "openmrs.user", OpenMrsSimulator.USER,
                    "openmrs.password", OpenMrsSimulator.PASSWORD, "commcare.url", hq.baseUrl(), "commcare.domain", CommCareSimulator.DOMAIN,
                    "commcare.user", CommCareSimulator.USER, "commcare.apiKey", CommCareSimulator.API_KEY, "feeds.mapping", MAPPING.toString(),
                    "feeds.categories", "patient"));
            FeedSync sync = FeedSync.create(s, RecordingHttpClient.create(s), store, Clock.systemUTC());
            MediatorResponse r = sync.handle(null, new TransactionContext("poll"));

            assertThat(r.status()).as(r.body()).isEqualTo(MediatorStatus.SUCCESSFUL);
            assertThat(hq.casesByExternalId(patient)).hasSize(1);
            Ledger.Entry e = store.ledger().find(key).orElseThrow();
            assertThat(e.status()).isEqualTo(Ledger.Status.SUCCEEDED);
            assertThat(e.attempts()).as("taken over: a second claim").isEqualTo(2);
        }
    }
}
