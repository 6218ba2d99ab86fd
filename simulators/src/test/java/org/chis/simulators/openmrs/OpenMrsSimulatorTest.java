package org.chis.simulators.openmrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import okhttp3.OkHttpClient;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.openmrs.NewEncounter;
import org.chis.common.systems.openmrs.NewPatient;
import org.chis.common.systems.openmrs.NewVisit;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.OpenMrsDates;
import org.chis.common.systems.openmrs.OpenMrsException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** OpenMrsClient (common) against the OpenMRS simulator: the validation OpenMRS applies, with its error bodies. */
class OpenMrsSimulatorTest {
    static OpenMrsSimulator openmrs;
    static OpenMrsClient client;
    TransactionContext tx;
    String patient;

    @BeforeAll
    static void start() {
        openmrs = new OpenMrsSimulator(0);
        client = new OpenMrsClient(new RecordingHttpClient(new OkHttpClient()), openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD);
    }

    @AfterAll
    static void stop() { openmrs.close(); }

    @BeforeEach
    void fresh() {
        openmrs.reset();
        tx = new TransactionContext("t1");
        patient = openmrs.registerPatient("Amina", "Kamau", "F", LocalDate.of(1994, 3, 12), "100-1");
    }

    private NewVisit visit(OffsetDateTime start, OffsetDateTime stop) {
        return new NewVisit(OpenMrsSimulator.newUuid(), patient, OpenMrsSimulator.VISIT_TYPE_COMMUNITY, start, stop, OpenMrsSimulator.LOCATION_CLINIC);
    }

    @Test
    void overlappingVisitsAreAllowedByDefaultAsInOpenmrs() {
        OffsetDateTime noon = OpenMrsSimulator.todayNoon().minusDays(1);
        client.createVisit(tx, visit(noon, noon.plusHours(2)));
        client.createVisit(tx, visit(noon.plusHours(1), noon.plusHours(3)));
        assertThat(openmrs.visits()).hasSize(2);
    }

