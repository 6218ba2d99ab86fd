package org.chis.mediator.dhis2;

import org.chis.common.openhim.MediatorApp;

/** Starts the dhis2 mediator: listens, then registers with OpenHIM core. */
public final class Main {
    private Main() {}

    public static MediatorApp start(String[] args) {
        MediatorApp app = MediatorApp.create("dhis2", args);
        return app.start();
    }

    public static void main(String[] args) {
        MediatorApp app = start(args);
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
    }
}
