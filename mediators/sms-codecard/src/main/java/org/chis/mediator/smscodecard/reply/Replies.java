package org.chis.mediator.smscodecard.reply;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.chis.mediator.smscodecard.card.CardField;
import org.chis.mediator.smscodecard.card.CodeCard;
import org.chis.mediator.smscodecard.card.CodeOption;
import org.chis.mediator.smscodecard.card.DerivedField;
import org.chis.mediator.smscodecard.card.FieldType;
import org.chis.mediator.smscodecard.parse.CommandWords;
import org.chis.mediator.smscodecard.parse.Parsed;
import org.chis.mediator.smscodecard.parse.Problem;
import org.chis.mediator.smscodecard.parse.Problem.Hint;
import org.chis.mediator.smscodecard.parse.ReplyKind;
import org.chis.mediator.smscodecard.parse.Value;

/**
 * The reply to a message, in the worker's language, from the templates of {@link ReplyTexts}
 * ({@code replies/<lang>.json}). Every reply ends with the message's reference, is GSM-7 and fits one SMS: the
 * example (the template's [optional] part) is dropped first when it would not, then the text is cut. Wording
 * names what to fix; the system-fault reply does not blame the worker.
 */
public final class Replies {
    private static final String EXAMPLE_MARK = ReplyTexts.OPTIONAL_MARK;

    private final ReplyTexts texts;
    private final String defaultLanguage;
    private final CodeCard defaultCard;

    /**
     * @param defaultLanguage the language of senders whose language has no reply file ("eng" when it has none either)
     * @param defaultCard     the card whose example replies show when the command is unknown
     */
    public Replies(ReplyTexts texts, String defaultLanguage, CodeCard defaultCard) {
        this.texts = texts;
        this.defaultLanguage = texts.supported(defaultLanguage) ? defaultLanguage
                : texts.supported("eng") ? "eng" : texts.languages().iterator().next();
        this.defaultCard = defaultCard;
    }

    public boolean supported(String language) { return texts.supported(language); }

    /** The command words of every language, for the message parser. */
    public CommandWords commandWords() { return texts.commandWords(); }

    /** The reply language: the contact's if the suite speaks it, else the given fallback, else the default. */
    public String language(String contactLanguage, String fallback) {
        if (supported(contactLanguage)) return contactLanguage;
        if (supported(fallback)) return fallback;
        return defaultLanguage;
    }

    public String ok(String lang, Parsed report, Map<String, LocalDate> derived, String ref) {
        return fit(fill(lang, "ok", report.card(), null, null, ref).replace("{confirm}", confirm(report, derived, lang)));
    }

    public String problem(String lang, Problem p, String ref) {
        CodeCard card = p.card() != null ? p.card() : p.hint() == Hint.SUGGEST ? null : defaultCard;
        String key = switch (p.kind()) {
            case EMPTY -> "empty";
            case UNKNOWN_COMMAND -> p.hint() == Hint.SUGGEST ? "suggest" : "unknown_command";
            case MISSING_FIELD -> "missing_field";
            case BAD_FORMAT -> p.hint() == Hint.UNEXPECTED ? "unexpected" : "bad_format";
            case BAD_DATE -> "bad_date";
            case AMBIGUOUS_DATE -> "ambiguous_date";
            case OUT_OF_RANGE -> p.hint().name().toLowerCase(Locale.ROOT);
            case UNDO_NOT_FOUND -> "undo_not_found";
            default -> throw new IllegalArgumentException("not a parse problem: " + p.kind());
        };
        String example;
        String kw;
        if (p.kind() == ReplyKind.UNKNOWN_COMMAND && p.hint() == Hint.SUGGEST) {
            kw = p.extra();
            example = suggestedExample(lang, p.extra());
        } else {
            kw = card == null ? "" : card.keywordIn(lang);
            example = card == null ? "" : card.example(lang);
        }
        String t = template(lang, key).replace("{kw}", kw).replace("{label}", p.field() != null ? p.field().labelIn(lang) : p.label() == null ? "" : p.label())
                .replace("{value}", p.token() == null ? "" : Gsm7.fold(p.token()))
                .replace("{hint}", hint(lang, p)).replace("{limit}", p.extra() == null ? "" : p.extra())
                .replace("{pattern}", card == null ? "" : card.dateOrder().pattern())
                .replace("{example}", example).replace("{ref}", ref);
        return fit(t);
    }

    private String suggestedExample(String lang, String word) {
        String e = examples.get(word + "/" + lang);
        if (e == null) e = examples.get(word + "/eng");
        return e == null ? word : e;
    }

