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
        SagaOutcome outcome = saga.run(tx, held.claim(), run -> {
            // lookups and intents first: every create is then journaled by the first write, not one commit before each
            EmrReferral.Plan plan = c.emr() ? emr.plan(run, r) : null;
            if (c.fhir()) fhir.intend(run, r, c);
            if (c.emr()) emrResult[0] = emr.write(run, plan, r, c);
            if (c.fhir()) fhirResult[0] = fhir.write(run, r, c, expiresAt);
        });
        if (!outcome.succeeded()) return Failures.of(tx, "referral " + r.referralId(), outcome);

        ObjectNode body = Json.object();
        body.put("referralId", r.referralId()).put("source", r.source()).put("status", r.initialStatus().code()).put("businessStatus", "referred")
                .put("expiresAt", ReferralResources.instant(expiresAt));
        if (emrResult[0] != null) {
            ObjectNode e = body.putObject("emr");
            e.put("patient", emrResult[0].patientUuid()).put("patientCreated", emrResult[0].patientCreated())
                    .put("encounter", emrResult[0].encounterUuid());
        }
        if (fhirResult[0] != null) {
            FhirReferral.Result f = fhirResult[0];
            ObjectNode fh = body.putObject("fhir");
            fh.put("patient", "Patient/" + f.patientId()).put("patientCreated", f.patientCreated())
                    .put("serviceRequest", "ServiceRequest/" + f.serviceRequestId()).put("task", "Task/" + f.taskId())
                    .put("taskVersion", f.taskVersion());
            tx.property("fhir.task", "Task/" + f.taskId());
        }
        Instant now = clock.instant();
        ReferralRecord rec = new ReferralRecord(r.referralId(), r.source(), r.communityId(), r.urgency(), r.initialStatus(), "referred",
                fhirResult[0] == null ? null : fhirResult[0].taskId(), fhirResult[0] == null ? null : fhirResult[0].taskVersion(),
                fhirResult[0] == null ? null : fhirResult[0].serviceRequestId(), fhirResult[0] == null ? null : fhirResult[0].patientId(),
                emrResult[0] == null ? null : emrResult[0].patientUuid(), emrResult[0] == null ? null : emrResult[0].encounterUuid(),
                expiresAt, null, now, now);
        ReferralRecord stored = new ReferralRecord(rec.referralId(), rec.source(), rec.communityId(), rec.urgency(), rec.status(),
                rec.businessStatus(), rec.taskId(), rec.taskVersion(), rec.serviceRequestId(), rec.fhirPatientId(), rec.emrPatientUuid(),
                rec.emrEncounterUuid(), rec.expiresAt(), rec.statusKey(), now, now);
        // the acknowledgements (ids the upstreams gave) and the ledger's outcome land together or not at all
        held.succeed(body, conn -> {
            records.insert(conn, stored);
            records.record(conn, r.referralId(), null, r.initialStatus().code(), "referred", r.requester(), "intake",
                    stored.taskVersion(), "from " + r.source());
        });
        return MediatorResponse.json(MediatorStatus.SUCCESSFUL, 201, body);
    }
}
