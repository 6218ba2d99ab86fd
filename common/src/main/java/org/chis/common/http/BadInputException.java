package org.chis.common.http;

/** The caller sent something we cannot accept (4xx); the message must tell a person what to fix. */
public class BadInputException extends RuntimeException {
    private final int status;

    public BadInputException(int status, String message) {
        super(message);
        this.status = status;
    }

    public BadInputException(String message) { this(400, message); }

    public int status() { return status; }
}
