package org.chis.mediator.commcareopenmrs.tracing;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.RequestHandler;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.fhir.FhirClient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.mediator.commcareopenmrs.cht.ChtClient;
import org.chis.mediator.commcareopenmrs.feeds.FeedSync;
import org.chis.mediator.commcareopenmrs.forms.SourceIntake;
import org.chis.mediator.commcareopenmrs.opensrp.OpenSrpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lost-to-follow-up tracing: {@code GET|POST /tracing/poll} (polling channel "OpenMRS LTFU -> trace tasks") turns
 * patients who missed a visit or refill ({@code tracing.json}) into trace tasks in CommCare (cases) and/or CHT
 * (reports). The CHW's trace outcome comes back through the forms workflow: a CommCare form on
 * {@code POST /commcare/forms} ({@code forms/trace-outcome.json}) or a CHT report on {@code POST /cht/reports}
 * ({@code forms/cht-trace-outcome.json}).
 */
public final class Tracing {
    private static final Logger log = LoggerFactory.getLogger(Tracing.class);
    public static final String POLL_PATH = "/tracing/poll";
    public static final String OPENSRP_OUTCOMES_PATH = "/tracing/opensrp/outcomes";

    private Tracing() {}

    public static void install(MediatorApp app, StateStore store, SourceIntake intake) {
        Settings s = app.settings();
        if (!s.getBool("tracing.enabled", false)) {
            RequestHandler off = (req, tx) -> MediatorResponse.completed(Json.object().put("message",
                    "tracing.enabled=false: no trace tasks are made (set the encounter types in tracing.json, then enable)"));
            app.route("GET", POLL_PATH, off).route("POST", POLL_PATH, off)
                    .route("GET", OPENSRP_OUTCOMES_PATH, off).route("POST", OPENSRP_OUTCOMES_PATH, off);
            log.info("tracing.enabled=false: OpenMRS LTFU -> trace tasks is off");
            return;
        }
        TracingRules rules = TracingRules.load(s.file("tracing.rules", "tracing.json"));
        TracePoll poll = create(s, app, store, rules, Clock.systemUTC());
        app.route("GET", POLL_PATH, poll::handle).route("POST", POLL_PATH, poll::handle);
        RequestHandler outcomes = (req, tx) -> MediatorResponse.completed(Json.object().put("message",
                "opensrp is not in tracing.targets: no OpenSRP trace tasks to read outcomes from"));
        if (targets(s).contains("opensrp")) {
            outcomes = new TaskOutcomePull(new OpenSrpClient(app.http(), s), intake, store, rules.opensrp(), Clock.systemUTC())::handle;
        }
        app.route("GET", OPENSRP_OUTCOMES_PATH, outcomes).route("POST", OPENSRP_OUTCOMES_PATH, outcomes);
    }

    private static List<String> targets(Settings s) { return FeedSync.list(s.get("tracing.targets", "commcare")); }

    static TracePoll create(Settings s, MediatorApp app, StateStore store, TracingRules rules, Clock clock) {
        int max = s.getInt("tracing.maxCandidates", 10_000);
        List<TraceTarget> targets = new ArrayList<>();
        for (String t : targets(s)) {
            switch (t) {
                case "commcare" -> targets.add(new CommCareTraces(CommCareClient.fromSettings(app.http(), s), rules, max));
                case "cht" -> targets.add(new ChtTraces(new ChtClient(app.http(), s), store.idMap(), rules, max));
                case "opensrp" -> {
                    if (rules.opensrp().groupIdentifier() == null) {
                        throw new ConfigException("tracing.targets has opensrp: set opensrp.groupIdentifier in " + s.get("tracing.rules", "tracing.json")
                                + " (the location whose CHWs sync the trace tasks)");
                    }
                    s.require("opensrp.url");
                    targets.add(new OpenSrpTraces(new OpenSrpClient(app.http(), s), store.idMap(), rules.opensrp(), max));
                }
                default -> throw new ConfigException("tracing.targets: unknown target '" + t + "' (commcare, cht, opensrp)");
            }
        }
        if (targets.isEmpty()) throw new ConfigException("tracing.targets: name at least one of commcare, cht, opensrp when tracing.enabled=true");
        OpenMrsClient openmrs = OpenMrsClient.fromSettings(app.http(), s);
        // only an appointment-noshow rule needs the FHIR server (fhir.url): without one, fhir.* may stay unset
        NoShows noShows = rules.readsAppointments() ? new NoShows(FhirClient.fromSettings(app.http(), s), openmrs, rules.rules()) : null;
        return new TracePoll(targets, openmrs, noShows, store.ledger(), rules, clock,
                Duration.ofSeconds(s.getLong("tracing.leaseSeconds", 120)));
    }
}
