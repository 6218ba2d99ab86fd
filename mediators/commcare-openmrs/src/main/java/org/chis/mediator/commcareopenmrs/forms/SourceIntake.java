package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.audit.TransactionContext;

/**
 * The forms workflow for a source whose endpoint lives in its own package (the CHT outbound push, the OpenSRP pull): its submissions
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

    /** Whether a mapping file takes this OpenSRP eventType (the pull passes over the others: OpenSRP syncs every event). */
    public boolean mapsOpenSrp(String eventType) { return workflow.maps(FormMapping.Source.OPENSRP, eventType); }

    /**
     * One OpenSRP event exactly as {@code POST /opensrp/events} takes it (same ledger key "opensrp-form:&lt;formSubmissionId&gt;",
     * so an event both pulled and POSTed is written once), {@code clients} the array its client may be in.
     * Bad input throws (4xx, nothing written).
     */
    public MediatorResponse openSrp(TransactionContext tx, JsonNode event, JsonNode clients) throws Exception {
        ObjectNode body = Json.object();
        body.set("clients", clients == null ? Json.array() : clients);
        body.putArray("events").add(event);
        Submission s = Submission.openSrp(body).get(0);
        return workflow.run(tx, workflow.prepare(s));
    }
}
