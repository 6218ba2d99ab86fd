package org.chis.mediator.smscodecard.card;

import java.util.List;

/**
 * One code of a code-list field: the code (ANC1), other spellings accepted for it, and what it becomes in
 * each destination: an OpenMRS answer concept or a plain value (for a numeric concept), a FHIR coding, a DHIS2 option/value.
 */
public record CodeOption(String code, List<String> aliases, String openmrsAnswer, Object openmrsValue, String fhir, String dhis2Value) {
    public CodeOption {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
    }
}
