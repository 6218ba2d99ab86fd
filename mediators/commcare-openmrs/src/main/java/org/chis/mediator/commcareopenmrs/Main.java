package org.chis.mediator.commcareopenmrs;

import org.chis.common.openhim.MediatorApp;

/** Starts the commcare-openmrs mediator: opens its state store, installs its routes, listens, registers with OpenHIM core. */
public final class Main {
    private Main() {}

    public static void main(String[] args) { MediatorApp.run(new CommCareOpenMrsMediator(), args); }

    /** Tests and benchmarks build the app from their own settings (simulator URLs, temp database) and start it here. */
    public static MediatorApp start(MediatorApp app) { return app.start(new CommCareOpenMrsMediator()); }
}
