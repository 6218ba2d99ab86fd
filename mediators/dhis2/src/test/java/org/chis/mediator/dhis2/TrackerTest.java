package org.chis.mediator.dhis2;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.chis.common.systems.dhis2.Dhis2Uid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** POST /dhis2/tracker: CommCare form -> tracked entity + enrollment + event, reruns update, errors per object. */
class TrackerTest {
    static MediatorFixture f;

    @BeforeAll
    static void start() { f = new MediatorFixture(Map.of("http.readTimeoutMs", "5000")); }

    @AfterAll
    static void stop() { f.close(); }

    @BeforeEach
    void reset() { f.dhis2.reset(); }

    /** A CommCare "data forwarding" form JSON of the child visit form. */
    static String form(String formId, String caseId, String location, String weight, String fever) {
        return """
                {"id": "%1$s", "domain": "demo", "received_on": "2024-03-02T10:15:00.000000Z",
                 "form": {"@xmlns": "http://openrosa.org/formdesigner/chis-child-visit", "@name": "Child visit",
                   "first_name": "Amina", "last_name": "Kamara", "sex": "female", "dob": "2023-05-04",
                   "location": "%3$s", "registration_date": "2024-01-10", "visit_date": "2024-03-02",
                   "weight": "%4$s", "fever": "%5$s", "muac": "",
                   "case": {"@case_id": "%2$s", "@xmlns": "http://commcarehq.org/case/transaction/v2", "update": {"weight": "%4$s"}},
                   "meta": {"instanceID": "%1$s", "timeEnd": "2024-03-02T10:14:00.000Z", "username": "chw1"}}}""".formatted(formId, caseId, location, weight, fever);
    }

    @Test
    void aFormNotLabelledJsonIs415AndNothingReachesDhis2() throws Exception {
        int calls = f.dhis2.requestCount("POST", ".*");
        for (String path : new String[] {"/dhis2/tracker", "/dhis2/aggregate"}) {
            MediatorFixture.Reply r = f.call("POST", path, form("form-415", "case-415", "ngelehun-chc", "9.5", "yes"), "text/plain");
            assertThat(r.http()).as(path).isEqualTo(415);
            assertThat(r.envelope().path("response").path("body").asText()).contains("'text/plain'").contains(path).contains("application/json");
        }
        assertThat(f.dhis2.trackedEntities()).isEmpty();
        assertThat(f.dhis2.requestCount("POST", ".*")).isEqualTo(calls);
        MediatorFixture.Reply ok = f.call("POST", "/dhis2/tracker", form("form-415", "case-415", "ngelehun-chc", "9.5", "yes"), "application/json; charset=utf-8");
        assertThat(ok.status()).as(ok.envelope().toString()).isEqualTo("Successful");
    }

    @Test
    void aFormBecomesTrackedEntityEnrollmentAndEvent() throws Exception {
        MediatorFixture.Reply r = f.call("POST", "/dhis2/tracker", form("form-1", "case-1", "ngelehun-chc", "9.5", "yes"));
        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(200);
        assertThat(r.status()).isEqualTo("Successful");
        String te = Dhis2Uid.derive("trackedEntity", "case-1");
        assertThat(r.property("dhis2.trackedEntity")).isEqualTo(te);
        assertThat(r.property("dhis2.created")).isEqualTo("3");
        JsonNode stored = f.dhis2.trackedEntity(te).orElseThrow();
        assertThat(stored.path("orgUnit").asText()).isEqualTo("DiszpKrYNg8");
        assertThat(stored.path("attributes").toString()).contains("\"Amina\"").contains("\"Kamara\"").contains("2023-05-04");
        assertThat(f.dhis2.enrollments()).singleElement().satisfies(e -> assertThat(e.path("trackedEntity").asText()).isEqualTo(te));
        JsonNode event = f.dhis2.events().get(0);
        assertThat(event.path("dataValues").toString()).contains("\"UXz7xuGCEhU\"").contains("\"9.5\"").contains("\"bx6fsa0t90x\"")
                .contains("\"true\"").doesNotContain("GQY2lXrypjO"); // blank muac is not sent
        assertThat(r.orchestrationNames()).containsExactly("DHIS2: tracker import child-programme");
        JsonNode request = r.envelope().path("orchestrations").get(0).path("request");
        assertThat(request.path("querystring").asText()).contains("async=false").contains("importStrategy=CREATE_AND_UPDATE").contains("atomicMode=ALL");
    }

