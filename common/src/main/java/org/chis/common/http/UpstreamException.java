package org.chis.common.http;

/**
 * An upstream could not be reached or answered with a fault (timeout, connection refused, 5xx, unreadable
 * body). Temporary by nature: the transaction fails with an error object and may be retried or rerun.
 */
public class UpstreamException extends RuntimeException {
    private final int status;

    public UpstreamException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public UpstreamException(String message, int status) { this(message, status, null); }

    /** The upstream HTTP status, or 0 when nothing came back. */
    public int status() { return status; }
}
