package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.chis.common.config.ConfigException;
import org.chis.common.openhim.BadInputException;

/** Every source's mapping, read once at start from {@code referral.sourcesDir}; a broken file stops the start. */
final class ReferralSources {
    private final Map<String, ReferralMapping> bySource = new LinkedHashMap<>();

    static ReferralSources load(Path dir) {
        ReferralSources s = new ReferralSources();
        if (!Files.isDirectory(dir)) throw new ConfigException("referral.sourcesDir " + dir + " is not a folder");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                ReferralMapping m = ReferralMapping.load(f);
                if (s.bySource.putIfAbsent(m.source(), m) != null) throw new ConfigException(f + ": source '" + m.source() + "' is mapped twice");
            }
        } catch (IOException e) {
            throw new ConfigException("referral mappings in " + dir + ": " + e.getMessage());
        }
        if (s.bySource.isEmpty()) throw new ConfigException("no referral mapping (*.json) in " + dir);
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
