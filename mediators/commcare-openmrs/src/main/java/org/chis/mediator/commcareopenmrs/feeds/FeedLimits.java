package org.chis.mediator.commcareopenmrs.feeds;

import java.time.Duration;

/**
 * A feed poll's settings ({@code feeds.*}): entries per batch, the breaker's cap on parked entries, the retry back-off
 * of a parked entry, where a feed without a marker starts, and an entry claim's lease.
 */
record FeedLimits(int batchSize, int maxFailedEvents, Duration retryBase, Duration retryMax, boolean startAtBeginning, Duration lease) {}
