package org.chis.common.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.chis.common.audit.Orchestration;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.SagaJournal;
import org.chis.common.store.SagaJournal.State;
import org.chis.common.store.SagaJournal.StepState;
import org.chis.common.store.StateStore;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class SagaTest {
    @TempDir Path dir;

    private final RecordingCompensator compensator = new RecordingCompensator();
    private final Compensators compensators = new Compensators().register("encounter", compensator).register("obs", compensator);

    /** A 4-step saga creating encounter-1..4 (server-assigned ids) that fails at step {@code failAt} (0 = never). */
    private static SagaBody fourSteps(int failAt) {
        return run -> {
            for (int i = 1; i <= 4; i++) {
                int step = i;
                run.create("create encounter " + step, "encounter", null, () -> {
                    if (step == failAt) throw new IllegalStateException("OpenMRS 500 at step " + step);
                    return "encounter-" + step;
                });
            }
        };
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void allStepsSucceed(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            TransactionContext tx = new TransactionContext("tx-1");
            SagaOutcome outcome = new Saga(store, compensators).run(tx, "form-1", fourSteps(0));

            assertThat(outcome.succeeded()).isTrue();
            assertThat(outcome.failure()).isNull();
            assertThat(outcome.rollbackComplete()).isTrue();
            assertThat(outcome.created()).extracting(ResourceRef::id).containsExactly("encounter-1", "encounter-2", "encounter-3", "encounter-4");
            assertThat(compensator.undone).isEmpty();
            assertThat(tx.orchestrations()).isEmpty();
            assertThat(tx.properties()).doesNotContainKey("rollback");
            SagaJournal journal = store.sagaJournal();
            assertThat(journal.find("form-1").orElseThrow().state()).isEqualTo(State.COMPLETED);
            assertThat(journal.steps("form-1")).extracting(SagaJournal.Step::state).containsOnly(StepState.DONE);
            assertThat(journal.unfinished()).isEmpty();
        }
    }

    static Stream<Arguments> engineAndFailingStep() {
        return Stream.of(StoreEngine.values()).flatMap(e -> IntStream.rangeClosed(1, 4).mapToObj(k -> Arguments.of(e, k)));
    }

    @ParameterizedTest(name = "{0}: fail at step {1}")
    @MethodSource("engineAndFailingStep")
    void aFailureAtStepKUndoesExactlyTheEarlierStepsInReverse(StoreEngine engine, int k) {
        try (StateStore store = engine.open(dir, "unit")) {
            TransactionContext tx = new TransactionContext("tx-1");
            SagaOutcome outcome = new Saga(store, compensators).run(tx, "form-1", fourSteps(k));

            List<String> expected = new ArrayList<>();
            for (int i = k - 1; i >= 1; i--) expected.add("encounter-" + i);
            assertThat(outcome.succeeded()).isFalse();
            assertThat(outcome.failure()).hasMessage("OpenMRS 500 at step " + k);
            assertThat(outcome.rollbackComplete()).isTrue();
            assertThat(outcome.created()).hasSize(k - 1);
            assertThat(compensator.undone).extracting(ResourceRef::id).containsExactlyElementsOf(expected);

            List<Orchestration> rollbacks = tx.orchestrations();
            assertThat(rollbacks).extracting(Orchestration::name)
                    .containsExactlyElementsOf(IntStream.iterate(k - 1, i -> i >= 1, i -> i - 1).mapToObj(i -> "rollback: create encounter " + i).toList());
            assertThat(rollbacks).allSatisfy(o -> {
                assertThat(o.request().method()).isEqualTo("ROLLBACK");
                assertThat(o.request().path()).startsWith("encounter/encounter-");
                assertThat(o.response().status()).isEqualTo(200);
                assertThat(o.failed()).isFalse();
            });
            assertThat(tx.properties()).containsEntry("rollback", "complete");

            SagaJournal journal = store.sagaJournal();
            SagaJournal.Entry entry = journal.find("form-1").orElseThrow();
            assertThat(entry.state()).isEqualTo(State.ROLLED_BACK);
            assertThat(entry.error()).contains("step " + k);
            List<SagaJournal.Step> steps = journal.steps("form-1");
            assertThat(steps).hasSize(k);
            assertThat(steps.subList(0, k - 1)).allSatisfy(s -> assertThat(s.state()).isEqualTo(StepState.UNDONE));
            assertThat(steps.get(k - 1).state()).isEqualTo(StepState.PLANNED); // failed before it created anything
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aPlannedIdIsUndoneEvenWhenItsCallFailed(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            TransactionContext tx = new TransactionContext("tx-1");
            SagaOutcome outcome = new Saga(store, compensators).run(tx, "form-1", run -> {
                run.create("create encounter", "encounter", "enc-uuid", () -> "enc-uuid");
                // a timeout: the server may have created the obs although we got no answer
                run.create("create obs", "obs", "obs-uuid", () -> { throw new SocketTimeoutException("read timed out"); });
            });
            assertThat(outcome.succeeded()).isFalse();
            assertThat(outcome.created()).containsExactly(new ResourceRef("encounter", "enc-uuid"));
            assertThat(compensator.undone).containsExactly(new ResourceRef("obs", "obs-uuid"), new ResourceRef("encounter", "enc-uuid"));
            assertThat(tx.orchestrations()).extracting(Orchestration::name).containsExactly("rollback: create obs", "rollback: create encounter");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void plainStepsAreJournaledButNotUndoneAndCustomUndosAre(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            compensators.register("restore-patient", compensator);
            TransactionContext tx = new TransactionContext("tx-1");
            SagaOutcome outcome = new Saga(store, compensators).run(tx, "form-1", run -> {
                String found = run.step("find patient", () -> "patient-1");
                assertThat(found).isEqualTo("patient-1");
                run.step("update patient", () -> null);
                run.compensateWith("restore patient", new ResourceRef("restore-patient", "patient-1@v3"));
                run.create("create encounter", "encounter", null, () -> "enc-1");
                throw new IllegalArgumentException("unknown form field");
            });
            assertThat(outcome.failure()).isInstanceOf(IllegalArgumentException.class);
            assertThat(compensator.undone).containsExactly(new ResourceRef("encounter", "enc-1"), new ResourceRef("restore-patient", "patient-1@v3"));
            assertThat(store.sagaJournal().steps("form-1")).extracting(SagaJournal.Step::name, SagaJournal.Step::state).containsExactly(
                    tuple("find patient", StepState.DONE),
                    tuple("update patient", StepState.DONE),
                    tuple("restore patient", StepState.UNDONE),
                    tuple("create encounter", StepState.UNDONE));
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aFailedCompensationMakesTheRollbackIncompleteButTheOthersStillRun(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            compensator.failFor.add("encounter-2");
            TransactionContext tx = new TransactionContext("tx-1");
            SagaOutcome outcome = new Saga(store, compensators).run(tx, "form-1", fourSteps(4));

            assertThat(outcome.succeeded()).isFalse();
            assertThat(outcome.rollbackComplete()).isFalse();
            assertThat(compensator.undone).extracting(ResourceRef::id).containsExactly("encounter-3", "encounter-1");
            assertThat(tx.properties()).containsEntry("rollback", "incomplete");
            Orchestration failedUndo = tx.orchestrations().get(1);
            assertThat(failedUndo.name()).isEqualTo("rollback: create encounter 2");
            assertThat(failedUndo.failed()).isTrue();
            assertThat(failedUndo.error()).contains("encounter-2").contains("500");

            SagaJournal journal = store.sagaJournal();
            assertThat(journal.find("form-1").orElseThrow().state()).isEqualTo(State.ROLLBACK_INCOMPLETE);
            SagaJournal.Step step2 = journal.steps("form-1").get(1);
            assertThat(step2.state()).isEqualTo(StepState.UNDO_FAILED);
            assertThat(step2.error()).contains("500");
            assertThat(journal.unfinished()).isEmpty(); // recorded for the operator, not for start-up recovery
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aKindWithoutCompensatorIsRefusedBeforeAnythingIsCreated(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            TransactionContext tx = new TransactionContext("tx-1");
            List<String> called = new ArrayList<>();
            SagaOutcome outcome = new Saga(store, compensators).run(tx, "form-1", run -> {
                run.create("create encounter", "encounter", null, () -> "enc-1");
                run.create("create task", "fhir-task", null, () -> {
                    called.add("task");
                    return "task-1";
                });
            });
            assertThat(called).isEmpty();
            assertThat(outcome.failure()).hasMessageContaining("no compensator registered for kind 'fhir-task'");
            assertThat(outcome.rollbackComplete()).isTrue();
            assertThat(compensator.undone).containsExactly(new ResourceRef("encounter", "enc-1"));
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void recoveryOfAKindNoLongerRegisteredIsReportedAsIncomplete(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            store.sagaJournal().begin("ref-1");
            store.sagaJournal().planStep("ref-1", 1, "create task", "fhir-task", "task-1");
            TransactionContext tx = TransactionContext.detached("startup");
            assertThat(new SagaRecovery(store, compensators).recover(tx)).isEqualTo(1);
            assertThat(tx.orchestrations().get(0).error()).contains("no compensator registered for kind 'fhir-task'");
            assertThat(tx.properties()).containsEntry("rollback", "incomplete");
            assertThat(store.sagaJournal().find("ref-1").orElseThrow().state()).isEqualTo(State.ROLLBACK_INCOMPLETE);
            assertThat(store.sagaJournal().steps("ref-1").get(0).state()).isEqualTo(StepState.UNDO_FAILED);
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void recoveryAfterACrashUndoesTheInterruptedSaga(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Saga saga = new Saga(store, compensators);
            // an Error is not compensated (the JVM may be unusable): the journal stays RUNNING, as after a kill
            assertThatThrownBy(() -> saga.run(new TransactionContext("tx-1"), "form-1", run -> {
                run.create("create encounter 1", "encounter", null, () -> "encounter-1");
                run.create("create encounter 2", "encounter", "encounter-2", () -> "encounter-2");
                run.create("create encounter 3", "encounter", "encounter-3", () -> { throw new OutOfMemoryError("simulated crash"); });
            })).isInstanceOf(OutOfMemoryError.class);
            new Saga(store, compensators).run(new TransactionContext("tx-2"), "form-2", fourSteps(0)); // finished: left alone
            assertThat(store.sagaJournal().unfinished()).containsExactly("form-1");
            assertThat(compensator.undone).isEmpty();
        }

        try (StateStore restarted = engine.open(dir, "unit")) { // a new process on the same database
            TransactionContext startup = TransactionContext.detached("startup");
            int recovered = new SagaRecovery(restarted, compensators).recover(startup);

            assertThat(recovered).isEqualTo(1);
            assertThat(compensator.undone).extracting(ResourceRef::id).containsExactly("encounter-3", "encounter-2", "encounter-1");
            assertThat(startup.orchestrations()).extracting(Orchestration::name)
                    .containsExactly("rollback: create encounter 3", "rollback: create encounter 2", "rollback: create encounter 1");
            assertThat(startup.properties()).containsEntry("rollback", "complete");
            assertThat(restarted.sagaJournal().find("form-1").orElseThrow().state()).isEqualTo(State.ROLLED_BACK);
            assertThat(restarted.sagaJournal().find("form-2").orElseThrow().state()).isEqualTo(State.COMPLETED);
            assertThat(new SagaRecovery(restarted, compensators).recover(startup)).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void recoveryWorksFromJournalRowsAlone(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            SagaJournal journal = store.sagaJournal();
            journal.begin("ref-1");
            journal.planStep("ref-1", 1, "read case", null, null);
            journal.markStepDone("ref-1", 1, null, null);
            journal.planStep("ref-1", 2, "create patient", "encounter", null);
            journal.markStepDone("ref-1", 2, "encounter", "patient-uuid");
            journal.planStep("ref-1", 3, "create visit", "obs", "visit-uuid"); // killed during the call
            journal.planStep("ref-1", 4, "create task", "obs", null); // nothing known, nothing to undo

            TransactionContext tx = TransactionContext.detached("startup");
            assertThat(new SagaRecovery(store, compensators).recover(tx)).isEqualTo(1);
            assertThat(compensator.undone).containsExactly(new ResourceRef("obs", "visit-uuid"), new ResourceRef("encounter", "patient-uuid"));
            assertThat(journal.steps("ref-1")).extracting(SagaJournal.Step::state)
                    .containsExactly(StepState.DONE, StepState.UNDONE, StepState.UNDONE, StepState.PLANNED);
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void recoveryCanSpareSagasOtherReplicasMayBeRunning(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            store.sagaJournal().begin("just-started");
            store.sagaJournal().planStep("just-started", 1, "create", "encounter", "e-1");
            TransactionContext tx = TransactionContext.detached("startup");
            assertThat(new SagaRecovery(store, compensators).recover(tx, Duration.ofMinutes(10))).isZero();
            assertThat(compensator.undone).isEmpty();
            assertThat(store.sagaJournal().unfinished()).containsExactly("just-started");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void theListenerHearsOfExactlyTheSagasRecoveryUndid(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            SagaJournal journal = store.sagaJournal();
            journal.begin("old");
            journal.planStep("old", 1, "create", "encounter", "e-old");
            journal.begin("finished");
            journal.finish("finished", State.COMPLETED, null);
            List<String> heard = new ArrayList<>();
            TransactionContext tx = TransactionContext.detached("startup");
            SagaRecovery recovery = new SagaRecovery(store, compensators).onRecovered((key, complete) -> {
                assertThat(journal.find(key).orElseThrow().state()).isEqualTo(State.ROLLED_BACK); // finished before we hear
                heard.add(key + (complete ? " complete" : " incomplete"));
                throw new IllegalStateException("a failing listener must not stop recovery");
            });
            // a window: a saga started just now may be another replica's live run, so it is neither undone nor reported
            assertThat(recovery.recover(tx, Duration.ofMinutes(10))).isZero();
            assertThat(heard).isEmpty();
            journal.begin("other");
            assertThat(recovery.recover(tx)).isEqualTo(2);
            assertThat(heard).containsExactly("old complete", "other complete");
            assertThat(compensator.undone).containsExactly(new ResourceRef("encounter", "e-old"));
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aRerunOfAKeyLeftRunningUndoesTheLeftoversThenRunsFresh(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            assertThatThrownBy(() -> new Saga(store, compensators).run(new TransactionContext("tx-1"), "form-1", run -> {
                run.create("create encounter 1", "encounter", null, () -> "old-1");
                run.create("create encounter 2", "encounter", null, () -> "old-2");
                throw new StackOverflowError("simulated crash");
            })).isInstanceOf(StackOverflowError.class);
        }
        try (StateStore restarted = engine.open(dir, "unit")) {
            TransactionContext rerun = new TransactionContext("tx-rerun");
            SagaOutcome outcome = new Saga(restarted, compensators).run(rerun, "form-1", fourSteps(0));

            assertThat(outcome.succeeded()).isTrue();
            assertThat(compensator.undone).extracting(ResourceRef::id).containsExactly("old-2", "old-1");
            assertThat(rerun.orchestrations()).extracting(Orchestration::name)
                    .containsExactly("rollback: create encounter 2", "rollback: create encounter 1");
            SagaJournal journal = restarted.sagaJournal();
            assertThat(journal.find("form-1").orElseThrow().state()).isEqualTo(State.COMPLETED);
            assertThat(journal.steps("form-1")).extracting(SagaJournal.Step::resourceId)
                    .containsExactly("encounter-1", "encounter-2", "encounter-3", "encounter-4");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aRerunAfterAnIncompleteRollbackRetriesTheUndoFirst(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Saga saga = new Saga(store, compensators);
            compensator.failFor.add("encounter-1");
            SagaOutcome first = saga.run(new TransactionContext("tx-1"), "form-1", fourSteps(3));
            assertThat(first.rollbackComplete()).isFalse();
            assertThat(compensator.undone).extracting(ResourceRef::id).containsExactly("encounter-2");

            // still failing: the rerun refuses to create a second set next to the leftover
            TransactionContext blocked = new TransactionContext("tx-2");
            SagaOutcome refused = saga.run(blocked, "form-1", fourSteps(0));
            assertThat(refused.succeeded()).isFalse();
            assertThat(refused.rollbackComplete()).isFalse();
            assertThat(refused.failure()).hasMessageContaining("could not all be undone");
            assertThat(blocked.properties()).containsEntry("rollback", "incomplete");
            assertThat(store.sagaJournal().find("form-1").orElseThrow().state()).isEqualTo(State.ROLLBACK_INCOMPLETE);

            compensator.failFor.clear(); // OpenMRS is back
            TransactionContext rerun = new TransactionContext("tx-3");
            SagaOutcome outcome = saga.run(rerun, "form-1", fourSteps(0));
            assertThat(outcome.succeeded()).isTrue();
            assertThat(compensator.undone).extracting(ResourceRef::id).containsExactly("encounter-2", "encounter-1");
            assertThat(rerun.orchestrations()).extracting(Orchestration::name).containsExactly("rollback: create encounter 1");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aFinishedKeyCanBeRunAgain(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Saga saga = new Saga(store, compensators);
            assertThat(saga.run(new TransactionContext("tx-1"), "form-1", fourSteps(2)).succeeded()).isFalse();
            SagaOutcome rerun = saga.run(new TransactionContext("tx-2"), "form-1", fourSteps(0));
            assertThat(rerun.succeeded()).isTrue();
            assertThat(compensator.undone).extracting(ResourceRef::id).containsExactly("encounter-1");
            assertThat(store.sagaJournal().steps("form-1")).hasSize(4).extracting(SagaJournal.Step::state).containsOnly(StepState.DONE);
        }
    }

    /**
     * Issue 14: a body that intends its creates first has them all journaled (PLANNED, with their ids) before its first
     * upstream call, in one write; steps that create nothing wait for the end. A failure undoes only what was tried,
     * while recovery after a crash would undo every intended id (compensators take "not there" as undone).
     */
    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void intendedCreatesAreJournaledTogetherBeforeTheFirstCall(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            TransactionContext tx = new TransactionContext("tx-1");
            SagaJournal journal = store.sagaJournal();
            List<List<SagaJournal.Step>> seenAtCall = new ArrayList<>();
            SagaOutcome outcome = new Saga(store, compensators).run(tx, "form-1", run -> {
                run.intend("create encounter", "encounter", "e-1");
                run.intend("create obs", "obs", "o-1");
                run.intend("create obs", "obs", "o-2");
                run.step("read case", () -> "case");
                run.create("create encounter", "encounter", "e-1", () -> {
                    seenAtCall.add(journal.steps("form-1"));
                    return "e-1";
                });
                run.create("create obs", "obs", "o-1", () -> {
                    seenAtCall.add(journal.steps("form-1"));
                    return "o-1";
                });
                run.create("create obs", "obs", "o-2", () -> {
                    throw new IllegalStateException("OpenMRS 500");
                });
            });

            // at the first call: the saga RUNNING with its three intents, and the read step (nothing to undo) with them
            assertThat(seenAtCall.get(0)).extracting(SagaJournal.Step::resourceId).containsExactly("e-1", "o-1", "o-2", null);
            assertThat(seenAtCall.get(0)).extracting(SagaJournal.Step::state)
                    .containsExactly(StepState.PLANNED, StepState.PLANNED, StepState.PLANNED, StepState.DONE);
            // the second create needed no write before its call: the first one's "done" is not written yet either
            assertThat(seenAtCall.get(1)).extracting(SagaJournal.Step::state)
                    .containsExactly(StepState.PLANNED, StepState.PLANNED, StepState.PLANNED, StepState.DONE);
            assertThat(outcome.succeeded()).isFalse();
            assertThat(compensator.undone).extracting(ResourceRef::id).containsExactly("o-2", "o-1", "e-1");
            assertThat(journal.find("form-1").orElseThrow().state()).isEqualTo(State.ROLLED_BACK);
            assertThat(journal.steps("form-1")).extracting(SagaJournal.Step::resourceId, SagaJournal.Step::state).containsExactly(
                    tuple("e-1", StepState.UNDONE), tuple("o-1", StepState.UNDONE),
                    tuple("o-2", StepState.UNDONE), tuple(null, StepState.DONE));
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void theCallersRowsGoWithTheJournalsCommitsAndItsEndRowsOnlyWithCompleted(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Saga saga = new Saga(store, compensators);
            List<String> seenAtCall = new ArrayList<>();
            SagaOutcome ok = saga.run(new TransactionContext("tx-1"), "form-1", run -> {
                run.writeWithJournal(c -> store.idMap().put(c, "form->encounter", "form-1", "e-1"));
                run.intend("create encounter", "encounter", "e-1");
                run.intend("create obs", "obs", "o-1");
                run.create("create encounter", "encounter", "e-1", () -> {
                    seenAtCall.add(store.idMap().target("form->encounter", "form-1").orElse("not yet"));
                    seenAtCall.add(store.idMap().target("outcome", "form-1").orElse("not yet"));
                    return "e-1";
                });
                run.create("create obs", "obs", "o-1", () -> "o-1");
            }, c -> store.idMap().put(c, "outcome", "form-1", "done-1"));

            assertThat(ok.succeeded()).isTrue();
            // durable before the first call, without a commit of its own; the end rows only with the end
            assertThat(seenAtCall).containsExactly("e-1", "not yet");
            assertThat(store.idMap().target("outcome", "form-1")).contains("done-1");
            assertThat(store.sagaJournal().steps("form-1")).extracting(SagaJournal.Step::resourceId, SagaJournal.Step::state)
                    .containsExactly(tuple("e-1", StepState.DONE), tuple("o-1", StepState.DONE));

            SagaOutcome failed = saga.run(new TransactionContext("tx-2"), "form-2", run -> {
                run.create("create encounter", "encounter", "e-2", () -> "e-2");
                throw new IllegalStateException("OpenMRS 500");
            }, c -> store.idMap().put(c, "outcome", "form-2", "done-2"));

            assertThat(failed.succeeded()).isFalse();
            assertThat(store.idMap().target("outcome", "form-2")).isEmpty();
            assertThat(store.sagaJournal().find("form-2").orElseThrow().state()).isEqualTo(State.ROLLED_BACK);
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void anIntentNeverCreatedStaysPlannedWhenTheOthersAreMarkedDone(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            SagaOutcome ok = new Saga(store, compensators).run(new TransactionContext("tx-1"), "form-1", run -> {
                run.intend("create encounter", "encounter", "e-1");
                run.intend("create obs", "obs", "o-1");
                run.create("create encounter", "encounter", "e-1", () -> "e-1");
            });

            assertThat(ok.succeeded()).isTrue();
            assertThat(store.sagaJournal().steps("form-1")).extracting(SagaJournal.Step::resourceId, SagaJournal.Step::state)
                    .containsExactly(tuple("e-1", StepState.DONE), tuple("o-1", StepState.PLANNED));
        }
    }
}
