package org.chis.mediator.smscodecard.parse;

import java.text.Normalizer;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.mediator.smscodecard.card.CardField;
import org.chis.mediator.smscodecard.card.CodeCard;
import org.chis.mediator.smscodecard.card.CodeCards;
import org.chis.mediator.smscodecard.card.CodeOption;
import org.chis.mediator.smscodecard.card.FieldType;
import org.chis.mediator.smscodecard.parse.Problem.Hint;

/**
 * Syntax only: turns an SMS into the fields of a card (or an UNDO), no lookups. Separators
 * {@code space , ; . # * = :} are alike; a field is written positionally, after one of its labels (glued
 * {@code LMP20240101}, spaced or with '='), or as a bare code ({@code ANC1}). Thread-safe and allocation-light:
 * it runs for every message and in the parse benchmark.
 */
public final class MessageParser {
    private final CodeCards cards;
    private final Set<String> undoWords;
    private final Set<String> yes;
    private final Set<String> no;

    /**
     * A parser of these cards and command words. Checked once, at start-up: every card's examples must read cleanly
     * with the card itself (a card whose example fails is a broken card), and no command word may also be a card's
     * command or mean both yes and no; a {@link ConfigException} lists every such problem.
     */
    public MessageParser(CodeCards cards, CommandWords words) {
        this.cards = cards;
        this.undoWords = words.undo();
        this.yes = words.yes();
        this.no = words.no();
        for (CodeCard c : cards.all()) indexes.put(c, CardIndex.of(c)); // read-only afterwards: safe to share
        List<ConfigProblem> problems = new ArrayList<>();
        for (CodeCard c : cards.all()) {
            c.examples().forEach((lang, example) -> {
                Problem p = parseWith(c, example).problem();
                if (p != null) problems.add(new ConfigProblem(c.source(), "$.examples." + lang, "'" + example + "' does not read: " + p.describe()));
            });
        }
        for (String w : undoWords) {
            if (!cards.versions(w).isEmpty()) problems.add(new ConfigProblem(null, null, "the undo word " + w + " is also a code card command"));
        }
        for (String w : yes) if (no.contains(w)) problems.add(new ConfigProblem(null, null, "the answer word " + w + " means both yes and no"));
        ConfigException.throwIfAny("code cards and command words do not fit together", problems);
    }

    /** Reads {@code text} with the card its first word names (the version valid on {@code day}). */
    public Parsed parse(String text, LocalDate day) {
        Tokens t = Tokens.of(text);
        if (t.size() == 0) return Parsed.problem(Problem.of(ReplyKind.EMPTY, null, null, null, Hint.NONE));
        String word = t.upper(0);
        if (undoWords.contains(word)) {
            if (t.size() < 2) return Parsed.problem(new Problem(ReplyKind.UNDO_NOT_FOUND, null, null, null, null, Hint.NONE, null));
            return Parsed.undo(t.upper(1));
        }
        CodeCard card = cards.current(word, day);
        if (card == null) {
            String suggestion = suggest(word);
            return Parsed.problem(new Problem(ReplyKind.UNKNOWN_COMMAND, null, null, null, clip(t.original(0)),
                    suggestion == null ? Hint.NONE : Hint.SUGGEST, suggestion));
        }
        return fields(card, t);
    }

    /** Reads {@code text} (keyword included) with this card, whatever its first word. */
    public Parsed parseWith(CodeCard card, String text) {
        Tokens t = Tokens.of(text);
        if (t.size() == 0) return Parsed.problem(Problem.of(ReplyKind.EMPTY, card, null, null, Hint.NONE));
        return fields(card, t);
    }

    /** A card's lookups, built once per card: every message would otherwise rebuild them. */
    private record CardIndex(List<CardField> positional, Map<String, CardField> labels, Map<String, CardField> bare) {
        static CardIndex of(CodeCard card) {
            Map<String, CardField> labels = new HashMap<>();
            Map<String, CardField> bare = new HashMap<>();
            for (CardField f : card.fields()) {
                for (String l : f.labels()) labels.put(l, f);
                if (f.bare()) {
                    for (CodeOption o : f.codes().values()) {
                        bare.put(o.code(), f);
                        for (String a : o.aliases()) bare.put(a, f);
                    }
                }
            }
            return new CardIndex(card.positional(), Map.copyOf(labels), Map.copyOf(bare));
        }
    }

