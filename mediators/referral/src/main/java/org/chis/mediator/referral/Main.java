package org.chis.mediator.referral;

import java.time.Clock;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;

/** Starts the referral mediator ({@link ReferralMediator}): listens, then registers with OpenHIM core. */
public final class Main {
    private Main() {}

    public static void main(String[] args) { MediatorApp.run(new ReferralMediator(Clock.systemUTC()), args); }

    /** Tests and benchmarks: the mediator on their own settings. */
    public static MediatorApp start(Settings settings) { return start(settings, Clock.systemUTC()); }

    /** With an injected clock: expiry windows and recorded times follow it (tests move it forward). */
    public static MediatorApp start(Settings settings, Clock clock) { return MediatorApp.start(new ReferralMediator(clock), settings); }
}