    @Test
    void aFailedPushSentAgainUpdatesAndNeverDuplicates() throws Exception {
        f.dhis2.failNext("POST", "/api/tracker", 502, "<html><body>Bad Gateway</body></html>");
        MediatorFixture.Reply failed = f.call("POST", "/dhis2/tracker", form("form-2", "case-2", "ngelehun-chc", "8.1", "no"));
        assertThat(failed.status()).isEqualTo("Failed");
        assertThat(failed.http()).isEqualTo(502);
        assertThat(failed.envelope().path("error").path("message").asText()).contains("502");
        // next, DHIS2 writes but its answer comes after our read timeout: the transaction fails, the data is there
        f.dhis2.slowNext("POST", "/api/tracker", 9000);
        MediatorFixture.Reply timedOut = f.call("POST", "/dhis2/tracker", form("form-2", "case-2", "ngelehun-chc", "8.1", "no"));
        assertThat(timedOut.status()).isEqualTo("Failed");
        assertThat(f.dhis2.trackedEntities()).hasSize(1);
        // sent again: the same UIDs, so DHIS2 updates what it has
        MediatorFixture.Reply ok = f.call("POST", "/dhis2/tracker", form("form-2", "case-2", "ngelehun-chc", "8.1", "no"));
        assertThat(ok.status()).isEqualTo("Successful");
        assertThat(ok.property("dhis2.updated")).isEqualTo("3");
        MediatorFixture.Reply rerun = f.call("POST", "/dhis2/tracker", form("form-2", "case-2", "ngelehun-chc", "8.1", "no"));
        assertThat(rerun.status()).isEqualTo("Completed"); // the room's duplicate answer
        assertThat(rerun.property("duplicate")).isEqualTo("true");
        assertThat(rerun.body().path("duplicate").asBoolean()).isTrue();
        assertThat(rerun.orchestrationNames()).isEmpty();
        MediatorFixture.Reply edited = f.call("POST", "/dhis2/tracker", form("form-2", "case-2", "ngelehun-chc", "8.4", "no"));
        assertThat(edited.property("dhis2.updated")).isEqualTo("3");
        MediatorFixture.Reply secondVisit = f.call("POST", "/dhis2/tracker", form("form-3", "case-2", "ngelehun-chc", "8.9", "no"));
        assertThat(secondVisit.property("dhis2.created")).isEqualTo("1");
        assertThat(f.dhis2.trackedEntities()).hasSize(1);
        assertThat(f.dhis2.enrollments()).hasSize(1);
        assertThat(f.dhis2.events()).hasSize(2);
        assertThat(f.dhis2.events().toString()).contains("\"8.4\"").contains("\"8.9\"").doesNotContain("\"8.1\"");
    }

    @Test
    void anOlderFormSentAfterANewerOneAddsItsEventButDoesNotOverwriteTheNewerAttributes() throws Exception {
        // A was filled on 1 March, B on 5 March with the name corrected; B reaches DHIS2 first, A fails, then is rerun
        String a = form("form-a", "case-7", "ngelehun-chc", "7.1", "no").replace("2024-03-02T10:14:00.000Z", "2024-03-01T09:00:00.000Z")
                .replace("\"visit_date\": \"2024-03-02\"", "\"visit_date\": \"2024-03-01\"");
        String b = form("form-b", "case-7", "njandama-mchp", "7.6", "no").replace("2024-03-02T10:14:00.000Z", "2024-03-05T11:30:00.000Z")
                .replace("\"visit_date\": \"2024-03-02\"", "\"visit_date\": \"2024-03-05\"").replace("\"Amina\"", "\"Aminata\"");
        f.dhis2.failNext("POST", "/api/tracker", 502, "<html><body>Bad Gateway</body></html>");
        assertThat(f.call("POST", "/dhis2/tracker", a).status()).isEqualTo("Failed");
        assertThat(f.call("POST", "/dhis2/tracker", b).status()).isEqualTo("Successful");
        MediatorFixture.Reply rerun = f.call("POST", "/dhis2/tracker", a);
        assertThat(rerun.status()).as(rerun.envelope().toString()).isEqualTo("Successful");
        assertThat(rerun.property("dhis2.olderForm")).contains("event only");
        assertThat(rerun.body().path("eventOnly").asBoolean()).isTrue();

        JsonNode te = f.dhis2.trackedEntity(Dhis2Uid.derive("trackedEntity", "case-7")).orElseThrow();
        assertThat(te.path("attributes").toString()).contains("\"Aminata\"").doesNotContain("\"Amina\"");
        assertThat(te.path("orgUnit").asText()).isEqualTo("g8upMTyEZGZ");
        assertThat(f.dhis2.enrollments()).singleElement().satisfies(e -> assertThat(e.path("orgUnit").asText()).isEqualTo("g8upMTyEZGZ"));
        assertThat(f.dhis2.events()).hasSize(2);
        assertThat(f.dhis2.events().toString()).contains("\"7.1\"").contains("\"7.6\"");
        // a form newer than both updates the tracked entity again
        String c = form("form-c", "case-7", "njandama-mchp", "7.9", "no").replace("2024-03-02T10:14:00.000Z", "2024-03-09T08:00:00.000Z")
                .replace("\"visit_date\": \"2024-03-02\"", "\"visit_date\": \"2024-03-09\"").replace("\"Amina\"", "\"Aminah\"");
        assertThat(f.call("POST", "/dhis2/tracker", c).property("dhis2.olderForm")).isNull();
        assertThat(f.dhis2.trackedEntity(Dhis2Uid.derive("trackedEntity", "case-7")).orElseThrow().path("attributes").toString()).contains("\"Aminah\"");
    }