    // by identity: a card is a record, and its deep hashCode would cost more than the lookup saves
    private final Map<CodeCard, CardIndex> indexes = new IdentityHashMap<>();

    private Parsed fields(CodeCard card, Tokens t) {
        Map<String, Value> values = new LinkedHashMap<>();
        CardIndex index = indexes.get(card);
        if (index == null) index = CardIndex.of(card);
        List<CardField> positional = index.positional();
        Map<String, CardField> labels = index.labels();
        Map<String, CardField> bare = index.bare();
        int i = 1;
        while (i < t.size()) {
            String tok = t.upper(i);
            CardField f = bare.get(tok);
            if (f != null) {
                Problem p = put(card, values, f, tok, t.original(i));
                if (p != null) return Parsed.problem(p);
                i++;
                continue;
            }
            int letters = 0;
            while (letters < tok.length() && Character.isLetter(tok.charAt(letters))) letters++;
            f = letters > 0 ? labels.get(letters == tok.length() ? tok : tok.substring(0, letters)) : null;
            if (f != null) {
                if (f.type() == FieldType.TEXT) {
                    Problem p = put(card, values, f, null, t.rest(i, letters));
                    if (p != null) return Parsed.problem(p);
                    break;
                }
                String rest = tok.substring(letters);
                // names are kept as written (Mary, not MARY)
                String asWritten = t.original(i).substring(letters);
                int used = 1;
                if (rest.isEmpty()) {
                    if (i + 1 >= t.size()) return Parsed.problem(Problem.of(ReplyKind.MISSING_FIELD, card, f, null, Hint.NONE));
                    rest = t.upper(i + 1);
                    asWritten = t.original(i + 1);
                    used = 2;
                }
                if (f.type() == FieldType.DATE || f.type() == FieldType.BIRTHDATE) {
                    int extra = dateParts(t, i + used, rest);
                    if (extra > 0) rest = rest + "-" + t.upper(i + used) + "-" + t.upper(i + used + 1);
                    used += extra;
                }
                Problem p = put(card, values, f, rest, f.type() == FieldType.NAME ? asWritten : rest);
                if (p != null) return Parsed.problem(p);
                i += used;
                continue;
            }
            f = nextPositional(positional, values, tok);
            if (f == null) {
                return Parsed.problem(Problem.of(ReplyKind.BAD_FORMAT, card, null, clip(t.original(i)), Hint.UNEXPECTED));
            }
            if (f.type() == FieldType.TEXT) {
                Problem p = put(card, values, f, null, t.rest(i, 0));
                if (p != null) return Parsed.problem(p);
                break;
            }
            String value = tok;
            int used = 1;
            if (f.type() == FieldType.DATE || f.type() == FieldType.BIRTHDATE) {
                int extra = dateParts(t, i + 1, tok);
                if (extra > 0) value = tok + "-" + t.upper(i + 1) + "-" + t.upper(i + 2);
                used += extra;
            }
            Problem p = put(card, values, f, value, f.type() == FieldType.NAME ? t.original(i) : value);
            if (p != null) return Parsed.problem(p);
            i += used;
        }
        for (CardField f : card.fields()) {
            if (f.required() && !values.containsKey(f.name())) return Parsed.problem(Problem.of(ReplyKind.MISSING_FIELD, card, f, null, Hint.NONE));
        }
        return Parsed.report(card, values);
    }

    /**
     * The first unfilled positional field for an unlabelled token. A bare-code field is passed over for a number
     * (its codes are recognised wherever they stand, so "ID LMP V" written out of order still reads), but gets any
     * other token so a wrong code is reported against it.
     */
    private static CardField nextPositional(List<CardField> positional, Map<String, Value> values, String tok) {
        boolean number = !tok.isEmpty() && Character.isDigit(tok.charAt(0));
        CardField skipped = null;
        for (CardField f : positional) {
            if (values.containsKey(f.name())) continue;
            if (f.bare() && number) {
                if (skipped == null) skipped = f;
                continue;
            }
            return f;
        }
        return skipped;
    }

