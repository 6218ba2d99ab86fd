package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;
import org.chis.common.http.BadInputException;

/** Every source's mapping, read once at start from {@code referral.sourcesDir}; a broken file stops the start, listing every problem of every file. */
final class ReferralSources {
    private final Map<String, ReferralMapping> bySource = new LinkedHashMap<>();

    static ReferralSources load(Path dir) {
        ReferralSources s = new ReferralSources();
        if (!Files.isDirectory(dir)) throw new ConfigException("referral.sourcesDir " + dir + " is not a folder");
        List<ConfigProblem> problems = new ArrayList<>();
        List<Path> files = JsonConfigReader.jsonFiles(dir, problems);
        for (Path f : files) {
            Node root = JsonConfigReader.read(f, problems);
            ReferralMapping m = root == null ? null : ReferralMapping.read(root);
            if (m != null && s.bySource.putIfAbsent(m.source(), m) != null) root.problem("source", "'" + m.source() + "' is mapped twice");
        }
        if (files.isEmpty() && problems.isEmpty()) problems.add(new ConfigProblem(dir.toString(), null, "no referral mapping (*.json)"));
        ConfigException.throwIfAny("referral mappings in " + dir, problems);
        return s;
    }

    int size() { return bySource.size(); }

    boolean has(String source) { return bySource.containsKey(source); }

    /** The named source's mapping, or the one whose detect path the document has. */
    ReferralMapping pick(String source, JsonNode doc) {
        if (source != null && !source.isBlank()) {
            ReferralMapping m = bySource.get(source);
            if (m == null) throw new BadInputException("unknown referral source '" + source + "' (known: " + bySource.keySet() + ")");
            return m;
        }
        for (ReferralMapping m : bySource.values()) if (m.recognises(doc)) return m;
        throw new BadInputException("cannot tell which app sent this referral: add ?source=" + String.join("|", bySource.keySet())
                + " or send a document one of the mappings recognises");
    }
}
