package org.chis.mediator.commcareopenmrs;

import org.chis.common.openhim.MediatorApp;
import org.chis.common.store.StateStore;
import org.chis.mediator.commcareopenmrs.cht.Cht;
import org.chis.mediator.commcareopenmrs.forms.Forms;
import org.chis.mediator.commcareopenmrs.opensrp.OpenSrp;

/** Starts the commcare-openmrs mediator: opens its state store, installs its routes, listens, registers with OpenHIM core. */
public final class Main {
    private Main() {}

    public static MediatorApp start(String[] args) {
        return start(MediatorApp.create("commcare-openmrs", args));
    }

    /** Tests build the app from their own settings (simulator URLs, temp database) and start it here. */
    public static MediatorApp start(MediatorApp app) {
        StateStore store = app.closeWithApp(StateStore.open(app.settings(), "commcare-openmrs"));
        app.healthFact("database", store::healthy);
        // forms -> OpenMRS routes are installed here (forms package)
        Forms forms = Forms.install(app, store);
        // OpenMRS atom feeds -> CommCare routes are installed here (feeds package)
        org.chis.mediator.commcareopenmrs.feeds.FeedSync.install(app, store);
        // CHT outbound push -> the same forms workflow; OpenMRS feeds -> CHT people and reports (cht package)
        Cht.install(app, store, forms.intake());
        // OpenSRP event sync pulled (polling channel) -> the same forms workflow (opensrp package)
        OpenSrp.install(app, store, forms.intake());
        return app.start();
    }

    public static void main(String[] args) {
        MediatorApp app = start(args);
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
    }
}
