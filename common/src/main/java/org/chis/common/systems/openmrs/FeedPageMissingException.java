package org.chis.common.systems.openmrs;

import org.chis.common.http.UpstreamException;

/**
 * The feed page asked for does not exist on the server (the publisher answers 500 "feed does not exist" or
 * "feedId must not be null and must be greater than 0"), e.g. after the OpenMRS database was rebuilt. The
 * reader must not silently restart from "recent" (that skips history): an operator decides.
 */
public class FeedPageMissingException extends UpstreamException {
    public FeedPageMissingException(String message, int status) { super(message, status); }
}
