package org.chis.mediator.smscodecard.card;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.chis.common.json.Json;

/**
 * Reads one code card file and checks it, collecting every problem (file, field, what is wrong) instead of
 * stopping at the first: an operator fixing a card wants the whole list at once.
 */
final class CardReader {
    private static final Pattern WORD = Pattern.compile("[A-Z][A-Z0-9]*");
    private static final Pattern LABEL = Pattern.compile("[A-Z]+");

    private final String file;
    private final List<String> problems;

    private CardReader(String file, List<String> problems) {
        this.file = file;
        this.problems = problems;
    }

    /** The card in {@code path}, or null when it has problems (added to {@code problems}). */
    static CodeCard read(Path path, List<String> problems) {
        String name = path.getFileName().toString();
        JsonNode root;
        try {
            root = Json.parse(Files.readString(path, StandardCharsets.UTF_8));
        } catch (IOException e) {
            problems.add(name + ": cannot read (" + e.getMessage() + ")");
            return null;
        } catch (IllegalArgumentException e) {
            problems.add(name + ": " + e.getMessage());
            return null;
        }
        int before = problems.size();
        CodeCard card = new CardReader(name, problems).card(root);
        return problems.size() == before ? card : null;
    }

    private void problem(String where, String what) { problems.add(file + ": " + where + ": " + what); }

