package org.chis.mediator.smscodecard.card;

/**
 * A card that registers a new client instead of reporting on a known one (REG): which fields hold the person, and
 * the identifier types the new OpenMRS patient and OpenSRP client carry.
 *
 * @param identifierField       optional id field: the identifier the worker gives (a pre-printed card); when absent
 *                              the mediator derives one from the message (stable across retries)
 * @param openmrsIdentifierType the OpenMRS patient identifier type (uuid) of that identifier
 * @param opensrpIdentifierType the key of the identifier in the OpenSRP client's {@code identifiers} map
 * @param phoneAttribute        the OpenSRP client attribute (and, if {@code openmrsPhoneAttributeType} is set, the
 *                              OpenMRS person attribute type) the phone goes to
 */
public record Registration(String givenField, String familyField, String sexField, String birthdateField, String phoneField,
                           String identifierField, String openmrsIdentifierType, String opensrpIdentifierType,
                           String phoneAttribute, String openmrsPhoneAttributeType) {}
