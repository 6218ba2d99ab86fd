package org.chis.mediator.smscodecard.reply;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.chis.mediator.smscodecard.card.CardField;
import org.chis.mediator.smscodecard.card.CodeCard;
import org.chis.mediator.smscodecard.card.CodeOption;
import org.chis.mediator.smscodecard.card.DerivedField;
import org.chis.mediator.smscodecard.card.FieldType;
import org.chis.mediator.smscodecard.parse.Parsed;
import org.chis.mediator.smscodecard.parse.Problem;
import org.chis.mediator.smscodecard.parse.Problem.Hint;
import org.chis.mediator.smscodecard.parse.Value;

/**
 * Reply texts in English, Swahili and French (ISO-639-3 eng, swa, fra), one per {@link ReplyKind}. Every reply
 * ends with the message's reference, is GSM-7 and fits one SMS: the example is dropped first when it would
 * not, then the text is cut. Wording names what to fix; the system-fault reply does not blame the worker.
 */
public final class Replies {
    public static final List<String> LANGUAGES = List.of("eng", "swa", "fra");
    private static final String EXAMPLE_MARK = "\u0001";

    private static final Map<String, Map<String, String>> TEXT = Map.of(
        "eng", Map.ofEntries(
            Map.entry("ok", "OK {kw} saved: {confirm}. Ref {ref}. To cancel send UNDO {ref}"),
            Map.entry("empty", "Empty message. Send a report\u0001, e.g. {example}\u0001. Ref {ref}"),
            Map.entry("unknown_command", "Unknown command {value}\u0001. Send e.g. {example}\u0001. Ref {ref}"),
            Map.entry("suggest", "Unknown command {value}, did you mean {kw}?\u0001 Send e.g. {example}.\u0001 Ref {ref}"),
            Map.entry("missing_field", "{kw}: {label} missing.\u0001 Send e.g. {example}.\u0001 Ref {ref}"),
            Map.entry("bad_format", "{kw}: {label} {value} not valid, {hint}.\u0001 Send e.g. {example}.\u0001 Ref {ref}"),
            Map.entry("unexpected", "{kw}: unexpected {value}.\u0001 Send e.g. {example}.\u0001 Ref {ref}"),
            Map.entry("bad_date", "{kw}: date {label} {value} not valid, write {pattern}.\u0001 Send e.g. {example}.\u0001 Ref {ref}"),
            Map.entry("ambiguous_date", "{kw}: date {label} {value} unclear, write {pattern} with a 4-digit year.\u0001 Send e.g. {example}.\u0001 Ref {ref}"),
            Map.entry("not_future", "{kw}: {label} {value} is in the future. Check and send again. Ref {ref}"),
            Map.entry("too_old", "{kw}: {label} {value} is more than {limit} ago. Check and send again. Ref {ref}"),
            Map.entry("too_recent", "{kw}: {label} {value} is less than {limit} ago. Check and send again. Ref {ref}"),
            Map.entry("min_max", "{kw}: {label} {value} out of range {limit}. Check and send again. Ref {ref}"),
            Map.entry("patient_not_found", "{kw}: patient {value} not found. Check the ID and send again. Ref {ref}"),
            Map.entry("not_registered", "This phone is not registered to send reports. Ask your supervisor to register it. Ref {ref}"),
            Map.entry("not_allowed", "This phone is not registered for {kw} reports. Ask your supervisor. Ref {ref}"),
            Map.entry("already_received", "{kw} {value} was already received (Ref {ref0}). No need to send again. Ref {ref}"),
            Map.entry("system_fault", "Sorry, a system problem stopped your {kw} report from being saved. Please send it again in 1 hour. Ref {ref}"),
            Map.entry("undone", "Report {value} cancelled. Ref {ref}"),
            Map.entry("undo_not_found", "No report {value} from this phone to cancel. Check the Ref. Ref {ref}"),
            Map.entry("already_undone", "Report {value} was already cancelled. Ref {ref}"),
            Map.entry("hint_id", "check the ID"), Map.entry("hint_codes", "use {codes}"), Map.entry("hint_number", "use a whole number"),
            Map.entry("hint_yesno", "use Y or N"), Map.entry("hint_too_long", "too long"), Map.entry("hint_twice", "given twice"),
            Map.entry("report", "report")),
        "swa", Map.ofEntries(
            Map.entry("ok", "SAWA {kw} imehifadhiwa: {confirm}. Kumb {ref}. Kufuta tuma FUTA {ref}"),
            Map.entry("empty", "Ujumbe mtupu. Tuma ripoti\u0001, mf. {example}\u0001. Kumb {ref}"),
            Map.entry("unknown_command", "Amri {value} haijulikani\u0001. Tuma mf. {example}\u0001. Kumb {ref}"),
            Map.entry("suggest", "Amri {value} haijulikani, ulimaanisha {kw}?\u0001 Tuma mf. {example}.\u0001 Kumb {ref}"),
            Map.entry("missing_field", "{kw}: {label} haipo.\u0001 Tuma mf. {example}.\u0001 Kumb {ref}"),
            Map.entry("bad_format", "{kw}: {label} {value} si sahihi, {hint}.\u0001 Tuma mf. {example}.\u0001 Kumb {ref}"),
            Map.entry("unexpected", "{kw}: {value} haitarajiwi.\u0001 Tuma mf. {example}.\u0001 Kumb {ref}"),
            Map.entry("bad_date", "{kw}: tarehe {label} {value} si sahihi, andika {pattern}.\u0001 Tuma mf. {example}.\u0001 Kumb {ref}"),
            Map.entry("ambiguous_date", "{kw}: tarehe {label} {value} haieleweki, andika {pattern} na mwaka wa tarakimu 4.\u0001 Tuma mf. {example}.\u0001 Kumb {ref}"),
            Map.entry("not_future", "{kw}: {label} {value} ni tarehe ijayo. Hakiki na utume tena. Kumb {ref}"),
            Map.entry("too_old", "{kw}: {label} {value} ni zaidi ya {limit} iliyopita. Hakiki na utume tena. Kumb {ref}"),
            Map.entry("too_recent", "{kw}: {label} {value} ni chini ya {limit} iliyopita. Hakiki na utume tena. Kumb {ref}"),
            Map.entry("min_max", "{kw}: {label} {value} nje ya kiwango {limit}. Hakiki na utume tena. Kumb {ref}"),
            Map.entry("patient_not_found", "{kw}: mteja {value} hapatikani. Hakiki namba na utume tena. Kumb {ref}"),
            Map.entry("not_registered", "Simu hii haijasajiliwa kutuma ripoti. Muombe msimamizi wako aisajili. Kumb {ref}"),
            Map.entry("not_allowed", "Simu hii haijasajiliwa kwa ripoti za {kw}. Muulize msimamizi wako. Kumb {ref}"),
            Map.entry("already_received", "{kw} {value} ilishapokelewa (Kumb {ref0}). Usitume tena. Kumb {ref}"),
            Map.entry("system_fault", "Samahani, tatizo la mfumo limezuia ripoti yako ya {kw} kuhifadhiwa. Tafadhali tuma tena baada ya saa 1. Kumb {ref}"),
            Map.entry("undone", "Ripoti {value} imefutwa. Kumb {ref}"),
            Map.entry("undo_not_found", "Hakuna ripoti {value} kutoka simu hii ya kufuta. Hakiki Kumb. Kumb {ref}"),
            Map.entry("already_undone", "Ripoti {value} ilishafutwa. Kumb {ref}"),
            Map.entry("hint_id", "hakiki namba"), Map.entry("hint_codes", "tumia {codes}"), Map.entry("hint_number", "tumia namba kamili"),
            Map.entry("hint_yesno", "tumia NDIYO au HAPANA"), Map.entry("hint_too_long", "ni ndefu mno"), Map.entry("hint_twice", "imetolewa mara mbili"),
            Map.entry("report", "ripoti")),
        "fra", Map.ofEntries(
            Map.entry("ok", "OK {kw} enregistré: {confirm}. Réf {ref}. Pour annuler envoyez ANNULER {ref}"),
            Map.entry("empty", "Message vide. Envoyez un rapport\u0001, ex. {example}\u0001. Réf {ref}"),
            Map.entry("unknown_command", "Commande {value} inconnue\u0001. Envoyez ex. {example}\u0001. Réf {ref}"),
            Map.entry("suggest", "Commande {value} inconnue, vouliez-vous dire {kw}?\u0001 Envoyez ex. {example}.\u0001 Réf {ref}"),
            Map.entry("missing_field", "{kw}: {label} manquant.\u0001 Envoyez ex. {example}.\u0001 Réf {ref}"),
            Map.entry("bad_format", "{kw}: {label} {value} invalide, {hint}.\u0001 Envoyez ex. {example}.\u0001 Réf {ref}"),
            Map.entry("unexpected", "{kw}: {value} inattendu.\u0001 Envoyez ex. {example}.\u0001 Réf {ref}"),
            Map.entry("bad_date", "{kw}: date {label} {value} invalide, écrivez {pattern}.\u0001 Envoyez ex. {example}.\u0001 Réf {ref}"),
            Map.entry("ambiguous_date", "{kw}: date {label} {value} pas claire, écrivez {pattern} avec l'année sur 4 chiffres.\u0001 Envoyez ex. {example}.\u0001 Réf {ref}"),
            Map.entry("not_future", "{kw}: {label} {value} est dans le futur. Vérifiez et renvoyez. Réf {ref}"),
            Map.entry("too_old", "{kw}: {label} {value} date de plus de {limit}. Vérifiez et renvoyez. Réf {ref}"),
            Map.entry("too_recent", "{kw}: {label} {value} date de moins de {limit}. Vérifiez et renvoyez. Réf {ref}"),
            Map.entry("min_max", "{kw}: {label} {value} hors limites {limit}. Vérifiez et renvoyez. Réf {ref}"),
            Map.entry("patient_not_found", "{kw}: patient {value} introuvable. Vérifiez l'ID et renvoyez. Réf {ref}"),
            Map.entry("not_registered", "Ce téléphone n'est pas enregistré pour envoyer des rapports. Demandez à votre superviseur. Réf {ref}"),
            Map.entry("not_allowed", "Ce téléphone n'est pas enregistré pour les rapports {kw}. Demandez à votre superviseur. Réf {ref}"),
            Map.entry("already_received", "{kw} {value} déjà arrivé (Réf {ref0}). Inutile de renvoyer. Réf {ref}"),
            Map.entry("system_fault", "Désolé, un problème technique a bloqué l'enregistrement de votre rapport {kw}. Renvoyez-le dans 1 heure. Réf {ref}"),
            Map.entry("undone", "Rapport {value} annulé. Réf {ref}"),
            Map.entry("undo_not_found", "Aucun rapport {value} de ce téléphone à annuler. Vérifiez la Réf. Réf {ref}"),
            Map.entry("already_undone", "Rapport {value} déjà annulé. Réf {ref}"),
            Map.entry("hint_id", "vérifiez l'ID"), Map.entry("hint_codes", "utilisez {codes}"), Map.entry("hint_number", "utilisez un nombre entier"),
            Map.entry("hint_yesno", "utilisez O ou N"), Map.entry("hint_too_long", "trop long"), Map.entry("hint_twice", "donné deux fois"),
            Map.entry("report", "rapport")));

