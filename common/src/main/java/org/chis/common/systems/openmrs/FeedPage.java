package org.chis.common.systems.openmrs;

import java.time.Instant;
import java.util.List;

/**
 * One page of an OpenMRS atom feed. {@code viaUrl} is the page's canonical archive URL ({@code .../{n}}, also for
 * "recent"); {@code prevArchive} points to older entries, {@code nextArchive} to newer ones (null on the newest page).
 * Entries are in feed order, oldest first.
 */
public record FeedPage(String selfUrl, String viaUrl, String prevArchive, String nextArchive, Instant updated, List<FeedEntry> entries) {
    public FeedPage {
        entries = entries == null ? List.of() : List.copyOf(entries);
    }

    /** Position of the entry with this id on the page, or -1. */
    public int indexOf(String entryId) {
        for (int i = 0; i < entries.size(); i++) if (entries.get(i).id().equals(entryId)) return i;
        return -1;
    }
}
