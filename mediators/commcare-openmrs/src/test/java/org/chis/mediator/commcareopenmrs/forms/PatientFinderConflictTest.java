package org.chis.mediator.commcareopenmrs.forms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import okhttp3.OkHttpClient;
import org.chis.common.config.ConfigProblem;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.openmrs.NewPatient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Property: a person never lands on the patient of another person whose identifier of a {@code matchOn} type differs.
 * Many seeded near-duplicate pairs (person A registered in the OpenMRS simulator, person B's form looked up through
 * the real {@link PatientFinder}): same or slightly different names, sex and birth dates, and per matchOn type the
 * same, a different or no identifier.
 */
class PatientFinderConflictTest {
    static final String NATIONAL = OpenMrsSimulator.ID_TYPE_NATIONAL_ID;
    static final String OLD = OpenMrsSimulator.ID_TYPE_OLD;
    static final int PAIRS = 400;

    static OpenMrsSimulator openmrs;
    static OpenMrsClient client;

    @BeforeAll
    static void start() {
        openmrs = new OpenMrsSimulator(0);
        client = new OpenMrsClient(new RecordingHttpClient(new OkHttpClient()), openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD);
    }

    @AfterAll
    static void stop() { if (openmrs != null) openmrs.close(); }

    /** Two matchOn identifier types and the shipped registration matcher's weights (threshold 3.0). */
    static FormMapping mapping(String onIdentifierConflict) {
        ObjectNode doc = (ObjectNode) Json.parse("""
                {"source": "commcare", "formType": "urn:test:twins", "createPatient": true,
                 "patient": {"identifiers": [
                     {"identifierType": "%s", "value": "form/national_id", "matchOn": true},
                     {"identifierType": "%s", "value": "form/old_id", "matchOn": true}],
                   "givenName": "form/first_name", "familyName": "form/last_name", "gender": "form/sex", "birthdate": "form/dob"},
                 "matcher": {"search": "form/last_name", "threshold": 3.0, "confidenceMargin": 0.667, "onIdentifierConflict": "%s",
                   "weights": [
                     {"field": "givenName", "value": "form/first_name", "weight": 1.0, "match": "levenshtein", "param": 0.2},
                     {"field": "familyName", "value": "form/last_name", "weight": 1.0, "match": "levenshtein", "param": 0.2},
                     {"field": "gender", "value": "form/sex", "weight": 0.5, "match": "exact"},
                     {"field": "birthdate", "value": "form/dob", "weight": 1.0, "match": "days_diff", "param": 0}]},
                 "encounter": {"encounterType": "%s", "location": "%s"}}
                """.formatted(NATIONAL, OLD, onIdentifierConflict, OpenMrsSimulator.ENCOUNTER_TYPE_REGISTRATION, OpenMrsSimulator.LOCATION_CLINIC));
        List<ConfigProblem> errors = new ArrayList<>();
        FormMapping m = FormMapping.read(Path.of("twins.json"), doc, errors);
        assertThat(errors).isEmpty();
        return m;
    }

    record Person(String given, String family, String sex, LocalDate dob, String nationalId, String oldId) {
        boolean conflictsWith(Person o) {
            return differ(nationalId, o.nationalId) || differ(oldId, o.oldId);
        }

        private static boolean differ(String a, String b) { return a != null && b != null && !a.equalsIgnoreCase(b); }
    }

    static final String[] GIVEN = {"Amina", "Baraka", "Wanjiru", "Otieno"};
    static final String[] FAMILY = {"Kamau", "Achieng", "Mwangi"};

    static Person someone(Random r) {
        LocalDate dob = LocalDate.of(1985 + r.nextInt(30), 1 + r.nextInt(12), 1 + r.nextInt(28));
        return new Person(GIVEN[r.nextInt(GIVEN.length)], FAMILY[r.nextInt(FAMILY.length)], r.nextBoolean() ? "F" : "M", dob,
                r.nextInt(10) < 7 ? "NID-" + r.nextInt(1000) : null, r.nextInt(10) < 5 ? "OLD-" + r.nextInt(1000) : null);
    }

    /** Mostly the same name, sex and birth date (what the matcher scores high), each identifier same, other or none. */
    static Person nearDuplicate(Random r, Person a) {
        String given = r.nextInt(10) < 7 ? a.given : a.given.substring(0, a.given.length() - 1) + "h";
        String family = r.nextInt(10) < 8 ? a.family : a.family.toUpperCase();
        String sex = r.nextInt(10) < 9 ? a.sex : (a.sex.equals("F") ? "M" : "F");
        LocalDate dob = switch (r.nextInt(10)) {
            case 0 -> a.dob.plusDays(1);
            case 1 -> a.dob.minusYears(1);
            default -> a.dob;
        };
        return new Person(given, family, sex, dob, identifier(r, a.nationalId, "NID-"), identifier(r, a.oldId, "OLD-"));
    }

