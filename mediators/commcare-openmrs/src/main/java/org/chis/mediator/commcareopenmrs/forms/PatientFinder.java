package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.IdMap;
import org.chis.common.systems.openmrs.NewPatient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.OpenMrsDates;

/**
 * Finds the OpenMRS patient a submission is about, in this order: the id map (case/client id -> patient uuid),
 * the matching identifiers (exactly one patient holding it), then the optional weighted matcher. A false match
 * writes one person's data onto another, so it never guesses: several candidates without a clear winner is
 * {@link Found#ambiguous}, which the workflow refuses instead of creating or picking. A patient holding a different
 * value of one of the form's {@code matchOn} identifier types is another person (twins, household members share
 * name, sex and birth date): the matcher rules it out, or with {@code onIdentifierConflict: review} the form is
 * refused for review ({@link Found#conflicts}); the identifier match refuses it always.
 */
final class PatientFinder {
    /** {@code conflicts}: "patient uuid: type holds [values], form has value", one per conflicting candidate. */
    record Found(JsonNode patient, String how, List<String> ambiguous, List<String> conflicts) {
        static Found none() { return new Found(null, null, List.of(), List.of()); }

        static Found of(JsonNode patient, String how) { return new Found(patient, how, List.of(), List.of()); }

        static Found ambiguousAmong(List<String> uuids) { return new Found(null, null, uuids, List.of()); }

        static Found conflicting(List<String> conflicts) { return new Found(null, null, List.of(), conflicts); }

        boolean matched() { return patient != null; }
    }

    private final OpenMrsClient openmrs;
    private final IdMap idMap;

    PatientFinder(OpenMrsClient openmrs, IdMap idMap) {
        this.openmrs = openmrs;
        this.idMap = idMap;
    }

    Found find(TransactionContext tx, FormMapping m, Submission s, FormValues v) {
        if (v.caseId() != null) {
            Optional<String> mapped = idMap.target(Forms.patientNamespace(m.source()), v.caseId());
            if (mapped.isPresent()) {
                Optional<JsonNode> p = openmrs.patient(tx, mapped.get());
                // a voided (merged/deleted) patient is not a match: look it up again like a new one
                if (p.isPresent() && !p.get().path("voided").asBoolean(false)) return Found.of(p.get(), "id map");
            }
        }
        for (NewPatient.Identifier id : v.matchIdentifiers()) {
            List<JsonNode> hits = openmrs.patientsByIdentifier(tx, id.identifier()).stream()
                    .filter(p -> !p.path("voided").asBoolean(false) && holds(p, id)).toList();
            if (hits.size() == 1) {
                // holds this identifier but another value of a second matchOn type: which one is wrong is for a person to say
                String conflict = conflict(hits.get(0), v.matchIdentifiers());
                if (conflict != null) return Found.conflicting(List.of(conflict));
                return Found.of(hits.get(0), "identifier " + id.identifier());
            }
            if (hits.size() > 1) return Found.ambiguousAmong(hits.stream().map(OpenMrsClient::uuidOf).toList());
        }
        if (m.matcher() != null) return weighted(tx, m.matcher(), s.doc(), v);
        return Found.none();
    }

    private static boolean holds(JsonNode patient, NewPatient.Identifier id) {
        for (JsonNode i : patient.path("identifiers")) {
            if (i.path("voided").asBoolean(false)) continue;
            if (id.identifier().equals(i.path("identifier").asText()) && id.identifierType().equals(typeOf(i))) return true;
        }
        return false;
    }

