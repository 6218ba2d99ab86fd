package org.chis.mediator.referral;

import java.time.Clock;
import org.chis.common.config.Settings;
import org.chis.common.openhim.Mediator;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorServer;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.Saga;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.fhir.FhirClient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.work.Recovery;

/**
 * The referral mediator: {@code POST /referrals} (community app -> EMR and FHIR Task), {@code PUT|POST
 * /referrals/{id}/status} (facility app), {@code GET /referrals/{id}}, and {@code GET /referrals/sync} (polling
 * channel: Task changes, expiry, push-back).
 */
public final class ReferralMediator implements Mediator {
    public static final String NAME = "referral";

    private final Clock clock;

    /** With an injected clock: expiry windows and recorded times follow it (tests move it forward). */
    public ReferralMediator(Clock clock) { this.clock = clock; }

    @Override
    public String name() { return NAME; }

    @Override
    public void install(MediatorApp app) {
        Settings s = app.settings();
        ReferralConfig.of(s); // a bad setting stops the start, not the first referral
        ReferralSources sources = ReferralSources.load(s.file("referral.sourcesDir", "sources"));
        StateStore store = app.closeWithApp(StateStore.open(s, NAME));
        OpenMrsClient openmrs = OpenMrsClient.fromSettings(app.http(), s);
        FhirClient fhir = FhirClient.fromSettings(app.http(), s);
        EmrReferral emr = new EmrReferral(openmrs);
        FhirReferral fhirOut = new FhirReferral(fhir);
        Compensators compensators = new Compensators();
        emr.register(compensators);
        fhirOut.register(compensators);
        Saga saga = new Saga(store, compensators);
        // referrals a crash interrupted mid-saga: undo their leftovers and free their claims (db.replicas=single), so
        // the resend is taken at once; each is rerunnable afterwards
        Recovery recovery = Recovery.of(s, store);
        recovery.atStartUp(compensators, Intake.LEASE, Intake.LEDGER_KIND);
        ReferralRecords records = new ReferralRecords(store, clock);
        CommunityPush push = new CommunityPush(s, app.http(), CommCareClient.onDemand(app.http(), s), clock);
        StatusChanges changes = new StatusChanges(fhir, records, push, clock);
        Intake intake = new Intake(sources, s, emr, fhirOut, saga, recovery.idempotent(Intake.LEDGER_KIND, Intake.LEASE), records, clock);
        StatusEndpoint status = new StatusEndpoint(records, changes);
        StatusSync sync = new StatusSync(fhir, store, records, changes, s, clock);
        app.route("POST", "/referrals", MediatorServer.JSON, intake::handle)
                .route("GET", "/referrals/sync", sync::handle)
                .route("PUT", StatusEndpoint.STATUS_PATH, MediatorServer.JSON, status::change)
                .route("POST", StatusEndpoint.STATUS_PATH, MediatorServer.JSON, status::change)
                .route("GET", StatusEndpoint.REFERRAL_PATH, status::show)
                .healthFact("store", store::healthy)
                .healthFact("sources", sources::size);
    }

    @Override
    public void started(MediatorApp app) {
        // the validator loads the R4 spec (seconds of a core): in the background, not on the first referral, and only
        // once the server listens, so it does not hold up start-up and registration on a small machine
        Thread warm = new Thread(FhirValidation::warmUp, "fhir-validator-warm-up");
        warm.setDaemon(true);
        warm.start();
    }
}
