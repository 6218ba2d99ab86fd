package org.chis.mediator.smscodecard;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.List;
import java.util.Map;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenSRP event is the forwarding saga's last step and OpenSRP cannot delete: when its answer is lost (saved,
 * answered after {@code http.readTimeoutMs}) the event must never be left pointing at a purged encounter. After
 * the first delivery and after the resend: exactly one live encounter, one event with the message's
 * formSubmissionId, and that event's encounter ({@code identifiers.OPENMRS_UUID}) live.
 */
class LostEventAnswerTest {
    static final String VALID = "ANC 1000Y ANC1 LMP 01022026 WT 60";
    static final String ADD = "/opensrp/rest/event/add";
    static final String FIND = "/opensrp/rest/event/findById";
    /** Longer than the fixture's read timeout here (1000 ms). */
    static final int LATE_MS = 2500;

    SmsFixture f;

    @AfterEach
    void close() {
        if (f != null) f.close();
    }

    @Test
    void aSavedEventWhoseAnswerIsLostIsFoundAndTheMessageCompletes() throws Exception {
        f = new SmsFixture(Map.of("http.readTimeoutMs", "1000"));
        String message = SmsFixture.uuid(1);
        StubMapping lost = loseAnswer(ADD);
        SmsFixture.Reply first = f.sms(message, SmsFixture.JOHN, "eng", VALID);
        f.opensrp.removeStub(lost);
        assertThat(first.http()).isEqualTo(200);
        assertThat(first.kind()).isEqualTo("ok");
        assertThat(first.orchestrations()).contains("OpenMRS: create encounter", "OpenSRP: add event", "OpenSRP: find event")
                .doesNotContain("OpenMRS: purge encounter");
        assertOneEventOnALiveEncounter(message);
        assertThat(f.warehouse().records()).hasSize(1);

        SmsFixture.Reply resend = f.sms(message, SmsFixture.JOHN, "eng", VALID);
        assertThat(resend.http()).isEqualTo(200);
        assertThat(resend.kind()).isEqualTo("ok");
        assertOneEventOnALiveEncounter(message);
        assertThat(f.warehouse().records()).hasSize(1);
    }

    @Test
    void whenOpenSrpCannotSayTheEncounterIsKeptAndTheResendCompletesIt() throws Exception {
        // one attempt only: even at the last attempt the worker is not told to send again (a new message would be a
        // second encounter); the message stays rerunnable
        f = new SmsFixture(Map.of("http.readTimeoutMs", "1000", "sms.maxAttempts", "1"));
        String message = SmsFixture.uuid(2);
        StubMapping lost = loseAnswer(ADD);
        StubMapping findDown = f.opensrp.stubFor(get(urlPathEqualTo(FIND)).atPriority(1).willReturn(aResponse().withStatus(503)));
        SmsFixture.Reply first = f.sms(message, SmsFixture.JOHN, "eng", VALID);
        f.opensrp.removeStub(lost);
        f.opensrp.removeStub(findDown);
        assertThat(first.http()).isEqualTo(503);
        assertThat(first.retryAfter()).isNotNull();
        assertThat(first.orchestrations()).contains("OpenSRP: add event", "OpenSRP: find event").doesNotContain("OpenMRS: purge encounter");
        assertOneEventOnALiveEncounter(message);
        assertThat(f.warehouse().records()).isEmpty();

        SmsFixture.Reply resend = f.sms(message, SmsFixture.JOHN, "eng", VALID);
        assertThat(resend.http()).isEqualTo(200);
        assertThat(resend.kind()).isEqualTo("ok");
        assertThat(resend.orchestrations()).contains("OpenMRS: get encounter", "OpenSRP: add event").doesNotContain("OpenMRS: create encounter");
        assertOneEventOnALiveEncounter(message);
        assertThat(f.opensrpEvents.writes()).isEqualTo(2); // sent twice, kept once: OpenSRP updated it
        assertThat(f.warehouse().records()).hasSize(1);
    }

    @Test
    void anUnansweredEventThatWasNotSavedIsRolledBack() throws Exception {
        f = new SmsFixture(Map.of("http.readTimeoutMs", "1000"));
        String message = SmsFixture.uuid(3);
        StubMapping late = f.opensrp.stubFor(post(urlPathEqualTo(ADD)).atPriority(1)
                .willReturn(aResponse().withStatus(500).withFixedDelay(LATE_MS)));
        SmsFixture.Reply first = f.sms(message, SmsFixture.JOHN, "eng", VALID);
        f.opensrp.removeStub(late);
        assertThat(first.http()).isEqualTo(503);
        assertThat(first.orchestrations()).contains("OpenSRP: add event", "OpenSRP: find event", "OpenMRS: purge encounter");
        assertThat(f.liveEncounters()).isEmpty();
        assertThat(f.opensrpEvents.eventsWithFormSubmissionId(message)).isEmpty();

        SmsFixture.Reply resend = f.sms(message, SmsFixture.JOHN, "eng", VALID);
        assertThat(resend.kind()).isEqualTo("ok");
        assertOneEventOnALiveEncounter(message);
    }

    /** The write lands in the simulator at once; only its answer is held past the read timeout. */
    StubMapping loseAnswer(String path) {
        return f.opensrp.stubFor(post(urlPathEqualTo(path)).withHeader("X-Lost-Answer", absent()).atPriority(1).willReturn(aResponse()
                .proxiedFrom("http://127.0.0.1:" + f.opensrp.port()).withAdditionalRequestHeader("X-Lost-Answer", "served").withFixedDelay(LATE_MS)));
    }

    void assertOneEventOnALiveEncounter(String message) {
        List<JsonNode> live = f.liveEncounters();
        assertThat(live).hasSize(1);
        List<ObjectNode> events = f.opensrpEvents.eventsWithFormSubmissionId(message);
        assertThat(events).hasSize(1);
        assertThat(events.get(0).path("identifiers").path(OpenSrpSimulator.OPENMRS_UUID).asText())
                .isEqualTo(live.get(0).path("uuid").asText());
    }
}
