package org.chis.mediator.dhis2;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.chis.common.json.Json;
import org.chis.common.systems.dhis2.Dhis2Uid;
import org.chis.simulators.dhis2.Dhis2Metadata;
import org.chis.simulators.dhis2.Dhis2Simulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * POST /dhis2/tracker with the child programme's {@code findBy} national id (lZGmxYbs97q, unique in DHIS2): a
 * person already in DHIS2 is used, not duplicated; nobody found -> our own tracked entity.
 */
class TrackerFindTest {
    static final String NATIONAL_ID = "lZGmxYbs97q";
    static final String PERSON = "nEenWmSyUEp";
    static final String PROGRAM = "IpHINAT79UW";
    static final String NGELEHUN = "DiszpKrYNg8";
    static final String NJANDAMA = "g8upMTyEZGZ";
    static MediatorFixture f;

    @BeforeAll
    static void start() { f = new MediatorFixture(Map.of("http.readTimeoutMs", "5000")); }

    @AfterAll
    static void stop() { f.close(); }

    @BeforeEach
    void reset() { f.dhis2.reset(); }

    /** The child visit form with a national id. */
    static String form(String formId, String caseId, String nationalId, String visitDate, String weight) {
        return """
                {"id": "%1$s", "domain": "demo", "received_on": "%4$sT10:15:00.000000Z",
                 "form": {"@xmlns": "http://openrosa.org/formdesigner/chis-child-visit", "@name": "Child visit",
                   "first_name": "Fatmata", "last_name": "Sesay", "sex": "female", "dob": "2023-05-04", "national_id": "%3$s",
                   "location": "ngelehun-chc", "registration_date": "2024-01-10", "visit_date": "%4$s", "weight": "%5$s", "fever": "no",
                   "case": {"@case_id": "%2$s"},
                   "meta": {"instanceID": "%1$s", "timeEnd": "%4$sT10:14:00.000Z", "username": "chw1"}}}"""
                .formatted(formId, caseId, nationalId, visitDate, weight);
    }