    private final String defaultLanguage;
    private final CodeCard defaultCard;

    /** @param defaultCard the card whose example replies show when the command is unknown */
    public Replies(String defaultLanguage, CodeCard defaultCard) {
        this.defaultLanguage = supported(defaultLanguage) ? defaultLanguage : "eng";
        this.defaultCard = defaultCard;
    }

    public static boolean supported(String language) { return language != null && TEXT.containsKey(language); }

    /** The reply language: the contact's if the suite speaks it, else the given fallback, else the default. */
    public String language(String contactLanguage, String fallback) {
        if (supported(contactLanguage)) return contactLanguage;
        if (supported(fallback)) return fallback;
        return defaultLanguage;
    }

    /** Every template, for the charset check. */
    public static List<String> templates() {
        List<String> all = new ArrayList<>();
        TEXT.values().forEach(m -> m.values().forEach(t -> all.add(t.replace(EXAMPLE_MARK, ""))));
        return all;
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
            case OUT_OF_RANGE -> p.hint().name().toLowerCase(java.util.Locale.ROOT);
            case UNDO_NOT_FOUND -> "undo_not_found";
            default -> throw new IllegalArgumentException("not a parse problem: " + p.kind());
        };
        String example;
        String kw;
        if (p.kind() == org.chis.mediator.smscodecard.reply.ReplyKind.UNKNOWN_COMMAND && p.hint() == Hint.SUGGEST) {
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

    private final Map<String, String> examples = new java.util.concurrent.ConcurrentHashMap<>();

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

    public String simple(String lang, ReplyKind kind, CodeCard card, String value, String earlierRef, String ref) {
        return fit(fill(lang, kind.jsonName(), card, value, earlierRef, ref));
    }

    private String fill(String lang, String key, CodeCard card, String value, String earlierRef, String ref) {
        String kw = card == null ? template(lang, "report") : card.keywordIn(lang);
        return template(lang, key).replace("{kw}", kw).replace("{value}", value == null ? "" : Gsm7.fold(value))
                .replace("{ref0}", earlierRef == null ? "" : earlierRef).replace("{ref}", ref)
                .replace("{example}", card == null ? "" : card.example(lang));
    }

    private String template(String lang, String key) {
        Map<String, String> m = TEXT.getOrDefault(lang, TEXT.get(defaultLanguage));
        String t = m.get(key);
        if (t == null) throw new IllegalArgumentException("no reply text '" + key + "' in " + lang);
        return t;
    }

    private String hint(String lang, Problem p) {
        String h = switch (p.hint()) {
            case ID -> template(lang, "hint_id");
            case CODES -> template(lang, "hint_codes").replace("{codes}", p.field() == null ? "" : p.field().codeList());
            case NUMBER -> template(lang, "hint_number");
            case YESNO -> template(lang, "hint_yesno");
            case TOO_LONG -> template(lang, "hint_too_long");
            case TWICE -> template(lang, "hint_twice");
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
