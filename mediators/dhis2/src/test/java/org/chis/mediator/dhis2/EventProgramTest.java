package org.chis.mediator.dhis2;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.chis.common.json.Json;
import org.chis.common.systems.dhis2.Dhis2Uid;
import org.chis.simulators.dhis2.Dhis2Metadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** POST /dhis2/tracker with a mapping of kind "event": a form becomes one event of a program without registration. */
class EventProgramTest {
    static final String PROGRAM = "eBAyeGv0exc";
    static final String STAGE = "Zj7UnCAulEk";
    static MediatorFixture f;

    @BeforeAll
    static void start() { f = new MediatorFixture(Map.of("http.readTimeoutMs", "5000")); }

    @AfterAll
    static void stop() { f.close(); }

    @BeforeEach
    void reset() { f.dhis2.reset(); }

    /** The inpatient discharge form (shipped mapping tracker/inpatient-discharge.json). */
    static String form(String formId, String facility, String dischargeDate, String age) {
        return """
                {"id": "%1$s", "domain": "demo", "received_on": "2024-03-02T10:15:00.000000Z",
                 "form": {"@xmlns": "http://openrosa.org/formdesigner/chis-inpatient-discharge", "@name": "Inpatient discharge",
                   "facility": "%2$s", "discharge_date": "%3$s", "age_years": "%4$s", "sex": "female",
                   "meta": {"instanceID": "%1$s", "timeEnd": "2024-03-02T10:14:00.000Z", "username": "nurse1"}}}"""
                .formatted(formId, facility, dischargeDate, age);
    }

    @Test
    void aFormBecomesOneEventWithoutTrackedEntityOrEnrollment() throws Exception {
        MediatorFixture.Reply r = f.call("POST", "/dhis2/tracker", form("disch-1", "ngelehun-chc", "2024-03-01", "34"));

        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        String uid = Dhis2Uid.derive("event", "disch-1/" + STAGE);
        assertThat(r.property("dhis2.event")).isEqualTo(uid);
        assertThat(r.property("dhis2.created")).isEqualTo("1");
        assertThat(r.property("dhis2.trackedEntity")).isNull();
        JsonNode sent = Json.parse(r.envelope().path("orchestrations").get(0).path("request").path("body").asText());
        assertThat(sent.fieldNames()).toIterable().containsExactly("events");
        JsonNode event = sent.path("events").get(0);
        assertThat(event.has("enrollment")).isFalse();
        assertThat(event.has("trackedEntity")).isFalse();
        assertThat(event.path("program").asText()).isEqualTo(PROGRAM);
        assertThat(event.path("programStage").asText()).isEqualTo(STAGE);
        assertThat(event.path("orgUnit").asText()).isEqualTo("DiszpKrYNg8");
        assertThat(event.path("occurredAt").asText()).isEqualTo("2024-03-01");
        assertThat(f.dhis2.trackedEntities()).isEmpty();
        assertThat(f.dhis2.enrollments()).isEmpty();
        assertThat(f.dhis2.events()).singleElement().satisfies(e -> {
            assertThat(e.path("event").asText()).isEqualTo(uid);
            assertThat(e.path("dataValues").toString()).contains("\"34\"").contains("\"Female\"");
        });
    }

    @Test
    void aRerunIsAnsweredFromTheLedgerAndAnEditUpdatesTheSameEvent() throws Exception {
        assertThat(f.call("POST", "/dhis2/tracker", form("disch-2", "ngelehun-chc", "2024-03-01", "34")).status()).isEqualTo("Successful");
        MediatorFixture.Reply rerun = f.call("POST", "/dhis2/tracker", form("disch-2", "ngelehun-chc", "2024-03-01", "34"));
        assertThat(rerun.body().path("duplicate").asBoolean()).isTrue();
        MediatorFixture.Reply edited = f.call("POST", "/dhis2/tracker", form("disch-2", "ngelehun-chc", "2024-03-01", "35"));
        assertThat(edited.status()).as(edited.envelope().toString()).isEqualTo("Successful");
        assertThat(edited.property("dhis2.updated")).isEqualTo("1");
        assertThat(f.dhis2.events()).singleElement().satisfies(e -> assertThat(e.path("dataValues").toString()).contains("\"35\""));
        assertThat(f.dhis2.requestCount("POST", "/api/tracker")).isEqualTo(2);
    }

    @Test
    void badFormsAre400AndNothingIsSent() throws Exception {
        MediatorFixture.Reply noDate = f.call("POST", "/dhis2/tracker", form("disch-3", "ngelehun-chc", "", "34"));
        assertThat(noDate.http()).isEqualTo(400);
        assertThat(noDate.envelope().path("response").path("body").asText()).contains("inpatient-discharge: the event date is missing (/form/discharge_date)");
        MediatorFixture.Reply unknownPlace = f.call("POST", "/dhis2/tracker", form("disch-4", "mars-base", "2024-03-01", "34"));
        assertThat(unknownPlace.http()).isEqualTo(400);
        assertThat(unknownPlace.envelope().path("response").path("body").asText()).contains("location 'mars-base'");
        assertThat(f.dhis2.requestCount("POST", "/api/tracker")).isZero();
    }

    @Test
    void anEventProgramThatIsATrackerProgramInDhis2IsRefusedWithE1033() throws Exception {
        // the mapping names a program with registration (a configuration mistake): DHIS2 wants an enrollment
        f.dhis2.metadata().program(new Dhis2Metadata.Program(PROGRAM, "nEenWmSyUEp", false));
        MediatorFixture.Reply r = f.call("POST", "/dhis2/tracker", form("disch-5", "ngelehun-chc", "2024-03-01", "34"));
        assertThat(r.http()).isEqualTo(409);
        assertThat(r.status()).isEqualTo("Failed");
        assertThat(r.body().path("errors").get(0).path("errorCode").asText()).isEqualTo("E1033");
        assertThat(f.dhis2.events()).isEmpty();
    }
}
