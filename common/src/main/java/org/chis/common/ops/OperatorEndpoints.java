package org.chis.common.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.metrics.MediatorMetrics;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorServer;
import org.chis.common.store.FailedEvent;
import org.chis.common.store.StateStore;

/**
 * The operator endpoints every mediator with a state store serves under {@code /ops/<mediator>/}, routed through
 * its default channel "operator tools" (role {@code chis-ops} or {@code admin}) so core audits who did what.
 * Lists answer Completed, actions Successful; an unknown id or feed is 404, bad input 400, a claim no longer in
 * progress 409. Also feeds the store's gauges into the mediator's metrics.
 */
public final class OperatorEndpoints {
    private static final int LIST_LIMIT = 500;

    private final OperatorActions ops;
    private final String prefix;
    private final int parkedLimit;
    private final Duration stuckAfter;
    private final Clock clock;

    private OperatorEndpoints(OperatorActions ops, String prefix, Settings settings, Clock clock) {
        this.ops = ops;
        this.prefix = prefix;
        // the feeds' circuit breaker cap (commcare-openmrs' feeds.maxFailedEvents): a feed holding this many parked entries stops
        this.parkedLimit = settings.getInt("feeds.maxFailedEvents", 20);
        this.stuckAfter = Duration.ofMinutes(settings.getLong("ops.stuckClaimMinutes", 15));
        this.clock = clock;
    }

    /** Installs the routes on {@code server} and the store's gauges on {@code metrics}. */
    public static void mount(MediatorServer server, MediatorMetrics metrics, String mediatorName, Settings settings, StateStore store) {
        Clock clock = Clock.systemUTC();
        OperatorEndpoints e = new OperatorEndpoints(new OperatorActions(store, clock), "/ops/" + mediatorName, settings, clock);
        String p = Pattern.quote(e.prefix);
        server.route("GET", p + "/?", (req, tx) -> MediatorResponse.completed(e.summary()));
        server.route("GET", p + "/failed-events", (req, tx) -> MediatorResponse.completed(e.failedEvents(req)));
        server.route("GET", p + "/failed-events/[^/]+", (req, tx) -> MediatorResponse.completed(e.failedEvent(req)));
        server.route("POST", p + "/failed-events/[^/]+/retry", MediatorServer.JSON, (req, tx) -> MediatorResponse.successful(e.retry(req)));
        server.route("POST", p + "/failed-events/[^/]+/skip", MediatorServer.JSON, (req, tx) -> MediatorResponse.successful(e.skip(req)));
        server.route("GET", p + "/markers", (req, tx) -> MediatorResponse.completed(e.markers()));
        server.route("POST", p + "/markers/reset", MediatorServer.JSON, (req, tx) -> MediatorResponse.successful(e.resetMarker(req)));
        server.route("GET", p + "/claims", (req, tx) -> MediatorResponse.completed(e.claims(req)));
        server.route("POST", p + "/claims/release", MediatorServer.JSON, (req, tx) -> MediatorResponse.successful(e.release(req)));
        server.route("GET", p + "/audit", (req, tx) -> MediatorResponse.completed(e.audit()));
        e.gauges(metrics);
    }

    ObjectNode summary() {
        ObjectNode out = Json.object();
        out.set("feeds", feedsJson());
        out.put("stuckClaims", ops.stuckClaims(stuckAfter, LIST_LIMIT).size()).put("stuckAfterMinutes", stuckAfter.toMinutes());
        ArrayNode links = out.putArray("endpoints");
        for (String l : List.of("GET failed-events[?feed=]", "GET failed-events/{id}", "POST failed-events/{id}/retry",
                "POST failed-events/{id}/skip {by, reason}", "GET markers", "POST markers/reset {feed, marker, by, reason}",
                "GET claims[?olderThanMinutes=]", "POST claims/release {key, by, reason}", "GET audit")) links.add(prefix + "/" + l);
        return out;
    }

    private ArrayNode feedsJson() {
        ArrayNode feeds = Json.array();
        Instant now = clock.instant();
        for (OperatorActions.Feed f : ops.feeds()) {
            ObjectNode o = feeds.addObject().put("feed", f.feed()).put("parked", f.parked()).put("parkedLimit", parkedLimit)
                    .put("stopped", f.parked() >= parkedLimit).put("marker", f.marker());
            if (f.markerUpdatedAt() != null) {
                o.put("markerUpdatedAt", f.markerUpdatedAt().toString()).put("markerAgeSeconds", Duration.between(f.markerUpdatedAt(), now).toSeconds());
            }
        }
        return feeds;
    }