    private CodeCard card(JsonNode root) {
        if (!root.isObject()) {
            problems.add(file + ": a code card must be a JSON object");
            return null;
        }
        String keyword = upper(root.path("keyword").asText(""));
        if (!WORD.matcher(keyword).matches()) problem("keyword", "required, letters and digits starting with a letter (got '" + keyword + "')");
        int version = root.path("version").asInt(0);
        if (!root.path("version").isInt() || version < 1) problem("version", "required, a whole number >= 1");
        LocalDate validFrom = null;
        if (root.hasNonNull("validFrom")) {
            try {
                validFrom = LocalDate.parse(root.path("validFrom").asText());
            } catch (DateTimeParseException e) {
                problem("validFrom", "must be a date YYYY-MM-DD (got '" + root.path("validFrom").asText() + "')");
            }
        }
        Map<String, List<String>> aliases = new LinkedHashMap<>();
        root.path("aliases").fields().forEachRemaining(e -> {
            List<String> words = new ArrayList<>();
            e.getValue().forEach(w -> {
                String u = upper(w.asText());
                if (!WORD.matcher(u).matches()) problem("aliases." + e.getKey(), "'" + w.asText() + "' is not a keyword (letters and digits)");
                words.add(u);
            });
            if (e.getKey().length() != 3) problem("aliases." + e.getKey(), "languages are ISO-639-3 codes (eng, swa, fra)");
            aliases.put(e.getKey(), List.copyOf(words));
        });
        DateOrder order = DateOrder.DMY;
        if (root.hasNonNull("dateOrder")) {
            try {
                order = DateOrder.valueOf(upper(root.path("dateOrder").asText()));
            } catch (IllegalArgumentException e) {
                problem("dateOrder", "must be DMY, MDY or YMD (got '" + root.path("dateOrder").asText() + "')");
            }
        }
        List<CardField> fields = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<Integer> positions = new HashSet<>();
        Map<String, String> labelOwner = new LinkedHashMap<>();
        JsonNode fs = root.path("fields");
        if (!fs.isArray() || fs.isEmpty()) problem("fields", "required, a non-empty list");
        int i = 0;
        for (JsonNode f : fs) {
            CardField field = field(f, "fields[" + i++ + "]");
            if (field == null) continue;
            if (!names.add(field.name())) problem("field " + field.name(), "name used twice");
            if (field.position() != null && !positions.add(field.position())) problem("field " + field.name(), "position " + field.position() + " used twice");
            for (String l : field.labels()) {
                String other = labelOwner.putIfAbsent(l, field.name());
                if (other != null && !other.equals(field.name())) problem("field " + field.name(), "label " + l + " is also field " + other + "'s label");
            }
            fields.add(field);
        }
        // a bare code must not read as a label, or "ANC1" could be a label A... plus value
        for (CardField f : fields) {
            for (String code : f.codes().keySet()) {
                if (labelOwner.containsKey(code)) problem("field " + f.name(), "code " + code + " is also a label of field " + labelOwner.get(code));
            }
        }
        List<CardField> positional = fields.stream().filter(f -> f.position() != null).sorted(java.util.Comparator.comparing(CardField::position)).toList();
        for (int p = 0; p < positional.size(); p++) {
            CardField f = positional.get(p);
            if (f.type() == FieldType.TEXT && p != positional.size() - 1) problem("field " + f.name(), "a text field takes the rest of the message: it must be the last position");
        }
        List<DerivedField> derived = new ArrayList<>();
        int d = 0;
        for (JsonNode n : root.path("derived")) {
            String where = "derived[" + d++ + "]";
            String name = n.path("name").asText("");
            String from = n.path("from").asText("");
            CardField source = fields.stream().filter(f -> f.name().equals(from)).findFirst().orElse(null);
            if (name.isEmpty()) problem(where, "name is required");
            if (source == null || source.type() != FieldType.DATE) problem(where + " " + name, "from must name a date field (got '" + from + "')");
            if (!n.path("addDays").isInt()) problem(where + " " + name, "addDays must be a whole number");
            names.add(name);
            derived.add(new DerivedField(name, upper(n.path("label").asText(name)), from, n.path("addDays").asInt(), target(n.path("target"), where + " " + name)));
        }
        String patientField = root.path("patientField").asText(null);
        if (patientField != null) {
            CardField pf = fields.stream().filter(f -> f.name().equals(patientField)).findFirst().orElse(null);
            if (pf == null || pf.type() != FieldType.ID) problem("patientField", "must name an id field (got '" + patientField + "')");
        }
        List<String> duplicateKey = strings(root.path("duplicateKey"));
        for (String k : duplicateKey) if (!names.contains(k)) problem("duplicateKey", "no field named '" + k + "'");
        List<String> confirm = strings(root.path("confirm"));
        for (String k : confirm) if (!names.contains(k)) problem("confirm", "no field named '" + k + "'");
        Map<String, String> examples = new LinkedHashMap<>();
        root.path("examples").fields().forEachRemaining(e -> examples.put(e.getKey(), e.getValue().asText()));
        if (examples.isEmpty()) problem("examples", "required: at least the English example (eng) replies show");
        JsonNode openmrs = root.path("openmrs");
        JsonNode opensrp = root.path("opensrp");
        String encounterType = openmrs.path("encounterType").asText(null);
        if (encounterType == null && fields.stream().anyMatch(f -> f.target().openmrsConcept() != null)) {
            problem("openmrs.encounterType", "required when a field has an OpenMRS concept");
        }
        return new CodeCard(keyword, version, validFrom, root.path("title").asText(keyword), Map.copyOf(aliases), order,
                Map.copyOf(examples), List.copyOf(fields), List.copyOf(derived), patientField, duplicateKey, confirm,
                encounterType, openmrs.path("form").asText(null), opensrp.path("eventType").asText(null),
                opensrp.path("entityType").asText(null), file);
    }

