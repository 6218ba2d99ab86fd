package org.chis.common.saga;

/** The steps of one saga; throw to fail it (everything created so far is then undone in reverse). */
@FunctionalInterface
public interface SagaBody {
    void run(SagaRun run) throws Exception;
}
