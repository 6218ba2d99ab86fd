package org.chis.mediator.dhis2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.chis.common.config.ConfigException;
import org.chis.common.openhim.BadInputException;

/** Every data set map of a folder ({@code *.json}), by report name. Loaded at start-up: a broken file stops the start. */
public final class DataSetMaps {
    private final Map<String, DataSetMap> byReport;

    public DataSetMaps(Map<String, DataSetMap> byReport) { this.byReport = Map.copyOf(byReport); }

    public static DataSetMaps load(Path dir) {
        Map<String, DataSetMap> maps = new TreeMap<>();
        if (!Files.isDirectory(dir)) return new DataSetMaps(maps);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                DataSetMap m = DataSetMap.load(f);
                if (maps.put(m.report(), m) != null) throw new ConfigException("two data set maps for report '" + m.report() + "' in " + dir);
            }
        } catch (IOException e) {
            throw new ConfigException("data set maps in " + dir + ": " + e.getMessage());
        }
        return new DataSetMaps(maps);
    }

    /** The map of {@code report}, or a 400 naming the reports there are. */
    public DataSetMap get(String report) {
        if (report == null || report.isBlank()) throw new BadInputException("the report name is missing: give 'report' in the body (before 'rows') or ?report=");
        DataSetMap m = byReport.get(report);
        if (m == null) throw new BadInputException("no data set map for report '" + report + "' (known: " + byReport.keySet() + ")");
        return m;
    }

    public int size() { return byReport.size(); }
}
