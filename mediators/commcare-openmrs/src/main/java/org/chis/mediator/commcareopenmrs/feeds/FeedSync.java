package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorServer;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.openhim.RequestHandler;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.openmrs.AtomFeedReader;
import org.chis.common.systems.openmrs.FeedPageMissingException;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.work.Idempotent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenMRS atom feeds -> CommCare cases: {@code GET|POST /openmrs/feeds/poll} runs one bounded batch (see {@link FeedPoll}).
 * Called by the OpenHIM polling channel "OpenMRS feeds -> CommCare", so every poll is an audited transaction.
 * Answers: Successful (something written), Completed (nothing new, or another poll is running), Completed with
 * error(s) (some entries parked for retry), Failed 503 (circuit breaker open, lost marker, upstream down).
 */
public final class FeedSync {
    private static final Logger log = LoggerFactory.getLogger(FeedSync.class);
    public static final String PATH = "/openmrs/feeds/poll";

    private final FeedPoll poll;
    private final BulkImport bulkImport;

    FeedSync(FeedPoll poll, BulkImport bulkImport) {
        this.poll = poll;
        this.bulkImport = bulkImport;
    }

    /** The initial import of an OpenMRS cohort through this feed's target ({@code POST /openmrs/feeds/import}). */
    BulkImport bulkImport() { return bulkImport; }

    /** Reads the feed settings and mapping (failing start-up on a bad one) and installs the route. */
    public static FeedSync install(MediatorApp app, StateStore store) {
        if (!app.settings().getBool("feeds.enabled", true)) {
            // the channel may still call: answer, so core's log shows why nothing happens
            RequestHandler off = (req, tx) -> MediatorResponse.completed(Json.object().put("message", "feeds.enabled=false: OpenMRS feeds are not read"));
            app.route("GET", PATH, off).route("POST", PATH, off).route("GET", BulkImport.PATH, off).route("POST", BulkImport.PATH, off);
            log.info("feeds.enabled=false: OpenMRS feeds -> CommCare is off");
            return null;
        }
        FeedSync sync = create(app.settings(), app.http(), store, Clock.systemUTC());
        // core's polling channel sends GET; a person or script triggering a poll by hand POSTs
        app.route("GET", PATH, sync::handle).route("POST", PATH, sync::handle);
        app.route("GET", BulkImport.PATH, sync.bulkImport::handle).route("POST", BulkImport.PATH, MediatorServer.JSON, sync.bulkImport::handle);
        return sync;
    }

    static FeedSync create(Settings s, RecordingHttpClient http, StateStore store, Clock clock) {
        FeedMapping mapping = FeedMapping.load(s.file("feeds.mapping", "feeds.json"));
        List<String> feeds = list(s.get("feeds.categories", "patient,encounter"));
        for (String f : feeds) {
            if (!f.equals("patient") && !f.equals("encounter")) throw new ConfigException("feeds.categories: unknown feed '" + f + "' (patient, encounter)");
        }
        FeedLimits limits = limits(s, "feeds.start");
        OpenMrsClient openmrs = OpenMrsClient.fromSettings(http, s);
        EntryApplier applier = new EntryApplier(openmrs, CommCareClient.fromSettings(http, s), mapping,
                store.idMap(), list(s.get("feeds.echo.encounterNamespaces", "form->encounter")), list(s.get("feeds.echo.patientNamespaces", "")),
                list(s.get("feeds.echo.createdPatientNamespaces", "form->patient")));
        BulkImport bulk = new BulkImport(openmrs, applier, store, new BulkImport.Limits(positive(s, "feeds.import.pageSize", 50),
                Duration.ofSeconds(positive(s, "feeds.import.maxSeconds", 45)), s.get("feeds.import.cohort", ""), limits.lease()), clock);
        return new FeedSync(new FeedPoll(AtomFeedReader.fromSettings(http, s), applier, store, feeds, limits, clock,
                positive(s, "feeds.parallelism", 16), positive(s, "feeds.readAheadPages", 8)), bulk);
    }

    /**
     * The same poll of the OpenMRS feeds for another target (CHT): this mediator's {@code feeds.*} limits, the
     * target's own categories and start key, its own markers and ledger keys ({@link FeedTarget#statePrefix}).
     */
    public static FeedSync forTarget(Settings s, RecordingHttpClient http, StateStore store, FeedTarget target,
                                     List<String> categories, String startKey) {
        for (String f : categories) {
            if (!f.equals("patient") && !f.equals("encounter")) throw new ConfigException("unknown feed '" + f + "' (patient, encounter)");
        }
        return new FeedSync(new FeedPoll(AtomFeedReader.fromSettings(http, s), target, store, categories, limits(s, startKey), Clock.systemUTC(),
                positive(s, "feeds.parallelism", 16), positive(s, "feeds.readAheadPages", 8)), null);
    }

    private static FeedLimits limits(Settings s, String startKey) {
        String start = s.get(startKey, "beginning");
        if (!start.equals("beginning") && !start.equals("recent")) throw new ConfigException(startKey + " must be 'beginning' or 'recent', got '" + start + "'");
        return new FeedLimits(positive(s, "feeds.batchSize", 100), positive(s, "feeds.maxFailedEvents", 20),
                Duration.ofSeconds(s.getLong("feeds.retry.baseSeconds", 60)), Duration.ofSeconds(s.getLong("feeds.retry.maxSeconds", 86_400)),
                start.equals("beginning"), Duration.ofSeconds(s.getLong("feeds.leaseSeconds", 120)));
    }

    public MediatorResponse handle(MediatorRequest req, TransactionContext tx) {
        PollReport r;
        try {
            r = poll.run(tx);
        } catch (FeedPageMissingException e) {
            return MediatorResponse.failed(503, e.getMessage() + " The marker is kept; an operator decides where to restart (feed_marker table).");
        } catch (Idempotent.HeldElsewhere e) {
            // the polling channel's next poll is its retry; core's console shows why this one did not go on
            return Idempotent.busy("feed poll stopped, nothing skipped, marker kept: " + e.getMessage(), Idempotent.RETRY_AFTER);
        } catch (UpstreamException e) {
            log.warn("feed poll stopped: {}", e.getMessage());
            return MediatorResponse.failed(502, "feed poll stopped, nothing skipped, marker kept: " + e.getMessage());
        }
        ObjectNode body = r.json;
        tx.property("applied", r.applied).property("failed", r.failed);
        if (r.busy) return MediatorResponse.completed(body.put("message", "another poll is running; this one did nothing"));
        if (r.stopped != null) {
            body.put("error", r.stopped);
            return MediatorResponse.json(MediatorStatus.FAILED, 503, body);
        }
        if (r.failed > 0) return MediatorResponse.json(MediatorStatus.COMPLETED_WITH_ERRORS, 200, body);
        if (r.applied > 0) return MediatorResponse.successful(body);
        return MediatorResponse.completed(body);
    }

    public static List<String> list(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    private static int positive(Settings s, String key, int fallback) {
        int v = s.getInt(key, fallback);
        if (v < 1) throw new ConfigException(key + " must be at least 1, got " + v);
        return v;
    }
}
