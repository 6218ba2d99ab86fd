package org.chis.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.chis.common.json.Json;

/**
 * Walks one JSON configuration file (a form mapping, a code card, a data set map...) and collects every problem
 * (file, JSON path, what is wrong) instead of stopping at the first: an operator fixing a file wants the whole list
 * from one start-up. Typed getters read a field, record a problem when it is missing or of the wrong kind, and
 * return a fallback (null for required fields) so the walk goes on. At the end the caller throws
 * {@link ConfigException#throwIfAny} with all problems of all files.
 *
 * <pre>
 * List&lt;ConfigProblem&gt; problems = new ArrayList&lt;&gt;();
 * JsonConfigReader.Node root = JsonConfigReader.read(file, problems);   // null when unreadable (a problem recorded)
 * String keyword = root.string("keyword");                             // required
 * int hours = root.integer("windowHours", 24);                          // optional with default
 * for (JsonConfigReader.Node f : root.list("fields")) f.string("name");  // paths $.fields[0].name ...
 * ConfigException.throwIfAny("code cards in " + dir, problems);
 * </pre>
 */
public final class JsonConfigReader {
    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private final String file;
    private final List<ConfigProblem> problems;
    private final int before;

    private JsonConfigReader(String file, List<ConfigProblem> problems) {
        this.file = file;
        this.problems = problems;
        this.before = problems.size();
    }

    /** The root of {@code file} (named by its file name in problems), or null with a problem when it cannot be read or parsed. */
    public static Node read(Path file, List<ConfigProblem> problems) {
        return read(file, file.getFileName().toString(), problems);
    }

