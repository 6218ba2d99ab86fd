package org.chis.mediator.commcareopenmrs.opensrp;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.RequestHandler;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.mediator.commcareopenmrs.forms.SourceIntake;

/**
 * OpenSRP as a polled source: {@code GET|POST /opensrp/events/pull} (an OpenHIM polling channel) -> the forms workflow;
 * {@code GET|POST /opensrp/practitioners/sync} (a polling channel) -> OpenMRS providers.
 */
public final class OpenSrp {
    public static final String PULL_PATH = "/opensrp/events/pull";
    public static final String PRACTITIONERS_PATH = "/opensrp/practitioners/sync";
    /** EventResource.sync's filters; it answers 400 without at least one. */
    static final String[] FILTERS = {"providerId", "locationId", "team", "teamId"};

    private OpenSrp() {}

    public static void install(MediatorApp app, StateStore store, SourceIntake intake) {
        installPull(app, store, intake);
        installPractitioners(app, store);
    }

    private static void installPractitioners(MediatorApp app, StateStore store) {
        Settings s = app.settings();
        if (!s.getBool("opensrp.practitioners.enabled", false)) {
            RequestHandler off = (req, tx) -> MediatorResponse.completed(Json.object().put("message", "opensrp.practitioners.enabled=false: practitioners are not synced"));
            app.route("GET", PRACTITIONERS_PATH, off).route("POST", PRACTITIONERS_PATH, off);
            return;
        }
        s.require("opensrp.url");
        String field = s.get("opensrp.practitioners.providerIdentifier", "username").trim().toUpperCase(Locale.ROOT);
        ProviderSync.IdentifierField f;
        try {
            f = ProviderSync.IdentifierField.valueOf(field);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("opensrp.practitioners.providerIdentifier: '" + field.toLowerCase(Locale.ROOT) + "' is neither 'username' nor 'identifier'");
        }
        ProviderSync sync = new ProviderSync(new OpenSrpClient(app.http(), s), OpenMrsClient.fromSettings(app.http(), s), store, f);
        app.route("GET", PRACTITIONERS_PATH, sync::handle).route("POST", PRACTITIONERS_PATH, sync::handle);
    }

    private static void installPull(MediatorApp app, StateStore store, SourceIntake intake) {
        Settings s = app.settings();
        if (!s.getBool("opensrp.pull.enabled", false)) {
            RequestHandler off = (req, tx) -> MediatorResponse.completed(Json.object().put("message", "opensrp.pull.enabled=false: OpenSRP events are not pulled"));
            app.route("GET", PULL_PATH, off).route("POST", PULL_PATH, off);
            return;
        }
        Map<String, String> filters = new LinkedHashMap<>();
        for (String f : FILTERS) {
            String v = s.get("opensrp.pull." + f, "").trim();
            if (!v.isEmpty()) filters.put(f, v);
        }
        if (filters.isEmpty()) {
            throw new ConfigException("opensrp.pull.enabled=true needs at least one of opensrp.pull.locationId, .providerId, .team, .teamId"
                    + " (OpenSRP's event sync answers 400 without a filter)");
        }
        s.require("opensrp.url");
        EventPull.Limits limits = new EventPull.Limits(positive(s, "opensrp.pull.pageSize", 25), positive(s, "opensrp.pull.maxPages", 20),
                s.getLong("opensrp.pull.startServerVersion", 0));
        EventPull pull = new EventPull(new OpenSrpClient(app.http(), s), intake, store, filters, limits);
        app.route("GET", PULL_PATH, pull::handle).route("POST", PULL_PATH, pull::handle);
    }

    private static int positive(Settings s, String key, int fallback) {
        int v = s.getInt(key, fallback);
        if (v < 1) throw new ConfigException(key + ": " + v + " is not a positive number");
        return v;
    }
}