    private CardField field(JsonNode f, String where) {
        String name = f.path("name").asText("");
        if (name.isEmpty()) {
            problem(where, "name is required");
            return null;
        }
        String at = "field " + name;
        FieldType type = FieldType.parse(f.path("type").asText(""));
        if (type == null) {
            problem(at, "type must be one of id, date, integer, code, yesno, text (got '" + f.path("type").asText("") + "')");
            return null;
        }
        String label = upper(f.path("label").asText(""));
        List<String> labels = new ArrayList<>();
        if (!label.isEmpty()) labels.add(label);
        Map<String, String> byLanguage = new LinkedHashMap<>();
        f.path("labels").fields().forEachRemaining(e -> e.getValue().forEach(l -> {
            String u = upper(l.asText());
            byLanguage.putIfAbsent(e.getKey(), u);
            if (!labels.contains(u)) labels.add(u);
        }));
        for (String l : labels) if (!LABEL.matcher(l).matches()) problem(at, "label '" + l + "' must be letters only (a value follows it)");
        Integer position = f.hasNonNull("position") ? f.path("position").asInt() : null;
        if (position != null && position < 1) problem(at, "position must be >= 1");
        boolean bare = f.path("bare").asBoolean(false);
        if (bare && type != FieldType.CODE) problem(at, "only code fields may be bare");
        if (position == null && labels.isEmpty() && !bare) problem(at, "needs a position, a label or bare codes: otherwise it cannot be written");
        CheckDigit check = CheckDigit.parse(f.path("checkDigit").asText(null));
        if (check == null) problem(at, "checkDigit must be none, luhn, luhn-mod30 or verhoeff (got '" + f.path("checkDigit").asText() + "')");
        if (check != null && check != CheckDigit.NONE && type != FieldType.ID) problem(at, "only id fields have a check digit");
        Map<String, CodeOption> codes = new LinkedHashMap<>();
        for (JsonNode c : f.path("codes")) {
            String code = upper(c.path("code").asText(""));
            if (!WORD.matcher(code).matches() && !code.matches("[0-9]+")) problem(at, "code '" + code + "' must be letters/digits");
            List<String> aliases = strings(c.path("aliases")).stream().map(CardReader::upper).toList();
            Object value = c.has("openmrsValue") ? Json.convert(c.path("openmrsValue"), Object.class) : null;
            if (codes.put(code, new CodeOption(code, aliases, c.path("openmrsAnswer").asText(null), value,
                    c.path("fhir").asText(null), c.path("dhis2Value").asText(null))) != null) problem(at, "code " + code + " listed twice");
        }
        if (type == FieldType.CODE && codes.isEmpty()) problem(at, "a code field needs codes");
        if (type != FieldType.CODE && !codes.isEmpty()) problem(at, "only code fields have codes");
        JsonNode r = f.path("range");
        Integer min = r.hasNonNull("min") ? r.path("min").asInt() : null;
        Integer max = r.hasNonNull("max") ? r.path("max").asInt() : null;
        if (min != null && max != null && min > max) problem(at, "range.min " + min + " is above range.max " + max);
        FieldRange range = new FieldRange(min, max, r.path("notFuture").asBoolean(false),
                r.hasNonNull("maxDaysAgo") ? r.path("maxDaysAgo").asInt() : null, r.hasNonNull("minDaysAgo") ? r.path("minDaysAgo").asInt() : null);
        if ((range.notFuture() || range.maxDaysAgo() != null) && type != FieldType.DATE) problem(at, "notFuture/maxDaysAgo apply to date fields only");
        if ((min != null || max != null) && type != FieldType.INTEGER) problem(at, "range.min/max apply to integer fields only");
        int minLength = f.path("minLength").asInt(1);
        int maxLength = f.path("maxLength").asInt(type == FieldType.TEXT ? 160 : 20);
        if (minLength > maxLength) problem(at, "minLength " + minLength + " is above maxLength " + maxLength);
        return new CardField(name, type, label.isEmpty() ? upper(name) : label, List.copyOf(labels), position,
                f.path("required").asBoolean(false), bare, minLength, maxLength, check == null ? CheckDigit.NONE : check,
                java.util.Collections.unmodifiableMap(codes),
                range, target(f.path("target"), at), f.path("openmrsYes").asText("1065AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                f.path("openmrsNo").asText("1066AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), Map.copyOf(byLanguage));
    }

    private Target target(JsonNode t, String at) {
        if (t.isMissingNode() || t.isNull()) return Target.NONE;
        String fhir = t.path("fhir").asText(null);
        if (fhir != null && !fhir.contains("|")) problem(at, "target.fhir must be system|code (got '" + fhir + "')");
        return new Target(t.path("openmrsConcept").asText(null), fhir, t.path("dhis2DataElement").asText(null),
                t.path("dhis2CategoryOptionCombo").asText(null));
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return List.copyOf(out);
    }

    static String upper(String s) { return s == null ? "" : s.trim().toUpperCase(Locale.ROOT); }
}