    private Found weighted(TransactionContext tx, FormMapping.Matcher matcher, JsonNode doc, FormValues v) {
        String q = matcher.search().value(doc);
        if (q == null) return Found.none();
        Map<String, Double> scores = new LinkedHashMap<>();
        Map<String, JsonNode> byUuid = new LinkedHashMap<>();
        List<String> conflicts = new ArrayList<>();
        for (JsonNode p : openmrs.searchPatients(tx, q)) {
            if (p.path("voided").asBoolean(false)) continue;
            String conflict = conflict(p, v.matchIdentifiers());
            if (conflict != null && matcher.onIdentifierConflict() == FormMapping.IdentifierConflict.RULE_OUT) continue;
            double score = 0;
            for (FormMapping.Weight w : matcher.weights()) {
                String formValue = w.value().value(doc);
                if (formValue != null && matches(w, formValue, patientValue(p, w.field()))) score += w.weight();
            }
            if (score >= matcher.threshold() && conflict != null) conflicts.add(conflict);
            else if (score >= matcher.threshold()) {
                scores.put(OpenMrsClient.uuidOf(p), score);
                byUuid.put(OpenMrsClient.uuidOf(p), p);
            }
        }
        if (!conflicts.isEmpty()) return Found.conflicting(conflicts);
        if (scores.isEmpty()) return Found.none();
        List<Map.Entry<String, Double>> ranked = new ArrayList<>(scores.entrySet());
        ranked.sort(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()));
        if (ranked.size() == 1 || ranked.get(0).getValue() / ranked.get(1).getValue() > 1 + matcher.confidenceMargin()) {
            return Found.of(byUuid.get(ranked.get(0).getKey()), "matcher (score " + ranked.get(0).getValue() + ")");
        }
        return Found.ambiguousAmong(ranked.stream().map(Map.Entry::getKey).toList());
    }

    /**
     * The first of the form's matchOn identifiers whose type the patient holds (not voided) only with other values,
     * described for the 409; null when none conflicts. A type the patient lacks, or the form leaves empty, is no
     * conflict. Same value in other letter case is the same identifier.
     */
    static String conflict(JsonNode patient, List<NewPatient.Identifier> formIds) {
        for (NewPatient.Identifier id : formIds) {
            List<String> held = new ArrayList<>();
            for (JsonNode i : patient.path("identifiers")) {
                if (i.path("voided").asBoolean(false) || !id.identifierType().equals(typeOf(i))) continue;
                held.add(i.path("identifier").asText().trim());
            }
            if (!held.isEmpty() && held.stream().noneMatch(h -> h.equalsIgnoreCase(id.identifier().trim()))) {
                return OpenMrsClient.uuidOf(patient) + " holds identifier type " + id.identifierType() + " = " + held
                        + ", the form has " + id.identifier();
            }
        }
        return null;
    }

    /** The form's matchOn identifiers whose type the patient holds no (not voided) identifier of. */
    static List<NewPatient.Identifier> missingTypes(JsonNode patient, List<NewPatient.Identifier> formIds) {
        List<NewPatient.Identifier> missing = new ArrayList<>();
        for (NewPatient.Identifier id : formIds) {
            boolean held = false;
            for (JsonNode i : patient.path("identifiers")) {
                if (!i.path("voided").asBoolean(false) && id.identifierType().equals(typeOf(i))) held = true;
            }
            if (!held && missing.stream().noneMatch(m -> m.identifierType().equals(id.identifierType()))) missing.add(id);
        }
        return missing;
    }

    private static String typeOf(JsonNode identifier) {
        JsonNode t = identifier.path("identifierType");
        return t.isObject() ? t.path("uuid").asText() : t.asText();
    }

    private static String patientValue(JsonNode p, String field) {
        JsonNode person = p.path("person");
        JsonNode name = person.path("preferredName");
        return switch (field) {
            case "givenName" -> name.path("givenName").asText(null);
            case "familyName" -> name.path("familyName").asText(null);
            case "gender" -> person.path("gender").asText(null);
            case "birthdate" -> person.path("birthdate").isNull() ? null : person.path("birthdate").asText(null);
            case "identifier" -> {
                StringBuilder all = new StringBuilder();
                p.path("identifiers").forEach(i -> all.append(' ').append(i.path("identifier").asText()));
                yield all.toString().trim();
            }
            default -> null;
        };
    }

    static boolean matches(FormMapping.Weight w, String formValue, String patientValue) {
        if (patientValue == null || patientValue.isBlank()) return false;
        String a = formValue.trim().toLowerCase(Locale.ROOT);
        String b = patientValue.trim().toLowerCase(Locale.ROOT);
        return switch (w.match()) {
            case EXACT -> w.field().equals("identifier") ? List.of(b.split(" ")).contains(a) : a.equals(b);
            case LEVENSHTEIN -> levenshtein(a, b) <= w.param() * Math.max(a.length(), b.length());
            case DAYS_DIFF -> {
                try {
                    LocalDate x = OpenMrsDates.datePart(formValue);
                    LocalDate y = OpenMrsDates.datePart(patientValue);
                    yield Math.abs(ChronoUnit.DAYS.between(x, y)) <= w.param();
                } catch (IllegalArgumentException e) {
                    yield false;
                }
            }
        };
    }

    static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
