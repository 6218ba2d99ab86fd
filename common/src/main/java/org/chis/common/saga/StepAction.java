package org.chis.common.saga;

/** A saga step that creates nothing to undo (a read, a compare, an update the caller handles itself). */
@FunctionalInterface
public interface StepAction<T> {
    T run() throws Exception;
}
