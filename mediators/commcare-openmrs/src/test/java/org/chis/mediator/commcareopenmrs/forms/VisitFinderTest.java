package org.chis.mediator.commcareopenmrs.forms;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.UUID;
import okhttp3.OkHttpClient;
import org.chis.common.audit.TransactionContext;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;
import org.chis.common.systems.openmrs.NewVisit;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which of a patient's visits a follow-up encounter at 09:30 joins ({@code visit.reuse} of the shipped
 * chis-followup.json, community visit type), against visits seeded in the OpenMRS simulator.
 */
class VisitFinderTest {
    static final OffsetDateTime AT = OffsetDateTime.parse("2024-05-01T09:30:00+03:00");
    static final String COMMUNITY = OpenMrsSimulator.VISIT_TYPE_COMMUNITY;
    static final String FACILITY = OpenMrsSimulator.VISIT_TYPE_FACILITY;

    static OpenMrsSimulator openmrs;
    static OpenMrsClient client;
    static FormMapping followUp;

    final TransactionContext tx = new TransactionContext("visits");
    VisitFinder visits;
    FormPatient patient;

    @BeforeAll
    static void start() {
        openmrs = new OpenMrsSimulator(0);
        client = new OpenMrsClient(new RecordingHttpClient(new OkHttpClient()), openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD);
        followUp = FormMappings.load(FormsFixture.CONFIG.resolve("forms"))
                .find(FormMapping.Source.COMMCARE, "http://openrosa.org/formdesigner/chis-followup").orElseThrow();
    }

    @AfterAll
    static void stop() { if (openmrs != null) openmrs.close(); }

    @BeforeEach
    void reset() {
        openmrs.reset();
        visits = new VisitFinder(client);
        String uuid = openmrs.registerPatient("Amina", "Kamau", "F", LocalDate.of(1990, 1, 1), "OM-" + UUID.randomUUID().toString().substring(0, 6));
        patient = new FormPatient(uuid, Json.object().put("uuid", uuid), "identifier", null);
    }

    static FormMapping reuse(FormMapping.VisitReuse reuse) {
        FormMapping m = followUp;
        return new FormMapping(m.file(), m.source(), m.formType(), m.name(), m.createPatient(), m.caseId(), m.patient(), m.matcher(),
                new FormMapping.VisitFields(m.visit().visitType(), m.visit().windowHours(), reuse), m.encounter(), m.observations(), m.writeBack());
    }

    /** A visit of the patient from {@code start} to {@code stop} (hh:mm that day; stop null = not ended). */
    String visit(String type, String start, String stop) {
        String uuid = UUID.randomUUID().toString();
        client.createVisit(tx, new NewVisit(uuid, patient.uuid(), type, at(start), stop == null ? null : at(stop), OpenMrsSimulator.LOCATION_CLINIC));
        return uuid;
    }

    static OffsetDateTime at(String hhmm) { return OffsetDateTime.parse("2024-05-01T" + hhmm + ":00+03:00"); }

    String joined(FormMapping.VisitReuse reuse) { return visits.joinable(tx, reuse(reuse), patient, AT).orElse(null); }

    /** Open facility visit 08:00; community visits 06:00-09:00 (ended before), 07:00-12:00, 08:00-11:00, 09:45 (after), 08:30 (voided). */
    void seed() {
        visit(FACILITY, "08:00", null);
        visit(COMMUNITY, "06:00", "09:00");
        visit(COMMUNITY, "07:00", "12:00");
        visit(COMMUNITY, "09:45", null);
        client.delete(tx, "visit", visit(COMMUNITY, "08:30", null), false);
    }

    @Test
    void sameDayJoinsAVisitCoveringTheTimeEndedOrNotOfTheMappedTypeFirstThenTheLatestStart() {
        seed();
        String latest = visit(COMMUNITY, "08:00", "11:00");
        assertThat(joined(FormMapping.VisitReuse.SAME_DAY)).isEqualTo(latest);
    }

    @Test
    void openJoinsOnlyAVisitNotEndedAndStartedBeforeTheEncounterWhateverItsType() {
        seed();
        String facility = openmrs.visits().stream().filter(v -> v.path("visitType").path("uuid").asText().equals(FACILITY))
                .findFirst().orElseThrow().path("uuid").asText();
        assertThat(joined(FormMapping.VisitReuse.OPEN)).isEqualTo(facility);
    }

    @Test
    void newNeverJoinsAndANewPatientHasNoVisitToJoin() {
        visit(COMMUNITY, "08:00", null);
        assertThat(joined(FormMapping.VisitReuse.NEW)).isNull();
        FormPatient created = new FormPatient(UUID.randomUUID().toString(), null, null, null);
        assertThat(visits.joinable(tx, reuse(FormMapping.VisitReuse.SAME_DAY), created, AT)).isEmpty();
        assertThat(openmrs.requestCount("GET", ".*/visit")).isZero();
    }
}
