package org.chis.mediator.smscodecard.reply;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;
import org.chis.mediator.smscodecard.parse.CommandWords;

/**
 * The reply texts and command words of every language the mediator speaks: one file per language,
 * {@code replies/<ISO-639-3 code>.json} ({@code eng.json}, {@code swa.json}, {@code fra.json}), read and checked
 * at start-up. A missing reply, a placeholder the reply cannot fill, a character outside GSM-7 or a text that
 * cannot fit one SMS even with empty values stops the start, naming the file and the JSON path.
 *
 * <p>In a template, text in square brackets is the part dropped first when the filled reply would not fit one
 * SMS (the example); {@code {name}} are the values the mediator fills in.
 */
public final class ReplyTexts {
    /** Marks the optional part inside a loaded template (a character no template or SMS text contains). */
    static final String OPTIONAL_MARK = "\u0001";

    /** Every reply and the placeholders it may use ({ref} is required in all of them: a reply always names its message). */
    private static final Map<String, Set<String>> REPLIES = new LinkedHashMap<>();
    private static final Map<String, Set<String>> HINTS = new LinkedHashMap<>();

    static {
        Set<String> problem = Set.of("kw", "label", "value", "hint", "limit", "pattern", "example", "ref");
        Set<String> simple = Set.of("kw", "value", "ref0", "ref", "example", "undo");
        REPLIES.put("ok", Set.of("kw", "value", "ref0", "ref", "example", "undo", "confirm"));
        for (String k : List.of("empty", "unknown_command", "suggest", "missing_field", "bad_format", "unexpected", "bad_date",
                "ambiguous_date", "not_future", "too_old", "too_recent", "min_max")) {
            REPLIES.put(k, problem);
        }
        for (String k : List.of("patient_not_found", "not_registered", "not_allowed", "already_received", "system_fault", "undone",
                "already_undone")) {
            REPLIES.put(k, simple);
        }
        // UNDO without a reference is a parse problem, an unknown reference a simple reply: only what both fill in
        REPLIES.put("undo_not_found", Set.of("kw", "value", "ref", "example"));
        // REG: {value} the name as written, {id} the client's identifier
        REPLIES.put("registered", Set.of("kw", "value", "id", "ref", "confirm"));
        REPLIES.put("already_registered", Set.of("kw", "value", "id", "ref"));
        for (String k : List.of("id", "number", "yesno", "too_long", "twice", "name", "phone")) HINTS.put(k, Set.of());
        HINTS.put("codes", Set.of("codes"));
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");
    private static final Pattern LANGUAGE_FILE = Pattern.compile("([a-z]{3})\\.json");
    private static final Pattern WORD = Pattern.compile("[A-Z0-9]+");
    /** How long a reference ({ref}, {ref0}) is in every reply. */
    private static final String SOME_REFERENCE = "X".repeat(Reference.LENGTH);

    /** language -> key -> template ("hint_<name>" for hints, "report" for the word naming a report without command). */
    private final Map<String, Map<String, String>> texts;
    private final Map<String, String> undoWord;
    private final CommandWords words;

    private ReplyTexts(Map<String, Map<String, String>> texts, Map<String, String> undoWord, CommandWords words) {
        this.texts = Map.copyOf(texts);
        this.undoWord = Map.copyOf(undoWord);
        this.words = words;
    }

    /** Reads every {@code <lang>.json} of {@code dir}; a {@link ConfigException} lists every problem of every file. */
    public static ReplyTexts load(Path dir) {
        List<ConfigProblem> problems = new ArrayList<>();
        Map<String, Map<String, String>> texts = new LinkedHashMap<>();
        Map<String, String> undoWord = new LinkedHashMap<>();
        Set<String> undo = new LinkedHashSet<>();
        Set<String> yes = new LinkedHashSet<>();
        Set<String> no = new LinkedHashSet<>();
        List<Path> files = JsonConfigReader.jsonFiles(dir, problems);
        if (files.isEmpty() && problems.isEmpty()) problems.add(new ConfigProblem(dir.toString(), null, "no reply texts (<lang>.json, e.g. eng.json)"));
        for (Path f : files) {
            Node root = JsonConfigReader.read(f, problems);
            if (root == null || !root.requireObject("a reply file must be a JSON object")) continue;
            Matcher lang = LANGUAGE_FILE.matcher(f.getFileName().toString());
            if (!lang.matches()) root.problem("the file name must be the language's ISO-639-3 code (eng.json, swa.json, fra.json)");
            Node commands = root.object("commands", true);
            List<String> undoWords = commands == null ? List.of() : words(commands, "undo", true);
            if (commands != null) {
                yes.addAll(words(commands, "yes", true));
                no.addAll(words(commands, "no", true));
            }
            undo.addAll(undoWords);
            Map<String, String> t = new LinkedHashMap<>();
            String undoFirst = undoWords.isEmpty() ? "" : undoWords.get(0);
            templates(root, "replies", REPLIES, "", true, undoFirst, t);
            templates(root, "hints", HINTS, "hint_", false, undoFirst, t);
            String report = root.string("report");
            if (report != null) {
                check(root.at("report"), report, Set.of(), false, undoFirst);
                t.put("report", report);
            }
            if (lang.matches() && root.clean()) {
                texts.put(lang.group(1), t);
                undoWord.put(lang.group(1), undoFirst);
            }
        }
        ConfigException.throwIfAny("reply texts in " + dir, problems);
        return new ReplyTexts(texts, undoWord, new CommandWords(undo, yes, no));
    }

    private static List<String> words(Node commands, String field, boolean required) {
        List<Node> items = commands.list(field);
        if (required && items.isEmpty()) commands.problem(field, "is required: at least one word");
        List<String> out = new ArrayList<>();
        for (Node n : items) {
            String w = n.asString();
            if (w == null) continue;
            w = w.toUpperCase(Locale.ROOT);
            if (!WORD.matcher(w).matches()) n.problem("'" + n.json().asText() + "' is not a command word (letters and digits)");
            out.add(w);
        }
        return out;
    }

    private static void templates(Node root, String field, Map<String, Set<String>> known, String prefix, boolean needsRef,
                                  String undo, Map<String, String> out) {
        Node o = root.object(field, true);
        if (o == null) return;
        Map<String, Node> given = o.members();
        for (String key : known.keySet()) {
            if (!given.containsKey(key)) o.problem(key, "is missing: every language needs this text");
        }
        given.forEach((key, n) -> {
            Set<String> placeholders = known.get(key);
            if (placeholders == null) {
                n.problem("is not a text this mediator uses (known: " + String.join(", ", known.keySet()) + ")");
                return;
            }
            String text = o.string(key);
            if (text == null) return;
            if (check(n, text, placeholders, needsRef, undo)) out.put(prefix + key, text.replace("[", OPTIONAL_MARK).replace("]", OPTIONAL_MARK));
        });
    }

    /** Placeholders known, brackets paired, GSM-7 only, and one SMS long even with its values left empty. */
    private static boolean check(Node n, String text, Set<String> placeholders, boolean needsRef, String undo) {
        boolean ok = true;
        Matcher m = PLACEHOLDER.matcher(text);
        Set<String> used = new TreeSet<>();
        while (m.find()) {
            used.add(m.group(1));
            if (!placeholders.contains(m.group(1))) {
                n.problem("unknown placeholder {" + m.group(1) + "}" + (placeholders.isEmpty() ? ": this text takes none"
                        : " (this text can use " + String.join(", ", new TreeSet<>(placeholders).stream().map(p -> "{" + p + "}").toList()) + ")"));
                ok = false;
            }
        }
        if (needsRef && !used.contains("ref")) {
            n.problem("must end with the message's reference {ref}");
            ok = false;
        }
        if (!text.matches("[^\\[\\]]*(\\[[^\\[\\]]*][^\\[\\]]*)*")) {
            n.problem("square brackets mark the part dropped when the reply is too long: open and close them in pairs, not nested");
            ok = false;
        }
        String plain = text.replace("[", "").replace("]", "");
        if (!Gsm7.isGsm7(plain)) {
            StringBuilder bad = new StringBuilder();
            plain.codePoints().filter(c -> !Gsm7.isGsm7(Character.toString(c))).distinct().forEach(bad::appendCodePoint);
            n.problem("has characters outside GSM-7 (" + bad + "): the SMS would be sent as UCS-2 or folded");
            ok = false;
        }
        String shortest = text.replaceAll("\\[[^\\]]*]", "").replace("{ref}", SOME_REFERENCE).replace("{ref0}", SOME_REFERENCE)
                .replace("{undo}", undo).replaceAll("\\{[^{}]*}", "");
        int septets = Gsm7.septets(shortest);
        if (septets > Gsm7.SINGLE_SMS) {
            n.problem("is " + septets + " GSM-7 characters with its values left empty: over one SMS (" + Gsm7.SINGLE_SMS + ")");
            ok = false;
        }
        return ok;
    }

    /** The languages there are files for. */
    public Set<String> languages() { return texts.keySet(); }

    public boolean supported(String language) { return language != null && texts.containsKey(language); }

    /** The template {@code key} in {@code language} (optional part between {@link #OPTIONAL_MARK}s). */
    String template(String language, String key) {
        Map<String, String> m = texts.get(language);
        String t = m == null ? null : m.get(key);
        if (t == null) throw new IllegalArgumentException("no reply text '" + key + "' in " + language);
        return t;
    }

    /** The word that retracts a report in {@code language} (the first of its {@code commands.undo}). */
    String undoWord(String language) { return undoWord.getOrDefault(language, ""); }

    /** Every language's command words together: what the message parser accepts. */
    public CommandWords commandWords() { return words; }

    /** Every template as sent when it fits (optional part kept, marks removed), for charset checks. */
    public List<String> templates() {
        List<String> all = new ArrayList<>();
        texts.values().forEach(m -> m.values().forEach(t -> all.add(t.replace(OPTIONAL_MARK, ""))));
        return all;
    }
}
