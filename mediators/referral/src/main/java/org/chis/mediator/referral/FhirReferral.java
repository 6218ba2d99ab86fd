package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.http.BadInputException;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.SagaRun;
import org.chis.common.systems.fhir.FhirClient;
import org.chis.common.systems.fhir.FhirResource;
import org.chis.common.systems.fhir.FhirWrite;

/**
 * The FHIR output: Patient found or created by identifier, the ServiceRequest and the Task, each a conditional
 * create on the referral identifier (a rerun finds instead of duplicating). Every resource passes HAPI's R4
 * validator before it is sent; a resource the server already had is not undone on failure.
 * <p>
 * The server assigns the ids, so a create whose answer is lost (read timeout after the server wrote it) leaves
 * no id to undo. Each create is therefore journaled before the call as a {@link Lookup}: the resource's identifier
 * plus the referral whose {@code meta.tag} ({@link ReferralResources#CREATED_BY}) marks what this referral created.
 * The undo deletes what the lookup finds, never a resource someone else created with the same identifier.
 */
final class FhirReferral {
    static final String KIND_PREFIX = "fhir-";
    private static final String CREATE = "create FHIR ";

    /** Where the referral landed on the FHIR server. */
    record Result(String patientId, boolean patientCreated, String serviceRequestId, String taskId, String taskVersion) {}

    private final FhirClient fhir;

    FhirReferral(FhirClient fhir) { this.fhir = fhir; }

    void register(Compensators c) {
        for (String type : List.of("Patient", "ServiceRequest", "Task")) {
            c.register(KIND_PREFIX + type, (tx, ref) -> undo(tx, type, ref.id()));
        }
    }

    /** A server id: delete it. A lookup (the create's answer never came): delete what it finds. */
    private void undo(TransactionContext tx, String type, String ref) {
        Lookup lookup = Lookup.parse(ref);
        if (lookup == null) {
            fhir.delete(tx, type, ref);
            return;
        }
        for (FhirResource r : fhir.search(tx, type, "identifier", lookup.identifier()).resources()) {
            if (lookup.createdThis(r)) fhir.delete(tx, type, r.id());
        }
    }

    /** Validates all three resources (with stand-in references) before anything is written anywhere: 422 listing the errors. */
    static void validate(Referral r, ReferralConfig c, Instant expiresAt) {
        List<String> errors = new ArrayList<>();
        for (ObjectNode res : List.of(ReferralResources.patient(r, c), ReferralResources.serviceRequest(r, c, "Patient/pending"),
                ReferralResources.task(r, c, "Patient/pending", "ServiceRequest/pending", expiresAt))) {
            for (String e : FhirValidation.check(res)) errors.add(e);
        }
        if (!errors.isEmpty()) {
            throw new BadInputException(422, "the referral does not make valid FHIR R4 resources (nothing was sent): " + String.join("; ", errors));
        }
    }

    /**
     * Journals the three creates as intents (their lookups are known before any call), so they are durable with the
     * saga's first write instead of one commit before each create. A lookup only ever finds what this referral created,
     * so undoing one whose create never happened after a crash deletes nothing.
     */
    void intend(SagaRun run, Referral r, ReferralConfig c) {
        run.intend(CREATE + "Patient", KIND_PREFIX + "Patient", Lookup.of(c.patientSystem(r.source()), r.patientIdentifier(), r.referralId()));
        run.intend(CREATE + "ServiceRequest", KIND_PREFIX + "ServiceRequest", Lookup.of(c.referralSystem(), r.referralId(), r.referralId()));
        run.intend(CREATE + "Task", KIND_PREFIX + "Task", Lookup.of(c.referralSystem(), r.referralId(), r.referralId()));
    }

    Result write(SagaRun run, Referral r, ReferralConfig c, Instant expiresAt) throws Exception {
        FhirWrite patient = send(run, "Patient", ReferralResources.patient(r, c), c.patientSystem(r.source()), r.patientIdentifier(), r);
        String patientRef = patient.resource().reference();
        FhirWrite sr = send(run, "ServiceRequest", ReferralResources.serviceRequest(r, c, patientRef), c.referralSystem(), r.referralId(), r);
        FhirWrite task = send(run, "Task", ReferralResources.task(r, c, patientRef, sr.resource().reference(), expiresAt),
                c.referralSystem(), r.referralId(), r);
        FhirResource t = task.resource();
        return new Result(patient.resource().id(), patient.created(), sr.resource().id(), t.id(), t.versionId());
    }

    /**
     * Creates unless the identifier already exists. Not validated again here: {@link #validate} checked this very
     * content before the saga, and the only difference now is the references, which are built from the ids the
     * server just gave (validation is the costliest step per referral).
     * <p>
     * Journaled as a lookup before the call (the answer may be lost after the server wrote); once the server
     * answers "created", the undo is the id it gave. A resource found instead keeps the lookup, which only ever
     * matches what this referral created (e.g. an earlier run's orphan), so someone else's is never undone.
     */
    private FhirWrite send(SagaRun run, String type, ObjectNode resource, String system, String value, Referral r) throws Exception {
        FhirWrite[] w = new FhirWrite[1];
        run.create(CREATE + type, KIND_PREFIX + type, Lookup.of(system, value, r.referralId()), () -> {
            w[0] = fhir.createIfNoneExist(run.tx(), resource, "identifier=" + system + "|" + value);
            return w[0].created() ? w[0].resource().id() : null;
        });
        return w[0];
    }

    /**
     * What a create made when its answer is unknown: resources with identifier {@code system|value} tagged as created
     * by referral {@code referralId}. Stored in the saga journal as {@code lookup:<referral id> <system>|<value>}, a
     * form no FHIR id can take (ids have no spaces or colons), so recovery after a crash undoes it the same way.
     */
    record Lookup(String referralId, String identifier) {
        private static final String PREFIX = "lookup:";

        static String of(String system, String value, String referralId) {
            return PREFIX + referralId.length() + ":" + referralId + " " + system + "|" + value;
        }

        static Lookup parse(String ref) {
            if (!ref.startsWith(PREFIX)) return null;
            String rest = ref.substring(PREFIX.length());
            int colon = rest.indexOf(':');
            int length = Integer.parseInt(rest.substring(0, colon));
            String referralId = rest.substring(colon + 1, colon + 1 + length);
            return new Lookup(referralId, rest.substring(colon + 2 + length));
        }

        boolean createdThis(FhirResource r) {
            for (var tag : r.json().path("meta").path("tag")) {
                if (ReferralResources.CREATED_BY.equals(tag.path("system").asText()) && referralId.equals(tag.path("code").asText())) return true;
            }
            return false;
        }
    }
}
