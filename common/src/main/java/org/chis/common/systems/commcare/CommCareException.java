package org.chis.common.systems.commcare;

import org.chis.common.http.UpstreamException;

/** CommCare HQ answered with an error (the Case API's {@code {"error": "..."}} or an OpenRosa submission error). */
public class CommCareException extends UpstreamException {
    public CommCareException(String message, int status) { super(message, status); }

    /** 4xx other than 429: HQ rejected what we sent (bad case id, bad property); sending it again will not help. */
    public boolean rejected() { return status() >= 400 && status() < 500 && status() != 429; }
}
