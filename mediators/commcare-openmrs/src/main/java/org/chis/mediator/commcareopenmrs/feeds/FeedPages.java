package org.chis.mediator.commcareopenmrs.feeds;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.openmrs.AtomFeedReader;
import org.chis.common.systems.openmrs.FeedPage;

/**
 * Follows a feed's next-archive links, reading a few pages ahead in parallel: a page holds only a handful of
 * entries (5 in OpenMRS), so reading them one after the other would pace the whole catch-up. Archive pages are
 * numbered ({@code .../atomfeed/patient/7}); pages up to the working page (the "recent" page's number, read once)
 * are requested ahead. A page read ahead is used only when a next-archive link names exactly its URL, so the
 * links stay the truth; anything else is read as before.
 */
final class FeedPages implements AutoCloseable {
    private static final Pattern NUMBERED = Pattern.compile("(.*/)(\\d+)");

    private final AtomFeedReader reader;
    private final TransactionContext tx;
    private final Executor pool;
    private final String feed;
    private final int readAhead;
    private final Map<String, CompletableFuture<FeedPage>> ahead = new HashMap<>();
    private volatile boolean closed;
    private int workingPage = -1;
    private int requestedUpTo;

    FeedPages(AtomFeedReader reader, TransactionContext tx, Executor pool, String feed, int readAhead) {
        this.reader = reader;
        this.tx = tx;
        this.pool = pool;
        this.feed = feed;
        this.readAhead = readAhead;
    }

    /** The page after {@code current}, or null on the newest page; {@code entriesWanted} bounds the read-ahead. */
    FeedPage next(FeedPage current, int entriesWanted) {
        String url = current.nextArchive();
        if (url == null) return null;
        requestAhead(url, Math.max(1, current.entries().size()), entriesWanted);
        CompletableFuture<FeedPage> f = ahead.remove(url);
        if (f == null) return reader.page(tx, url);
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
    }

    private void requestAhead(String url, int perPage, int entriesWanted) {
        if (readAhead <= 1 || pool == null) return;
        Matcher m = NUMBERED.matcher(url);
        if (!m.matches()) return;
        int n = Integer.parseInt(m.group(2));
        int pages = Math.min(readAhead, (entriesWanted + perPage - 1) / perPage);
        if (pages <= 1) return;
        if (workingPage < 0) workingPage = number(reader.recent(tx, feed).viaUrl());
        int last = Math.min(workingPage, n + pages - 1);
        for (int k = Math.max(n, requestedUpTo + 1); k <= last; k++) {
            String u = m.group(1) + k;
            ahead.computeIfAbsent(u, x -> CompletableFuture.supplyAsync(() -> {
                if (closed) throw new CancellationException("poll ended");
                return reader.page(tx, x);
            }, pool));
            requestedUpTo = k;
        }
    }

    private static int number(String url) {
        Matcher m = url == null ? null : NUMBERED.matcher(url);
        return m != null && m.matches() ? Integer.parseInt(m.group(2)) : 0;
    }

    /** Pages read ahead but not needed are dropped; those not started yet are not requested. */
    @Override
    public void close() {
        closed = true;
        ahead.clear();
    }
}
