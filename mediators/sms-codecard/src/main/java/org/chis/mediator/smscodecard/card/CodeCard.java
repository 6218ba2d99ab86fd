package org.chis.mediator.smscodecard.card;

import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One version of one SMS command, as printed on the health worker's code card: keyword and per-language
 * aliases, fields (positional, labelled, bare codes), how dates are written, what identifies a duplicate,
 * what the confirmation echoes, and where the record goes (OpenMRS encounter type, OpenSRP event type).
 *
 * @param aliases      language (ISO-639-3) -> other keywords for this command in that language
 * @param examples     language -> a valid example message (checked at start-up against the card itself)
 * @param patientField the id field naming a patient who must exist, or null
 * @param duplicateKey fields that identify "the same report" (with the keyword) among active records
 * @param confirm      fields (or derived fields) the OK reply echoes, in order
 * @param registration set when the command registers a new client (REG) rather than reporting on a known one
 * @param source       the file it came from, for messages
 */
public record CodeCard(String keyword, int version, LocalDate validFrom, String title, Map<String, List<String>> aliases,
                       DateOrder dateOrder, Map<String, String> examples, List<CardField> fields, List<DerivedField> derived,
                       String patientField, List<String> duplicateKey, List<String> confirm, String openmrsEncounterType,
                       String openmrsForm, String opensrpEventType, String opensrpEntityType, Registration registration, String source) {

    public CardField field(String name) {
        for (CardField f : fields) if (f.name().equals(name)) return f;
        return null;
    }

    public DerivedField derivedField(String name) {
        for (DerivedField d : derived) if (d.name().equals(name)) return d;
        return null;
    }

    /** Fields that take unlabelled values, in position order. */
    public List<CardField> positional() {
        return fields.stream().filter(f -> f.position() != null).sorted(Comparator.comparing(CardField::position)).toList();
    }

    /** The example for a reply language, else English, else any. */
    public String example(String language) {
        String e = examples.get(language);
        if (e == null) e = examples.get("eng");
        if (e == null && !examples.isEmpty()) e = examples.values().iterator().next();
        return e == null ? keyword : e;
    }

    /** The keyword a worker using {@code language} knows: its first alias in that language, else the keyword. */
    public String keywordIn(String language) {
        List<String> a = aliases.get(language);
        return a == null || a.isEmpty() ? keyword : a.get(0);
    }

    public boolean registers() { return registration != null; }

    /** Is this version in force on {@code day}? */
    public boolean validOn(LocalDate day) { return validFrom == null || !validFrom.isAfter(day); }
}
