package org.chis.mediator.commcareopenmrs.forms;

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
import org.chis.common.openhim.TransactionContext;
import org.chis.common.saga.ClaimRelease;
import org.chis.common.saga.SagaRecovery;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forms -> OpenMRS: {@code POST /commcare/forms} (CommCare data-forwarding form JSON) and {@code POST /opensrp/events}
 * (an OpenSRP event, or a sync body {@code {"clients":[…],"events":[…]}}) through one {@link FormWorkflow}.
 * Id map namespaces it writes (other parts of the mediator read them, see the README):
 * {@value #CASE_TO_PATIENT}, {@value #OPENSRP_CLIENT_TO_PATIENT}, {@value #FORM_TO_ENCOUNTER}, {@value #FORM_TO_PATIENT}.
 */
public final class Forms {
    private static final Logger log = LoggerFactory.getLogger(Forms.class);

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
        boolean single = singleReplica(s);
        FormWorkflow workflow = new FormWorkflow(mappings, openmrs, CommCareClient.fromSettings(http, s), store, lease, single);
        // a saga the process died in the middle of: purge its leftovers before new work touches the same patients
        SagaRecovery recovery = new SagaRecovery(store, FormWorkflow.compensators(openmrs));
        TransactionContext tx = TransactionContext.detached("forms-recovery");
        int recovered = single
                // the only process on this database: every RUNNING saga is a dead run; undo it and free its form's
                // claim (the claim number its run noted), so CommCare's resend is processed now, not 409 for the lease
                ? recovery.onRecovered(ClaimRelease.afterRecovery(store.ledger())).recover(tx)
                // another replica may be running a young saga right now: only those older than the lease are dead
                : recovery.recover(tx, lease);
        if (recovered > 0) log.warn("undid {} interrupted form saga(s) from before the restart", recovered);
        // a run that died after its claim but before its saga's first step (patient matching) left nothing to undo
        if (single && ClaimRelease.releaseDead(store.ledger(), FormWorkflow.LEDGER_KIND) > 0) log.warn("released form claims of runs that died before their saga began");
        Set<String> own = new HashSet<>(List.of(s.get("forms.ownXmlns", FEED_XMLNS).split("\\s*,\\s*")));
        return new Forms(workflow, own);
    }

    /** {@code forms.replicas}: {@code single} (default, one mediator process per state database) or {@code many}. */
    static boolean singleReplica(Settings s) {
        String replicas = s.get("forms.replicas", "single").trim().toLowerCase(java.util.Locale.ROOT);
        return switch (replicas) {
            case "single" -> true;
            case "many" -> false;
            default -> throw new IllegalArgumentException("forms.replicas: '" + replicas + "' is neither 'single' nor 'many'");
        };
    }

    MediatorResponse commCare(MediatorRequest req, TransactionContext tx) {
        Submission s = Submission.commCare(req.json());
        if (ownXmlns.contains(s.formType())) {
            // CommCare forwards every form, including those the feed sync submitted: they came from OpenMRS already
            tx.property("echo", true);
            return MediatorResponse.completed(Json.object().put("echo", true).put("message",
                    "form " + s.key() + " was submitted by the suite's OpenMRS feed sync (xmlns " + s.formType() + "); nothing written"));
        }
        return workflow.run(tx, workflow.prepare(s)).response();
    }

    MediatorResponse openSrp(MediatorRequest req, TransactionContext tx) {
        List<Submission> events = Submission.openSrp(req.json());
        // every event is checked before any is written: one bad event rejects the batch with nothing written
        List<FormWorkflow.Prepared> prepared = new ArrayList<>();
        for (Submission s : events) prepared.add(workflow.prepare(s));
        if (prepared.size() == 1) return workflow.run(tx, prepared.get(0)).response();
        List<FormWorkflow.Result> results = new ArrayList<>();
        for (FormWorkflow.Prepared p : prepared) results.add(workflow.run(tx, p));
        return FormWorkflow.combine(results).response();
    }
}
