package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.TransactionContext;

/**
 * The forms workflow for a source whose endpoint lives in its own package (the CHT outbound push): its submissions
 * go through the same mapping files ({@code "source": "cht"}), ledger, patient finder and saga as CommCare forms.
 */
public final class SourceIntake {
    /** CHT person doc id -> OpenMRS patient uuid (written by CHT reports, read and written by the OpenMRS -> CHT feed). */
    public static final String CHT_PERSON_TO_PATIENT = "cht-person->patient";

    private final FormWorkflow workflow;

    SourceIntake(FormWorkflow workflow) { this.workflow = workflow; }

    /**
     * One CHT report: {@code docId} is the idempotency key (ledger "cht-form:&lt;id&gt;", uuids derived from it),
     * {@code form} selects the mapping, mapping paths read {@code payload}. Bad input throws (4xx, nothing written).
     */
    public MediatorResponse cht(TransactionContext tx, String docId, String form, JsonNode payload) throws Exception {
        Submission s = new Submission(FormMapping.Source.CHT, docId, form, payload, null);
        return workflow.run(tx, workflow.prepare(s));
    }
}
