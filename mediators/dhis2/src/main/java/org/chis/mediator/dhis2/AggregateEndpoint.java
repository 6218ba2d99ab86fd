package org.chis.mediator.dhis2;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.dhis2.DataValue;
import org.chis.common.systems.dhis2.Dhis2Client;
import org.chis.common.systems.dhis2.Period;

/**
 * Aggregate reports to DHIS2. {@code POST /dhis2/aggregate} takes a report in the body; it is checked in full
 * first (a bad row is a 400 and nothing is sent), then streamed to DHIS2 in chunks. {@code GET /dhis2/aggregate/pull}
 * (an OpenHIM polling channel) streams the report at {@code aggregate.source.url} straight into DHIS2: rows are
 * seen once, so a row that cannot be mapped is reported as a conflict instead. Both take {@code ?dryRun=true}.
 * Sending again is safe: DHIS2 keys a value by data element, period, org unit and combos, so a rerun updates.
 */
final class AggregateEndpoint {
    private static final int MAX_PROBLEMS = 20;

    private final Dhis2Client dhis2;
    private final RecordingHttpClient http;
    private final Settings settings;
    /** {@code aggregate.source.url} with Bearer {@code aggregate.source.token}; empty while no source is set. */
    private final Supplier<Optional<Endpoint>> source;
    private final DataSetMaps maps;

    AggregateEndpoint(Dhis2Client dhis2, RecordingHttpClient http, Settings settings, DataSetMaps maps) {
        this.dhis2 = dhis2;
        this.http = http;
        this.settings = settings;
        this.source = settings.derived(s -> s.find("aggregate.source.url").map(url -> {
            HttpUrl parsed = HttpUrl.parse(url);
            if (parsed == null) throw new ConfigException("aggregate.source.url '" + url + "' is not an http(s) URL");
            return new Endpoint(parsed, s.find("aggregate.source.token").map(t -> "Bearer " + t).orElse(null));
        }), "aggregate.source.url", "aggregate.source.token");
        this.maps = maps;
    }

    MediatorResponse push(MediatorRequest request, TransactionContext tx) {
        if (request.body() == null || request.body().isBlank()) throw new BadInputException("request body is empty: a report (JSON) is expected");
        byte[] body = request.body().getBytes(StandardCharsets.UTF_8);
        ReportStream.Header defaults = new ReportStream.Header(request.query().get("report"), request.query().get("period"), request.query().get("date"));
        // first pass: every row must map, or nothing is sent
        List<String> problems = new ArrayList<>();
        long[] values = {0};
        ReportStream.read(new ByteArrayInputStream(body), defaults, new ReportStream.Listener() {
            DataSetMap map;
            Period period;

            @Override
            public void start(ReportStream.Header h) {
                map = maps.get(h.report());
                period = reportPeriod(map, h);
            }

            @Override
            public void row(long number, Map<String, String> row) {
                try {
                    values[0] += map.values(row, period, number).size();
                } catch (DataSetMap.RowProblem e) {
                    if (problems.size() < MAX_PROBLEMS) problems.add(e.getMessage());
                    else if (problems.size() == MAX_PROBLEMS) problems.add("...");
                }
            }
        });
        if (!problems.isEmpty()) throw new BadInputException("the report has rows that cannot be sent (nothing was sent): " + String.join("; ", problems));
        if (values[0] == 0) throw new BadInputException("the report has no values to send (no rows, or every mapped column is blank)");
        return send(new ByteArrayInputStream(body), defaults, dryRun(request), tx);
    }

    MediatorResponse pull(MediatorRequest request, TransactionContext tx) {
        // the shipped default installs the daily pull channel with no source: each poll would be a Failed 500
        Endpoint source = this.source.get().orElse(null);
        if (source == null) {
            tx.property("pull", "not configured");
            return MediatorResponse.completed(Json.object().put("message", "aggregate.source.url is not set: nothing pulled."
                    + " Set it (mediator.properties, AGGREGATE_SOURCE_URL or the console) to pull a report, or disable the"
                    + " 'DHIS2 aggregate pull' channel"));
        }
        HttpUrl url = source.base();
        Request.Builder get = new Request.Builder().url(url).get().header("Accept", "application/json");
        if (source.authorization() != null) get.header("Authorization", source.authorization());
        ReportStream.Header defaults = new ReportStream.Header(settings.find("aggregate.source.report").orElse(request.query().get("report")),
                request.query().get("period"), request.query().get("date"));
        boolean dryRun = dryRun(request) || settings.getBool("aggregate.dryRun", false);
        return http.stream(tx, "Report source: read " + url.host() + url.encodedPath(), get.build(), (status, headers, in) -> send(in, defaults, dryRun, tx));
    }

    private MediatorResponse send(InputStream in, ReportStream.Header defaults, boolean dryRun, TransactionContext tx) {
        int chunkSize = Math.max(1, settings.getInt("aggregate.chunkSize", 5000));
        AggregatePush[] push = {null};
        long rows;
        try {
            rows = ReportStream.read(in, defaults, new ReportStream.Listener() {
                DataSetMap map;
                Period period;

                @Override
                public void start(ReportStream.Header h) {
                    map = maps.get(h.report());
                    period = reportPeriod(map, h);
                    push[0] = new AggregatePush(dhis2, tx, map, dryRun, chunkSize);
                }

                @Override
                public void row(long number, Map<String, String> row) {
                    try {
                        for (DataValue v : map.values(row, period, number)) push[0].add(v);
                    } catch (DataSetMap.RowProblem e) {
                        push[0].rowProblem(e.getMessage());
                    }
                }
            });
            push[0].flush();
        } catch (UpstreamException e) {
            long sent = push[0] == null ? 0 : push[0].sent();
            throw new UpstreamException(e.getMessage() + (sent > 0 ? " (after " + sent + " values were handed to DHIS2; sending the report again"
                    + " updates those, it does not duplicate them)" : ""), e.status(), e);
        } catch (BadInputException e) {
            if (push[0] == null || push[0].sent() == 0) throw e;
            // a malformed row deep in a pulled report: what went before is in DHIS2, say so
            push[0].rowProblem("report stopped: " + e.getMessage());
            return push[0].outcome(-1);
        }
        return push[0].outcome(rows);
    }

    private static Period reportPeriod(DataSetMap map, ReportStream.Header h) {
        try {
            return map.reportPeriod(h.period(), h.date(), h.fields());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    private static boolean dryRun(MediatorRequest r) { return "true".equalsIgnoreCase(r.query().get("dryRun")); }
}
