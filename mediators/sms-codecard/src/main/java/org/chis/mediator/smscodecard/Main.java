package org.chis.mediator.smscodecard;

import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;

/** Starts the sms-codecard mediator ({@link SmsCodecardMediator}): listens, then registers with OpenHIM core. */
public final class Main {
    private Main() {}

    public static void main(String[] args) { MediatorApp.run(new SmsCodecardMediator(), args); }

    /** Tests and benchmarks: the mediator on their own settings (simulator URLs, temp database, fixed clock). */
    public static MediatorApp start(Settings settings) { return MediatorApp.start(new SmsCodecardMediator(), settings); }
}
