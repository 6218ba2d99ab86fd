package org.chis.mediator.smscodecard.card;

import java.util.List;
import java.util.Map;

/**
 * One field of a code card.
 *
 * @param labels     every label that may prefix the value (main label first), already upper case, all languages
 * @param position   1-based position for unlabelled values, or null when the field must be labelled or is a bare code
 * @param bare       a code field whose codes may stand alone (ANC1 with no label)
 * @param codes      code -> option (CODE fields), upper case keys
 * @param labelByLanguage language -> the first label in that language (replies name fields the worker's way)
 * @param range      semantic limits, checked after the sender and the patient (see {@link FieldRange})
 */
public record CardField(String name, FieldType type, String label, List<String> labels, Integer position, boolean required,
                        boolean bare, int minLength, int maxLength, CheckDigit checkDigit, Map<String, CodeOption> codes,
                        FieldRange range, Target target, String openmrsYes, String openmrsNo, Map<String, String> labelByLanguage) {

    /** The label a worker using {@code language} writes (its first label in that language), else the main label. */
    public String labelIn(String language) { return language == null ? label : labelByLanguage.getOrDefault(language, label); }

    /** The code option spelled {@code token} (code or alias), or null. */
    public CodeOption code(String token) {
        CodeOption o = codes.get(token);
        if (o != null) return o;
        for (CodeOption c : codes.values()) if (c.aliases().contains(token)) return c;
        return null;
    }

    /** The codes as a reply lists them: "M/F", or "ANC1-ANC8" for a long list. */
    public String codeList() {
        var keys = List.copyOf(codes.keySet());
        return keys.size() <= 4 ? String.join("/", keys) : keys.get(0) + "-" + keys.get(keys.size() - 1);
    }
}