    /**
     * Issue 12: two forms of one tracked entity at the same time. B (newer) is in DHIS2 but not yet answered when A
     * (older) arrives: A must wait and then send its event only, not overwrite B's attributes.
     */
    @Test
    void twoFormsOfOneTrackedEntityAtOnceKeepTheNewerAttributes() throws Exception {
        String a = form("form-9a", "case-9", "ngelehun-chc", "7.1", "no").replace("2024-03-02T10:14:00.000Z", "2024-03-01T09:00:00.000Z")
                .replace("\"visit_date\": \"2024-03-02\"", "\"visit_date\": \"2024-03-01\"");
        String b = form("form-9b", "case-9", "njandama-mchp", "7.6", "no").replace("2024-03-02T10:14:00.000Z", "2024-03-05T11:30:00.000Z")
                .replace("\"visit_date\": \"2024-03-02\"", "\"visit_date\": \"2024-03-05\"").replace("\"Amina\"", "\"Aminata\"");
        f.dhis2.slowNext("POST", "/api/tracker", 1500);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<MediatorFixture.Reply> newer = pool.submit(() -> f.call("POST", "/dhis2/tracker", b));
            long deadline = System.currentTimeMillis() + 5000;
            while (f.dhis2.trackedEntity(Dhis2Uid.derive("trackedEntity", "case-9")).isEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(20);
            MediatorFixture.Reply older = f.call("POST", "/dhis2/tracker", a);
            assertThat(newer.get().status()).isEqualTo("Successful");
            assertThat(older.status()).as(older.envelope().toString()).isEqualTo("Successful");
            assertThat(older.property("dhis2.olderForm")).contains("event only");
        } finally {
            pool.shutdownNow();
        }
        JsonNode te = f.dhis2.trackedEntity(Dhis2Uid.derive("trackedEntity", "case-9")).orElseThrow();
        assertThat(te.path("attributes").toString()).contains("\"Aminata\"").doesNotContain("\"Amina\"");
        assertThat(te.path("orgUnit").asText()).isEqualTo("g8upMTyEZGZ");
        assertThat(f.dhis2.events()).hasSize(2);
    }

    @Test
    void dhis2ValidationErrorsAreListedPerObjectAndNothingIsWritten() throws Exception {
        MediatorFixture.Reply r = f.call("POST", "/dhis2/tracker", form("form-4", "case-4", "ngelehun-chc", "heavy", "yes"));
        assertThat(r.status()).isEqualTo("Failed");
        assertThat(r.http()).isEqualTo(409);
        assertThat(r.envelope().has("error")).as("not auto-retried: the same body fails again").isFalse();
        JsonNode errors = r.body().path("errors");
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).path("trackerType").asText()).isEqualTo("EVENT");
        assertThat(errors.get(0).path("uid").asText()).isEqualTo(Dhis2Uid.derive("event", "form-4/A03MvHHogjR"));
        assertThat(errors.get(0).path("errorCode").asText()).isEqualTo("E1302");
        assertThat(f.dhis2.trackedEntities()).isEmpty();
        // fixed at the source and sent again: goes through
        assertThat(f.call("POST", "/dhis2/tracker", form("form-4", "case-4", "ngelehun-chc", "7.0", "yes")).status()).isEqualTo("Successful");
    }

    @Test
    void badInputIs400AndDhis2IsNotCalled() throws Exception {
        assertThat(f.call("POST", "/dhis2/tracker", form("form-5", "case-5", "mars", "7", "no")).body().path("error").asText()).contains("mars");
        assertThat(f.call("POST", "/dhis2/tracker", form("form-5", "case-5", "ngelehun-chc", "7", "no")
                .replace("chis-child-visit", "other-form")).body().path("error").asText()).contains("no tracker mapping");
        assertThat(f.call("POST", "/dhis2/tracker", form("form-5", "case-5", "ngelehun-chc", "7", "no")
                .replace("\"visit_date\": \"2024-03-02\",", "")).body().path("error").asText()).contains("event date").contains("/form/visit_date");
        assertThat(f.call("POST", "/dhis2/tracker", "not json").http()).isEqualTo(400);
        assertThat(f.dhis2.requestCount("POST", "/api/tracker")).isZero();
    }
}