    ObjectNode failedEvents(MediatorRequest req) {
        String feed = req.query().get("feed");
        int limit = intParam(req, "limit", LIST_LIMIT);
        ArrayNode list = Json.array();
        for (FailedEvent ev : ops.failedEvents(feed == null || feed.isBlank() ? null : feed, limit)) list.add(OperatorActions.eventJson(ev, false));
        ObjectNode out = Json.object();
        out.set("feeds", feedsJson());
        out.set("failedEvents", list);
        return out;
    }

    ObjectNode failedEvent(MediatorRequest req) {
        return OperatorActions.eventJson(ops.failedEvent(id(req)).orElseThrow(() -> unknownEvent(req)), true);
    }

    ObjectNode retry(MediatorRequest req) {
        long id = id(req);
        OperatorActions.Actor actor = actor(req, false);
        FailedEvent ev = ops.retry(id, actor).orElseThrow(() -> unknownEvent(req));
        ObjectNode out = Json.object().put("action", "retry").put("message", "parked entry " + id + " is due now: the next poll of feed "
                + ev.feed() + " retries it (after older parked entries of the same subject)");
        out.set("failedEvent", OperatorActions.eventJson(ev, false));
        return out;
    }

    ObjectNode skip(MediatorRequest req) {
        long id = id(req);
        OperatorActions.Actor actor = actor(req, true);
        FailedEvent ev = ops.skip(id, actor).orElseThrow(() -> unknownEvent(req));
        ObjectNode out = Json.object().put("action", "skip").put("message", "parked entry " + id + " of feed " + ev.feed()
                + " skipped by " + actor.by() + "; its payload and error are kept in the audit (GET " + prefix + "/audit)");
        out.set("skipped", OperatorActions.eventJson(ev, false));
        out.set("feeds", feedsJson());
        return out;
    }

    ObjectNode markers() {
        ObjectNode out = Json.object();
        out.set("feeds", feedsJson());
        return out;
    }

    ObjectNode resetMarker(MediatorRequest req) {
        JsonNode in = body(req);
        String feed = text(in, "feed");
        JsonNode m = in.get("marker");
        if (m == null || m.isNull() || (m.isTextual() && m.asText().isBlank()) || !(m.isTextual() || m.isObject())) {
            throw new BadInputException("field 'marker' is required: the new position, as the marker is listed by GET " + prefix + "/markers");
        }
        String marker = m.isTextual() ? m.asText() : Json.write(m);
        OperatorActions.Actor actor = actor(req, true);
        Optional<String> old = ops.resetMarker(feed, marker, actor);
        if (old.isEmpty()) throw new BadInputException(404, "no feed '" + feed + "' with a marker on this mediator (see GET " + prefix + "/markers)");
        return Json.object().put("action", "reset-marker").put("feed", feed).put("oldMarker", old.get()).put("marker", marker);
    }

    ObjectNode claims(MediatorRequest req) {
        Duration age = Duration.ofMinutes(intParam(req, "olderThanMinutes", (int) stuckAfter.toMinutes()));
        ArrayNode list = Json.array();
        for (OperatorActions.Claim c : ops.stuckClaims(age, LIST_LIMIT)) list.add(claimJson(c));
        ObjectNode out = Json.object().put("olderThanMinutes", age.toMinutes());
        out.set("claims", list);
        return out;
    }

    ObjectNode release(MediatorRequest req) {
        JsonNode in = body(req);
        String key = text(in, "key");
        OperatorActions.Actor actor = actor(req, true);
        OperatorActions.Claim c = ops.claim(key).orElseThrow(() -> new BadInputException(404, "no claim '" + key + "' in the ledger"));
        if (!c.status().equals("IN_PROGRESS") || !ops.release(c, actor)) {
            throw new BadInputException(409, "claim '" + key + "' is not in progress (any more): " + ops.claim(key).map(OperatorActions.Claim::status).orElse("gone"));
        }
        ObjectNode out = Json.object().put("action", "release-claim").put("message", "claim '" + key + "' released: the next resend or poll takes it at once");
        out.set("claim", claimJson(ops.claim(key).orElseThrow()));
        return out;
    }

