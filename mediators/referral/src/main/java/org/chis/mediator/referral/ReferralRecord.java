package org.chis.mediator.referral;

import java.time.Instant;

/** What the mediator keeps about one referral it created (table {@code referral}). */
record ReferralRecord(String referralId, String source, String communityId, String urgency, TaskStatus status,
                      String businessStatus, String taskId, String taskVersion, String serviceRequestId, String fhirPatientId,
                      String emrPatientUuid, String emrEncounterUuid, Instant expiresAt, String pushedStatus,
                      Instant createdAt, Instant updatedAt) {

    /** The status as pushed to the community system, e.g. {@code in-progress|in-progress}. */
    String statusKey() { return status.code() + "|" + (businessStatus == null ? "" : businessStatus); }

    boolean pushPending() { return !statusKey().equals(pushedStatus); }

    /** The same record with its current status pushed back. */
    ReferralRecord pushed() {
        return new ReferralRecord(referralId, source, communityId, urgency, status, businessStatus, taskId, taskVersion, serviceRequestId,
                fhirPatientId, emrPatientUuid, emrEncounterUuid, expiresAt, statusKey(), createdAt, updatedAt);
    }
}
