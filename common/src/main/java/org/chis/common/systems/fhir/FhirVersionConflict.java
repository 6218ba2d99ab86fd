package org.chis.common.systems.fhir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An update's {@code If-Match} named a version that is no longer current (412; HAPI answers 409): someone
 * else changed the resource since we read it. Read it again and decide again.
 */
public class FhirVersionConflict extends FhirException {
    public FhirVersionConflict(String message, int status, JsonNode operationOutcome) {
        super(message, status, operationOutcome);
    }
}
