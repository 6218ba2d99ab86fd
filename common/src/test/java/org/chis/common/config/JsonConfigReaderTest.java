package org.chis.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.chis.common.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonConfigReaderTest {
    enum Colour { RED, DARK_BLUE }

    private final List<ConfigProblem> problems = new ArrayList<>();

    private JsonConfigReader.Node doc(String json) { return JsonConfigReader.of(Json.parse(json), "card.json", problems); }

    private List<String> lines() { return problems.stream().map(ConfigProblem::toString).toList(); }

    @Test
    void everyProblemIsCollectedWithFileAndPathInsteadOfStoppingAtTheFirst() {
        JsonConfigReader.Node root = doc("""
                {"name": 3, "size": "big", "fields": [{"type": "x"}, {"type": "red", "n": 1.5}], "when": "yesterday"}""");
        assertThat(root.string("name")).isNull();
        assertThat(root.string("keyword")).isNull();
        assertThat(root.integer("size", 7)).isEqualTo(7);
        for (JsonConfigReader.Node f : root.list("fields")) {
            f.enumOf("type", Colour.class, null);
            f.integer("n", 0);
        }
        assertThat(root.date("when", null)).isNull();
        assertThat(root.at("fields").clean()).isFalse();
        assertThat(lines()).containsExactly(
                "card.json: $.name: must be a string",
                "card.json: $.keyword: is required",
                "card.json: $.size: must be a whole number (got \"big\")",
                "card.json: $.fields[0].type: 'x' is not one of red, dark_blue",
                "card.json: $.fields[1].n: must be a whole number (got 1.5)",
                "card.json: $.when: must be a date YYYY-MM-DD (got 'yesterday')");
    }

    @Test
    void typedGettersReadGoodValuesAndFallBackWhenAbsent() {
        JsonConfigReader.Node root = doc("""
                {"s": "  a  ", "i": 4, "d": 0.5, "b": true, "c": "dark_BLUE", "date": "2026-01-31", "zone": "Africa/Nairobi",
                 "t1": "30s", "t2": "PT5M", "t3": "2h", "l": ["x", "y"], "m": {"k": "v", "n": 2}, "o": {"p": "q"},
                 "label": "sameDay"}""");
        assertThat(root.string("s")).isEqualTo("a");
        assertThat(root.string("absent", "dflt")).isEqualTo("dflt");
        assertThat(root.integer("i")).isEqualTo(4);
        assertThat(root.optionalInteger("absent")).isNull();
        assertThat(root.number("d", 1)).isEqualTo(0.5);
        assertThat(root.number("absent", 1)).isEqualTo(1);
        assertThat(root.bool("b", false)).isTrue();
        assertThat(root.enumOf("c", Colour.class, null)).isEqualTo(Colour.DARK_BLUE);
        assertThat(root.enumOf("absent", Colour.class, Colour.RED)).isEqualTo(Colour.RED);
        assertThat(root.date("date", null)).isEqualTo(LocalDate.of(2026, 1, 31));
        assertThat(root.zone("zone", null)).isEqualTo(ZoneId.of("Africa/Nairobi"));
        assertThat(root.zone("absent", ZoneId.of("UTC"))).isEqualTo(ZoneId.of("UTC"));
        assertThat(root.duration("t1", null)).isEqualTo(Duration.ofSeconds(30));
        assertThat(root.duration("t2", null)).isEqualTo(Duration.ofMinutes(5));
        assertThat(root.duration("t3", null)).isEqualTo(Duration.ofHours(2));
        assertThat(root.strings("l")).containsExactly("x", "y");
        assertThat(root.stringMap("m")).containsExactly(Map.entry("k", "v"), Map.entry("n", "2"));
        assertThat(root.object("o", true).string("p")).isEqualTo("q");
        assertThat(root.object("absent", false)).isNull();
        assertThat(root.list("absent")).isEmpty();
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("new", "N");
        labels.put("sameDay", "S");
        assertThat(root.choice("label", labels, "N")).isEqualTo("S");
        assertThat(problems).isEmpty();
        assertThat(root.clean()).isTrue();
    }

    @Test
    void wrongKindsOfContainersChoicesAndCheckedStringsAreProblems() {
        JsonConfigReader.Node root = doc("""
                {"l": {}, "m": [], "l2": "x", "o": "x", "label": "always", "uid": "abc", "mode": "x", "t": "soon", "z": "Mars/Olympus",
                 "strs": ["a", 1, " "]}""");
        root.list("l");
        root.members("m");
        root.stringMap("l2", "{answer: concept uuid}");
        root.object("o", false);
        root.object("needed", true);
        root.choice("label", Map.of("new", 1), null);
        root.matching("uid", true, Pattern.compile("[a-z]{11}"), "a DHIS2 UID");
        root.checked("code", true, s -> true, "anything");
        root.duration("t", null);
        root.zone("z", null);
        assertThat(root.strings("strs")).containsExactly("a");
        assertThat(lines()).containsExactly(
                "card.json: $.l: must be an array",
                "card.json: $.m: must be an object",
                "card.json: $.l2: must be an object {answer: concept uuid}",
                "card.json: $.o: must be an object",
                "card.json: $.needed: is required (an object)",
                "card.json: $.label: 'always' is not one of new",
                "card.json: $.uid: 'abc' is not a DHIS2 UID",
                "card.json: $.code: is required",
                "card.json: $.t: 'soon' is not a duration (30s, 5m, 2h, 1d or ISO-8601 PT5M)",
                "card.json: $.z: 'Mars/Olympus' is not a time zone id (e.g. Africa/Nairobi, UTC, +03:00)",
                "card.json: $.strs[1]: must be a string",
                "card.json: $.strs[2]: must not be empty");
    }

    @Test
    void unreadableFilesAreProblemsAndTheExceptionListsAllOfThem(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.json"), "{\"x\": ");
        Files.writeString(dir.resolve("b.json"), "{\"x\": 1}");
        Files.writeString(dir.resolve("notes.txt"), "not a config");
        List<Path> files = JsonConfigReader.jsonFiles(dir, problems);
        assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("a.json", "b.json");
        assertThat(JsonConfigReader.read(files.get(0), problems)).isNull();
        JsonConfigReader.Node b = JsonConfigReader.read(files.get(1), problems);
        b.string("x");
        assertThat(JsonConfigReader.read(dir.resolve("gone.json"), problems)).isNull();
        JsonConfigReader.jsonFiles(dir.resolve("nope"), problems);
        assertThat(lines().get(0)).startsWith("a.json: not readable JSON: malformed JSON");
        assertThat(lines().get(1)).isEqualTo("b.json: $.x: must be a string");
        assertThat(lines().get(2)).startsWith("gone.json: cannot read");
        assertThat(lines().get(3)).startsWith(dir.resolve("nope") + ": cannot list the folder");
        assertThatThrownBy(() -> ConfigException.throwIfAny("cards in " + dir, problems)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("cards in " + dir + " (4 problems):\n  - a.json: not readable JSON")
                .hasMessageContaining("\n  - b.json: $.x: must be a string")
                .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(4));
        ConfigException.throwIfAny("nothing", List.of());
    }
}