    /** A person registered at the facility in DHIS2 (Capture), with a national id; returns the DHIS2-made UID. */
    static String registeredInDhis2(String nationalId) {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("w75KJ2mc4zz", "Fatmata");
        attrs.put(NATIONAL_ID, nationalId);
        return f.dhis2.saveTrackedEntity(null, NJANDAMA, PERSON, attrs, "clerk");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2.39.1", "2.41.0"})
    void aPersonAlreadyInDhis2IsUsedAndGetsTheEnrollmentAndEvent(String version) throws Exception {
        f.dhis2.version(version); // 2.39: `instances`, flat paging; 2.41: `trackedEntities` + pager, ACCESSIBLE without org unit
        String theirs = registeredInDhis2("SL-1001");
        String v = version.replace(".", "");
        String caseId = "case-find-1-" + v;

        MediatorFixture.Reply r = f.call("POST", "/dhis2/tracker", form("find-1-" + v, caseId, "SL-1001", "2024-03-02", "9.5"));

        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(r.property("dhis2.trackedEntity")).isEqualTo(theirs);
        assertThat(r.property("dhis2.foundBy")).isEqualTo(NATIONAL_ID);
        assertThat(r.body().path("foundInDhis2").asBoolean()).isTrue();
        assertThat(f.dhis2.trackedEntities()).singleElement().satisfies(te -> {
            assertThat(te.path("trackedEntity").asText()).isEqualTo(theirs);
            assertThat(te.path("orgUnit").asText()).isEqualTo(NJANDAMA); // DHIS2's registration stays as it is
            assertThat(te.path("attributes").toString()).doesNotContain("Sesay");
        });
        assertThat(f.dhis2.enrollments()).singleElement().satisfies(e -> {
            assertThat(e.path("trackedEntity").asText()).isEqualTo(theirs);
            assertThat(e.path("program").asText()).isEqualTo(PROGRAM);
        });
        assertThat(f.dhis2.events()).singleElement().satisfies(e -> assertThat(e.path("trackedEntity").asText()).isEqualTo(theirs));
        JsonNode search = r.envelope().path("orchestrations").get(0).path("request");
        assertThat(search.path("path").asText()).endsWith("/api/tracker/trackedEntities");
        assertThat(search.path("querystring").asText()).contains("trackedEntityType=" + PERSON).contains("ouMode=ACCESSIBLE")
                .contains("filter=" + NATIONAL_ID + "%3AEQ%3ASL-1001").doesNotContain("orgUnit");

        // the next visit of the case: the id map knows the person, their enrollment takes the event
        MediatorFixture.Reply next = f.call("POST", "/dhis2/tracker", form("find-2-" + v, caseId, "SL-1001", "2024-04-02", "9.9"));
        assertThat(next.status()).as(next.envelope().toString()).isEqualTo("Successful");
        assertThat(next.property("dhis2.trackedEntity")).isEqualTo(theirs);
        assertThat(f.dhis2.trackedEntities()).hasSize(1);
        assertThat(f.dhis2.enrollments()).hasSize(1);
        assertThat(f.dhis2.events()).hasSize(2).allSatisfy(e -> assertThat(e.path("enrollment").asText())
                .isEqualTo(f.dhis2.enrollments().get(0).path("enrollment").asText()));

        // rerun from the console (identical) and an edit of the first form: no duplicate anywhere
        assertThat(f.call("POST", "/dhis2/tracker", form("find-1-" + v, caseId, "SL-1001", "2024-03-02", "9.5")).body().path("duplicate").asBoolean()).isTrue();
        MediatorFixture.Reply edited = f.call("POST", "/dhis2/tracker", form("find-1-" + v, caseId, "SL-1001", "2024-03-02", "9.6"));
        assertThat(edited.status()).as(edited.envelope().toString()).isEqualTo("Successful");
        assertThat(f.dhis2.trackedEntities()).hasSize(1);
        assertThat(f.dhis2.enrollments()).hasSize(1);
        assertThat(f.dhis2.events()).hasSize(2);
    }

    @Test
    void aPersonEnrolledInDhis2GetsTheEventInTheirOwnEnrollment() throws Exception {
        String theirs = registeredInDhis2("SL-1002");
        String enrollment = Dhis2Simulator.newUid();
        f.dhis2.importTrackerAs("clerk", Json.parse("""
                {"enrollments": [{"enrollment": "%s", "trackedEntity": "%s", "program": "%s", "orgUnit": "%s", "status": "ACTIVE",
                  "enrolledAt": "2023-06-01", "occurredAt": "2023-06-01"}]}""".formatted(enrollment, theirs, PROGRAM, NJANDAMA)));

        MediatorFixture.Reply r = f.call("POST", "/dhis2/tracker", form("find-3", "case-find-3", "SL-1002", "2024-03-02", "9.5"));

        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(r.property("dhis2.enrollment")).isEqualTo(enrollment);
        assertThat(r.property("dhis2.created")).isEqualTo("1"); // the event only
        assertThat(f.dhis2.enrollments()).singleElement().satisfies(e -> assertThat(e.path("enrolledAt").asText()).startsWith("2023-06-01"));
        assertThat(f.dhis2.events()).singleElement().satisfies(e -> assertThat(e.path("enrollment").asText()).isEqualTo(enrollment));
    }

    @Test
    void nobodyFoundCreatesOurOwnAndASecondCaseOfTheSamePersonReusesIt() throws Exception {
        MediatorFixture.Reply r = f.call("POST", "/dhis2/tracker", form("find-4", "case-find-4", "SL-1004", "2024-03-02", "9.5"));
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        String ours = Dhis2Uid.derive("trackedEntity", "case-find-4");
        assertThat(r.property("dhis2.trackedEntity")).isEqualTo(ours);
        assertThat(r.property("dhis2.created")).isEqualTo("3");
        assertThat(r.orchestrationNames()).containsExactly("DHIS2: find tracked entity by " + NATIONAL_ID, "DHIS2: tracker import child-programme");

        // the same child registered twice in CommCare (another case id): DHIS2 already has them, no second person
        MediatorFixture.Reply twin = f.call("POST", "/dhis2/tracker", form("find-5", "case-find-5", "SL-1004", "2024-03-09", "9.7"));
        assertThat(twin.status()).as(twin.envelope().toString()).isEqualTo("Successful");
        assertThat(twin.property("dhis2.trackedEntity")).isEqualTo(ours);
        assertThat(f.dhis2.trackedEntities()).hasSize(1);
        assertThat(f.dhis2.enrollments()).hasSize(1);
        assertThat(f.dhis2.events()).hasSize(2);
    }

    @Test
    void aPersonRegisteredAfterOurSearchIsRefusedWithE1064ThenFoundAndUsed() throws Exception {
        String theirs = registeredInDhis2("SL-1006");
        // the search misses them (registered in the meantime, as a race would): DHIS2's unique check catches it
        f.dhis2.failNext("GET", "/api/tracker/trackedEntities", 200, "{\"page\": 1, \"pageSize\": 2, \"instances\": []}");

        MediatorFixture.Reply r = f.call("POST", "/dhis2/tracker", form("find-6", "case-find-6", "SL-1006", "2024-03-02", "9.5"));

        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(r.property("dhis2.retriedAfter")).isEqualTo("E1064");
        assertThat(r.property("dhis2.trackedEntity")).isEqualTo(theirs);
        JsonNode refused = Json.parse(r.envelope().path("orchestrations").get(1).path("response").path("body").asText());
        assertThat(refused.path("status").asText()).isEqualTo("ERROR");
        assertThat(refused.path("validationReport").path("errorReports").get(0).path("errorCode").asText()).isEqualTo("E1064");
        assertThat(refused.path("validationReport").path("errorReports").get(0).path("message").asText())
                .isEqualTo("Non-unique attribute value `SL-1006` for attribute `" + NATIONAL_ID + "`");
        assertThat(f.dhis2.trackedEntities()).singleElement().satisfies(te -> assertThat(te.path("trackedEntity").asText()).isEqualTo(theirs));
        assertThat(f.dhis2.events()).hasSize(1);
    }

    @Test
    void twoPeopleWithTheValueIsA409AndNothingIsWritten() throws Exception {
        f.dhis2.metadata().attribute(NATIONAL_ID, Dhis2Metadata.ValueType.TEXT, false); // a phone number, say: not unique
        registeredInDhis2("076-555");
        registeredInDhis2("076-555");

        MediatorFixture.Reply r = f.call("POST", "/dhis2/tracker", form("find-7", "case-find-7", "076-555", "2024-03-02", "9.5"));

        assertThat(r.http()).isEqualTo(409);
        assertThat(r.status()).isEqualTo("Failed");
        assertThat(r.body().path("error").asText()).contains("more than one tracked entity with attribute " + NATIONAL_ID).contains("nothing was written");
        assertThat(f.dhis2.requestCount("POST", "/api/tracker")).isZero();
        assertThat(f.dhis2.trackedEntities()).hasSize(2);
    }

    @Test
    void aValueDhis2CannotSearchForIsA400AndNothingIsSent() throws Exception {
        MediatorFixture.Reply r = f.call("POST", "/dhis2/tracker", form("find-8", "case-find-8", "SL:1008", "2024-03-02", "9.5"));
        assertThat(r.http()).isEqualTo(400);
        assertThat(r.envelope().path("response").path("body").asText()).contains("'SL:1008'").contains("/form/national_id");
        assertThat(f.dhis2.requestCount("GET", "/api/tracker/.*") + f.dhis2.requestCount("POST", "/api/tracker")).isZero();
    }
}
