package org.chis.common.http;

import java.io.InterruptedIOException;

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

    /**
     * The status the mediator answers for this fault, the one rule of the suite: the upstream's 503 (down for now)
     * and 504 pass through, no answer within the read timeout is 504, anything else (other 5xx, connection refused,
     * an unreadable answer) is 502. Written here, below both the endpoint server and the saga failure mapping.
     */
    public int answerStatus() {
        if (status == 503 || status == 504) return status;
        if (status == 0 && timedOut()) return 504;
        return 502;
    }

    private boolean timedOut() {
        // OkHttp reports a read or call timeout as SocketTimeoutException / InterruptedIOException
        for (Throwable t = getCause(); t != null; t = t.getCause()) if (t instanceof InterruptedIOException) return true;
        return false;
    }
}
