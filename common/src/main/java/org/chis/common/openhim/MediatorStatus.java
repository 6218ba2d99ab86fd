package org.chis.common.openhim;

/** The transaction statuses OpenHIM core accepts from a mediator (anything else breaks core's update). */
public enum MediatorStatus {
    PROCESSING("Processing"),
    SUCCESSFUL("Successful"),
    COMPLETED("Completed"),
    COMPLETED_WITH_ERRORS("Completed with error(s)"),
    FAILED("Failed");

    private final String label;

    MediatorStatus(String label) { this.label = label; }

    public String label() { return label; }
}