    ObjectNode audit() {
        ArrayNode list = Json.array();
        ops.audit(LIST_LIMIT).forEach(list::add);
        ObjectNode out = Json.object();
        out.set("actions", list);
        return out;
    }

    /** Parked entries and marker age per feed, stuck claims: read from the store once per scrape. */
    private void gauges(MediatorMetrics metrics) {
        MultiGauge parked = MultiGauge.builder("chis.feed.parked").description("parked (failed) feed entries").register(metrics.registry());
        MultiGauge age = MultiGauge.builder("chis.feed.marker.age").baseUnit("seconds")
                .description("seconds since the feed's marker last moved (feed lag while entries are waiting)").register(metrics.registry());
        Gauge.builder("chis.feed.parked.limit", () -> parkedLimit).description("parked entries that stop a feed (feeds.maxFailedEvents)")
                .register(metrics.registry());
        AtomicInteger stuck = new AtomicInteger();
        Gauge.builder("chis.claims.stuck", stuck, AtomicInteger::get).description("claims in progress for longer than ops.stuckClaimMinutes")
                .register(metrics.registry());
        metrics.beforeScrape(() -> {
            Instant now = clock.instant();
            List<OperatorActions.Feed> feeds = ops.feeds();
            parked.register(feeds.stream().map(f -> MultiGauge.Row.of(Tags.of("feed", f.feed()), f.parked())).toList(), true);
            age.register(feeds.stream().filter(f -> f.markerUpdatedAt() != null)
                    .map(f -> MultiGauge.Row.of(Tags.of("feed", f.feed()), Duration.between(f.markerUpdatedAt(), now).toMillis() / 1000.0)).toList(), true);
            stuck.set(ops.stuckClaims(stuckAfter, LIST_LIMIT).size());
        });
    }

    private static ObjectNode claimJson(OperatorActions.Claim c) {
        return Json.object().put("key", c.key()).put("kind", c.kind()).put("status", c.status()).put("attempts", c.attempts())
                .put("leaseUntil", String.valueOf(c.leaseUntil())).put("createdAt", String.valueOf(c.createdAt()))
                .put("updatedAt", String.valueOf(c.updatedAt()));
    }

    private static final Pattern ID = Pattern.compile(".*/failed-events/([^/]+)(/[^/]+)?");

    private static long id(MediatorRequest req) {
        Matcher m = ID.matcher(req.path());
        String raw = m.matches() ? m.group(1) : "";
        try {
            return Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new BadInputException("'" + raw + "' is not a parked entry id (a number, as listed by GET failed-events)");
        }
    }

    private BadInputException unknownEvent(MediatorRequest req) {
        return new BadInputException(404, "no parked entry " + id(req) + " on this mediator (resolved or skipped already? see GET " + prefix + "/failed-events)");
    }

    private static JsonNode body(MediatorRequest req) {
        JsonNode in = req.json();
        if (!in.isObject()) throw new BadInputException("the body must be a JSON object");
        return in;
    }

    private static String text(JsonNode in, String field) {
        JsonNode v = in.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) throw new BadInputException("field '" + field + "' is required (a non-empty string)");
        return v.asText();
    }

    /** Who and why: from the body, {@code by} falling back to the OpenHIM client core authenticated. */
    private static OperatorActions.Actor actor(MediatorRequest req, boolean reasonRequired) {
        JsonNode in = req.body() == null || req.body().isBlank() ? Json.object() : body(req);
        String by = in.path("by").asText("");
        if (by.isBlank() && req.clientId() != null) by = req.clientId();
        if (by.isBlank() && !reasonRequired) by = "operator"; // a retry changes nothing but the time: core's audit names the client
        if (by.isBlank()) throw new BadInputException("field 'by' is required: who does this (kept in the audit)");
        String reason = in.path("reason").asText("");
        if (reasonRequired && reason.isBlank()) throw new BadInputException("field 'reason' is required: why (kept in the audit)");
        return new OperatorActions.Actor(by, reason);
    }

    private static int intParam(MediatorRequest req, String name, int fallback) {
        String v = req.query().get(name);
        if (v == null || v.isBlank()) return fallback;
        try {
            int n = Integer.parseInt(v);
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new BadInputException("query parameter '" + name + "' must be a whole number >= 0, not '" + v + "'");
        }
    }
}
