package org.chis.mediator.commcareopenmrs.forms;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.commcare.CaseBlock;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.commcare.FormSubmission;
import org.chis.common.systems.openmrs.OpenMrsDates;
import org.chis.common.systems.openmrs.StableUuid;

/**
 * The OpenMRS ids written back to the form's CommCare case (the mapping's {@code writeBack} properties), as one
 * case-block form. The last step of a form's saga, so a failure here rolls the OpenMRS writes back too.
 */
final class CaseWriteBack {
    /**
     * Case property with the time (encounter datetime, UTC) of the form whose visit/encounter ids the case holds:
     * a form older than that does not overwrite them.
     */
    static final String LAST_FORM_TIME = "openmrs_last_form_time";
    /** HQ's own xmlns for changes that came from OpenMRS: HQ does not forward such forms again (no echo). */
    static final String WRITE_BACK_XMLNS = "http://commcarehq.org/openmrs-integration";
    /** Write-back values that describe the newest form, not the patient. */
    private static final Set<String> LATEST_VALUES = Set.of("visit.uuid", "encounter.uuid");

    private final CommCareClient commcare;

    CaseWriteBack(CommCareClient commcare) { this.commcare = commcare; }

    /** A form writes back when its mapping names properties and it is about a case. */
    static boolean wanted(FormMapping m, FormValues v) { return !m.writeBack().isEmpty() && v.caseId() != null; }

    /** Case-block form with the OpenMRS ids; its instanceID is fixed per form, so HQ ignores a repeat. */
    Object write(TransactionContext tx, FormWorkflow.Prepared p, String patient, String visit, String encounter) {
        Submission s = p.submission();
        FormMapping m = p.mapping();
        FormValues v = p.values();
        CaseBlock block = CaseBlock.of(v.caseId());
        Submission.CaseCreate cc = s.caseCreate();
        boolean createsCase = cc != null && cc.caseId().equals(v.caseId()) && cc.caseType() != null;
        boolean writesLatest = m.writeBack().values().stream().anyMatch(LATEST_VALUES::contains);
        Optional<CommCareCase> current = writesLatest || createsCase ? commcare.caseById(tx, v.caseId()) : Optional.empty();
        // HQ rejects an update of a case it does not know; re-create it from the forwarded form's create block
        if (createsCase && current.isEmpty()) {
            block.create(cc.caseType(), cc.caseName() == null ? v.caseId() : cc.caseName(), cc.ownerId());
        }
        // the "last" visit/encounter belong to the newest form: an older form (a rerun days later) leaves them alone
        Instant formTime = v.encounterDatetime().toInstant();
        Instant written = current.map(c -> c.property(LAST_FORM_TIME)).map(CaseWriteBack::instantOrNull).orElse(null);
        boolean older = written != null && formTime.isBefore(written);
        m.writeBack().forEach((property, what) -> {
            if (older && LATEST_VALUES.contains(what)) return;
            block.set(property, switch (what) {
                case "patient.uuid" -> patient;
                case "patient.identifier" -> v.identifiers().isEmpty() ? "" : v.identifiers().get(0).identifier();
                case "visit.uuid" -> visit == null ? "" : visit;
                default -> encounter;
            });
        });
        if (older) {
            tx.property("caseWriteBack", "kept the newer form's ids (" + LAST_FORM_TIME + " " + written + " > " + formTime + ")");
            if (m.writeBack().values().stream().allMatch(LATEST_VALUES::contains)) return "nothing to write: the case holds a newer form's ids";
        } else if (writesLatest) {
            block.set(LAST_FORM_TIME, formTime.toString());
        }
        FormSubmission form = new FormSubmission(WRITE_BACK_XMLNS, StableUuid.of(s.source().label, s.key(), "case-write-back"))
                .name("OpenMRS ids").addCase(block);
        return commcare.submit(tx, form);
    }

    private static Instant instantOrNull(String text) {
        if (text == null || text.isBlank()) return null;
        try {
            return OpenMrsDates.parse(text).toInstant();
        } catch (IllegalArgumentException e) {
            return null; // edited by hand on the case: not a time, so not newer
        }
    }
}
