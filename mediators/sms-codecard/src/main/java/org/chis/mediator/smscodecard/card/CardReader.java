package org.chis.mediator.smscodecard.card;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.chis.common.config.JsonConfigReader.Node;
import org.chis.common.json.Json;

/**
 * Reads one code card file and checks it with the suite's {@link org.chis.common.config.JsonConfigReader}: every
 * problem (file, JSON path, what is wrong) is collected, an operator fixing a card wants the whole list at once.
 */
final class CardReader {
    private static final Pattern WORD = Pattern.compile("[A-Z][A-Z0-9]*");
    private static final Pattern LABEL = Pattern.compile("[A-Z]+");
    private static final Pattern LANGUAGE = Pattern.compile("[a-z]{3}");

    private CardReader() {}

    /** The card at {@code root}, or null when its file has problems (recorded with the reader). */
    static CodeCard read(Node root) {
        if (!root.requireObject("a code card must be a JSON object")) return null;
        String keyword = word(root, "keyword");
        Integer version = root.integer("version");
        if (version != null && version < 1) root.problem("version", "must be a whole number >= 1");
        LocalDate validFrom = root.date("validFrom", null);
        Map<String, List<String>> aliases = new LinkedHashMap<>();
        Node aliasLists = root.at("aliases");
        for (String language : root.members("aliases").keySet()) {
            if (!LANGUAGE.matcher(language).matches()) aliasLists.problem(language, "languages are ISO-639-3 codes (eng, swa, fra)");
            List<String> words = new ArrayList<>();
            for (Node w : aliasLists.list(language)) {
                String u = upper(w.asString());
                if (!u.isEmpty() && !WORD.matcher(u).matches()) w.problem("'" + w.json().asText() + "' is not a keyword (letters and digits)");
                words.add(u);
            }
            aliases.put(language, List.copyOf(words));
        }
        DateOrder order = root.enumOf("dateOrder", DateOrder.class, DateOrder.DMY);

        List<CardField> fields = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<Integer> positions = new HashSet<>();
        Map<String, String> labelOwner = new LinkedHashMap<>();
        List<Node> fieldNodes = root.list("fields");
        if (fieldNodes.isEmpty()) root.problem("fields", "required, a non-empty list");
        Map<CardField, Node> nodeOf = new LinkedHashMap<>();
        for (Node f : fieldNodes) {
            CardField field = field(f);
            if (field == null) continue;
            nodeOf.put(field, f);
            if (!names.add(field.name())) f.problem("name", "'" + field.name() + "' is used twice");
            if (field.position() != null && !positions.add(field.position())) f.problem("position", field.position() + " is used twice");
            for (String l : field.labels()) {
                String other = labelOwner.putIfAbsent(l, field.name());
                if (other != null && !other.equals(field.name())) f.problem("label", l + " is also field " + other + "'s label");
            }
            fields.add(field);
        }
        // a bare code must not read as a label, or "ANC1" could be a label A... plus value
        for (CardField f : fields) {
            for (String code : f.codes().keySet()) {
                if (labelOwner.containsKey(code)) nodeOf.get(f).problem("codes", "code " + code + " is also a label of field " + labelOwner.get(code));
            }
        }
        List<CardField> positional = fields.stream().filter(f -> f.position() != null).sorted(Comparator.comparing(CardField::position)).toList();
        for (int p = 0; p < positional.size() - 1; p++) {
            CardField f = positional.get(p);
            if (f.type() == FieldType.TEXT) nodeOf.get(f).problem("position", "a text field takes the rest of the message: it must be the last position");
        }

        List<DerivedField> derived = new ArrayList<>();
        for (Node n : root.list("derived")) {
            String name = n.string("name");
            String from = n.string("from");
            CardField source = fields.stream().filter(f -> f.name().equals(from)).findFirst().orElse(null);
            if (from != null && (source == null || source.type() != FieldType.DATE)) n.problem("from", "must name a date field (got '" + from + "')");
            Integer addDays = n.integer("addDays");
            if (name != null) names.add(name);
            derived.add(new DerivedField(name, upper(n.string("label", name)), from, addDays == null ? 0 : addDays, target(n.at("target"))));
        }
        String patientField = root.string("patientField", null);
        if (patientField != null) {
            CardField pf = fields.stream().filter(f -> f.name().equals(patientField)).findFirst().orElse(null);
            if (pf == null || pf.type() != FieldType.ID) root.problem("patientField", "must name an id field (got '" + patientField + "')");
        }
        List<String> duplicateKey = fieldNames(root, "duplicateKey", names);
        List<String> confirm = fieldNames(root, "confirm", names);
        Map<String, String> examples = root.stringMap("examples");
        if (examples.isEmpty()) root.problem("examples", "required: at least the English example (eng) replies show");
        Node openmrs = root.at("openmrs");
        Node opensrp = root.at("opensrp");
        String encounterType = openmrs.string("encounterType", null);
        if (encounterType == null && fields.stream().anyMatch(f -> f.target().openmrsConcept() != null)) {
            openmrs.problem("encounterType", "required when a field has an OpenMRS concept");
        }
        Registration registration = registration(root, fields);
        if (registration != null && patientField != null) root.problem("patientField", "a registration card names no existing patient");
        return new CodeCard(keyword, version == null ? 0 : version, validFrom, root.string("title", keyword), Map.copyOf(aliases), order,
                Map.copyOf(examples), List.copyOf(fields), List.copyOf(derived), patientField, duplicateKey, confirm,
                encounterType, openmrs.string("form", null), opensrp.string("eventType", null),
                opensrp.string("entityType", null), registration, root.file());
    }

