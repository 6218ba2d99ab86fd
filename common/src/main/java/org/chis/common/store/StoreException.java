package org.chis.common.store;

/** The state database failed (unreachable, constraint we did not expect, migration error). Temporary or fatal: never the caller's bad input. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) { super(message, cause); }

    public StoreException(String message) { super(message); }
}
