package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorServer;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.StateStore;
import org.chis.common.work.Recovery;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.openmrs.OpenMrsClient;

/**
 * Forms -> OpenMRS: {@code POST /commcare/forms} (CommCare data-forwarding form JSON) and {@code POST /opensrp/events}
 * (an OpenSRP event, or a sync body {@code {"clients":[…],"events":[…]}}) through one {@link FormWorkflow}.
 * Id map namespaces it writes (other parts of the mediator read them, see the README):
 * {@value #CASE_TO_PATIENT}, {@value #OPENSRP_CLIENT_TO_PATIENT}, {@value #FORM_TO_ENCOUNTER}, {@value #FORM_TO_PATIENT}.
 */
public final class Forms {

    public static final String COMMCARE_PATH = "/commcare/forms";
    public static final String OPENSRP_PATH = "/opensrp/events";
    /** CommCare case id -> OpenMRS patient uuid (shared with the feeds side). */
    public static final String CASE_TO_PATIENT = "case->patient";
    /** OpenSRP client baseEntityId -> OpenMRS patient uuid. */
    public static final String OPENSRP_CLIENT_TO_PATIENT = "opensrp-client->patient";
    /** "commcare:&lt;form id&gt;" / "opensrp:&lt;formSubmissionId&gt;" -> encounter uuid this suite created (echo suppression). */
    public static final String FORM_TO_ENCOUNTER = "form->encounter";
    /** "commcare:&lt;form id&gt;" -> patient uuid this suite created from that form. */
    public static final String FORM_TO_PATIENT = "form->patient";

    /** xmlns of the forms the OpenMRS -> CommCare feed submits (feeds.json "xmlns"); forwarded back to us they are echo. */
    public static final String FEED_XMLNS = "http://chis.org/xforms/openmrs-feed";

    private final FormWorkflow workflow;
    private final Set<String> ownXmlns;

    Forms(FormWorkflow workflow) { this(workflow, Set.of(FEED_XMLNS)); }

    Forms(FormWorkflow workflow, Set<String> ownXmlns) {
        this.workflow = workflow;
        this.ownXmlns = ownXmlns;
    }

    static String patientNamespace(FormMapping.Source source) {
        return switch (source) {
            case COMMCARE -> CASE_TO_PATIENT;
            case OPENSRP -> OPENSRP_CLIENT_TO_PATIENT;
            case CHT -> SourceIntake.CHT_PERSON_TO_PATIENT;
        };
    }

    /** The workflow for sources whose endpoints live in their own package (CHT). */
    public SourceIntake intake() { return new SourceIntake(workflow); }

    /**
     * Loads the mappings ({@code forms.mappingsDir}, default {@code forms}; start-up fails on any mistake), undoes
     * sagas a crash interrupted, and installs both routes.
     */
    public static Forms install(MediatorApp app, StateStore store) {
        Forms forms = create(app.settings(), app.http(), store);
        // HQ's data forwarding in its JSON format (XML forwarding is application/xml, not read here); OpenSRP syncs JSON
        app.route("POST", COMMCARE_PATH, MediatorServer.JSON, forms::commCare);
        app.route("POST", OPENSRP_PATH, MediatorServer.JSON, forms::openSrp);
        return forms;
    }

    static Forms create(Settings s, RecordingHttpClient http, StateStore store) {
        FormMappings mappings = FormMappings.load(s.file("forms.mappingsDir", "forms"));
        OpenMrsClient openmrs = OpenMrsClient.fromSettings(http, s);
        Duration lease = Duration.ofSeconds(s.getLong("forms.leaseSeconds", 300));
        Recovery recovery = Recovery.of(s, store);
        FormWorkflow workflow = new FormWorkflow(mappings, openmrs, CommCareClient.fromSettings(http, s), store,
                recovery.idempotent(FormWorkflow.LEDGER_KIND, lease));
        // a saga the process died in the middle of: purge its leftovers before new work touches the same patients,
        // and free its form's claim, so CommCare's resend is processed now, not answered busy for the lease
        recovery.atStartUp(FormSaga.compensators(openmrs), lease, FormWorkflow.LEDGER_KIND);
        Set<String> own = new HashSet<>(List.of(s.get("forms.ownXmlns", FEED_XMLNS).split("\\s*,\\s*")));
        return new Forms(workflow, own);
    }

    MediatorResponse commCare(MediatorRequest req, TransactionContext tx) throws Exception {
        Submission s = Submission.commCare(req.json());
        if (ownXmlns.contains(s.formType())) {
            // CommCare forwards every form, including those the feed sync submitted: they came from OpenMRS already
            tx.property("echo", true);
            return MediatorResponse.completed(Json.object().put("echo", true).put("message",
                    "form " + s.key() + " was submitted by the suite's OpenMRS feed sync (xmlns " + s.formType() + "); nothing written"));
        }
        return workflow.run(tx, workflow.prepare(s));
    }

    MediatorResponse openSrp(MediatorRequest req, TransactionContext tx) throws Exception {
        List<Submission> events = Submission.openSrp(req.json());
        // every event is checked before any is written: one bad event rejects the batch with nothing written
        List<FormWorkflow.Prepared> prepared = new ArrayList<>();
        for (Submission s : events) prepared.add(workflow.prepare(s));
        if (prepared.size() == 1) return workflow.run(tx, prepared.get(0));
        List<MediatorResponse> results = new ArrayList<>();
        for (FormWorkflow.Prepared p : prepared) results.add(workflow.run(tx, p));
        return combine(results);
    }

    /**
     * Several submissions of one request (an OpenSRP sync batch): Failed if any failed (with {@code error} when one of
     * them was a fault, so core retries the batch; the done ones answer as duplicates then), else Successful if any wrote.
     */
    private static MediatorResponse combine(List<MediatorResponse> results) {
        ObjectNode body = Json.object();
        ArrayNode items = body.putArray("events");
        MediatorStatus status = MediatorStatus.COMPLETED;
        int http = 200;
        List<String> errors = new ArrayList<>();
        boolean fault = false;
        String retryAfter = null;
        for (MediatorResponse r : results) {
            ObjectNode item = (ObjectNode) Json.parse(r.body());
            item.put("status", r.status().label());
            items.add(item);
            if (r.status() == MediatorStatus.FAILED) {
                status = MediatorStatus.FAILED;
                http = Math.max(http, r.httpStatus());
                errors.add(item.path("error").asText());
                fault |= r.errorMessage() != null;
                if (r.headers().containsKey("Retry-After")) retryAfter = r.headers().get("Retry-After");
            } else if (r.status() == MediatorStatus.SUCCESSFUL && status != MediatorStatus.FAILED) {
                status = MediatorStatus.SUCCESSFUL;
                http = Math.max(http, r.httpStatus());
            }
        }
        if (errors.isEmpty()) return MediatorResponse.json(status, http, body);
        String error = String.join("; ", errors);
        body.put("error", error);
        if (!fault) return MediatorResponse.json(MediatorStatus.FAILED, http, body);
        MediatorResponse failed = MediatorResponse.failed(http, body, error);
        return retryAfter == null ? failed : failed.header("Retry-After", retryAfter);
    }
}