    private final Map<String, String> examples = new ConcurrentHashMap<>();

    /** Makes the suggestion replies able to show the suggested command's example. */
    public Replies withExamplesOf(Iterable<CodeCard> cards) {
        for (CodeCard c : cards) {
            List<String> words = new ArrayList<>(List.of(c.keyword()));
            c.aliases().values().forEach(words::addAll);
            // newest version first wins (putIfAbsent): callers pass cards newest first per keyword
            for (String w : words) c.examples().forEach((l, e) -> examples.putIfAbsent(w + "/" + l, e));
        }
        return this;
    }

    /** REG's replies: {@code registered} (with the confirm echo) or {@code already_registered}, naming the client's id. */
    public String registration(String lang, ReplyKind kind, Parsed report, String name, String id, Map<String, LocalDate> derived, String ref) {
        return fit(fill(lang, kind.jsonName(), report.card(), name, null, ref).replace("{id}", id)
                .replace("{confirm}", confirm(report, derived, lang)));
    }

    public String simple(String lang, ReplyKind kind, CodeCard card, String value, String earlierRef, String ref) {
        return fit(fill(lang, kind.jsonName(), card, value, earlierRef, ref));
    }

    private String fill(String lang, String key, CodeCard card, String value, String earlierRef, String ref) {
        String kw = card == null ? template(lang, "report") : card.keywordIn(lang);
        return template(lang, key).replace("{kw}", kw).replace("{value}", value == null ? "" : Gsm7.fold(value))
                .replace("{ref0}", earlierRef == null ? "" : earlierRef).replace("{ref}", ref)
                .replace("{example}", card == null ? "" : card.example(lang)).replace("{undo}", texts.undoWord(texts.supported(lang) ? lang : defaultLanguage));
    }

    private String template(String lang, String key) { return texts.template(texts.supported(lang) ? lang : defaultLanguage, key); }

    private String hint(String lang, Problem p) {
        String h = switch (p.hint()) {
            case ID -> template(lang, "hint_id");
            case CODES -> template(lang, "hint_codes").replace("{codes}", p.field() == null ? "" : p.field().codeList());
            case NUMBER -> template(lang, "hint_number");
            case YESNO -> template(lang, "hint_yesno");
            case TOO_LONG -> template(lang, "hint_too_long");
            case TWICE -> template(lang, "hint_twice");
            case NAME -> template(lang, "hint_name");
            case PHONE -> template(lang, "hint_phone");
            default -> "";
        };
        return h;
    }

    /** The OK reply's echo: each confirm field as LABEL value, dates in the card's order. */
    public static String confirm(Parsed report, Map<String, LocalDate> derived, String lang) {
        StringBuilder b = new StringBuilder();
        CodeCard card = report.card();
        for (String name : card.confirm()) {
            CardField f = card.field(name);
            String shown;
            String label;
            if (f != null) {
                Value v = report.value(name);
                if (v == null) continue;
                label = f.type() == FieldType.CODE && f.bare() ? null : f.labelIn(lang);
                shown = show(card, v.value());
            } else {
                DerivedField d = card.derivedField(name);
                LocalDate date = derived.get(name);
                if (d == null || date == null) continue;
                label = d.label();
                shown = card.dateOrder().show(date);
            }
            if (b.length() > 0) b.append(' ');
            if (label != null) b.append(label).append(' ');
            b.append(Gsm7.fold(shown));
        }
        return b.toString();
    }

    /** How a value is echoed back. */
    public static String show(CodeCard card, Object value) {
        if (value instanceof LocalDate d) return card.dateOrder().show(d);
        if (value instanceof CodeOption o) return o.code();
        if (value instanceof Boolean yes) return yes ? "Y" : "N";
        return String.valueOf(value);
    }

    /** One SMS of GSM-7: without the example if it is too long, then cut. */
    static String fit(String text) {
        String full = Gsm7.fold(text.replace(EXAMPLE_MARK, ""));
        if (Gsm7.septets(full) <= Gsm7.SINGLE_SMS) return full;
        String shorter = Gsm7.fold(text.replaceAll(EXAMPLE_MARK + "[^" + EXAMPLE_MARK + "]*" + EXAMPLE_MARK, ""));
        if (Gsm7.septets(shorter) <= Gsm7.SINGLE_SMS) return shorter;
        return Gsm7.cut(shorter, Gsm7.SINGLE_SMS);
    }
}
