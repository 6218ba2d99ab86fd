package org.chis.mediator.commcareopenmrs.forms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.json.Json;
import org.chis.common.systems.openmrs.OpenMrsDates;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mapping files are checked at start-up; a mistake names the file, the JSON path and what is wrong. */
class FormMappingsTest {

    @Test
    void theShippedMappingsLoad() {
        FormMappings m = FormMappings.load(FormsFixture.CONFIG.resolve("forms"));
        assertThat(m.formTypes(FormMapping.Source.COMMCARE)).contains("http://openrosa.org/formdesigner/chis-registration",
                "http://openrosa.org/formdesigner/chis-followup");
        assertThat(m.formTypes(FormMapping.Source.OPENSRP)).containsExactlyInAnyOrder("Growth Monitoring", "LTFU Trace Outcome");
    }

    @Test
    void everyMistakeOfEveryFileIsListedWithFileAndPath(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.json"), """
                {"source": "commcare", "formType": "urn:x",
                 "patient": {"identifiers": [{"identifierType": "not-a-uuid", "value": "form/id"}]},
                 "matcher": {"search": "form/n", "onIdentifierConflict": "merge", "weights": [{"field": "givenName", "value": "form/n", "weight": 1}]},
                 "visit": {"visitType": "d66e9fe0-7d51-4801-a550-5d462ad1c944", "windowHours": 48, "reuse": "always"},
                 "encounter": {"encounterType": "67a71486-1a54-468f-ac3e-7091a9a79584", "timeZone": "Mars/Olympus",
                               "location": "aff27d58-a15c-49a6-9beb-d30dcfc0c66e", "provider": "c2299800-cca9-11e0-9572-0800200c9a66"},
                 "observations": [{"concept": "5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "value": "form/w", "dataType": "numberz"},
                                  {"concept": "5272AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "value": "form/p", "dataType": "coded"}],
                 "writeBack": {"properties": {"openmrs uuid": "patient.uuid", "x": "patient.nickname"}}}
                """, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("broken.json"), "{\"source\": ", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("other.json"), """
                {"source": "fhir", "patient": {}, "encounter": {}}
                """, StandardCharsets.UTF_8);

        assertThatThrownBy(() -> FormMappings.load(dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("bad.json: $.patient.identifiers[0].identifierType: 'not-a-uuid' is not an OpenMRS uuid")
                .hasMessageContaining("bad.json: $.matcher.onIdentifierConflict: 'merge' is not one of ruleOut, review")
                .hasMessageContaining("bad.json: $.visit.windowHours: must be 1..24")
                .hasMessageContaining("bad.json: $.visit.reuse: 'always' is not one of new, open, sameDay")
                .hasMessageContaining("bad.json: $.encounter.timeZone: 'Mars/Olympus' is not a time zone id")
                .hasMessageContaining("bad.json: $.encounter.encounterRole: required when a provider is mapped")
                .hasMessageContaining("bad.json: $.observations[0].dataType: 'numberz' is not one of numeric, coded")
                .hasMessageContaining("bad.json: $.observations[1].value.valueMap: a coded observation needs a valueMap")
                .hasMessageContaining("bad.json: $.writeBack.properties.openmrs uuid: not a case property name")
                .hasMessageContaining("bad.json: $.writeBack.properties.x: 'patient.nickname' is not one of")
                .hasMessageContaining("broken.json: not readable JSON")
                .hasMessageContaining("other.json: $.source: 'fhir' is not one of commcare, opensrp")
                .hasMessageContaining("other.json: $.formType: is required")
                .hasMessageContaining("other.json: $.encounter.encounterType: is required");
    }

    @Test
    void twoFilesForOneFormTypeAreRefused(@TempDir Path dir) throws Exception {
        String m = Files.readString(FormsFixture.CONFIG.resolve("forms/chis-followup.json"));
        Files.writeString(dir.resolve("a.json"), m);
        Files.writeString(dir.resolve("b.json"), m);
        assertThatThrownBy(() -> FormMappings.load(dir)).hasMessageContaining("b.json: $.formType: 'http://openrosa.org/formdesigner/chis-followup' is already mapped by a.json");
    }

    @Test
    void aVisitEndsWithinItsWindowAndOnTheDayItStarted() {
        FormMapping m = FormMappings.load(FormsFixture.CONFIG.resolve("forms")).find(FormMapping.Source.COMMCARE,
                "http://openrosa.org/formdesigner/chis-followup").orElseThrow();
        // 12 h window, Africa/Nairobi: 08:00 -> 19:59:59 the same day; 20:00 -> 23:59:59 (not the next morning)
        assertThat(FormSaga.visitEnd(OffsetDateTime.parse("2024-05-01T08:00:00+03:00"), m)).isEqualTo(OffsetDateTime.parse("2024-05-01T19:59:59+03:00"));
        assertThat(FormSaga.visitEnd(OffsetDateTime.parse("2024-05-01T20:00:00+03:00"), m)).isEqualTo(OffsetDateTime.parse("2024-05-01T23:59:59+03:00"));
    }

    @Test
    void hqUtcFieldsAreReadAsUtcAndAFieldCanNameItsOwnZone() {
        String mapping = """
                {"source": "commcare", "formType": "urn:zones", "caseId": "form/case_id",
                 "patient": {"identifiers": [{"identifierType": "a5d38e09-efcb-4d91-a526-50ce1ba5011a", "value": "form/nid"}]},
                 "encounter": {"encounterType": "67a71486-1a54-468f-ac3e-7091a9a79584", "datetime": %s,
                               "timeZone": "Africa/Nairobi", "location": "aff27d58-a15c-49a6-9beb-d30dcfc0c66e"},
                 "observations": [{"concept": "163137AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "value": {"path": "form/seen", "timeZone": "UTC"}, "dataType": "datetime"},
                                  {"concept": "1427AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "value": "metadata/timeStart", "dataType": "datetime"}]}""";
        // as CommCare HQ forwards a form: metadata in UTC without a zone, form.meta and received_on with the Z
        var doc = Json.parse("""
                {"id": "f1", "received_on": "2017-05-25T21:07:01.311000Z",
                 "metadata": {"timeStart": "2017-05-25T20:58:02.000000", "timeEnd": "2017-05-25T21:06:27.012000"},
                 "form": {"@xmlns": "urn:zones", "case_id": "c1", "nid": "N1", "seen": "2017-05-25T20:00:00",
                          "meta": {"timeStart": "2017-05-25T20:58:02.000Z", "timeEnd": "2017-05-25T21:06:27.012Z"}}}""");
        for (String datetime : List.of("\"metadata/timeEnd\"", "\"form/meta/timeEnd\"", "{\"path\": \"metadata/timeEnd\", \"timeZone\": \"UTC\"}")) {
            var errors = new ArrayList<ConfigProblem>();
            FormMapping m = FormMapping.read(Path.of("zones.json"), Json.parse(mapping.formatted(datetime)), errors);
            assertThat(errors).isEmpty();
            FormValues v = FormValues.read(m, Submission.commCare(doc));
            // the same instant, told on the clock of the mapping's zone (what OpenMRS shows the facility)
            assertThat(v.encounterDatetime()).as(datetime).isEqualTo(OffsetDateTime.parse("2017-05-26T00:06:27.012+03:00"));
            assertThat(OpenMrsDates.format(v.encounterDatetime())).isEqualTo("2017-05-26T00:06:27.012+0300");
            assertThat(v.observations()).extracting(o -> o.value().asText())
                    .containsExactly("2017-05-25T23:00:00.000+0300", "2017-05-25T23:58:02.000+0300");
        }
        var errors = new ArrayList<ConfigProblem>();
        FormMapping.read(Path.of("zones.json"), Json.parse(mapping.formatted("{\"path\": \"form/x\", \"timeZone\": \"Mars/Base\"}")), errors);
        assertThat(errors).singleElement().asString().contains("$.encounter.datetime.timeZone").contains("'Mars/Base' is not a time zone id");
    }

    @Test
    void datesDatetimesAndZonesAreConvertedAsMapped() {
        var errors = new ArrayList<ConfigProblem>();
        FormMapping m = FormMapping.read(Path.of("dates.json"), Json.parse("""
                {"source": "commcare", "formType": "urn:dates", "caseId": "form/case_id",
                 "patient": {"identifiers": [{"identifierType": "a5d38e09-efcb-4d91-a526-50ce1ba5011a", "value": "form/nid"}]},
                 "encounter": {"encounterType": "67a71486-1a54-468f-ac3e-7091a9a79584", "datetime": "form/day", "datetimeType": "date",
                               "timeZone": "Africa/Nairobi", "location": "aff27d58-a15c-49a6-9beb-d30dcfc0c66e"},
                 "observations": [{"concept": "1427AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "value": "form/lmp", "dataType": "date"},
                                  {"concept": "163137AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "value": "form/seen", "dataType": "datetime"},
                                  {"concept": "1272AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "value": "form/referred", "dataType": "boolean"},
                                  {"concept": "140238AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "dataType": "coded",
                                   "value": {"path": "form/signs", "valueMap": {"fever": "1065AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "cough": "1066AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}}]}
                """), errors);
        assertThat(errors).isEmpty();
        var doc = Json.parse("""
                {"id": "f1", "form": {"@xmlns": "urn:dates", "case_id": "c1", "nid": "N1", "day": "2024-05-01",
                 "lmp": "2024-02-20T23:30:00+03:00", "seen": "2024-05-01T09:15:00", "referred": "yes", "signs": "fever rash cough"}}""");
        FormValues v = FormValues.read(m, Submission.commCare(doc));
        // a date-only encounter is midnight in the mapping's zone; a datetime without zone is read in it too
        assertThat(v.encounterDatetime()).isEqualTo(OffsetDateTime.parse("2024-05-01T00:00:00+03:00"));
        assertThat(v.observations()).extracting(o -> o.value().asText()).containsExactly(
                "2024-02-20", "2024-05-01T09:15:00.000+0300", "true", "1065AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "1066AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assertThat(v.caseId()).isEqualTo("c1");
    }

    @Test
    void levenshteinAndDaysDiffMatching() {
        var name = new FormMapping.Weight("familyName", null, 1, FormMapping.MatchType.LEVENSHTEIN, 0.2);
        assertThat(PatientFinder.matches(name, "Wanjiru", "Wanjirū")).isTrue();
        assertThat(PatientFinder.matches(name, "Wanjiru", "Otieno")).isFalse();
        var dob = new FormMapping.Weight("birthdate", null, 1, FormMapping.MatchType.DAYS_DIFF, 364);
        assertThat(PatientFinder.matches(dob, "1994-03-12", "1994-06-30T00:00:00.000+0000")).isTrue();
        assertThat(PatientFinder.matches(dob, "1994-03-12", "1996-03-12T00:00:00.000+0000")).isFalse();
    }
}
