package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.List;
import org.chis.common.http.BadInputException;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.fhir.FhirClient;
import org.chis.common.systems.fhir.FhirResource;
import org.chis.common.systems.fhir.FhirVersionConflict;
import org.chis.common.systems.fhir.FhirWrite;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a referral's Task through the state machine: reads the Task, checks the caller's version and the move,
 * writes it with {@code If-Match} (so of two concurrent edits only one lands), records the transition, then pushes
 * the new status to the community app. A push that fails is retried by the next sync.
 */
final class StatusChanges {
    private static final Logger log = LoggerFactory.getLogger(StatusChanges.class);

    /** What a change did. */
    record Result(ReferralRecord referral, boolean changed, TaskStatus from, String taskVersion, String pushedTo, String pushError) {}

    private final FhirClient fhir;
    private final ReferralRecords records;
    private final CommunityPush push;
    private final Clock clock;

    StatusChanges(FhirClient fhir, ReferralRecords records, CommunityPush push, Clock clock) {
        this.fhir = fhir;
        this.records = records;
        this.push = push;
        this.clock = clock;
    }

    /**
     * @param ifMatch the Task version the caller last saw (null = no check); a different current version is 412
     * @throws BadInputException 409 for an illegal move, 412 for a stale version
     */
    Result change(TransactionContext tx, ReferralRecord r, TaskStatus to, String businessStatus, String reason, String actor,
                  String via, String ifMatch) {
        if (r.taskId() == null) throw new BadInputException(409, "referral " + r.referralId() + " has no FHIR Task (referral.outputs has no fhir)");
        FhirResource task = fhir.read(tx, "Task", r.taskId()).orElseThrow(() ->
                new BadInputException(409, "the Task of referral " + r.referralId() + " (Task/" + r.taskId() + ") is gone from the FHIR server"));
        String version = task.versionId();
        if (ifMatch != null && !ifMatch.equals(version)) {
            throw new BadInputException(412, "referral " + r.referralId() + ": the Task is at version " + version + ", not " + ifMatch
                    + " (someone changed it since you read it); read it again and decide again");
        }
        TaskStatus current = TaskStatus.of(task.text("status")).orElseThrow(() ->
                new BadInputException(409, "Task/" + r.taskId() + " has status '" + task.text("status") + "', which is not a Task status"));
        String business = businessStatus != null && !businessStatus.isBlank() ? businessStatus : ReferralResources.defaultBusinessStatus(to);
        if (current == to) {
            return new Result(r, false, current, version, null, null); // same status again: nothing to do
        }
        if (!current.canMoveTo(to)) throw new BadInputException(409, "referral " + r.referralId() + ": " + current.refusal(to));
        ObjectNode moved = ReferralResources.moved(task.json(), to, business, reason, clock.instant());
        List<String> invalid = FhirValidation.check(moved);
        if (!invalid.isEmpty()) {
            // e.g. a business status or reason the caller sent that makes the Task invalid; nothing is written
            throw new BadInputException(422, "the moved Task would not be valid FHIR R4 (nothing was sent): " + String.join("; ", invalid));
        }
        FhirWrite w;
        try {
            w = fhir.update(tx, moved, version);
        } catch (FhirVersionConflict e) {
            throw new BadInputException(409, "referral " + r.referralId() + ": the Task changed while we were updating it; read it again and retry");
        }
        String newVersion = w.resource().versionId();
        // the record as written, not read back: one query less per change
        ReferralRecord now = records.transition(new ReferralRecord(r.referralId(), r.source(), r.communityId(), r.urgency(), current, r.businessStatus(),
                r.taskId(), r.taskVersion(), r.serviceRequestId(), r.fhirPatientId(), r.emrPatientUuid(), r.emrEncounterUuid(),
                r.expiresAt(), r.pushedStatus(), r.createdAt(), r.updatedAt()), to, business, newVersion, actor, via, reason);
        tx.property("referral.transition", current.code() + " -> " + to.code());
        return pushBack(tx, now, true, current, newVersion);
    }

    /** Pushes the record's status to the community app, remembering success; a failure is reported, not thrown. */
    Result pushBack(TransactionContext tx, ReferralRecord r, boolean changed, TaskStatus from, String version) {
        try {
            String where = push.push(tx, r);
            records.pushed(r.referralId(), r.statusKey());
            return new Result(r.pushed(), changed, from, version, where, null);
        } catch (RuntimeException e) {
            log.warn("referral {}: status {} not pushed back yet: {}", r.referralId(), r.statusKey(), e.getMessage());
            return new Result(r, changed, from, version, null, e.getMessage());
        }
    }
}
