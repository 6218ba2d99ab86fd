package org.chis.mediator.commcareopenmrs.opensrp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.StateStore;
import org.chis.mediator.commcareopenmrs.forms.SourceIntake;
import org.chis.common.work.OneAtATime;

/**
 * One poll of OpenSRP's event sync: pages of events after the marker (the last serverVersion handled), each through
 * the same intake as a POSTed event, the marker moved past each event as soon as it is done (a restart re-reads
 * nothing that was done and skips nothing that was not). An event that fails stops the poll with the marker before
 * it: the next poll tries it again. Events of a type no mapping file takes are passed over.
 */
final class EventPull {
    /** Marker: the serverVersion of the last event handled. */
    static final String FEED = "opensrp:events";
    private static final String LOCK = "opensrp:events/pull";

    record Limits(int pageSize, int maxPages, long startServerVersion) {}

    private final OpenSrpClient opensrp;
    private final SourceIntake intake;
    private final StateStore store;
    private final Map<String, String> filters;
    private final Limits limits;
    // one poll at a time, in this process and across replicas
    private final OneAtATime oneAtATime;

    EventPull(OpenSrpClient opensrp, SourceIntake intake, StateStore store, Map<String, String> filters, Limits limits) {
        this.opensrp = opensrp;
        this.intake = intake;
        this.store = store;
        this.filters = filters;
        this.limits = limits;
        this.oneAtATime = new OneAtATime(store);
    }

    MediatorResponse handle(MediatorRequest req, TransactionContext tx) {
        return oneAtATime.run(LOCK, () -> poll(tx)).orElseGet(EventPull::busy);
    }

    private static MediatorResponse busy() {
        return MediatorResponse.completed(Json.object().put("busy", true).put("message", "another OpenSRP pull is running; nothing read"));
    }

    private MediatorResponse poll(TransactionContext tx) {
        long marker = store.feedMarkers().get(FEED).map(Long::parseLong).orElse(limits.startServerVersion());
        ObjectNode report = Json.object().put("from", marker);
        int pulled = 0, written = 0, unchanged = 0;
        ObjectNode passedOver = Json.object();
        boolean more = false;
        for (int page = 0; page < limits.maxPages(); page++) {
            JsonNode sync;
            try {
                sync = opensrp.eventSync(tx, filters, marker, limits.pageSize());
            } catch (UpstreamException e) {
                return stopped(report, marker, pulled, written, unchanged, passedOver, e.status(), e.getMessage(), null);
            }
            JsonNode events = sync.get("events");
            for (JsonNode event : events) {
                long version = event.path("serverVersion").asLong(-1);
                if (version <= marker) {
                    // the server answers only what comes after serverVersion; anything else would move the marker back
                    return stopped(report, marker, pulled, written, unchanged, passedOver, 502,
                            "OpenSRP: event sync answered an event with serverVersion " + event.path("serverVersion") + " (not after " + marker + ")", event);
                }
                pulled++;
                String type = event.path("eventType").asText("");
                if (!intake.mapsOpenSrp(type)) {
                    passedOver.put(type, passedOver.path(type).asInt(0) + 1);
                } else {
                    MediatorResponse r;
                    try {
                        r = intake.openSrp(tx, event, sync.path("clients"));
                    } catch (BadInputException e) {
                        return stopped(report, marker, pulled - 1, written, unchanged, passedOver, e.status(), e.getMessage(), event);
                    } catch (UpstreamException e) {
                        return stopped(report, marker, pulled - 1, written, unchanged, passedOver, e.status(), e.getMessage(), event);
                    } catch (Exception e) {
                        return stopped(report, marker, pulled - 1, written, unchanged, passedOver, 500, "internal error: " + e.getMessage(), event);
                    }
                    if (r.status() == MediatorStatus.FAILED) {
                        String error = Json.parse(r.body()).path("error").asText(r.body());
                        return stopped(report, marker, pulled - 1, written, unchanged, passedOver, r.httpStatus(), error, event);
                    }
                    if (r.status() == MediatorStatus.SUCCESSFUL) written++;
                    else unchanged++;
                }
                long done = version;
                store.inTransaction(c -> {
                    store.feedMarkers().advance(c, FEED, Long.toString(done));
                    return null;
                });
                marker = version;
            }
            more = events.size() >= limits.pageSize();
            if (!more) break;
        }
        fill(report, marker, pulled, written, unchanged, passedOver).put("more", more);
        tx.property("pulled", pulled).property("written", written);
        return MediatorResponse.json(written > 0 ? MediatorStatus.SUCCESSFUL : MediatorStatus.COMPLETED, 200, report);
    }

    /** The poll ends at a failed event (or OpenSRP's failure): Failed, the marker stays before it. */
    private static MediatorResponse stopped(ObjectNode report, long marker, int pulled, int written, int unchanged, ObjectNode passedOver,
                                            int status, String error, JsonNode event) {
        fill(report, marker, pulled, written, unchanged, passedOver).put("more", true);
        if (event != null) {
            report.putObject("failedEvent").put("formSubmissionId", event.path("formSubmissionId").asText(null))
                    .put("eventType", event.path("eventType").asText(null)).set("serverVersion", event.path("serverVersion"));
        }
        report.put("error", error + "; the marker stays before this event, the next poll tries it again");
        return MediatorResponse.json(MediatorStatus.FAILED, status >= 400 ? status : 502, report);
    }

    private static ObjectNode fill(ObjectNode report, long marker, int pulled, int written, int unchanged, ObjectNode passedOver) {
        report.put("serverVersion", marker).put("pulled", pulled).put("written", written).put("unchanged", unchanged);
        report.set("passedOver", passedOver);
        return report;
    }
}
