package org.chis.mediator.dhis2;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.chis.common.config.Settings;
import org.chis.common.openhim.Mediator;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorServer;
import org.chis.common.saga.Compensators;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.dhis2.Dhis2Client;
import org.chis.common.work.Recovery;

/**
 * The dhis2 mediator: aggregate reports ({@code POST /dhis2/aggregate}, {@code GET /dhis2/aggregate/pull}), tracker
 * ({@code POST /dhis2/tracker}) and the DHIS2 -> CommCare import ({@code GET /dhis2/import}). Mapping files are read
 * once at start: a broken one stops the start.
 */
public final class Dhis2Mediator implements Mediator {
    public static final String NAME = "dhis2";

    @Override
    public String name() { return NAME; }

    @Override
    public void install(MediatorApp app) {
        Settings s = app.settings();
        StateStore store = app.closeWithApp(StateStore.open(s, NAME));
        Dhis2Client dhis2 = Dhis2Client.fromSettings(app.http(), s);
        DataSetMaps maps = DataSetMaps.load(s.file("aggregate.mapsDir", "datasets"));
        List<TrackerMapping> trackerMappings = TrackerMapping.loadAll(s.file("tracker.mappingsDir", "tracker"));
        AggregateEndpoint aggregate = new AggregateEndpoint(dhis2, app.http(), s, maps);
        // no sagas here (DHIS2 imports all or nothing): recovery only frees the claims a dead process held
        Recovery recovery = Recovery.of(s, store);
        recovery.atStartUp(new Compensators(), TrackerEndpoint.LEASE, TrackerEndpoint.LEDGER_KIND);
        TrackerEndpoint tracker = new TrackerEndpoint(dhis2, store, recovery.idempotent(TrackerEndpoint.LEDGER_KIND, TrackerEndpoint.LEASE),
                trackerMappings);
        Path importFile = s.file("import.mapping", "import.json");
        TrackedEntityImport importer = Files.isRegularFile(importFile)
                ? new TrackedEntityImport(dhis2, CommCareClient.onDemand(app.http(), s), store, s, ImportMapping.load(importFile))
                : null;
        app.route("POST", "/dhis2/aggregate", MediatorServer.JSON, aggregate::push)
                .route("GET", "/dhis2/aggregate/pull", aggregate::pull)
                .route("POST", "/dhis2/tracker", MediatorServer.JSON, tracker::handle)
                .route("GET", "/dhis2/import", importer != null ? importer::handle
                        : (r, tx) -> MediatorResponse.rejected(404, "the DHIS2 -> CommCare import is not configured: " + importFile + " does not exist"))
                .healthFact("store", store::healthy)
                .healthFact("dataSetMaps", maps::size)
                .healthFact("trackerMappings", trackerMappings::size)
                .healthFact("importMarker", () -> store.feedMarkers().get(TrackedEntityImport.FEED).orElse("(none)"));
    }
}
