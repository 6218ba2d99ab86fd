package org.chis.mediator.dhis2;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;
import org.chis.common.http.BadInputException;

/** Every data set map of a folder ({@code *.json}), by report name. Loaded at start-up: broken files stop the start, every problem listed. */
public final class DataSetMaps {
    private final Map<String, DataSetMap> byReport;

    public DataSetMaps(Map<String, DataSetMap> byReport) { this.byReport = Map.copyOf(byReport); }

    public static DataSetMaps load(Path dir) {
        Map<String, DataSetMap> maps = new TreeMap<>();
        if (!Files.isDirectory(dir)) return new DataSetMaps(maps);
        List<ConfigProblem> problems = new ArrayList<>();
        Map<String, String> fileOf = new HashMap<>();
        for (Path f : JsonConfigReader.jsonFiles(dir, problems)) {
            Node root = JsonConfigReader.read(f, problems);
            DataSetMap m = root == null ? null : DataSetMap.read(root);
            if (m == null) continue;
            String earlier = fileOf.putIfAbsent(m.report(), root.file());
            if (earlier != null) root.problem("report", "'" + m.report() + "' is already mapped by " + earlier + " (one map per report)");
            else maps.put(m.report(), m);
        }
        ConfigException.throwIfAny("data set maps in " + dir, problems);
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
