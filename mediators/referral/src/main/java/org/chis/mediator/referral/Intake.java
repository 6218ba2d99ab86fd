package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.Saga;
import org.chis.common.saga.SagaOutcome;
import org.chis.common.work.Failures;
import org.chis.common.work.Idempotent;

/**
 * {@code POST /referrals}: a community app's referral -> the configured outputs (EMR and/or FHIR) as one saga.
 * The referral id is the idempotency key ({@link Idempotent}): a duplicate or a rerun of a finished referral is
 * answered from the ledger (Completed, {@code duplicate: true}) and creates nothing; a failed one was rolled back and
 * may simply be sent again.
 */
final class Intake {
    /** Ledger kind of a referral's claim; its lease is {@link #LEASE}. */
    static final String LEDGER_KIND = "referral";
    static final Duration LEASE = Duration.ofMinutes(5);

    private final ReferralSources sources;
    private final Supplier<ReferralConfig> config;
    private final EmrReferral emr;
    private final FhirReferral fhir;
    private final Saga saga;
    private final Idempotent room;
    private final ReferralRecords records;
    private final Clock clock;

    Intake(ReferralSources sources, Settings settings, EmrReferral emr, FhirReferral fhir, Saga saga, Idempotent room,
           ReferralRecords records, Clock clock) {
        this.sources = sources;
        this.config = ReferralConfig.live(settings);
        this.emr = emr;
        this.fhir = fhir;
        this.saga = saga;
        this.room = room;
        this.records = records;
        this.clock = clock;
    }

    MediatorResponse handle(MediatorRequest req, TransactionContext tx) throws Exception {
        JsonNode doc = req.json();
        ReferralMapping mapping = sources.pick(req.query().get("source"), doc);
        Referral r = mapping.map(doc);
        ReferralConfig c = config.get();
        Instant expiresAt = r.authoredOn().plus(c.window(r));
        tx.property("referral.id", r.referralId()).property("referral.source", r.source());
        if (c.fhir()) FhirReferral.validate(r, c, expiresAt);

        return room.run(tx, "referral:" + r.referralId(), "referral " + r.referralId(), held -> create(tx, r, c, held, expiresAt));
    }

    private MediatorResponse create(TransactionContext tx, Referral r, ReferralConfig c, Idempotent.Held held, Instant expiresAt) {
        EmrReferral.Result[] emrResult = new EmrReferral.Result[1];
        FhirReferral.Result[] fhirResult = new FhirReferral.Result[1];
        ObjectNode[] answer = new ObjectNode[1];
        // the acknowledgements (ids the upstreams gave), the referral row and the ledger's outcome are written in the
        // commit that marks the saga completed: all of it or none (then the saga is undone like any failed one)
        SagaOutcome outcome = saga.run(tx, held.claim(), run -> {
            // lookups and intents first: every create is then journaled by the first write, not one commit before each
            EmrReferral.Plan plan = c.emr() ? emr.plan(run, r) : null;
            if (c.fhir()) fhir.intend(run, r, c);
            if (c.emr()) emrResult[0] = emr.write(run, plan, r, c);
            if (c.fhir()) fhirResult[0] = fhir.write(run, r, c, expiresAt);
        }, conn -> {
            answer[0] = answer(r, expiresAt, emrResult[0], fhirResult[0]);
            ReferralRecord stored = record(r, expiresAt, emrResult[0], fhirResult[0], clock.instant());
            held.succeed(conn, answer[0], rows -> {
                records.insert(rows, stored);
                records.record(rows, r.referralId(), null, r.initialStatus().code(), "referred", r.requester(), "intake",
                        stored.taskVersion(), "from " + r.source());
            });
        });
        if (!outcome.succeeded()) return Failures.of(tx, "referral " + r.referralId(), outcome);
        if (fhirResult[0] != null) tx.property("fhir.task", "Task/" + fhirResult[0].taskId());
        return MediatorResponse.json(MediatorStatus.SUCCESSFUL, 201, answer[0]);
    }

    /** The 201 body, also the ledger's outcome a duplicate is answered with. */
    private static ObjectNode answer(Referral r, Instant expiresAt, EmrReferral.Result emr, FhirReferral.Result fhir) {
        ObjectNode body = Json.object();
        body.put("referralId", r.referralId()).put("source", r.source()).put("status", r.initialStatus().code()).put("businessStatus", "referred")
                .put("expiresAt", ReferralResources.instant(expiresAt));
        if (emr != null) {
            ObjectNode e = body.putObject("emr");
            e.put("patient", emr.patientUuid()).put("patientCreated", emr.patientCreated()).put("encounter", emr.encounterUuid());
        }
        if (fhir != null) {
            ObjectNode fh = body.putObject("fhir");
            fh.put("patient", "Patient/" + fhir.patientId()).put("patientCreated", fhir.patientCreated())
                    .put("serviceRequest", "ServiceRequest/" + fhir.serviceRequestId()).put("task", "Task/" + fhir.taskId())
                    .put("taskVersion", fhir.taskVersion());
        }
        return body;
    }

    /** The referral row; its first status counts as pushed back (it is the community app's own). */
    private static ReferralRecord record(Referral r, Instant expiresAt, EmrReferral.Result emr, FhirReferral.Result fhir, Instant now) {
        return new ReferralRecord(r.referralId(), r.source(), r.communityId(), r.urgency(), r.initialStatus(), "referred",
                fhir == null ? null : fhir.taskId(), fhir == null ? null : fhir.taskVersion(),
                fhir == null ? null : fhir.serviceRequestId(), fhir == null ? null : fhir.patientId(),
                emr == null ? null : emr.patientUuid(), emr == null ? null : emr.encounterUuid(),
                expiresAt, null, now, now).pushed();
    }
}
