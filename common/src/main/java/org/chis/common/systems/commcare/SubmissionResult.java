package org.chis.common.systems.commcare;

/** HQ's OpenRosa answer to a form submission: HTTP status, {@code message nature} and text. */
public record SubmissionResult(int status, String nature, String message) {
    public boolean accepted() { return status == 201 && !"submit_error".equals(nature) && !"processing_failure".equals(nature); }
}
