package org.chis.common.saga;

import java.util.List;

/**
 * How a saga ended. Failed with {@code rollbackComplete} = everything undone, safe to rerun; failed without
 * it = something created is still upstream (reported as {@code rollback: incomplete}, kept in the journal).
 *
 * @param created what the saga's steps created (already undone when it failed)
 */
public record SagaOutcome(boolean succeeded, Throwable failure, List<ResourceRef> created, boolean rollbackComplete) {
    public SagaOutcome {
        created = List.copyOf(created);
    }

    public static SagaOutcome success(List<ResourceRef> created) { return new SagaOutcome(true, null, created, true); }

    public static SagaOutcome failed(Throwable failure, List<ResourceRef> created, boolean rollbackComplete) {
        return new SagaOutcome(false, failure, created, rollbackComplete);
    }
}
