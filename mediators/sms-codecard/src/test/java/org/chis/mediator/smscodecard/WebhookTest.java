package org.chis.mediator.smscodecard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.json.Json;
import org.chis.common.store.Ledger;
import org.chis.common.store.SagaJournal;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.common.work.Idempotent;
import org.chis.common.work.Recovery;
import org.chis.mediator.smscodecard.card.CodeCards;
import org.chis.mediator.smscodecard.parse.MessageParser;
import org.chis.mediator.smscodecard.reply.Gsm7;
import org.chis.mediator.smscodecard.reply.Reference;
import org.chis.mediator.smscodecard.reply.ReplyTexts;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Idempotency, rollback, reply delivery (inline, 202 + broadcast, rerun), auth, card checks. */
class WebhookTest {
    private static final String VALID = "ANC 1000Y ANC1 LMP 01022026 WT 60";
    private SmsFixture f;

    @AfterEach
    void close() { if (f != null) f.close(); }

    @Test
    void aWebhookNotLabelledJsonIs415AndNothingIsKeptOrForwarded() throws Exception {
        f = new SmsFixture(Map.of());
        String body = RapidProSimulator.flowWebhook(SmsFixture.uuid(415), UUID.randomUUID().toString(),
                "Worker", "tel:" + SmsFixture.JOHN, "eng", VALID).toString();
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded"}) {
            SmsFixture.Reply r = f.postWebhook(body, Map.of("Content-Type", type));
            assertThat(r.http()).as(type).isEqualTo(415);
            assertThat(r.envelope().path("response").path("body").asText()).contains("'" + type + "'").contains("/sms/inbound").contains("application/json");
        }
        assertThat(f.opensrp.getAllServeEvents()).isEmpty();
        assertThat(f.rapidpro.broadcasts()).isEmpty();
        assertThat(f.liveEncounters()).isEmpty();
        // the same message as JSON is then handled as new
        assertThat(f.postWebhook(body, Map.of("Content-Type", "application/json; charset=utf-8")).kind()).isEqualTo("ok");
    }

    @Test
    void theSameMessageTwiceMakesOneRecordAndOneEncounter() throws Exception {
        f = new SmsFixture(Map.of());
        SmsFixture.Reply first = f.sms(SmsFixture.uuid(1), SmsFixture.JOHN, "eng", VALID);
        SmsFixture.Reply again = f.sms(SmsFixture.uuid(1), SmsFixture.JOHN, "eng", VALID);
        assertThat(first.kind()).isEqualTo("ok");
        assertThat(first.status()).isEqualTo("Successful");
        assertThat(first.orchestrations()).contains("OpenMRS: find patient by identifier", "OpenMRS: create encounter", "OpenSRP: add event");
        // RapidPro retries only when our answer did not arrive: the same reply again, nothing written twice
        assertThat(again.text()).isEqualTo(first.text());
        assertThat(again.status()).isEqualTo("Completed"); // the room's duplicate answer
        assertThat(again.body().path("duplicate").asBoolean()).isTrue();
        assertThat(f.warehouse().records()).hasSize(1);
        assertThat(f.liveEncounters()).hasSize(1);
        JsonNode enc = f.liveEncounters().get(0);
        assertThat(enc.path("patient").path("uuid").asText()).isEqualTo(f.patientUuids.get("1000Y"));
        assertThat(enc.path("obs")).hasSize(4); // visit number, LMP, weight, EDD
        assertThat(f.opensrp.findAll(WireMock.postRequestedFor(
                WireMock.urlPathEqualTo("/opensrp/rest/event/add")))).hasSize(1);
        JsonNode event = Json.parse(f.opensrp.getAllServeEvents().get(0).getRequest().getBodyAsString()).path("events").get(0);
        assertThat(event.path("formSubmissionId").asText()).isEqualTo(SmsFixture.uuid(1));
        assertThat(event.path("eventType").asText()).isEqualTo("ANC Visit");
        assertThat(event.path("baseEntityId").asText()).isEqualTo(f.patientUuids.get("1000Y"));
    }

    @Test
    void twoMessagesWithTheSameReportAtOnceMakeOneRecord() throws Exception {
        f = new SmsFixture(Map.of());
        // OpenSRP answers slowly, so both messages are past the duplicate read before either is saved
        f.opensrp.stubFor(WireMock.post(
                WireMock.urlPathEqualTo("/opensrp/rest/event/add")).atPriority(1)
                .willReturn(WireMock.aResponse().withStatus(201).withFixedDelay(700)));
        var pool = Executors.newFixedThreadPool(2);
        try {
            var a = pool.submit(() -> f.sms(SmsFixture.uuid(21), SmsFixture.JOHN, "eng", VALID));
            var b = pool.submit(() -> f.sms(SmsFixture.uuid(22), SmsFixture.JOHN, "eng", VALID));
            List<String> kinds = new ArrayList<>(List.of(a.get().kind() == null ? "503" : a.get().kind(),
                    b.get().kind() == null ? "503" : b.get().kind()));
            assertThat(kinds).contains("ok");
            assertThat(kinds).containsAnyOf("already_received", "503");
        } finally {
            pool.shutdownNow();
        }
        assertThat(f.warehouse().records()).hasSize(1);
        assertThat(f.liveEncounters()).hasSize(1);
        // the loser, delivered again, is told the report is in
        SmsFixture.Reply again = f.sms(SmsFixture.uuid(23), SmsFixture.JOHN, "eng", VALID);
        assertThat(again.kind()).isEqualTo("already_received");
    }

    @Test
    void olderCardVersionsReadMessagesOfTheirTime() throws Exception {
        f = new SmsFixture(Map.of("sms.clock.fixed", "2025-03-01T09:00:00Z"));
        assertThat(f.sms(SmsFixture.uuid(31), SmsFixture.JOHN, "eng", "ANC 1000Y ANC1 01022025").kind()).isEqualTo("ok");
        SmsFixture.Reply v2Only = f.sms(SmsFixture.uuid(32), SmsFixture.JOHN, "eng", "ANC 1000Y ANC2 LMP 01022025 WT 60");
        assertThat(v2Only.kind()).isEqualTo("bad_format");
        assertThat(v2Only.text()).startsWith("ANC: unexpected WT. Send e.g. ANC 1000Y ANC1 01022026.");
        assertThat(Json.parse(f.warehouse().records().get(0).recordJson()).path("cardVersion").asInt()).isEqualTo(1);
    }

    @Test
    void aForwardingFailureRollsBackAnswers503AndTheRetrySucceedsWithoutDuplicates() throws Exception {
        f = new SmsFixture(Map.of("sms.maxAttempts", "3"));
        var down = f.opensrp.stubFor(WireMock.post(
                WireMock.urlPathEqualTo("/opensrp/rest/event/add")).atPriority(1)
                .willReturn(WireMock.aResponse().withStatus(503).withBody("maintenance")));
        SmsFixture.Reply r = f.sms(SmsFixture.uuid(7), SmsFixture.JOHN, "eng", VALID);
        assertThat(r.http()).isEqualTo(503);
        assertThat(r.retryAfter()).isEqualTo("30");
        assertThat(r.status()).isEqualTo("Failed");
        assertThat(r.orchestrations()).contains("OpenMRS: create encounter", "OpenSRP: add event", "OpenMRS: purge encounter");
        assertThat(f.liveEncounters()).isEmpty(); // rolled back: the encounter was purged
        assertThat(f.openmrs.encounters()).isEmpty();
        assertThat(f.warehouse().records()).isEmpty();
        f.opensrp.removeStub(down);
        SmsFixture.Reply retry = f.sms(SmsFixture.uuid(7), SmsFixture.JOHN, "eng", VALID);
        assertThat(retry.kind()).isEqualTo("ok");
        assertThat(retry.text()).contains(Reference.of(SmsFixture.uuid(7)));
        assertThat(f.liveEncounters()).hasSize(1);
        assertThat(f.warehouse().records()).hasSize(1);
    }

    @Test
    void afterAKillMidSagaTheRestartReleasesTheClaimsSoAResendIsSavedAtOnceAndOnce() throws Exception {
        // what kill -9 during forwarding leaves: the message and report claims IN_PROGRESS (2 min leases, noted as
        // the room notes them) and the saga RUNNING with the encounter POST under way
        String msg = SmsFixture.uuid(61);
        String db = "jdbc:h2:mem:sms-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        var parsed = new MessageParser(CodeCards.load(SmsFixture.CONFIG.resolve("cards")), ReplyTexts.load(SmsFixture.CONFIG.resolve("replies")).commandWords())
                .parse(VALID, LocalDate.of(2026, 6, 15));
        String reportKey = "sms-report:" + Report.duplicateKey(parsed) + "#0";
        try (var crashed = StateStore.open(db, "", "", null, "sms-codecard")) {
            var ledger = crashed.ledger();
            var held = (Idempotent.Held) new Recovery(crashed, Recovery.Replicas.SINGLE).idempotent(Intake.LEDGER_KIND, Intake.LEASE)
                    .take("sms:" + msg);
            assertThat(held.attempts()).isEqualTo(1);
            held.claimAlso(reportKey, "sms-report", Intake.LEASE);
            crashed.sagaJournal().begin("sms:" + msg);
            crashed.sagaJournal().planStep("sms:" + msg, 1, "create encounter", Forwarding.ENCOUNTER,
                    StableUuid.of("sms", msg, "encounter"));
            // another message's claim with no saga of ours (a live run elsewhere, say) is not touched
            ledger.claim("sms:" + SmsFixture.uuid(62), Intake.LEDGER_KIND, Duration.ofMinutes(2));
        }

        f = new SmsFixture(Map.of("db.url", db)); // the restart: recovery undoes the saga, then releases its claims
        var store = f.warehouse().store();
        assertThat(store.sagaJournal().find("sms:" + msg).orElseThrow().state())
                .isEqualTo(SagaJournal.State.ROLLED_BACK);
        assertThat(store.ledger().find("sms:" + msg).orElseThrow().status()).isEqualTo(Ledger.Status.FAILED);
        assertThat(store.ledger().find(reportKey).orElseThrow().status()).isEqualTo(Ledger.Status.FAILED);
        assertThat(store.ledger().find("sms:" + SmsFixture.uuid(62)).orElseThrow().status())
                .isEqualTo(Ledger.Status.IN_PROGRESS);

        // RapidPro's resend, well within the 2-minute lease: processed now (not 503), written once
        SmsFixture.Reply resend = f.sms(msg, SmsFixture.JOHN, "eng", VALID);
        assertThat(resend.http()).isEqualTo(200);
        assertThat(resend.kind()).isEqualTo("ok");
        SmsFixture.Reply again = f.sms(msg, SmsFixture.JOHN, "eng", VALID);
        assertThat(again.text()).isEqualTo(resend.text());
        assertThat(f.warehouse().records()).hasSize(1);
        assertThat(f.liveEncounters()).hasSize(1);
        assertThat(f.opensrp.findAll(WireMock.postRequestedFor(
                WireMock.urlPathEqualTo("/opensrp/rest/event/add")))).hasSize(1);
    }

    @Test
    void aResendOfAMessageWhoseReplicaDiedMidSagaUndoesItsEncounterEvenWhenAnotherMessageSavedTheReport() throws Exception {
        // db.replicas=many: start-up recovery leaves young sagas to their own resends (another replica may be running
        // them). The dead replica left its message claim (lease over) and its saga RUNNING, the encounter made.
        String msg = SmsFixture.uuid(65);
        String encounter = StableUuid.of("sms", msg, "encounter");
        String db = "jdbc:h2:mem:sms-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (var crashed = StateStore.open(db, "", "", null, "sms-codecard")) {
            crashed.ledger().claim("sms:" + msg, Intake.LEDGER_KIND, Duration.ofMillis(1));
            crashed.sagaJournal().begin("sms:" + msg);
            crashed.sagaJournal().planStep("sms:" + msg, 1, "create encounter", Forwarding.ENCOUNTER, encounter);
        }
        f = new SmsFixture(Map.of("db.url", db, "db.replicas", "many"));
        var made = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(f.openmrs.baseUrl() + "/ws/rest/v1/encounter"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (OpenMrsSimulator.USER + ":" + OpenMrsSimulator.PASSWORD).getBytes()))
                .POST(HttpRequest.BodyPublishers.ofString(Json.object().put("uuid", encounter)
                        .put("patient", f.patientUuids.get("1000Y")).put("encounterType", SmsFixture.ANC_ENCOUNTER_TYPE)
                        .put("encounterDatetime", "2026-06-15T09:00:00.000+0000").toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(made.statusCode()).as(made.body()).isLessThan(300);

        assertThat(f.sms(SmsFixture.uuid(66), SmsFixture.JOHN, "eng", VALID).kind()).isEqualTo("ok");
        SmsFixture.Reply resend = f.sms(msg, SmsFixture.JOHN, "eng", VALID);
        assertThat(resend.kind()).isEqualTo("already_received");
        assertThat(f.openmrs.encounter(encounter)).as("the dead run's encounter is purged").isEmpty();
        assertThat(f.liveEncounters()).hasSize(1);
        assertThat(f.warehouse().records()).hasSize(1);
    }

    @Test
    void afterTheLastAttemptTheWorkerGetsOneFaultReplyThatDoesNotBlameThem() throws Exception {
        f = new SmsFixture(Map.of("sms.maxAttempts", "2"));
        f.openmrs.failAlways("POST", "/openmrs/ws/rest/v1/encounter", 500, null);
        assertThat(f.sms(SmsFixture.uuid(8), SmsFixture.ASHA, "swa", VALID).http()).isEqualTo(503);
        SmsFixture.Reply last = f.sms(SmsFixture.uuid(8), SmsFixture.ASHA, "swa", VALID);
        assertThat(last.http()).isEqualTo(200);
        assertThat(last.kind()).isEqualTo("system_fault");
        assertThat(last.status()).isEqualTo("Failed");
        assertThat(last.text()).isEqualTo("Samahani, tatizo la mfumo limezuia ripoti yako ya KLINIKI kuhifadhiwa. Tafadhali tuma tena baada ya saa 1. Kumb "
                + Reference.of(SmsFixture.uuid(8)));
        assertThat(f.warehouse().records()).isEmpty();
        // a later attempt still fails: no second reply
        SmsFixture.Reply after = f.sms(SmsFixture.uuid(8), SmsFixture.ASHA, "swa", VALID);
        assertThat(after.http()).isEqualTo(503);
        assertThat(after.text()).isNull();
    }

    @Test
    void aSlowMessageIsAnswered202AndTheReplyGoesOutAsOneBroadcast() throws Exception {
        f = new SmsFixture(Map.of("sms.inlineReplyMs", "200"));
        f.opensrp.stubFor(WireMock.post(
                WireMock.urlPathEqualTo("/opensrp/rest/event/add")).atPriority(1)
                .willReturn(WireMock.aResponse().withStatus(201).withFixedDelay(1500)));
        SmsFixture.Reply r = f.sms(SmsFixture.uuid(9), SmsFixture.MARIE, "fra", "CPN 1000Y ANC2 DDR 01022026");
        assertThat(r.http()).isEqualTo(202);
        assertThat(r.body().path("send").asBoolean()).isFalse();
        String urn = "tel:" + SmsFixture.MARIE;
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (f.rapidpro.broadcastsTo(urn).isEmpty() && System.nanoTime() < deadline) Thread.onSpinWait();
        List<JsonNode> sent = f.rapidpro.broadcastsTo(urn);
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).path("text").path("fra").asText()).startsWith("OK CPN enregistré: ID 1000Y ANC2");
        assertThat(sent.get(0).path("base_language").asText()).isEqualTo("fra");
        // RapidPro got a 202: a repeat delivery must not make the flow send the reply again
        SmsFixture.Reply repeat = f.sms(SmsFixture.uuid(9), SmsFixture.MARIE, "fra", "CPN 1000Y ANC2 DDR 01022026");
        assertThat(repeat.body().path("send").asBoolean()).isFalse();
        assertThat(f.rapidpro.broadcastsTo(urn)).hasSize(1);
        assertThat(f.warehouse().records()).hasSize(1);
    }

    /**
     * RapidPro keeps the broadcast before it answers: a repeat of the message while the mediator still waits for that
     * answer must not tell the flow to send the reply too (it was sent twice: the reply route was only recorded after
     * the answer). The simulator's answer is held 3 s, the repeat goes in that hold.
     */
    @Test
    void aRepeatWhileTheReplyBroadcastIsUnderWayIsAnsweredSendFalse() throws Exception {
        f = new SmsFixture(Map.of("sms.inlineReplyMs", "200"));
        f.opensrp.stubFor(WireMock.post(WireMock.urlPathEqualTo("/opensrp/rest/event/add")).atPriority(1)
                .willReturn(WireMock.aResponse().withStatus(201).withFixedDelay(1000)));
        // the simulator records the broadcast, then its answer is held (a stub's own delay is lost to its transformer)
        f.rapidpro.wireMock().setGlobalFixedDelay(3000);
        String msg = SmsFixture.uuid(91);
        String text = "CPN 1000Y ANC2 DDR 01022026";
        assertThat(f.sms(msg, SmsFixture.MARIE, "fra", text).http()).isEqualTo(202);
        String urn = "tel:" + SmsFixture.MARIE;
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (f.rapidpro.broadcastsTo(urn).isEmpty() && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(f.rapidpro.broadcastsTo(urn)).hasSize(1);

        SmsFixture.Reply repeat = f.sms(msg, SmsFixture.MARIE, "fra", text);
        // still inside the hold: the broadcast call has not returned
        assertThat(f.warehouse().message(msg).orElseThrow().replyStatus()).isNotEqualTo("SENT");
        assertThat(repeat.http()).isEqualTo(200);
        assertThat(repeat.body().path("duplicate").asBoolean()).isTrue();
        assertThat(repeat.body().path("send").asBoolean()).isFalse();

        deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!"SENT".equals(f.warehouse().message(msg).orElseThrow().replyStatus()) && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(f.warehouse().message(msg).orElseThrow().replyVia()).isEqualTo("broadcast");
        assertThat(f.warehouse().message(msg).orElseThrow().replyStatus()).isEqualTo("SENT");
        assertThat(f.rapidpro.broadcastsTo(urn)).hasSize(1);
        assertThat(f.warehouse().records()).hasSize(1);
    }

    /**
     * The first delivery finished the message and died before it chose inline or broadcast (no route on record):
     * while that could still be a live delivery choosing, a repeat stays silent; once far older than any delivery
     * takes, the repeat carries the reply, and records the inline route so only one repeat does.
     */
    @Test
    void aRepeatOfAMessageWhoseFirstDeliveryDiedBeforeChoosingARouteCarriesTheReply() throws Exception {
        f = new SmsFixture(Map.of());
        String msg = SmsFixture.uuid(93);
        SmsFixture.Reply first = f.sms(msg, SmsFixture.JOHN, "eng", VALID);
        assertThat(first.body().path("send").asBoolean()).isTrue();
        String reply = first.body().path("reply").asText();

        forgetTheRoute(msg, Duration.ZERO);
        SmsFixture.Reply early = f.sms(msg, SmsFixture.JOHN, "eng", VALID);
        assertThat(early.body().path("duplicate").asBoolean()).isTrue();
        assertThat(early.body().path("send").asBoolean()).as("the first delivery may still be choosing").isFalse();

        forgetTheRoute(msg, Duration.ofMinutes(5));
        SmsFixture.Reply late = f.sms(msg, SmsFixture.JOHN, "eng", VALID);
        assertThat(late.http()).isEqualTo(200);
        assertThat(late.body().path("duplicate").asBoolean()).isTrue();
        assertThat(late.body().path("send").asBoolean()).isTrue();
        assertThat(late.body().path("reply").asText()).isEqualTo(reply);
        assertThat(f.warehouse().message(msg).orElseThrow().replyVia()).isEqualTo("inline");
        assertThat(f.rapidpro.broadcastsTo("tel:" + SmsFixture.JOHN)).isEmpty();
        assertThat(f.warehouse().records()).hasSize(1);
    }

    /** What a crash between finishing the message and choosing its reply route leaves, last touched {@code ago}. */
    private void forgetTheRoute(String messageUuid, Duration ago) {
        f.warehouse().store().inTransaction(c -> {
            try (var ps = c.prepareStatement("UPDATE sms_message SET reply_via = NULL, reply_status = NULL, updated_at = ? WHERE message_uuid = ?")) {
                ps.setTimestamp(1, Timestamp.from(Instant.now().minus(ago)));
                ps.setString(2, messageUuid);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            return null;
        });
    }

    @Test
    void anOpenHimRerunRepliesByBroadcastNotInTheAnswer() throws Exception {
        f = new SmsFixture(Map.of());
        var body = RapidProSimulator.flowWebhook(SmsFixture.uuid(10), "c-1", "John", "tel:" + SmsFixture.JOHN, "eng", VALID).toString();
        SmsFixture.Reply r = f.postWebhook(body, Map.of("parentID", "5f0000000000000000000001", "X-OpenHIM-TransactionID", "5f0000000000000000000002"));
        assertThat(r.kind()).isEqualTo("ok");
        assertThat(r.body().path("send").asBoolean()).isFalse();
        assertThat(f.rapidpro.broadcastsTo("tel:" + SmsFixture.JOHN)).hasSize(1);
        assertThat(r.orchestrations()).contains("RapidPro: send broadcast");
    }

    /** Flows migrated from the old editor post goflow's legacy body (input.urn object, no contact language). */
    @Test
    void theLegacyWebhookBodyIsProcessedLikeTheDocumentedOne() throws Exception {
        f = new SmsFixture(Map.of());
        var body = RapidProSimulator.legacyFlowWebhook(SmsFixture.uuid(12), "c-1", "John", "tel:" + SmsFixture.JOHN, VALID).toString();
        SmsFixture.Reply r = f.postWebhook(body, Map.of());
        assertThat(r.http()).isEqualTo(200);
        assertThat(r.kind()).isEqualTo("ok");
        assertThat(f.warehouse().records()).hasSize(1);
        assertThat(f.postWebhook(body, Map.of()).body().path("reply").asText()).as("a resend is answered from the ledger").isEqualTo(r.body().path("reply").asText());
        assertThat(f.warehouse().records()).hasSize(1);
    }

    /** RapidPro over its API rate answers 429 + Retry-After: the reply broadcast waits that long and goes once. */
    @Test
    void aThrottledReplyBroadcastIsSentOnceAfterRetryAfter() throws Exception {
        f = new SmsFixture(Map.of());
        f.rapidpro.throttle(1, 1);
        var body = RapidProSimulator.flowWebhook(SmsFixture.uuid(13), "c-1", "John", "tel:" + SmsFixture.JOHN, "eng", VALID).toString();
        SmsFixture.Reply r = f.postWebhook(body, Map.of("parentID", "5f0000000000000000000003", "X-OpenHIM-TransactionID", "5f0000000000000000000004"));
        assertThat(r.kind()).isEqualTo("ok");
        long deadline = System.currentTimeMillis() + 15_000;
        while (f.rapidpro.broadcastsTo("tel:" + SmsFixture.JOHN).isEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(100);
        assertThat(f.rapidpro.broadcastsTo("tel:" + SmsFixture.JOHN)).hasSize(1);
        Thread.sleep(1500);
        assertThat(f.rapidpro.broadcastsTo("tel:" + SmsFixture.JOHN)).hasSize(1);
    }

    @Test
    void theWebhookTokenIsRequiredWhenConfigured() throws Exception {
        f = new SmsFixture(Map.of("sms.webhookToken", "s3cret-token"));
        var body = RapidProSimulator.flowWebhook(SmsFixture.uuid(11), "c-1", "John", "tel:" + SmsFixture.JOHN, "eng", VALID).toString();
        SmsFixture.Reply none = f.postWebhook(body, Map.of());
        assertThat(none.http()).isEqualTo(401);
        assertThat(f.postWebhook(body, Map.of("X-Webhook-Token", "wrong")).http()).isEqualTo(401);
        assertThat(f.postWebhook(body, Map.of("X-Webhook-Token", "s3cret-token")).kind()).isEqualTo("ok");
        assertThat(f.warehouse().records()).hasSize(1);
    }

    @Test
    void aBodyThatIsNotAFlowWebhookIs400WithAMessage() throws Exception {
        f = new SmsFixture(Map.of());
        SmsFixture.Reply r = f.postWebhook("{\"contact\":{\"urn\":\"tel:+255712000002\"},\"input\":{\"text\":\"ANC\"}}", Map.of());
        assertThat(r.http()).isEqualTo(400);
        assertThat(r.body().path("error").asText()).contains("no message id");
        assertThat(f.postWebhook("not json", Map.of()).http()).isEqualTo(400);
    }

    @Test
    void everyReplyTextIsGsm7() {
        for (String t : ReplyTexts.load(SmsFixture.CONFIG.resolve("replies")).templates()) assertThat(Gsm7.isGsm7(t)).as(t).isTrue();
        assertThat(Gsm7.fold("«ça» — 🤒 ê")).isEqualTo("\"ca\" - ? e");
        assertThat(Gsm7.septets("[x]")).isEqualTo(5);
    }

    @Test
    void brokenCardsStopStartUpNamingFileAndField(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.json"), """
                {"keyword":"ANC","version":1,"examples":{"eng":"ANC 1000Y"},"openmrs":{},
                 "fields":[{"name":"id","type":"identifier","position":1},
                           {"name":"lmp","type":"date","label":"L1","range":{"min":1}},
                           {"name":"visit","type":"code","bare":true,"position":2,"codes":[]}]}""");
        Files.writeString(dir.resolve("broken.json"), "{\"keyword\": ");
        Files.writeString(dir.resolve("reg.json"), """
                {"keyword":"REG","version":1,"examples":{"eng":"REG Mary"},"registration":{"sexField":"given"},
                 "fields":[{"name":"given","type":"name","position":1},{"name":"id","type":"id","label":"ID"}]}""");
        assertThatThrownBy(() -> CodeCards.load(dir)).isInstanceOf(ConfigException.class).satisfies(e -> {
            List<String> p = ((ConfigException) e).problems().stream().map(ConfigProblem::toString).toList();
            assertThat(p).contains("bad.json: $.fields[0].type: 'identifier' is not one of id, date, integer, code, yesno, text, name, phone, birthdate");
            assertThat(p).contains("reg.json: $.registration.familyField: no field named 'family'",
                    "reg.json: $.registration.sexField: field 'given' must be of type code",
                    "reg.json: $.registration.openmrsIdentifierType: is required",
                    "reg.json: $.registration.identifierField: the identifier field needs checkDigit luhn-mod30 (the OpenMRS ID the mediator also derives)");
            assertThat(p).contains("bad.json: $.fields[1].label: 'L1' must be letters only (a value follows it)");
            assertThat(p).contains("bad.json: $.fields[1].range: min/max apply to integer fields only");
            assertThat(p).contains("bad.json: $.fields[2].codes: a code field needs codes");
            assertThat(p).anyMatch(s -> s.startsWith("broken.json: not readable JSON: malformed JSON"));
        });
    }

    @Test
    void theShippedCardsLoad() {
        CodeCards cards = CodeCards.load(SmsFixture.CONFIG.resolve("cards"));
        assertThat(cards.all()).extracting(c -> c.keyword() + " v" + c.version()).contains("ANC v1", "ANC v2", "FEVER v1", "BIRTH v1", "REG v1");
        assertThat(cards.current("SAJILI", LocalDate.of(2026, 1, 1)).registers()).isTrue();
        assertThat(cards.current("ANC", LocalDate.of(2025, 1, 1)).version()).isEqualTo(1);
        assertThat(cards.current("KLINIKI", LocalDate.of(2026, 1, 1)).version()).isEqualTo(2);
    }
}
