package org.chis.common.systems.fhir;

/**
 * The result of a write that may or may not have created something: a conditional create that found a
 * match, or a PUT that updated rather than created. A saga compensates only what {@code created}.
 */
public record FhirWrite(FhirResource resource, boolean created) {}
