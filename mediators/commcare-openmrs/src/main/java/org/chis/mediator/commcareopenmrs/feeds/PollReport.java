package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import org.chis.common.json.Json;

/** What one poll did, per feed; {@code stopped} names why a feed halted (breaker, lost marker), null when healthy. */
final class PollReport {
    final ObjectNode json = Json.object();
    int applied;
    int failed;
    String stopped;
    boolean busy;
    boolean more;

    synchronized ObjectNode feed(String name) {
        ObjectNode f = json.with("feeds").with(name);
        for (String k : List.of("read", "created", "updated", "unchanged", "echo", "gone", "skipped", "failed", "waiting", "retried", "resolved")) {
            if (!f.has(k)) f.put(k, 0);
        }
        return f;
    }

    synchronized void failed() { failed++; }

    synchronized void count(String feed, String what) {
        ObjectNode f = feed(feed);
        f.put(what, f.get(what).asInt() + 1);
    }

    /** Counts what applying an entry did; a created or updated case is something written. */
    synchronized void tally(String feed, FeedTarget.Applied a) {
        count(feed, a.result().name().toLowerCase(Locale.ROOT));
        if (a.result() == FeedTarget.Result.CREATED || a.result() == FeedTarget.Result.UPDATED) applied++;
    }
}
