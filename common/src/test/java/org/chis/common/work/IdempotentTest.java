package org.chis.common.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.store.StoreException;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The room's answers: one duplicate answer, one busy answer, fail-on-throw, outcome and rows in one transaction. */
class IdempotentTest {
    private static final Duration LEASE = Duration.ofMinutes(5);

    @TempDir Path dir;

    private static JsonNode envelope(MediatorResponse r, TransactionContext tx) { return r.toEnvelope("urn:test", tx); }

    @Test
    void aSecondRequestIsAnsweredFromTheLedgerAsCompletedWithOneDuplicateFlagAndProperty() throws Exception {
        try (StateStore store = StoreEngine.H2.open(dir, "unit")) {
            Idempotent room = new Recovery(store, Recovery.Replicas.SINGLE).idempotent("item", LEASE);
            AtomicInteger runs = new AtomicInteger();
            MediatorResponse first = room.run(new TransactionContext("tx-1"), "item:1", "item 1", held -> {
                runs.incrementAndGet();
                return MediatorResponse.json(MediatorStatus.SUCCESSFUL, 201, Json.object().put("created", "x-1"));
            });
            assertThat(first.httpStatus()).isEqualTo(201);

            TransactionContext tx = new TransactionContext("tx-2");
            MediatorResponse again = room.run(tx, "item:1", "item 1", held -> {
                runs.incrementAndGet();
                return MediatorResponse.successful(Json.object());
            });
            assertThat(runs).hasValue(1);
            assertThat(again.status()).isEqualTo(MediatorStatus.COMPLETED);
            assertThat(again.httpStatus()).isEqualTo(200);
            JsonNode body = Json.parse(again.body());
            assertThat(body.path("created").asText()).isEqualTo("x-1");
            assertThat(body.path("duplicate").asBoolean()).isTrue();
            assertThat(tx.properties()).containsEntry("duplicate", "true");
            assertThat(envelope(again, tx).has("error")).isFalse();
        }
    }

    @Test
    void whileAnotherRunHoldsTheKeyTheAnswerIs503WithAnErrorAndRetryAfter() throws Exception {
        try (StateStore store = StoreEngine.H2.open(dir, "unit")) {
            Idempotent room = new Recovery(store, Recovery.Replicas.SINGLE).idempotent("item", LEASE).retryAfter(Duration.ofSeconds(20));
            assertThat(room.take("item:1")).isInstanceOf(Idempotent.Held.class);
            TransactionContext tx = new TransactionContext("tx-2");
            MediatorResponse busy = room.run(tx, "item:1", "item 1", held -> { throw new AssertionError("must not run"); });
            assertThat(busy.status()).isEqualTo(MediatorStatus.FAILED);
            assertThat(busy.httpStatus()).isEqualTo(503);
            assertThat(busy.headers()).containsEntry("Retry-After", "20");
            assertThat(envelope(busy, tx).path("error").path("message").asText()).contains("item 1").contains("being processed");
        }
    }

    @Test
    void anExceptionFailsTheClaimSoARerunTakesIt() throws Exception {
        try (StateStore store = StoreEngine.H2.open(dir, "unit")) {
            Idempotent room = new Recovery(store, Recovery.Replicas.SINGLE).idempotent("item", LEASE);
            assertThatThrownBy(() -> room.run(new TransactionContext("tx-1"), "item:1", "item 1", held -> {
                throw new IllegalStateException("bug");
            })).hasMessage("bug");
            assertThat(store.ledger().find("item:1").orElseThrow().status()).isEqualTo(Ledger.Status.FAILED);
            MediatorResponse rerun = room.run(new TransactionContext("tx-2"), "item:1", "item 1", held -> {
                assertThat(held.attempts()).isEqualTo(2);
                assertThat(held.earlier().path("error").asText()).isEqualTo("bug");
                return MediatorResponse.successful(Json.object());
            });
            assertThat(rerun.status()).isEqualTo(MediatorStatus.SUCCESSFUL);
        }
    }

    @Test
    void aFailedAnswerIsRecordedAsAFailureAndRowsCommitWithTheOutcomeOrNotAtAll() throws Exception {
        try (StateStore store = StoreEngine.H2.open(dir, "unit")) {
            Idempotent room = new Recovery(store, Recovery.Replicas.SINGLE).idempotent("item", LEASE);
            room.run(new TransactionContext("tx-1"), "item:1", "item 1", held -> MediatorResponse.failed(502, "down"));
            assertThat(store.ledger().find("item:1").orElseThrow().status()).isEqualTo(Ledger.Status.FAILED);

            // the endpoint's own row and the outcome: a failing row leaves neither, and the claim failed
            assertThatThrownBy(() -> room.run(new TransactionContext("tx-2"), "item:1", "item 1", held -> {
                held.succeed(Json.object().put("ok", true), c -> {
                    store.idMap().put(c, "ns", "a", "b");
                    throw new SQLException("disk full");
                });
                return MediatorResponse.successful(Json.object());
            })).isInstanceOf(StoreException.class);
            assertThat(store.idMap().target("ns", "a")).isEmpty();
            assertThat(store.ledger().find("item:1").orElseThrow().status()).isEqualTo(Ledger.Status.FAILED);

            room.run(new TransactionContext("tx-3"), "item:1", "item 1", held -> {
                held.succeed(Json.object().put("ok", true), c -> store.idMap().put(c, "ns", "a", "b"));
                return MediatorResponse.successful(Json.object().put("ok", true));
            });
            assertThat(store.idMap().target("ns", "a")).contains("b");
            assertThat(store.ledger().find("item:1").orElseThrow().status()).isEqualTo(Ledger.Status.SUCCEEDED);
        }
    }

    @Test
    void whatAFailedRunRecordedSurvivesTheNoteOfTheRerunAndItsCrash() throws Exception {
        try (StateStore store = StoreEngine.H2.open(dir, "unit")) {
            Idempotent room = new Recovery(store, Recovery.Replicas.SINGLE).idempotent("sms", LEASE);
            ((Idempotent.Held) room.take("sms:1")).fail(Json.object().put("faultReplied", true));
            Idempotent.Held rerun = (Idempotent.Held) room.take("sms:1");
            assertThat(rerun.earlier().path("faultReplied").asBoolean()).isTrue();
            // the rerun dies; start-up recovery releases its noted claim; the next run still knows
            assertThat(Recovery.release(store.ledger(), "sms:1")).isTrue();
            Idempotent.Held third = (Idempotent.Held) room.take("sms:1");
            assertThat(third.attempts()).isEqualTo(3);
            assertThat(third.earlier().path("faultReplied").asBoolean()).isTrue();
        }
    }
}
