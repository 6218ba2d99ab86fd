package org.chis.common.openhim;

/**
 * One mediator of the suite: its name (config folder, state schema, registration) and what it puts on the app.
 * {@link MediatorApp#start(Mediator, org.chis.common.config.Settings)} creates the app, calls {@link #install},
 * starts it (listen, then register) and closes it again if anything on the way fails; {@link MediatorApp#run} adds
 * the shutdown hook, so every mediator's {@code main} is one call.
 */
public interface Mediator {
    String name();

    /**
     * Opens what the mediator needs (its state store through {@link MediatorApp#closeWithApp}), runs its start-up
     * recovery, and installs its routes and health facts. Throw to stop the start (a broken mapping file).
     */
    void install(MediatorApp app);

    /** Called once the app listens and registration is under way (e.g. to warm up something slow in the background). */
    default void started(MediatorApp app) { }
}
