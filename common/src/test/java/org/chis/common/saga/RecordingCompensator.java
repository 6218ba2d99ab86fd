package org.chis.common.saga;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.chis.common.audit.TransactionContext;

/** A fake compensator: remembers what it undid, in order, and fails for the ids it is told to. */
final class RecordingCompensator implements Compensator {
    final List<ResourceRef> undone = new CopyOnWriteArrayList<>();
    final Set<String> failFor = ConcurrentHashMap.newKeySet();

    @Override
    public void undo(TransactionContext tx, ResourceRef ref) {
        if (failFor.contains(ref.id())) throw new IllegalStateException("OpenMRS answered 500 purging " + ref.id());
        undone.add(ref);
    }
}
