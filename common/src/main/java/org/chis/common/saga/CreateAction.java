package org.chis.common.saga;

/** A saga step that creates one upstream resource and returns its id (null: the planned id was used). */
@FunctionalInterface
public interface CreateAction {
    String create() throws Exception;
}
