package org.chis.mediator.dhis2;

import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;

/** Starts the dhis2 mediator ({@link Dhis2Mediator}): listens, then registers with OpenHIM core. */
public final class Main {
    private Main() {}

    public static void main(String[] args) { MediatorApp.run(new Dhis2Mediator(), args); }

    /** Tests and benchmarks: the mediator on their own settings (simulator URLs, temp database). */
    public static MediatorApp start(Settings settings) { return MediatorApp.start(new Dhis2Mediator(), settings); }
}