    /** The card's {@code registration} block (null when it has none), each named field checked for its type. */
    private static Registration registration(Node root, List<CardField> fields) {
        Node r = root.at("registration");
        if (r.isMissing()) return null;
        String given = registrationField(r, "givenField", "given", fields, true, FieldType.NAME);
        String family = registrationField(r, "familyField", "family", fields, true, FieldType.NAME);
        String sex = registrationField(r, "sexField", "sex", fields, true, FieldType.CODE);
        String birthdate = registrationField(r, "birthdateField", "birthdate", fields, true, FieldType.BIRTHDATE, FieldType.DATE);
        String phone = registrationField(r, "phoneField", "phone", fields, false, FieldType.PHONE);
        String id = registrationField(r, "identifierField", "id", fields, false, FieldType.ID);
        CardField idField = id == null ? null : fields.stream().filter(f -> f.name().equals(id)).findFirst().orElse(null);
        if (idField != null && idField.checkDigit() != CheckDigit.LUHN_MOD30) {
            r.problem("identifierField", "the identifier field needs checkDigit luhn-mod30 (the OpenMRS ID the mediator also derives)");
        }
        return new Registration(given, family, sex, birthdate, phone, id, r.string("openmrsIdentifierType"),
                r.string("opensrpIdentifierType", "opensrp_id"), r.string("phoneAttribute", "phone_number"),
                r.string("openmrsPhoneAttributeType", null));
    }

    private static String registrationField(Node r, String key, String defaultName, List<CardField> fields, boolean required, FieldType... types) {
        String name = r.string(key, defaultName);
        CardField f = fields.stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
        if (f == null) {
            if (required || r.has(key)) r.problem(key, "no field named '" + name + "'");
            return null;
        }
        if (!List.of(types).contains(f.type())) r.problem(key, "field '" + name + "' must be of type " + types[0].jsonName());
        return name;
    }