    /** A date split by separators that are also field separators ({@code 01.03.2026}): how many more tokens belong to it. */
    private static int dateParts(Tokens t, int next, String first) {
        if (next + 1 >= t.size() || !digits(first) || (first.length() > 2 && first.length() != 4)) return 0;
        String b = t.upper(next);
        String c = t.upper(next + 1);
        if (!digits(b) || b.length() > 2 || !digits(c)) return 0;
        if (first.length() == 4) return c.length() <= 2 ? 2 : 0;
        return c.length() == 4 || c.length() == 2 ? 2 : 0;
    }

    private static boolean digits(String s) {
        if (s.isEmpty()) return false;
        for (int k = 0; k < s.length(); k++) if (s.charAt(k) < '0' || s.charAt(k) > '9') return false;
        return true;
    }

    private Problem put(CodeCard card, Map<String, Value> values, CardField f, String upper, String written) {
        if (values.containsKey(f.name())) return Problem.of(ReplyKind.BAD_FORMAT, card, f, clip(written), Hint.TWICE);
        Object v;
        switch (f.type()) {
            case ID -> {
                if (upper.length() < f.minLength() || upper.length() > f.maxLength() || !alnum(upper) || !f.checkDigit().valid(upper)) {
                    return Problem.of(ReplyKind.BAD_FORMAT, card, f, clip(written), Hint.ID);
                }
                v = upper;
            }
            case DATE -> {
                DateReader.Result r = DateReader.read(upper, card.dateOrder());
                if (r.ambiguous()) return Problem.of(ReplyKind.AMBIGUOUS_DATE, card, f, clip(written), Hint.DATE);
                if (r.date() == null) return Problem.of(ReplyKind.BAD_DATE, card, f, clip(written), Hint.DATE);
                v = r.date();
            }
            case BIRTHDATE -> {
                // up to three digits is an age in years; anything longer is read as a date
                if (digits(upper) && upper.length() <= 3) {
                    v = new Age(Integer.parseInt(upper));
                } else {
                    DateReader.Result r = DateReader.read(upper, card.dateOrder());
                    if (r.ambiguous()) return Problem.of(ReplyKind.AMBIGUOUS_DATE, card, f, clip(written), Hint.DATE);
                    if (r.date() == null) return Problem.of(ReplyKind.BAD_DATE, card, f, clip(written), Hint.DATE);
                    v = r.date();
                }
            }
            case NAME -> {
                if (!name(written) || written.length() < f.minLength() || written.length() > f.maxLength()) {
                    return Problem.of(ReplyKind.BAD_FORMAT, card, f, clip(written), Hint.NAME);
                }
                v = written;
            }
            case PHONE -> {
                String digitsOnly = upper.startsWith("+") ? upper.substring(1) : upper;
                if (!digits(digitsOnly) || digitsOnly.length() < 7 || digitsOnly.length() > 15) {
                    return Problem.of(ReplyKind.BAD_FORMAT, card, f, clip(written), Hint.PHONE);
                }
                v = upper;
            }
            case INTEGER -> {
                if (!digits(upper) || upper.length() > 9) return Problem.of(ReplyKind.BAD_FORMAT, card, f, clip(written), Hint.NUMBER);
                v = Integer.parseInt(upper);
            }
            case CODE -> {
                CodeOption o = f.code(upper);
                if (o == null) return Problem.of(ReplyKind.BAD_FORMAT, card, f, clip(written), Hint.CODES);
                v = o;
            }
            case YESNO -> {
                if (yes.contains(upper)) v = Boolean.TRUE;
                else if (no.contains(upper)) v = Boolean.FALSE;
                else return Problem.of(ReplyKind.BAD_FORMAT, card, f, clip(written), Hint.YESNO);
            }
            case TEXT -> {
                String text = written.strip();
                if (text.isEmpty()) return Problem.of(ReplyKind.MISSING_FIELD, card, f, null, Hint.NONE);
                if (text.length() > f.maxLength()) return Problem.of(ReplyKind.BAD_FORMAT, card, f, clip(text), Hint.TOO_LONG);
                v = text;
            }
            default -> throw new IllegalStateException(f.type().name());
        }
        values.put(f.name(), new Value(f, f.type() == FieldType.TEXT ? (String) v : written, v));
        return null;
    }