    @Test
    void withAllowOverlappingVisitsFalseAnOverlappingVisitIs400OnStartDatetime() {
        openmrs.allowOverlappingVisits(false);
        OffsetDateTime noon = OpenMrsSimulator.todayNoon().minusDays(1);
        String first = OpenMrsClient.uuidOf(client.createVisit(tx, visit(noon, noon.plusHours(2))));

        for (NewVisit overlapping : new NewVisit[] {visit(noon.plusHours(1), noon.plusHours(3)), visit(noon.minusHours(1), noon.plusHours(5)),
                visit(noon, null), visit(noon.minusHours(1), noon)}) {
            assertThatThrownBy(() -> client.createVisit(tx, overlapping)).isInstanceOfSatisfying(OpenMrsException.class, e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.openMrsMessage()).startsWith("Invalid Submission");
                assertThat(e.code()).isEqualTo("webservices.rest.error.invalid.submission");
                assertThat(e.fieldErrors().path("startDatetime").get(0).path("code").asText())
                        .isEqualTo("Visit.visitCannotOverlapAnotherVisitOfTheSamePatient");
                assertThat(e.fieldErrors().path("startDatetime").get(0).path("message").asText())
                        .isEqualTo("This visit overlaps with another visit of the same patient.");
            });
        }
        // after the first one ended, ending the visit itself, and another patient's visit, are fine
        client.createVisit(tx, visit(noon.plusHours(3), null));
        String other = openmrs.registerPatient("Baraka", "Kamau", "M", LocalDate.of(1990, 1, 1), "100-2");
        client.createVisit(tx, new NewVisit(OpenMrsSimulator.newUuid(), other, OpenMrsSimulator.VISIT_TYPE_COMMUNITY, noon, null, null));
        client.closeVisit(tx, first, noon.plusHours(2).plusMinutes(30));
        assertThat(openmrs.visits()).hasSize(3);
        // a voided visit does not count
        client.delete(tx, "visit", first, false);
        client.createVisit(tx, visit(noon.minusHours(2), noon.plusHours(1)));
    }

    @Test
    void anOpenVisitBlocksAnyLaterOne() {
        openmrs.allowOverlappingVisits(false);
        OffsetDateTime noon = OpenMrsSimulator.todayNoon().minusDays(2);
        client.createVisit(tx, visit(noon, null));
        assertThatThrownBy(() -> client.createVisit(tx, visit(noon.plusDays(1), noon.plusDays(1).plusHours(1))))
                .isInstanceOfSatisfying(OpenMrsException.class, e -> assertThat(e.status()).isEqualTo(400));
        // earlier than the open visit and ended before it: no overlap
        client.createVisit(tx, visit(noon.minusHours(3), noon.minusHours(2)));
    }

    @Test
    void aVisitWithoutAVisitTypeNamesTheFieldAsOpenmrsDoes() {
        assertThatThrownBy(() -> client.createVisit(tx, new NewVisit(OpenMrsSimulator.newUuid(), patient, null, OpenMrsSimulator.todayNoon().minusDays(1), null, null)))
                .isInstanceOfSatisfying(OpenMrsException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.fieldErrors().path("visitType").get(0).path("code").asText()).isEqualTo("Visit.error.visitType.required");
                    assertThat(e.fieldErrors().path("visitType").get(0).path("message").asText()).isEqualTo("Visit Type is required");
                });
    }

    @Test
    void visitsOfAPatientIncludeEndedOnesUnlessIncludeInactiveIsFalseAndAnUnknownPatientIs404() {
        OffsetDateTime noon = OpenMrsSimulator.todayNoon().minusDays(1);
        client.createVisit(tx, visit(noon, noon.plusHours(1)));
        client.createVisit(tx, visit(noon.plusHours(2), null));
        assertThat(client.list(tx, "list visits", "visit", OpenMrsClient.query("patient", patient))).hasSize(2);
        assertThat(client.list(tx, "list visits", "visit", OpenMrsClient.query("patient", patient, "includeInactive", "false"))).hasSize(1);
        assertThatThrownBy(() -> client.list(tx, "list visits", "visit", OpenMrsClient.query("patient", OpenMrsSimulator.newUuid())))
                .isInstanceOfSatisfying(OpenMrsException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void anEncounterOutsideItsVisitIs400WithEncounterValidatorsText() {
        OffsetDateTime noon = OpenMrsSimulator.todayNoon().minusDays(1);
        String v = OpenMrsClient.uuidOf(client.createVisit(tx, visit(noon, noon.plusHours(1))));
        assertThatThrownBy(() -> client.createEncounter(tx, new NewEncounter(OpenMrsSimulator.newUuid(), patient,
                OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, noon.plusHours(2), v, OpenMrsSimulator.LOCATION_CLINIC, null, List.of(), List.of())))
                .isInstanceOfSatisfying(OpenMrsException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.fieldErrors().path("encounterDatetime").get(0).path("code").asText()).isEqualTo("Encounter.datetimeShouldBeInVisitDatesRange");
                    assertThat(e.fieldErrors().path("encounterDatetime").get(0).path("message").asText())
                            .isEqualTo("The encounter datetime should be between the visit start and stop dates.");
                });
    }

    /**
     * PatientIdentifierResource: an identifier added to a patient, refused when another patient holds it (letter case
     * ignored, as OpenMRS on MySQL): 400 Invalid Submission whose global error is PatientIdentifierValidator's
     * "Identifier X already in use by another patient"; purged again by its uuid.
     */
    @Test
    void anAddedIdentifierIsValidatedLikeANewPatientsAndCanBePurged() throws Exception {
        String other = openmrs.registerPatient("Baraka", "Otieno", "M", LocalDate.of(1990, 1, 1), "200-1");
        var id = new NewPatient.Identifier("NID-77", OpenMrsSimulator.ID_TYPE_NATIONAL_ID, null);
        String idUuid = OpenMrsClient.uuidOf(client.addIdentifier(tx, patient, id));
        assertThat(client.patient(tx, patient).orElseThrow().path("identifiers").toString()).contains("NID-77");

        var http = HttpClient.newHttpClient();
        var req = HttpRequest.newBuilder(URI.create(openmrs.baseUrl() + "/ws/rest/v1/patient/" + other + "/identifier"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((OpenMrsSimulator.USER + ":" + OpenMrsSimulator.PASSWORD).getBytes()))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"identifier\":\"nid-77\",\"identifierType\":\"" + OpenMrsSimulator.ID_TYPE_NATIONAL_ID + "\"}")).build();
        var r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Json.parse(r.body())).isEqualTo(Json.parse("""
                {"error":{"message":"Invalid Submission","code":"webservices.rest.error.invalid.submission",
                 "globalErrors":[{"code":"Identifier nid-77 already in use by another patient","message":"Identifier nid-77 already in use by another patient"}],
                 "fieldErrors":{}}}"""));

        assertThat(client.purgeIdentifier(tx, patient, OpenMrsSimulator.ID_TYPE_NATIONAL_ID, "NID-77")).isTrue();
        assertThat(client.patient(tx, patient).orElseThrow().path("identifiers").toString()).doesNotContain("NID-77").contains("100-1");
        assertThat(client.purge(tx, "patient/" + patient + "/identifier", idUuid)).as("already gone: 404").isFalse();
    }

    @Test
    void aProviderNeedsAPersonOrNameItsIdentifierIsUniqueAndItIsFoundByIdentifier() {
        var created = client.create(tx, "provider", Json.object().put("name", "Hawa Musa").put("identifier", "chw-hawa"));
        assertThat(created.path("identifier").asText()).isEqualTo("chw-hawa");
        assertThat(created.path("display").asText()).isEqualTo("chw-hawa - Hawa Musa");
        var withPerson = client.create(tx, "provider", Json.object().put("person", patient).put("identifier", "CHW-9"));
        assertThat(withPerson.path("person").path("uuid").asText()).isEqualTo(patient);

        assertThat(client.list(tx, "OpenMRS: find provider", "provider", OpenMrsClient.query("q", "CHW-HAWA", "v", "default")))
                .extracting(p -> p.path("uuid").asText()).containsExactly(created.path("uuid").asText());
        assertThatThrownBy(() -> client.create(tx, "provider", Json.object().put("name", "Other").put("identifier", "CHW-HAWA")))
                .isInstanceOf(OpenMrsException.class).hasMessageContaining("identifier");
        assertThatThrownBy(() -> client.create(tx, "provider", Json.object().put("identifier", "chw-x")))
                .isInstanceOf(OpenMrsException.class).hasMessageContaining("name");
        // seeded providers are there too, and usable in encounters as before
        assertThat(openmrs.providers()).hasSize(4);
        assertThat(client.list(tx, "OpenMRS: find provider", "provider", OpenMrsClient.query("q", "CHW-1")))
                .extracting(p -> p.path("uuid").asText()).containsExactly(OpenMrsSimulator.PROVIDER_CHW);
    }
    /**
     * Searches and nested lists answer from indexes (issue 14): they follow renames, voids and purges, and list rows in
     * the order they were saved, as the scans they replaced did.
     */
    @Test
    void searchesFollowRenamesVoidsAndPurgesAndListInSavedOrder() {
        String second = openmrs.registerPatient("Amina", "Kambona", "F", LocalDate.of(1990, 1, 1), "300-1");
        assertThat(client.searchPatients(tx, "amina KAM")).extracting(OpenMrsClient::uuidOf).containsExactly(patient, second);
        assertThat(client.searchPatients(tx, "kamb")).extracting(OpenMrsClient::uuidOf).containsExactly(second);
        assertThat(client.searchPatients(tx, "300-1")).extracting(OpenMrsClient::uuidOf).containsExactly(second);
        assertThat(client.searchPatients(tx, " ")).extracting(OpenMrsClient::uuidOf).containsExactly(patient, second);

        openmrs.renamePatient(second, "Zawadi", "Otieno");
        assertThat(client.searchPatients(tx, "kambona")).isEmpty();
        assertThat(client.searchPatients(tx, "zaw oti")).extracting(OpenMrsClient::uuidOf).containsExactly(second);

        openmrs.voidPatient(patient);
        assertThat(client.patientsByIdentifier(tx, "100-1")).isEmpty();
        assertThat(client.searchPatients(tx, "amina")).isEmpty();

        OffsetDateTime noon = OpenMrsSimulator.todayNoon().minusDays(1);
        String visit = OpenMrsClient.uuidOf(client.createVisit(tx, new NewVisit(OpenMrsSimulator.newUuid(), second,
                OpenMrsSimulator.VISIT_TYPE_COMMUNITY, noon, null, OpenMrsSimulator.LOCATION_CLINIC)));
        List<String> encounters = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            encounters.add(client.create(tx, "encounter", Json.object().put("patient", second).put("visit", visit)
                    .put("encounterType", OpenMrsSimulator.ENCOUNTER_TYPE_VITALS).put("encounterDatetime", OpenMrsDates.format(noon.plusMinutes(i)))
                    .set("obs", Json.array().add(Json.object().put("concept", OpenMrsSimulator.CONCEPT_WEIGHT).put("value", 60 + i))
                            .add(Json.object().put("concept", OpenMrsSimulator.CONCEPT_HEIGHT).put("value", 160 + i)))).path("uuid").asText());
        }
        assertThat(uuids(client.visit(tx, visit).orElseThrow().path("encounters"))).containsExactlyElementsOf(encounters);
        assertThat(client.encounters(tx, second)).extracting(OpenMrsClient::uuidOf).containsExactlyElementsOf(encounters);
        assertThat(displays(client.encounter(tx, encounters.get(1)).orElseThrow().path("obs")))
                .containsExactly("Weight (kg): 61.0", "Height (cm): 161.0");
        String obs = OpenMrsClient.uuidOf(client.encounter(tx, encounters.get(0)).orElseThrow().path("obs").get(0));
        assertThat(client.purge(tx, "obs", obs)).isTrue();
        assertThat(displays(client.encounter(tx, encounters.get(0)).orElseThrow().path("obs"))).containsExactly("Height (cm): 160.0");
        assertThat(client.purge(tx, "encounter", encounters.get(0))).isTrue();
        assertThat(uuids(client.visit(tx, visit).orElseThrow().path("encounters"))).containsExactly(encounters.get(1));
    }

    private static List<String> displays(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path("display").asText()));
        return out;
    }

    private static List<String> uuids(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path("uuid").asText()));
        return out;
    }
}
