package org.chis.mediator.dhis2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorServer;
import org.chis.common.saga.Compensators;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.dhis2.Dhis2Client;
import org.chis.common.work.Recovery;

/**
 * Starts the dhis2 mediator: aggregate reports ({@code POST /dhis2/aggregate}, {@code GET /dhis2/aggregate/pull}),
 * tracker ({@code POST /dhis2/tracker}) and the DHIS2 -> CommCare import ({@code GET /dhis2/import}); listens,
 * then registers with OpenHIM core. Mapping files are read once at start: a broken one stops the start.
 */
public final class Main {
    private Main() {}

    public static MediatorApp start(String[] args) { return start(MediatorApp.create("dhis2", args)); }

    public static MediatorApp start(Settings settings) { return start(MediatorApp.create("dhis2", settings)); }

    private static MediatorApp start(MediatorApp app) {
        Settings s = app.settings();
        StateStore store = app.closeWithApp(StateStore.open(s, "dhis2"));
        Dhis2Client dhis2 = new Dhis2Client(app.http(), s);
        DataSetMaps maps = DataSetMaps.load(s.file("aggregate.mapsDir", "datasets"));
        List<TrackerMapping> trackerMappings = trackerMappings(s.file("tracker.mappingsDir", "tracker"));
        AggregateEndpoint aggregate = new AggregateEndpoint(dhis2, app.http(), s, maps);
        // no sagas here (DHIS2 imports all or nothing): recovery only frees the claims a dead process held
        Recovery recovery = Recovery.of(s, store);
        recovery.atStartUp(new Compensators(), TrackerEndpoint.LEASE, TrackerEndpoint.LEDGER_KIND);
        TrackerEndpoint tracker = new TrackerEndpoint(dhis2, store, recovery.idempotent(TrackerEndpoint.LEDGER_KIND, TrackerEndpoint.LEASE),
                trackerMappings);
        Path importFile = s.file("import.mapping", "import.json");
        TrackedEntityImport importer = Files.isRegularFile(importFile)
                ? new TrackedEntityImport(dhis2, () -> CommCareClient.fromSettings(app.http(), s), store, s, ImportMapping.load(importFile))
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
        return app.start();
    }

    static List<TrackerMapping> trackerMappings(Path dir) {
        List<TrackerMapping> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) out.add(TrackerMapping.load(f));
        } catch (IOException e) {
            throw new ConfigException("tracker mappings in " + dir + ": " + e.getMessage());
        }
        return out;
    }

    public static void main(String[] args) {
        MediatorApp app = start(args);
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
    }
}
