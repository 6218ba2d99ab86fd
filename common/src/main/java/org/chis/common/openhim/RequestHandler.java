package org.chis.common.openhim;
import org.chis.common.audit.TransactionContext;

/** Handles one request of one endpoint; runs on a worker thread, so blocking upstream calls are fine. */
@FunctionalInterface
public interface RequestHandler {
    MediatorResponse handle(MediatorRequest request, TransactionContext tx) throws Exception;
}
