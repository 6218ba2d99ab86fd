package org.chis.mediator.referral;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.chis.simulators.commcare.CommCareSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Unattended referrals expire after their window (urgent 24 h, routine 7 days) and the CHW's case hears of it. */
class ExpiryTest {
    static ReferralFixture f;

    @BeforeAll
    static void start() { f = new ReferralFixture(Map.of()); }

    @AfterAll
    static void stop() { if (f != null) f.close(); }

    @Test
    void urgentExpiresAfter24HoursRoutineAfter7DaysAttendedOnesNever() throws Exception {
        String urgentCase = f.commcare.registerCase("client", "A", null, CommCareSimulator.props());
        String routineCase = f.commcare.registerCase("client", "B", null, CommCareSimulator.props());
        String attendedCase = f.commcare.registerCase("client", "C", null, CommCareSimulator.props());
        String urgent = UUID.randomUUID().toString();
        String routine = UUID.randomUUID().toString();
        String attended = UUID.randomUUID().toString();
        String urgentTask = f.call("POST", "/referrals", ReferralFixture.commcareForm(urgent, urgentCase, "E-1", "urgent", "2020-01-01"))
                .body().path("fhir").path("task").asText().split("/")[1];
        String routineTask = f.call("POST", "/referrals", ReferralFixture.commcareForm(routine, routineCase, "E-2", "routine", "2020-01-01"))
                .body().path("fhir").path("task").asText().split("/")[1];
        f.call("POST", "/referrals", ReferralFixture.commcareForm(attended, attendedCase, "E-3", "urgent", "2020-01-01"));
        assertThat(f.status(attended, "in-progress").http()).isEqualTo(200);

        f.clock.advance(Duration.ofHours(23));
        assertThat(f.call("GET", "/referrals/sync", null).body().path("expired").asInt()).isZero();

        f.clock.advance(Duration.ofHours(2)); // 25 h
        var sync = f.call("GET", "/referrals/sync", null);
        assertThat(sync.body().path("expired").asInt()).isEqualTo(1);
        JsonNode task = f.fhir.read("Task", urgentTask).orElseThrow();
        assertThat(task.path("status").asText()).isEqualTo("failed");
        assertThat(task.path("businessStatus").path("text").asText()).isEqualTo("expired");
        assertThat(task.path("statusReason").path("text").asText()).contains("not attended");
        assertThat(f.commcare.caseById(urgentCase).orElseThrow().property("referral_business_status")).isEqualTo("expired");
        assertThat(f.commcare.caseById(urgentCase).orElseThrow().property("referral_status")).isEqualTo("failed");
        assertThat(f.fhir.read("Task", routineTask).orElseThrow().path("status").asText()).isEqualTo("requested");

        f.clock.advance(Duration.ofDays(6)); // 7 days 1 h
        assertThat(f.call("GET", "/referrals/sync", null).body().path("expired").asInt()).isEqualTo(1);
        assertThat(f.fhir.read("Task", routineTask).orElseThrow().path("businessStatus").path("text").asText()).isEqualTo("expired");
        assertThat(f.commcare.caseById(routineCase).orElseThrow().property("referral_business_status")).isEqualTo("expired");
        assertThat(f.call("GET", "/referrals/" + attended, null).body().path("status").asText()).isEqualTo("in-progress");

        // an expired referral is terminal: the facility can no longer open it
        assertThat(f.status(urgent, "in-progress").http()).isEqualTo(409);
        assertThat(f.call("GET", "/referrals/" + urgent, null).body().path("transitions").toString()).contains("\"via\":\"expiry\"");
    }
}