    /** As {@link #read(Path, List)}, naming the file {@code name} in problems (e.g. the full path). */
    public static Node read(Path file, String name, List<ConfigProblem> problems) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            problems.add(new ConfigProblem(name, null, "cannot read (" + e.getMessage() + ")"));
            return null;
        }
        JsonNode doc;
        try {
            doc = Json.parse(text);
        } catch (IllegalArgumentException e) {
            problems.add(new ConfigProblem(name, null, "not readable JSON: " + e.getMessage()));
            return null;
        }
        return of(doc, name, problems);
    }

    /** A document already parsed (tests, documents built in code), its problems reported against {@code file}. */
    public static Node of(JsonNode doc, String file, List<ConfigProblem> problems) {
        return new JsonConfigReader(file, problems).new Node(doc == null ? MissingNode.getInstance() : doc, "$");
    }

    /** The {@code *.json} files of {@code dir}, sorted by name; a problem (and none) when the folder cannot be listed. */
    public static List<Path> jsonFiles(Path dir, List<ConfigProblem> problems) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            problems.add(new ConfigProblem(dir.toString(), null, "cannot list the folder (" + e.getMessage() + ")"));
            return List.of();
        }
    }

    /** One place in the document: its JSON and its path ({@code $}, {@code $.fields[2]}, {@code $.orgUnits.kisumu}). */
    public final class Node {
        private final JsonNode json;
        private final String path;

        private Node(JsonNode json, String path) {
            this.json = json;
            this.path = path;
        }

        public JsonNode json() { return json; }

        public String path() { return path; }

        public String file() { return file; }

        /** True when this reader (this file) has recorded no problem so far. */
        public boolean clean() { return problems.size() == before; }

        public boolean isMissing() { return json.isMissingNode() || json.isNull(); }

        /** The field is present and not null. */
        public boolean has(String field) { return json.hasNonNull(field); }

        public void problem(String message) { problems.add(new ConfigProblem(file, path, message)); }

        /** A problem at {@code field} of this node ({@code $.visit} + {@code windowHours} = {@code $.visit.windowHours}). */
        public void problem(String field, String message) { problems.add(new ConfigProblem(file, pathOf(field), message)); }

        /** The node at {@code field}, present or not (a missing node answers every optional getter with its fallback). */
        public Node at(String field) { return new Node(json.path(field), pathOf(field)); }

        /** A required object must be an object; returns this node when it is, else records a problem and returns false. */
        public boolean requireObject(String what) {
            if (json.isObject()) return true;
            problem(isMissing() ? "is required" : what);
            return false;
        }

        // ---- strings ----

        /** A required non-blank string, trimmed; null (and a problem) when missing, blank or not a string. */
        public String string(String field) { return text(field, true, null); }

        /** An optional string, trimmed; {@code fallback} when absent or blank. */
        public String string(String field, String fallback) { return text(field, false, fallback); }

        private String text(String field, boolean required, String fallback) {
            JsonNode v = json.get(field);
            if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) {
                if (required) problem(field, "is required");
                return fallback;
            }
            if (!v.isTextual()) {
                problem(field, "must be a string");
                return fallback;
            }
            return v.asText().trim();
        }

        /**
         * A string that must pass {@code valid}; otherwise the problem "{@code 'value' is not <what>}" and null.
         * Required fields record "is required" when absent; optional ones answer null.
         */
        public String checked(String field, boolean required, Predicate<String> valid, String what) {
            String v = text(field, required, null);
            if (v != null && !valid.test(v)) {
                problem(field, "'" + v + "' is not " + what);
                return null;
            }
            return v;
        }

        /** {@link #checked} with a pattern the whole value must match. */
        public String matching(String field, boolean required, Pattern pattern, String what) {
            return checked(field, required, v -> pattern.matcher(v).matches(), what);
        }

        /** This node itself as a string (list items, map values); null with a problem when it is not a non-blank string. */
        public String asString() {
            if (!json.isTextual() || json.asText().isBlank()) {
                problem(json.isTextual() ? "must not be empty" : "must be a string");
                return null;
            }
            return json.asText().trim();
        }

        // ---- numbers and flags ----

        /** A required whole number; null with a problem when missing or not a whole number. */
        public Integer integer(String field) { return whole(field, true, null); }

        /** An optional whole number. */
        public int integer(String field, int fallback) { return whole(field, false, fallback); }

        /** An optional whole number that may be absent (null). */
        public Integer optionalInteger(String field) { return whole(field, false, null); }

        private Integer whole(String field, boolean required, Integer fallback) {
            JsonNode v = json.get(field);
            if (v == null || v.isNull()) {
                if (required) problem(field, "is required (a whole number)");
                return fallback;
            }
            if (!v.canConvertToInt() || !v.isIntegralNumber()) {
                problem(field, "must be a whole number (got " + v + ")");
                return fallback;
            }
            return v.intValue();
        }

        /** An optional number. */
        public double number(String field, double fallback) {
            JsonNode v = json.get(field);
            if (v == null || v.isNull()) return fallback;
            if (!v.isNumber()) {
                problem(field, "must be a number (got " + v + ")");
                return fallback;
            }
            return v.doubleValue();
        }

        /** An optional true/false. */
        public boolean bool(String field, boolean fallback) {
            JsonNode v = json.get(field);
            if (v == null || v.isNull()) return fallback;
            if (!v.isBoolean()) {
                problem(field, "must be true or false (got " + v + ")");
                return fallback;
            }
            return v.booleanValue();
        }

        // ---- choices, dates, durations, zones ----

        /**
         * One of {@code choices} (label -> value, in the order the problem lists them). Absent: {@code fallback}, or a
         * problem when the fallback is null (required). An unknown label: "{@code 'x' is not one of a, b, c}" and the fallback.
         */
        public <T> T choice(String field, Map<String, T> choices, T fallback) {
            String v = text(field, fallback == null, null);
            if (v == null) return fallback;
            T found = choices.get(v);
            if (found == null) problem(field, "'" + v + "' is not one of " + String.join(", ", choices.keySet()));
            return found == null ? fallback : found;
        }

        /** An enum constant by its name, case-insensitive (lower-case labels in the problem); fallback null = required. */
        public <E extends Enum<E>> E enumOf(String field, Class<E> type, E fallback) {
            Map<String, E> choices = new LinkedHashMap<>();
            for (E e : type.getEnumConstants()) choices.put(e.name().toLowerCase(Locale.ROOT), e);
            String v = text(field, fallback == null, null);
            if (v == null) return fallback;
            E found = choices.get(v.toLowerCase(Locale.ROOT));
            if (found == null) problem(field, "'" + v + "' is not one of " + String.join(", ", choices.keySet()));
            return found == null ? fallback : found;
        }

        /** An optional ISO date (YYYY-MM-DD). */
        public LocalDate date(String field, LocalDate fallback) {
            String v = text(field, false, null);
            if (v == null) return fallback;
            try {
                return LocalDate.parse(v);
            } catch (DateTimeParseException e) {
                problem(field, "must be a date YYYY-MM-DD (got '" + v + "')");
                return fallback;
            }
        }

        /** An optional time zone id ({@code Africa/Nairobi}, {@code UTC}, {@code +03:00}). */
        public ZoneId zone(String field, ZoneId fallback) {
            String v = text(field, false, null);
            if (v == null) return fallback;
            try {
                return ZoneId.of(v);
            } catch (DateTimeException e) {
                problem(field, "'" + v + "' is not a time zone id (e.g. Africa/Nairobi, UTC, +03:00)");
                return fallback;
            }
        }

        /** An optional duration: ISO-8601 ({@code PT5M}) or a number with a unit ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}). */
        public Duration duration(String field, Duration fallback) {
            String v = text(field, false, null);
            if (v == null) return fallback;
            Matcher m = SIMPLE_DURATION.matcher(v);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
            try {
                return Duration.parse(v);
            } catch (DateTimeParseException e) {
                problem(field, "'" + v + "' is not a duration (30s, 5m, 2h, 1d or ISO-8601 PT5M)");
                return fallback;
            }
        }

        // ---- containers ----

        /** An object field; null when absent (a problem if required) or not an object (always a problem). */
        public Node object(String field, boolean required) {
            JsonNode v = json.get(field);
            if (v == null || v.isNull()) {
                if (required) problem(field, "is required (an object)");
                return null;
            }
            if (!v.isObject()) {
                problem(field, "must be an object");
                return null;
            }
            return new Node(v, pathOf(field));
        }

        /** The items of an array field ({@code $.x[0]}, {@code $.x[1]} ...); empty when absent, a problem when not an array. */
        public List<Node> list(String field) {
            JsonNode v = json.get(field);
            if (v == null || v.isNull()) return List.of();
            if (!v.isArray()) {
                problem(field, "must be an array");
                return List.of();
            }
            List<Node> out = new ArrayList<>(v.size());
            for (int i = 0; i < v.size(); i++) out.add(new Node(v.get(i), pathOf(field) + "[" + i + "]"));
            return out;
        }

        /** An array of non-blank strings (trimmed); a bad item is a problem and left out. */
        public List<String> strings(String field) {
            List<String> out = new ArrayList<>();
            for (Node n : list(field)) {
                String s = n.asString();
                if (s != null) out.add(s);
            }
            return List.copyOf(out);
        }

        /** The members of an object field in file order ({@code $.x.key}); empty when absent, a problem when not an object. */
        public Map<String, Node> members(String field) { return members(field, ""); }

        /** {@link #members(String)}; {@code shape} says what object is meant when it is not one ("{form answer: concept uuid}"). */
        public Map<String, Node> members(String field, String shape) {
            JsonNode v = json.get(field);
            if (v == null || v.isNull()) return Map.of();
            if (!v.isObject()) {
                problem(field, "must be an object" + (shape.isEmpty() ? "" : " " + shape));
                return Map.of();
            }
            Node obj = new Node(v, pathOf(field));
            return obj.members();
        }

        /** The members of this node (an object), in file order. */
        public Map<String, Node> members() {
            Map<String, Node> out = new LinkedHashMap<>();
            json.fields().forEachRemaining(e -> out.put(e.getKey(), new Node(e.getValue(), pathOf(e.getKey()))));
            return out;
        }

        /** An object of strings ({@code {"a": "x", "b": "y"}}); a value that is not a string is a problem and left out. */
        public Map<String, String> stringMap(String field) { return stringMap(field, ""); }

        /** {@link #stringMap(String)}; {@code shape} says what object is meant when it is not one. */
        public Map<String, String> stringMap(String field, String shape) {
            Map<String, String> out = new LinkedHashMap<>();
            members(field, shape).forEach((k, n) -> {
                if (n.json().isValueNode() && !n.json().isNull()) out.put(k, n.json().asText());
                else n.problem("must be a string");
            });
            return out;
        }

        private String pathOf(String field) {
            return path + "." + field;
        }

        @Override
        public String toString() { return file + ": " + path; }
    }
}
