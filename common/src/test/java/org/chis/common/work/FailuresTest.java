package org.chis.common.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.util.List;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.SagaOutcome;
import org.junit.jupiter.api.Test;

class FailuresTest {
    private static MediatorResponse of(Throwable t, Failures.Rollback r, TransactionContext tx) { return Failures.of(tx, "item 1", t, r); }

    @Test
    void upstream503And504PassThroughATimeoutIs504AndAnythingElse502AlwaysWithAnError() {
        TransactionContext tx = new TransactionContext("tx");
        assertThat(of(new UpstreamException("down", 503), Failures.Rollback.NONE, tx).httpStatus()).isEqualTo(503);
        assertThat(of(new UpstreamException("gateway", 504), Failures.Rollback.NONE, tx).httpStatus()).isEqualTo(504);
        assertThat(of(new UpstreamException("slow", 0, new SocketTimeoutException("timeout")), Failures.Rollback.NONE, tx).httpStatus()).isEqualTo(504);
        assertThat(of(new UpstreamException("refused", 0, new ConnectException("refused")), Failures.Rollback.NONE, tx).httpStatus()).isEqualTo(502);
        assertThat(of(new UpstreamException("oops", 500), Failures.Rollback.NONE, tx).httpStatus()).isEqualTo(502);
        MediatorResponse bug = of(new IllegalStateException("bug"), Failures.Rollback.COMPLETE, tx);
        assertThat(bug.httpStatus()).isEqualTo(502);
        assertThat(bug.errorMessage()).isEqualTo("item 1 failed: bug; everything it created was undone, safe to rerun");
        assertThat(tx.properties()).containsEntry("rollback", "complete");
        assertThat(bug.toEnvelope("urn:x", tx).path("error").path("message").asText()).contains("bug");
    }

    @Test
    void rejectedDataIs4xxWithoutErrorUnlessTheRollbackLeftSomethingThen500WithRollbackIncomplete() {
        TransactionContext tx = new TransactionContext("tx");
        MediatorResponse bad = of(new BadInputException(422, "no such concept"), Failures.Rollback.COMPLETE, tx);
        assertThat(bad.httpStatus()).isEqualTo(422);
        assertThat(bad.status()).isEqualTo(MediatorStatus.FAILED);
        assertThat(bad.errorMessage()).isNull();

        TransactionContext tx2 = new TransactionContext("tx2");
        MediatorResponse left = Failures.of(tx2, "item 1", SagaOutcome.failed(new BadInputException(422, "no"), List.of(), false));
        assertThat(left.httpStatus()).isEqualTo(500);
        assertThat(left.errorMessage()).contains("ROLLBACK INCOMPLETE");
        assertThat(tx2.properties()).containsEntry("rollback", "incomplete");
    }
}
