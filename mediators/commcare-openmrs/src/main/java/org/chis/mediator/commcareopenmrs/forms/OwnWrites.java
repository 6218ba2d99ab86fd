package org.chis.mediator.commcareopenmrs.forms;

import org.chis.common.store.IdMap;

/**
 * Echo suppression for readers of the OpenMRS feeds: was this encounter / patient written by the forms workflow?
 * Reads the id map, where the workflow records each uuid before it creates the resource (so even a feed entry read
 * while the form is still being processed is recognised).
 */
public final class OwnWrites {
    private final IdMap idMap;

    public OwnWrites(IdMap idMap) { this.idMap = idMap; }

    /** True when a CommCare form or OpenSRP event processed here created this encounter. */
    public boolean isOurEncounter(String encounterUuid) { return idMap.source(Forms.FORM_TO_ENCOUNTER, encounterUuid).isPresent(); }

    /** True when a form processed here created this patient (its first feed entry is our echo; later edits are not). */
    public boolean isOurPatient(String patientUuid) { return idMap.source(Forms.FORM_TO_PATIENT, patientUuid).isPresent(); }
}
