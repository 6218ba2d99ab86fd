package org.chis.mediator.commcareopenmrs.tracing;

import java.time.Clock;
import java.time.Duration;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.RequestHandler;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lost-to-follow-up tracing: {@code GET|POST /tracing/poll} (polling channel "OpenMRS LTFU -> trace tasks") turns
 * patients who missed a visit or refill ({@code tracing.json}) into CommCare trace cases. The CHW's trace outcome
 * comes back as a CommCare form through {@code POST /commcare/forms} (mapping {@code forms/trace-outcome.json}).
 */
public final class Tracing {
    private static final Logger log = LoggerFactory.getLogger(Tracing.class);
    public static final String POLL_PATH = "/tracing/poll";

    private Tracing() {}

    public static void install(MediatorApp app, StateStore store) {
        Settings s = app.settings();
        if (!s.getBool("tracing.enabled", false)) {
            RequestHandler off = (req, tx) -> MediatorResponse.completed(Json.object().put("message",
                    "tracing.enabled=false: no trace tasks are made (set the encounter types in tracing.json, then enable)"));
            app.route("GET", POLL_PATH, off).route("POST", POLL_PATH, off);
            log.info("tracing.enabled=false: OpenMRS LTFU -> trace tasks is off");
            return;
        }
        TracePoll poll = create(s, app, store, Clock.systemUTC());
        app.route("GET", POLL_PATH, poll::handle).route("POST", POLL_PATH, poll::handle);
    }

    static TracePoll create(Settings s, MediatorApp app, StateStore store, Clock clock) {
        TracingRules rules = TracingRules.load(s.file("tracing.rules", "tracing.json"));
        return new TracePoll(CommCareClient.fromSettings(app.http(), s), OpenMrsClient.fromSettings(app.http(), s), store.ledger(), rules, clock,
                Duration.ofSeconds(s.getLong("tracing.leaseSeconds", 120)), s.getInt("tracing.maxCandidates", 10_000));
    }
}
