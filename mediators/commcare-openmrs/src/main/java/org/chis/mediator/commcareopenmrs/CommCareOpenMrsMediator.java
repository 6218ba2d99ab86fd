package org.chis.mediator.commcareopenmrs;

import org.chis.common.openhim.Mediator;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.store.StateStore;
import org.chis.mediator.commcareopenmrs.feeds.FeedSync;
import org.chis.mediator.commcareopenmrs.forms.Forms;

/** The commcare-openmrs mediator: forms and OpenSRP events -> OpenMRS, OpenMRS atom feeds -> CommCare. */
public final class CommCareOpenMrsMediator implements Mediator {
    public static final String NAME = "commcare-openmrs";

    @Override
    public String name() { return NAME; }

    @Override
    public void install(MediatorApp app) {
        StateStore store = app.closeWithApp(StateStore.open(app.settings(), NAME));
        app.healthFact("database", store::healthy);
        // forms -> OpenMRS (start-up recovery of interrupted form sagas included)
        Forms.install(app, store);
        // OpenMRS atom feeds -> CommCare
        FeedSync.install(app, store);
    }
}
