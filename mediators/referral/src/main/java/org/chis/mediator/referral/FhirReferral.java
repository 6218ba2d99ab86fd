package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.openhim.BadInputException;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.SagaRun;
import org.chis.common.systems.fhir.FhirClient;
import org.chis.common.systems.fhir.FhirResource;
import org.chis.common.systems.fhir.FhirWrite;

/**
 * The FHIR output: Patient found or created by identifier, the ServiceRequest and the Task, each a conditional
 * create on the referral identifier (a rerun finds instead of duplicating). Every resource passes HAPI's R4
 * validator before it is sent; a resource the server already had is not undone on failure.
 */
final class FhirReferral {
    static final String KIND_PREFIX = "fhir-";

    /** Where the referral landed on the FHIR server. */
    record Result(String patientId, boolean patientCreated, String serviceRequestId, String taskId, String taskVersion) {}

    private final FhirClient fhir;

    FhirReferral(FhirClient fhir) { this.fhir = fhir; }

    void register(Compensators c) {
        for (String type : List.of("Patient", "ServiceRequest", "Task")) {
            c.register(KIND_PREFIX + type, (tx, ref) -> fhir.delete(tx, type, ref.id()));
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

    Result write(SagaRun run, Referral r, ReferralConfig c, Instant expiresAt) throws Exception {
        var tx = run.tx();
        FhirWrite patient = send(run, "Patient", ReferralResources.patient(r, c),
                "identifier=" + c.patientSystem(r.source()) + "|" + r.patientIdentifier());
        String patientRef = patient.resource().reference();
        FhirWrite sr = send(run, "ServiceRequest", ReferralResources.serviceRequest(r, c, patientRef),
                "identifier=" + c.referralSystem() + "|" + r.referralId());
        FhirWrite task = send(run, "Task", ReferralResources.task(r, c, patientRef, sr.resource().reference(), expiresAt),
                "identifier=" + c.referralSystem() + "|" + r.referralId());
        FhirResource t = task.resource();
        return new Result(patient.resource().id(), patient.created(), sr.resource().id(), t.id(), t.versionId());
    }

    /**
     * Creates unless the identifier already exists; registers an undo only for what it created. Not validated again
     * here: {@link #validate} checked this very content before the saga, and the only difference now is the
     * references, which are built from the ids the server just gave (validation is the costliest step per referral).
     */
    private FhirWrite send(SagaRun run, String type, ObjectNode resource, String search) throws Exception {
        FhirWrite w = run.step("FHIR " + type, () -> fhir.createIfNoneExist(run.tx(), resource, search));
        if (w.created()) run.compensateWith("created FHIR " + type, new org.chis.common.saga.ResourceRef(KIND_PREFIX + type, w.resource().id()));
        return w;
    }
}
