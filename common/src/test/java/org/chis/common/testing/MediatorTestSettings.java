package org.chis.common.testing;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.Settings;

/**
 * The settings a test starts a mediator with, built once here instead of copied into every fixture: a stand-alone
 * mediator (free port on 127.0.0.1, no registration with core, no inbound Basic credentials) on its own state
 * database, plus the upstreams a test points at simulators.
 *
 * <pre>
 * Settings s = MediatorTestSettings.standalone(MediatorTestSettings.memoryDb("sms"))
 *         .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
 *         .set("sms.workers", "4")
 *         .setAll(extra)
 *         .in(CONFIG);
 * </pre>
 */
public final class MediatorTestSettings {
    private final Map<String, String> values = new HashMap<>();

    private MediatorTestSettings() {}

    /** A mediator reachable only on 127.0.0.1 at a free port, not registering with core, open to any caller, state in {@code dbUrl}. */
    public static MediatorTestSettings standalone(String dbUrl) {
        return new MediatorTestSettings()
                .set("mediator.port", "0")
                .set("mediator.host", "localhost")
                .set("mediator.bind", "127.0.0.1")
                .inbound("", "")
                .set("core.register", "false")
                .set("db.url", dbUrl);
    }

    /**
     * A mediator that registers with a real OpenHIM core started by the test ({@code coreSettings}: its API URL and
     * login, e.g. {@code OpenHimCore.settingsFor()}), installs its default channels, takes core's routes with Basic
     * {@code openhim-core} / {@link #ROUTE_PASSWORD} on a free port of 127.0.0.1 and heartbeats every 2 s (so a console
     * config edit arrives quickly), with its state in {@code dbUrl}.
     */
    public static MediatorTestSettings registeredWith(Map<String, String> coreSettings, String dbUrl) {
        return registeredWith(coreSettings).set("db.url", dbUrl);
    }

    /** As {@link #registeredWith(Map, String)} for a mediator that keeps no state (the bench's pass-through). */
    public static MediatorTestSettings registeredWith(Map<String, String> coreSettings) {
        return new MediatorTestSettings()
                .setAll(coreSettings)
                .set("core.register", "true")
                .set("core.channels.install", "true")
                .set("mediator.port", "0")
                .set("mediator.host", "127.0.0.1")
                .set("mediator.bind", "127.0.0.1")
                .inbound("openhim-core", ROUTE_PASSWORD)
                .set("mediator.heartbeat.periodMs", "2000");
    }

    /** The inbound password {@link #registeredWith} gives core's routes. */
    public static final String ROUTE_PASSWORD = "route-secret";

    /** An in-memory H2 database of its own (kept while the JVM runs), named {@code name-<uuid>}. */
    public static String memoryDb(String name) {
        return "jdbc:h2:mem:" + name + "-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    }

    public MediatorTestSettings set(String key, String value) {
        values.put(key, value);
        return this;
    }

    /** The test's own keys, applied last: they override anything set before. */
    public MediatorTestSettings setAll(Map<String, String> more) {
        values.putAll(more);
        return this;
    }

    /** The Basic credentials core's routes must send (empty user: no check). */
    public MediatorTestSettings inbound(String user, String password) {
        return set("mediator.inbound.username", user).set("mediator.inbound.password", password);
    }

    /** {@code <system>.url}, {@code .user}, {@code .password} (openmrs, dhis2, opensrp ...). */
    public MediatorTestSettings upstream(String system, String url, String user, String password) {
        return set(system + ".url", url).set(system + ".user", user).set(system + ".password", password);
    }

    /** CommCare HQ: its URL, project space and API key user. */
    public MediatorTestSettings commCare(String url, String domain, String user, String apiKey) {
        return set("commcare.url", url).set("commcare.domain", domain).set("commcare.user", user).set("commcare.apiKey", apiKey);
    }

    /** A copy of the keys as they stand. */
    public Map<String, String> map() { return new HashMap<>(values); }

    /** The settings, with relative files (mapping folders, code cards) resolved against {@code configDir}. */
    public Settings in(Path configDir) { return Settings.of(map(), configDir); }
}
