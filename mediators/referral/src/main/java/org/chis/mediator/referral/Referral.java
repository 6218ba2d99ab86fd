package org.chis.mediator.referral;

import java.time.Instant;
import java.util.List;

/**
 * A referral package as the mediator understands it, whatever community app sent it.
 *
 * @param referralId        the source's id for this referral (form instance id, event formSubmissionId, report id): the idempotency key
 * @param communityId       the case / client / contact the status goes back to
 * @param patientIdentifier the person's id in the community system (FHIR Patient identifier, OpenMRS identifier)
 * @param birthDate         as sent (yyyy-MM-dd expected); the FHIR validator judges it before anything is written
 * @param urgency           "urgent" or "routine"
 * @param facility          the facility (Organization) code the patient is referred to
 * @param requester         the CHW's user id
 * @param initialStatus     the Task status the referral starts in: requested, or ready when the community app's own task
 *                          is already assigned and accepted (OpenSRP's CHW app creates referral tasks as READY)
 */
record Referral(String referralId, String source, String communityId, String patientIdentifier, String givenName,
                String familyName, String gender, String birthDate, String phone, String reason, List<String> dangerSigns,
                String urgency, String facility, String requester, String requesterName, Instant authoredOn, String focus,
                TaskStatus initialStatus) {

    Referral {
        dangerSigns = dangerSigns == null ? List.of() : List.copyOf(dangerSigns);
        if (initialStatus == null) initialStatus = TaskStatus.REQUESTED;
    }

    boolean urgent() { return "urgent".equals(urgency); }
}
