package org.chis.mediator.commcareopenmrs;

import org.chis.common.openhim.Mediator;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.store.StateStore;
import org.chis.mediator.commcareopenmrs.cht.Cht;
import org.chis.mediator.commcareopenmrs.feeds.FeedSync;
import org.chis.mediator.commcareopenmrs.forms.Forms;
import org.chis.mediator.commcareopenmrs.opensrp.OpenSrp;
import org.chis.mediator.commcareopenmrs.tracing.Tracing;

/** The commcare-openmrs mediator: forms, OpenSRP events (POSTed or pulled) and CHT reports -> OpenMRS; OpenMRS atom feeds
 *  -> CommCare and CHT; OpenSRP practitioners -> OpenMRS providers; lost-to-follow-up tracing. */
public final class CommCareOpenMrsMediator implements Mediator {
    public static final String NAME = "commcare-openmrs";

    @Override
    public String name() { return NAME; }

    @Override
    public void install(MediatorApp app) {
        StateStore store = app.closeWithApp(StateStore.open(app.settings(), NAME));
        app.healthFact("database", store::healthy);
        // forms -> OpenMRS (start-up recovery of interrupted form sagas included)
        Forms forms = Forms.install(app, store);
        // OpenMRS atom feeds -> CommCare
        FeedSync.install(app, store);
        // CHT outbound push -> the same forms workflow; OpenMRS feeds -> CHT people and reports
        Cht.install(app, store, forms.intake());
        // OpenSRP event sync pulled -> the same forms workflow; OpenSRP practitioners -> OpenMRS providers
        OpenSrp.install(app, store, forms.intake());
        // OpenMRS patients who missed a visit or refill -> trace tasks for the CHW
        Tracing.install(app, store, forms.intake());
    }
}
