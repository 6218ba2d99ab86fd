package org.chis.openhim.local;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import de.bwaldvogel.mongo.wire.message.MongoQuery;
import io.netty.channel.Channel;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A mongo-java-server backend whose replies are deep copies taken while no other command runs.
 *
 * <p>Why: the memory and H2 backends hand back the stored documents themselves, and the reply is encoded later on
 * a netty thread. When core updates a transaction (in place) while another connection's reply holding it is being
 * encoded, the encoder fails with ConcurrentModificationException and that reader never gets an answer: under load
 * core then loses a transaction's final status update. Commands are cheap in memory, so one lock costs little.
 */
final class SnapshotReplies implements MongoBackend {
    private final MongoBackend backend;
    private final Object lock = new Object();

    SnapshotReplies(MongoBackend backend) { this.backend = backend; }

    @Override public Document handleCommand(Channel channel, String database, String command, Document query) {
        synchronized (lock) { return copy(backend.handleCommand(channel, database, command, query)); }
    }

    @Override public Document handleMessage(MongoMessage message) {
        synchronized (lock) { return copy(backend.handleMessage(message)); }
    }

    @Override public QueryResult handleQuery(MongoQuery query) {
        synchronized (lock) {
            QueryResult r = backend.handleQuery(query);
            List<Document> docs = new ArrayList<>();
            for (Document d : r) docs.add(copy(d));
            return new QueryResult(docs, r.getCursorId());
        }
    }

    @Override public Collection<Document> getCurrentOperations(MongoQuery query) {
        synchronized (lock) { return backend.getCurrentOperations(query).stream().map(SnapshotReplies::copy).toList(); }
    }

    @Override public Document getServerStatus() {
        synchronized (lock) { return copy(backend.getServerStatus()); }
    }

    @Override public void handleClose(Channel channel) { synchronized (lock) { backend.handleClose(channel); } }
    @Override public void dropDatabase(String database) { synchronized (lock) { backend.dropDatabase(database); } }
    @Override public void closeCursors(List<Long> cursorIds) { synchronized (lock) { backend.closeCursors(cursorIds); } }
    @Override public void close() { backend.close(); }
    @Override public Clock getClock() { return backend.getClock(); }
    @Override public void enableOplog() { backend.enableOplog(); }
    @Override public void disableOplog() { backend.disableOplog(); }
    @Override public MongoDatabase resolveDatabase(String database) { return backend.resolveDatabase(database); }
    @Override public MongoBackend version(MongoVersion version) { backend.version(version); return this; }

    private static Document copy(Document d) { return d == null ? null : d.cloneDeeply(); }
}