    /** Letters, with an apostrophe or hyphen between them (O'Neil, Mary-Jane). */
    private static boolean name(String s) {
        if (s.isEmpty() || !Character.isLetter(s.charAt(0)) || !Character.isLetter(s.charAt(s.length() - 1))) return false;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (!Character.isLetter(c) && c != '\'' && c != '-') return false;
        }
        return true;
    }

    private static boolean alnum(String s) {
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (!(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z')) return false;
        }
        return true;
    }

    /** What the worker wrote, short enough to echo in a 160-character reply. */
    static String clip(String s) { return s == null || s.length() <= 14 ? s : s.substring(0, 12) + ".."; }

    /** The known command word (keyword or alias) within one or two edits of {@code word} (a typo), or null. */
    private String suggest(String word) {
        if (word.length() < 2 || word.length() > 20) return null;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        boolean tie = false;
        for (String w : cards.words()) {
            int d = distance(word, w);
            int allowed = w.length() <= 3 ? 1 : 2;
            if (d > allowed) continue;
            if (d < bestDistance) {
                best = w;
                bestDistance = d;
                tie = false;
            } else if (d == bestDistance && !cards.versions(w).get(0).keyword().equals(cards.versions(best).get(0).keyword())) {
                tie = true;
            }
        }
        return tie ? null : best;
    }

    /** Damerau-Levenshtein (optimal string alignment): a swap of two letters is one slip, as on a keypad. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int x = 0; x <= a.length(); x++) d[x][0] = x;
        for (int y = 0; y <= b.length(); y++) d[0][y] = y;
        for (int x = 1; x <= a.length(); x++) {
            for (int y = 1; y <= b.length(); y++) {
                int cost = a.charAt(x - 1) == b.charAt(y - 1) ? 0 : 1;
                d[x][y] = Math.min(Math.min(d[x - 1][y] + 1, d[x][y - 1] + 1), d[x - 1][y - 1] + cost);
                if (x > 1 && y > 1 && a.charAt(x - 1) == b.charAt(y - 2) && a.charAt(x - 2) == b.charAt(y - 1)) {
                    d[x][y] = Math.min(d[x][y], d[x - 2][y - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** The message cut at separators, keeping where each token started (a text field takes the rest verbatim). */
    static final class Tokens {
        private final String text;
        private final int[] starts;
        private final int[] ends;
        private final String[] upper;
        private final int size;

        private Tokens(String text, int[] starts, int[] ends, int size) {
            this.text = text;
            this.starts = starts;
            this.ends = ends;
            this.size = size;
            this.upper = new String[size];
        }

        static Tokens of(String raw) {
            String text = raw == null ? "" : normalise(raw);
            int n = text.length();
            int[] starts = new int[8];
            int[] ends = new int[8];
            int size = 0;
            int i = 0;
            while (i < n) {
                while (i < n && separator(text.charAt(i))) i++;
                if (i >= n) break;
                int s = i;
                while (i < n && !separator(text.charAt(i))) i++;
                if (size == starts.length) {
                    starts = Arrays.copyOf(starts, size * 2);
                    ends = Arrays.copyOf(ends, size * 2);
                }
                starts[size] = s;
                ends[size++] = i;
            }
            return new Tokens(text, starts, ends, size);
        }

        /** Compatibility forms folded (full-width digits, ligatures) so phones' odd keyboards read the same; ASCII skips the work. */
        private static String normalise(String raw) {
            for (int k = 0; k < raw.length(); k++) {
                if (raw.charAt(k) > 127) return Normalizer.normalize(raw, Normalizer.Form.NFKC);
            }
            return raw;
        }

        static boolean separator(char c) {
            return c == ' ' || c == ',' || c == ';' || c == '.' || c == '#' || c == '*' || c == '=' || c == ':'
                    || c == '\n' || c == '\r' || c == '\t' || c == '\u00a0' || Character.isWhitespace(c);
        }

        int size() { return size; }

        String original(int i) { return text.substring(starts[i], ends[i]); }

        String upper(int i) {
            String u = upper[i];
            if (u == null) upper[i] = u = original(i).toUpperCase(Locale.ROOT);
            return u;
        }

        /** Everything from token {@code i} (skipping {@code skip} characters of it) to the end, as written. */
        String rest(int i, int skip) {
            int s = starts[i] + skip;
            while (s < text.length() && separator(text.charAt(s))) s++;
            return text.substring(s).strip();
        }
    }
}
