package org.chis.mediator.referral;

import org.chis.common.openhim.MediatorApp;

/** Starts the referral mediator: listens, then registers with OpenHIM core. */
public final class Main {
    private Main() {}

    public static MediatorApp start(String[] args) {
        MediatorApp app = MediatorApp.create("referral", args);
        return app.start();
    }

    public static void main(String[] args) {
        MediatorApp app = start(args);
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
    }
}
