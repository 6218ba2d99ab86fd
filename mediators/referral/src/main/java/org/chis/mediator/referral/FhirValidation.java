package org.chis.mediator.referral;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.json.Json;
import org.hl7.fhir.common.hapi.validation.support.CachingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * HAPI FHIR's R4 instance validator (structure, cardinality, value sets of the base spec). Building it loads the
 * whole R4 specification (seconds, ~100 MB), so there is one per JVM, built on first use and shared: the
 * validator is thread-safe.
 */
final class FhirValidation {
    private static volatile FhirValidator shared;

    private FhirValidation() {}

    private static FhirValidator validator() {
        FhirValidator v = shared;
        if (v != null) return v;
        synchronized (FhirValidation.class) {
            if (shared == null) {
                FhirContext ctx = FhirContext.forR4Cached();
                ValidationSupportChain chain = new ValidationSupportChain(
                        new DefaultProfileValidationSupport(ctx),
                        new CommonCodeSystemsTerminologyService(ctx),
                        new InMemoryTerminologyServerValidationSupport(ctx),
                        new SnapshotGeneratingValidationSupport(ctx));
                FhirInstanceValidator module = new FhirInstanceValidator(new CachingValidationSupport(chain));
                // our identifier systems and local codes are not in any terminology the validator knows: not an error
                module.setAnyExtensionsAllowed(true);
                module.setErrorForUnknownProfiles(false);
                shared = ctx.newValidator().registerValidatorModule(module);
            }
            return shared;
        }
    }

    /** Builds the validator now (e.g. in the background at start) so the first referral does not pay for it. */
    static void warmUp() {
        check(Json.parse("{\"resourceType\":\"Patient\",\"gender\":\"female\"}"));
    }

    /** Error and fatal messages ("Patient.gender: The value provided ('f') is not in the value set ..."); empty = valid. */
    static List<String> check(JsonNode resource) {
        ValidationResult r = validator().validateWithResult(Json.write(resource));
        List<String> errors = new ArrayList<>();
        for (SingleValidationMessage m : r.getMessages()) {
            if (m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL) {
                errors.add(m.getLocationString() + ": " + m.getMessage());
            }
        }
        return errors;
    }
}
