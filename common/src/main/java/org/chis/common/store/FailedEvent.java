package org.chis.common.store;

import java.time.Instant;

/** A feed entry that could not be applied and waits for another attempt (and parks its subject's later events). */
public record FailedEvent(long id, String feed, String entryId, String subject, String payload, int attempts,
                          Instant nextAttemptAt, String lastError, Instant createdAt) {}
