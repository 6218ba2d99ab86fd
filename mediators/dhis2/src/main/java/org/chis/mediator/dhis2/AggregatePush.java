package org.chis.mediator.dhis2;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.dhis2.DataValue;
import org.chis.common.systems.dhis2.DataValueSetBody;
import org.chis.common.systems.dhis2.Dhis2Client;
import org.chis.common.systems.dhis2.ImportSummary;

/**
 * Sends a stream of data values to {@code /api/dataValueSets} in chunks and adds up what DHIS2 answered. Only
 * one chunk is held at a time, so memory stays flat whatever the report's size. Conflicts are kept (up to
 * {@value #MAX_LISTED}, the rest counted) with the value's position in the whole report, not in its chunk.
 */
final class AggregatePush {
    static final int MAX_LISTED = 200;

    private final Dhis2Client dhis2;
    private final TransactionContext tx;
    private final DataSetMap map;
    private final boolean dryRun;
    private final int chunkSize;
    private List<DataValue> chunk;
    private long sent, imported, updated, ignored, deleted, conflictCount, skippedRows;
    private int chunks, rejectedChunks;
    private final List<String> conflicts = new ArrayList<>();

    AggregatePush(Dhis2Client dhis2, TransactionContext tx, DataSetMap map, boolean dryRun, int chunkSize) {
        this.dhis2 = dhis2;
        this.tx = tx;
        this.map = map;
        this.dryRun = dryRun;
        this.chunkSize = chunkSize;
        this.chunk = new ArrayList<>(chunkSize);
    }

    void add(DataValue v) {
        chunk.add(v);
        if (chunk.size() >= chunkSize) flush();
    }

    /** A row we could not map (pulled reports, where rows are only seen once): reported like a DHIS2 conflict. */
    void rowProblem(String message) {
        skippedRows++;
        conflictCount++;
        if (conflicts.size() < MAX_LISTED) conflicts.add(message);
    }

    void flush() {
        if (chunk.isEmpty()) return;
        long offset = sent;
        List<DataValue> values = chunk;
        chunk = new ArrayList<>(chunkSize);
        chunks++;
        DataValueSetBody body = new DataValueSetBody(map.dataSet(), null, null, map.attributeOptionCombo(), null, values);
        ImportSummary s = dhis2.postDataValueSet(tx, "dataValueSets " + map.report() + " chunk " + chunks
                + " (values " + (offset + 1) + "-" + (offset + values.size()) + ")", body, dryRun, null);
        sent += values.size();
        imported += s.imported();
        updated += s.updated();
        ignored += s.ignored();
        deleted += s.deleted();
        if (s.rejectedAll()) rejectedChunks++;
        if (s.conflicts().isEmpty() && s.status().equals("ERROR")) {
            conflictCount++;
            if (conflicts.size() < MAX_LISTED) conflicts.add("chunk " + chunks + ": " + (s.description() == null ? "rejected" : s.description()));
        }
        for (ImportSummary.Conflict c : s.conflicts()) {
            conflictCount += Math.max(1, c.indexes().size());
            if (conflicts.size() >= MAX_LISTED) continue;
            String where = c.indexes().isEmpty() ? "chunk " + chunks
                    : "value" + (c.indexes().size() > 1 ? "s " : " ") + positions(c.indexes(), offset);
            conflicts.add(where + ": " + c.text());
        }
    }

    private static String positions(List<Integer> indexes, long offset) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < indexes.size(); i++) {
            if (i == 10) {
                sb.append(" and ").append(indexes.size() - 10).append(" more");
                break;
            }
            if (i > 0) sb.append(", ");
            sb.append('#').append(offset + indexes.get(i) + 1);
        }
        return sb.toString();
    }

    long sent() { return sent + chunk.size(); }

    /**
     * The OpenHIM answer: Successful when DHIS2 took every value; Completed with error(s) when some were taken and
     * some not (each conflict listed); Failed when nothing was taken although values were sent or rows were bad.
     */
    MediatorResponse outcome(long rows) {
        tx.property("dhis2.report", map.report());
        tx.property("dhis2.dataSet", map.dataSet());
        tx.property("dhis2.dryRun", dryRun);
        tx.property("dhis2.rows", rows);
        tx.property("dhis2.values", sent);
        tx.property("dhis2.chunks", chunks);
        tx.property("dhis2.imported", imported);
        tx.property("dhis2.updated", updated);
        tx.property("dhis2.ignored", ignored);
        tx.property("dhis2.deleted", deleted);
        tx.property("dhis2.conflicts", conflictCount);
        ObjectNode body = Json.object();
        body.put("report", map.report()).put("dataSet", map.dataSet()).put("dryRun", dryRun).put("rows", rows).put("values", sent)
                .put("chunks", chunks);
        body.putObject("importCount").put("imported", imported).put("updated", updated).put("ignored", ignored).put("deleted", deleted);
        body.put("skippedRows", skippedRows);
        body.put("conflictCount", conflictCount);
        ArrayNode list = body.putArray("conflicts");
        conflicts.forEach(list::add);
        if (conflictCount > conflicts.size()) body.put("conflictsNotListed", conflictCount - conflicts.size());
        long written = imported + updated + deleted;
        MediatorStatus status;
        int http;
        if (conflictCount == 0 && ignored == 0) {
            status = MediatorStatus.SUCCESSFUL;
            http = 200;
        } else if (written > 0 || (dryRun && sent > ignored)) {
            status = MediatorStatus.COMPLETED_WITH_ERRORS;
            http = 200;
        } else {
            status = MediatorStatus.FAILED;
            http = 409;
            body.put("error", "DHIS2 took none of the " + sent + " values" + (skippedRows > 0 ? " (" + skippedRows + " rows could not be mapped)" : "")
                    + (conflicts.isEmpty() ? "" : ": " + conflicts.get(0)));
        }
        body.put("status", status.label());
        return MediatorResponse.json(status, http, body);
    }
}
