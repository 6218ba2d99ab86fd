package org.chis.mediator.smscodecard;

import org.chis.common.openhim.MediatorApp;

/** Starts the sms-codecard mediator: listens, then registers with OpenHIM core. */
public final class Main {
    private Main() {}

    public static MediatorApp start(String[] args) {
        MediatorApp app = MediatorApp.create("sms-codecard", args);
        return app.start();
    }

    public static void main(String[] args) {
        MediatorApp app = start(args);
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
    }
}
