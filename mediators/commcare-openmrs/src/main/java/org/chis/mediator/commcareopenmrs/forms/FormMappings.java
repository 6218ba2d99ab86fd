package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.chis.common.config.ConfigException;
import org.chis.common.json.Json;

/**
 * Every form mapping of the folder {@code forms.mappingsDir}, by source and form type. Loaded once at start-up;
 * any mistake in any file stops the start with all problems listed (file, JSON path, what is wrong).
 */
final class FormMappings {
    private final Map<String, FormMapping> byType;

    private FormMappings(Map<String, FormMapping> byType) { this.byType = byType; }

    static FormMappings load(Path dir) {
        if (!Files.isDirectory(dir)) throw new ConfigException("forms.mappingsDir: " + dir + " is not a folder");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new ConfigException("forms.mappingsDir: cannot list " + dir + ": " + e.getMessage(), e);
        }
        List<String> errors = new ArrayList<>();
        Map<String, FormMapping> byType = new LinkedHashMap<>();
        for (Path f : files) {
            JsonNode doc;
            try {
                doc = Json.parse(Files.readString(f, StandardCharsets.UTF_8));
            } catch (IOException | IllegalArgumentException e) {
                errors.add(f.getFileName() + ": not readable JSON: " + e.getMessage());
                continue;
            }
            FormMapping m = FormMapping.read(f, doc, errors);
            if (m == null) continue;
            FormMapping earlier = byType.putIfAbsent(key(m.source(), m.formType()), m);
            if (earlier != null) errors.add(f.getFileName() + ": $.formType: '" + m.formType() + "' is already mapped by " + earlier.file());
        }
        if (files.isEmpty()) errors.add(dir + ": no *.json form mappings");
        if (!errors.isEmpty()) {
            throw new ConfigException("form mappings in " + dir + " have " + errors.size() + " problem(s):\n  " + String.join("\n  ", errors));
        }
        return new FormMappings(Map.copyOf(byType));
    }

    Optional<FormMapping> find(FormMapping.Source source, String formType) {
        return Optional.ofNullable(byType.get(key(source, formType)));
    }

    List<String> formTypes(FormMapping.Source source) {
        return byType.values().stream().filter(m -> m.source() == source).map(FormMapping::formType).sorted().toList();
    }

    private static String key(FormMapping.Source source, String formType) { return source.label + " " + formType; }
}
