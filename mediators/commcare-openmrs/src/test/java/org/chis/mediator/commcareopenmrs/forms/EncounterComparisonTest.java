package org.chis.mediator.commcareopenmrs.forms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import okhttp3.OkHttpClient;
import org.chis.common.audit.TransactionContext;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;
import org.chis.common.systems.openmrs.NewEncounter;
import org.chis.common.systems.openmrs.NewObs;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * When is a follow-up form (shipped chis-followup.json) "already in OpenMRS, skip"? Encounters seeded in the OpenMRS
 * simulator as a clinician or an earlier run would have left them, compared with the form's values.
 */
class EncounterComparisonTest {
    static final String WHEN = "2024-05-01T09:30:00+03:00";
    static final String FOLLOW_UP = "http://openrosa.org/formdesigner/chis-followup";

    static OpenMrsSimulator openmrs;
    static OpenMrsClient client;
    static FormMapping mapping;

    final TransactionContext tx = new TransactionContext("compare");
    EncounterComparison comparison;
    String patient;

    @BeforeAll
    static void start() {
        openmrs = new OpenMrsSimulator(0);
        client = new OpenMrsClient(new RecordingHttpClient(new OkHttpClient()), openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD);
        mapping = FormMappings.load(FormsFixture.CONFIG.resolve("forms")).find(FormMapping.Source.COMMCARE, FOLLOW_UP).orElseThrow();
    }

    @AfterAll
    static void stop() { if (openmrs != null) openmrs.close(); }

    @BeforeEach
    void reset() {
        openmrs.reset();
        comparison = new EncounterComparison(client);
        patient = openmrs.registerPatient("Amina", "Kamau", "F", LocalDate.of(1990, 1, 1), "OM-" + UUID.randomUUID().toString().substring(0, 6));
    }

    /** The follow-up form's values (weight 58, temperature 38.4, fever yes, referred no, the visit time) with another weight. */
    static FormValues form(String weight) {
        ObjectNode doc = FormsFixture.followUp(UUID.randomUUID().toString(), "case-1", "NID-1", WHEN);
        ((ObjectNode) doc.get("form")).put("weight", weight);
        return FormValues.read(mapping, Submission.commCare(doc));
    }

    /** A clinician's encounter of the mapped type holding these values (concept -> value as the form has it). */
    String clinicianRecords(OffsetDateTime at, FormValues v) {
        Map<String, Object> obs = new LinkedHashMap<>();
        v.observations().forEach(o -> obs.put(o.concept(), o.value()));
        return openmrs.recordEncounter(patient, mapping.encounter().encounterType(), at, obs);
    }

    Object held(FormValues v, String ours) { return comparison.held(tx, mapping, v, patient, ours).orElse(null); }

    @Test
    void theSameObservationsAtTheSameSecondAreHeldSoTheFormIsSkipped() {
        // a number written otherwise ("58.0") and a time with milliseconds are still the same
        String clinician = clinicianRecords(OffsetDateTime.parse(WHEN).plusNanos(400_000_000), form("58.0"));
        assertThat(held(form("58"), UUID.randomUUID().toString())).isEqualTo(clinician);
    }

    @Test
    void aChangedValueIsNotHeldSoTheFormWritesItsOwnEncounterBesideIt() {
        clinicianRecords(OffsetDateTime.parse(WHEN), form("59"));
        assertThat(held(form("58"), UUID.randomUUID().toString())).isNull();
    }

    @Test
    void anotherMinuteAnotherEncounterTypeOrAVoidedEncounterIsNotHeld() {
        FormValues v = form("58");
        clinicianRecords(OffsetDateTime.parse(WHEN).plusMinutes(1), v);
        openmrs.recordEncounter(patient, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, OffsetDateTime.parse(WHEN),
                Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 58));
        String voided = clinicianRecords(OffsetDateTime.parse(WHEN), v);
        client.delete(tx, "encounter", voided, false);
        assertThat(held(v, UUID.randomUUID().toString())).isNull();
    }

    @Test
    void anObservationMoreOrLessIsNotHeld() {
        FormValues v = form("58");
        FormValues fewer = new FormValues(v.caseId(), v.identifiers(), v.matchIdentifiers(), v.name(), v.gender(), v.birthdate(),
                v.attributes(), v.encounterDatetime(), v.location(), v.provider(), v.observations().subList(1, v.observations().size()));
        clinicianRecords(OffsetDateTime.parse(WHEN), fewer);
        assertThat(held(v, UUID.randomUUID().toString())).isNull();
        assertThat(held(fewer, UUID.randomUUID().toString())).isNotNull();
    }

    @Test
    void ourOwnEncounterUuidIsHeldWhateverItHoldsUntilItIsVoided() {
        // an earlier run of this form whose ledger row is gone: its encounter counts even with other values
        String ours = UUID.randomUUID().toString();
        client.createEncounter(tx, new NewEncounter(ours, patient, mapping.encounter().encounterType(), OffsetDateTime.parse(WHEN), null,
                OpenMrsSimulator.LOCATION_CLINIC, null, List.of(), List.of(NewObs.of(null, OpenMrsSimulator.CONCEPT_WEIGHT, Json.MAPPER.valueToTree(70),
                        OffsetDateTime.parse(WHEN)))));
        assertThat(held(form("58"), ours)).isEqualTo(ours);

        client.delete(tx, "encounter", ours, false);
        assertThat(held(form("58"), ours)).isNull();
    }

    @Test
    void valuesCompareByMeaningInAnyOrderAndVoidedObservationsDoNotCount() {
        List<FormValues.ObsValue> wanted = List.of(
                new FormValues.ObsValue(OpenMrsSimulator.CONCEPT_WEIGHT, Json.parse("\"58\""), FormMapping.DataType.NUMERIC),
                new FormValues.ObsValue(OpenMrsSimulator.CONCEPT_FEVER, Json.parse("\"" + OpenMrsSimulator.CONCEPT_YES + "\""), FormMapping.DataType.CODED),
                new FormValues.ObsValue(OpenMrsSimulator.CONCEPT_VISIT_TIME, Json.parse("\"2024-05-01T09:30:00.000+0300\""), FormMapping.DataType.DATETIME));
        // as OpenMRS answers v=full: concept and coded value as objects, numbers as numbers, times in its own zone
        JsonNode existing = Json.parse("""
                [{"concept": {"uuid": "%s"}, "value": "2024-05-01T06:30:00.000+0000"},
                 {"concept": {"uuid": "%s"}, "value": {"uuid": "%s", "display": "Yes"}},
                 {"concept": {"uuid": "%s"}, "value": 58.00},
                 {"concept": {"uuid": "%s"}, "value": 61, "voided": true}]
                """.formatted(OpenMrsSimulator.CONCEPT_VISIT_TIME, OpenMrsSimulator.CONCEPT_FEVER, OpenMrsSimulator.CONCEPT_YES,
                OpenMrsSimulator.CONCEPT_WEIGHT, OpenMrsSimulator.CONCEPT_WEIGHT));
        assertThat(EncounterComparison.sameObservations(existing, wanted)).isTrue();

        ((ObjectNode) existing.get(1)).set("value", Json.object().put("uuid", OpenMrsSimulator.CONCEPT_NO));
        assertThat(EncounterComparison.sameObservations(existing, wanted)).isFalse();
    }
}
