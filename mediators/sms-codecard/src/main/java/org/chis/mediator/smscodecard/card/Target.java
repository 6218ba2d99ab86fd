package org.chis.mediator.smscodecard.card;

/**
 * Where a field's value goes in each destination: an OpenMRS concept, a FHIR coding ({@code system|code}),
 * a DHIS2 data element (with optional category option combo). Any part may be null.
 */
public record Target(String openmrsConcept, String fhir, String dhis2DataElement, String dhis2CategoryOptionCombo) {
    public static final Target NONE = new Target(null, null, null, null);

    public boolean isEmpty() { return openmrsConcept == null && fhir == null && dhis2DataElement == null; }
}
