package org.chis.mediator.smscodecard.card;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;

/**
 * Every code card in force: the {@code *.json} files of one folder, checked together at start-up (each file,
 * then across files: keyword/version pairs unique, no word meaning two commands). A keyword may have several
 * versions; a message is read with the newest one valid on its day.
 */
public final class CodeCards {
    private static final String CARDS = "code cards are not valid";

    private final Map<String, List<CodeCard>> byWord;
    private final List<CodeCard> all;

    private CodeCards(List<CodeCard> cards) {
        this.all = List.copyOf(cards);
        Map<String, List<CodeCard>> words = new HashMap<>();
        for (CodeCard c : cards) {
            words.computeIfAbsent(c.keyword(), k -> new ArrayList<>()).add(c);
            c.aliases().values().forEach(list -> list.forEach(a -> {
                List<CodeCard> l = words.computeIfAbsent(a, k -> new ArrayList<>());
                if (!l.contains(c)) l.add(c);
            }));
        }
        words.values().forEach(l -> l.sort(Comparator.comparing(CodeCard::version).reversed()));
        this.byWord = Map.copyOf(words);
    }

    /** Loads and checks every card in {@code folder}; throws a {@link ConfigException} listing every problem. */
    public static CodeCards load(Path folder) {
        List<ConfigProblem> problems = new ArrayList<>();
        List<Path> files = JsonConfigReader.jsonFiles(folder, problems);
        if (files.isEmpty() && problems.isEmpty()) problems.add(new ConfigProblem(folder.toString(), null, "no code cards (*.json)"));
        List<CodeCard> cards = new ArrayList<>();
        for (Path f : files) {
            Node root = JsonConfigReader.read(f, problems);
            CodeCard c = root == null ? null : CardReader.read(root);
            if (c != null && root.clean()) cards.add(c);
        }
        return of(cards, problems);
    }

    /** Cards built in code (tests, benchmarks), checked like files. */
    public static CodeCards of(List<CodeCard> cards, List<ConfigProblem> earlierProblems) {
        List<ConfigProblem> problems = new ArrayList<>(earlierProblems);
        Map<String, CodeCard> versions = new HashMap<>();
        Map<String, String> wordOwner = new HashMap<>();
        for (CodeCard c : cards) {
            CodeCard other = versions.putIfAbsent(c.keyword() + "#" + c.version(), c);
            if (other != null) problems.add(new ConfigProblem(c.source(), "$.version", c.keyword() + " version " + c.version() + " is also in " + other.source()));
            List<String> words = new ArrayList<>(List.of(c.keyword()));
            c.aliases().values().forEach(words::addAll);
            for (String w : words) {
                String owner = wordOwner.putIfAbsent(w, c.keyword());
                if (owner != null && !owner.equals(c.keyword())) {
                    problems.add(new ConfigProblem(c.source(), "$.aliases", w + " already means " + owner));
                }
            }
        }
        ConfigException.throwIfAny(CARDS, problems);
        // the cards' examples are read with the message parser when it is made (a card alone cannot parse)
        return new CodeCards(cards);
    }

    /** The versions of the command this word names (keyword or alias), newest first; empty when unknown. */
    public List<CodeCard> versions(String word) { return byWord.getOrDefault(word, List.of()); }

    /** The version to read a message with on {@code day}: the newest valid then (else the oldest, so old cards still read). */
    public CodeCard current(String word, LocalDate day) {
        List<CodeCard> v = versions(word);
        if (v.isEmpty()) return null;
        for (CodeCard c : v) if (c.validOn(day)) return c;
        return v.get(v.size() - 1);
    }

    /** Every known command word (keywords and aliases), for suggestions. */
    public Set<String> words() { return byWord.keySet(); }

    public List<CodeCard> all() { return all; }
}
