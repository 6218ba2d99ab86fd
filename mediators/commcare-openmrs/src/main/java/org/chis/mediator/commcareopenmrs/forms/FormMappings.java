package org.chis.mediator.commcareopenmrs.forms;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;

/**
 * Every form mapping of the folder {@code forms.mappingsDir}, by source and form type. Loaded once at start-up;
 * any mistake in any file stops the start with all problems listed (file, JSON path, what is wrong).
 */
final class FormMappings {
    private final Map<String, FormMapping> byType;

    private FormMappings(Map<String, FormMapping> byType) { this.byType = byType; }

    static FormMappings load(Path dir) {
        if (!Files.isDirectory(dir)) throw new ConfigException("forms.mappingsDir: " + dir + " is not a folder");
        List<ConfigProblem> problems = new ArrayList<>();
        List<Path> files = JsonConfigReader.jsonFiles(dir, problems);
        Map<String, FormMapping> byType = new LinkedHashMap<>();
        for (Path f : files) {
            Node doc = JsonConfigReader.read(f, problems);
            FormMapping m = doc == null ? null : FormMapping.read(doc);
            if (m == null) continue;
            FormMapping earlier = byType.putIfAbsent(key(m.source(), m.formType()), m);
            if (earlier != null) doc.problem("formType", "'" + m.formType() + "' is already mapped by " + earlier.file());
        }
        if (files.isEmpty() && problems.isEmpty()) problems.add(new ConfigProblem(dir.toString(), null, "no *.json form mappings"));
        ConfigException.throwIfAny("form mappings in " + dir, problems);
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
