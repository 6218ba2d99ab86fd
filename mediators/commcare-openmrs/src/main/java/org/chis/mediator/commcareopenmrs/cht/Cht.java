package org.chis.mediator.commcareopenmrs.cht;

import java.util.HashSet;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorServer;
import org.chis.common.openhim.RequestHandler;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.mediator.commcareopenmrs.feeds.FeedMapping;
import org.chis.mediator.commcareopenmrs.feeds.FeedSync;
import org.chis.mediator.commcareopenmrs.forms.SourceIntake;

/**
 * CHT as a source and a target of OpenMRS: {@code POST /cht/reports} (CHT's outbound push -> the forms workflow) and
 * {@code GET|POST /cht/feeds/poll} (the OpenMRS feeds -> CHT people and reports, polled by an OpenHIM channel).
 */
public final class Cht {
    public static final String REPORTS_PATH = ChtReports.PATH;
    public static final String POLL_PATH = "/cht/feeds/poll";

    private Cht() {}

    public static void install(MediatorApp app, StateStore store, SourceIntake intake) {
        Settings s = app.settings();
        ChtReports reports = new ChtReports(intake, s.get("cht.keys.id", "id"), s.get("cht.keys.form", "form"), s.get("cht.keys.rev", "rev"),
                new HashSet<>(FeedSync.list(s.get("cht.ownForms", "OPENMRS_ENCOUNTER"))), FeedSync.list(s.get("cht.epochMillisKeys", "reported_date")));
        app.route("POST", REPORTS_PATH, MediatorServer.JSON, reports::handle);
        if (!s.getBool("cht.feeds.enabled", false)) {
            RequestHandler off = (req, tx) -> MediatorResponse.completed(Json.object().put("message", "cht.feeds.enabled=false: OpenMRS feeds are not sent to CHT"));
            app.route("GET", POLL_PATH, off).route("POST", POLL_PATH, off);
            return;
        }
        FeedSync poll = FeedSync.forTarget(s, app.http(), store, target(s, app, store), FeedSync.list(s.get("cht.feeds.categories", "patient,encounter")),
                "cht.feeds.start");
        app.route("GET", POLL_PATH, poll::handle).route("POST", POLL_PATH, poll::handle);
    }

    static ChtTarget target(Settings s, MediatorApp app, StateStore store) {
        String place = s.get("cht.person.parentPlace", "").trim();
        if (place.isEmpty()) throw new ConfigException("cht.person.parentPlace: the CHT place (doc id) new people are filed under is required when cht.feeds.enabled=true");
        String contactType = blankToNull(s.get("cht.person.contactType", ""));
        ChtTarget.Settings t = new ChtTarget.Settings(place, contactType, blankToNull(s.get("cht.person.identifierType", "")),
                s.get("cht.report.form", "OPENMRS_ENCOUNTER"), s.get("cht.report.from", "openmrs"));
        return new ChtTarget(OpenMrsClient.fromSettings(app.http(), s), new ChtClient(app.http(), s), store.idMap(),
                FeedMapping.load(s.file("feeds.mapping", "feeds.json")), t);
    }

    private static String blankToNull(String v) { return v == null || v.isBlank() ? null : v.trim(); }

}