    private static CardField field(Node f) {
        String name = f.string("name");
        Map<String, FieldType> types = new LinkedHashMap<>();
        for (FieldType t : FieldType.values()) types.put(t.jsonName(), t);
        FieldType type = f.choice("type", types, null);
        if (name == null || type == null) return null;
        String label = upper(f.string("label", ""));
        List<String> labels = new ArrayList<>();
        if (!label.isEmpty()) labels.add(label);
        Map<String, String> byLanguage = new LinkedHashMap<>();
        f.members("labels").forEach((language, list) -> {
            for (String l : f.at("labels").strings(language)) {
                String u = upper(l);
                byLanguage.putIfAbsent(language, u);
                if (!labels.contains(u)) labels.add(u);
            }
        });
        for (String l : labels) if (!LABEL.matcher(l).matches()) f.problem("label", "'" + l + "' must be letters only (a value follows it)");
        Integer position = f.optionalInteger("position");
        if (position != null && position < 1) f.problem("position", "must be >= 1");
        boolean bare = f.bool("bare", false);
        if (bare && type != FieldType.CODE) f.problem("bare", "only code fields may be bare");
        if (position == null && labels.isEmpty() && !bare) f.problem("needs a position, a label or bare codes: otherwise it cannot be written");
        Map<String, CheckDigit> schemes = new LinkedHashMap<>();
        for (CheckDigit c : CheckDigit.values()) schemes.put(c.jsonName(), c);
        CheckDigit check = f.choice("checkDigit", schemes, CheckDigit.NONE);
        if (check != CheckDigit.NONE && type != FieldType.ID) f.problem("checkDigit", "only id fields have a check digit");
        Map<String, CodeOption> codes = new LinkedHashMap<>();
        for (Node c : f.list("codes")) {
            String code = upper(c.string("code"));
            if (!WORD.matcher(code).matches() && !code.matches("[0-9]+")) c.problem("code", "'" + code + "' must be letters/digits");
            List<String> aliases = c.strings("aliases").stream().map(CardReader::upper).toList();
            Object value = c.has("openmrsValue") ? Json.convert(c.json().get("openmrsValue"), Object.class) : null;
            if (codes.put(code, new CodeOption(code, aliases, c.string("openmrsAnswer", null), value,
                    c.string("fhir", null), c.string("dhis2Value", null))) != null) c.problem("code", code + " is listed twice");
        }
        if (type == FieldType.CODE && codes.isEmpty()) f.problem("codes", "a code field needs codes");
        if (type != FieldType.CODE && !codes.isEmpty()) f.problem("codes", "only code fields have codes");
        Node r = f.at("range");
        Integer min = r.optionalInteger("min");
        Integer max = r.optionalInteger("max");
        if (min != null && max != null && min > max) r.problem("min", min + " is above range.max " + max);
        FieldRange range = new FieldRange(min, max, r.bool("notFuture", false), r.optionalInteger("maxDaysAgo"), r.optionalInteger("minDaysAgo"));
        if ((range.notFuture() || range.maxDaysAgo() != null) && type != FieldType.DATE && type != FieldType.BIRTHDATE) r.problem("notFuture/maxDaysAgo apply to date fields only");
        // a birth date's max is the oldest age in years it accepts
        if ((min != null || max != null) && type != FieldType.INTEGER && type != FieldType.BIRTHDATE) r.problem("min/max apply to integer fields only");
        int minLength = f.integer("minLength", 1);
        int maxLength = f.integer("maxLength", type == FieldType.TEXT ? 160 : type == FieldType.NAME ? 30 : 20);
        if (minLength > maxLength) f.problem("minLength", minLength + " is above maxLength " + maxLength);
        return new CardField(name, type, label.isEmpty() ? upper(name) : label, List.copyOf(labels), position,
                f.bool("required", false), bare, minLength, maxLength, check, Collections.unmodifiableMap(codes),
                range, target(f.at("target")), f.string("openmrsYes", "1065AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                f.string("openmrsNo", "1066AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), Map.copyOf(byLanguage));
    }

    private static Target target(Node t) {
        if (t.isMissing()) return Target.NONE;
        String fhir = t.string("fhir", null);
        if (fhir != null && !fhir.contains("|")) t.problem("fhir", "must be system|code (got '" + fhir + "')");
        return new Target(t.string("openmrsConcept", null), fhir, t.string("dhis2DataElement", null), t.string("dhis2CategoryOptionCombo", null));
    }

    private static String word(Node n, String field) {
        String w = upper(n.string(field));
        if (w.isEmpty()) return w;
        if (!WORD.matcher(w).matches()) n.problem(field, "'" + w + "' must be letters and digits starting with a letter");
        return w;
    }

    private static List<String> fieldNames(Node root, String field, Set<String> names) {
        List<Node> items = root.list(field);
        List<String> out = new ArrayList<>();
        for (Node n : items) {
            String name = n.asString();
            if (name == null) continue;
            if (!names.contains(name)) n.problem("no field named '" + name + "'");
            out.add(name);
        }
        return List.copyOf(out);
    }

    static String upper(String s) { return s == null ? "" : s.trim().toUpperCase(Locale.ROOT); }
}