    private static String identifier(Random r, String theirs, String prefix) {
        return switch (r.nextInt(3)) {
            case 0 -> theirs == null ? null : (r.nextBoolean() ? theirs : theirs.toLowerCase());
            case 1 -> prefix + (1000 + r.nextInt(1000));
            default -> null;
        };
    }

    static String register(TransactionContext tx, Person a, int n) {
        List<NewPatient.Identifier> ids = new ArrayList<>();
        // OpenMRS wants at least one identifier; this type is not matched on
        ids.add(new NewPatient.Identifier("A-" + n, OpenMrsSimulator.ID_TYPE_OPENMRS_ID, OpenMrsSimulator.LOCATION_CLINIC));
        if (a.nationalId != null) ids.add(new NewPatient.Identifier(a.nationalId, NATIONAL, OpenMrsSimulator.LOCATION_CLINIC));
        if (a.oldId != null) ids.add(new NewPatient.Identifier(a.oldId, OLD, OpenMrsSimulator.LOCATION_CLINIC));
        NewPatient p = new NewPatient(OpenMrsSimulator.newUuid(), new NewPatient.Name(a.given, null, a.family), a.sex, a.dob, false,
                ids, List.of(), null);
        return OpenMrsClient.uuidOf(client.createPatient(tx, p));
    }

    static Submission form(Person b, int n) {
        ObjectNode f = Json.object().put("id", "form-" + n);
        f.putObject("metadata").put("timeEnd", "2024-05-01T08:30:47.000+03:00");
        ObjectNode form = f.putObject("form").put("@xmlns", "urn:test:twins").put("first_name", b.given).put("last_name", b.family)
                .put("sex", b.sex).put("dob", b.dob.toString());
        if (b.nationalId != null) form.put("national_id", b.nationalId);
        if (b.oldId != null) form.put("old_id", b.oldId);
        return Submission.commCare(f);
    }

    @Test
    void noTwoPeopleWithConflictingIdentifiersEverShareAPatient() {
        for (String mode : List.of("ruleOut", "review")) {
            FormMapping m = mapping(mode);
            PatientFinder finder = new PatientFinder(client, null); // forms without a case id never read the id map
            Random r = new Random(12);
            int conflicting = 0, sameAndMatched = 0, refusedForReview = 0;
            for (int n = 0; n < PAIRS; n++) {
                openmrs.reset();
                TransactionContext tx = new TransactionContext("pair-" + n);
                Person a = someone(r);
                Person b = nearDuplicate(r, a);
                String patientA = register(tx, a, n);
                Submission s = form(b, n);
                PatientFinder.Found found = finder.find(tx, m, s, FormValues.read(m, s));
                String what = mode + " pair " + n + ": A=" + a + " B=" + b + " -> " + found.how() + " " + found.conflicts();
                if (b.conflictsWith(a)) {
                    conflicting++;
                    assertThat(found.matched() ? OpenMrsClient.uuidOf(found.patient()) : null).as(what).isNotEqualTo(patientA);
                    if (!found.conflicts().isEmpty()) refusedForReview++;
                } else if (found.matched()) {
                    sameAndMatched++;
                }
                if (mode.equals("ruleOut") && !found.conflicts().isEmpty()) {
                    // ruleOut still refuses a patient that holds the form's identifier but another value of a second type
                    assertThat(found.how()).isNull();
                }
            }
            // the generator does reach both sides of the property
            assertThat(conflicting).as(mode).isGreaterThan(PAIRS / 4);
            assertThat(sameAndMatched).as(mode).isGreaterThan(PAIRS / 10);
            if (mode.equals("review")) assertThat(refusedForReview).as(mode).isGreaterThan(PAIRS / 10);
        }
    }

    @Test
    void aConflictingCandidateIsRuledOutButTheSamePersonWithoutThatIdentifierStillMatches() {
        openmrs.reset();
        TransactionContext tx = new TransactionContext("twins");
        FormMapping m = mapping("ruleOut");
        PatientFinder finder = new PatientFinder(client, null);
        Person twinA = new Person("Amina", "Kamau", "F", LocalDate.of(2015, 6, 1), "NID-1", null);
        Person twinB = new Person("Amina", "Kamau", "F", LocalDate.of(2015, 6, 1), "NID-2", null);
        register(tx, twinA, 1);
        Submission s = form(twinB, 2);
        assertThat(finder.find(tx, m, s, FormValues.read(m, s)).matched()).isFalse();

        Submission noId = form(new Person("Amina", "Kamau", "F", LocalDate.of(2015, 6, 1), null, null), 3);
        JsonNode hit = finder.find(tx, m, noId, FormValues.read(m, noId)).patient();
        assertThat(hit).isNotNull();

        FormMapping review = mapping("review");
        PatientFinder.Found refused = finder.find(tx, review, s, FormValues.read(review, s));
        assertThat(refused.matched()).isFalse();
        assertThat(refused.conflicts()).singleElement().asString().contains("NID-1").contains("NID-2");
    }
}
