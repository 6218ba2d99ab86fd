package org.chis.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class IdMapTest {
    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void mapsBothWaysIdempotentlyAndPerNamespace(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            IdMap ids = store.idMap();
            ids.put("case-patient", "case-1", "uuid-1");
            ids.put("case-patient", "case-1", "uuid-1"); // a rerun: same pair again is fine
            assertThat(ids.target("case-patient", "case-1")).contains("uuid-1");
            assertThat(ids.source("case-patient", "uuid-1")).contains("case-1");
            assertThat(ids.target("referral-task", "case-1")).isEmpty();
            assertThat(ids.target("case-patient", "case-2")).isEmpty();

            ids.put("referral-task", "case-1", "task-9"); // another namespace, same source id
            assertThat(ids.target("referral-task", "case-1")).contains("task-9");
            assertThat(ids.target("case-patient", "case-1")).contains("uuid-1");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void pairsListsOneNamespaceBySourceUpToMax(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            IdMap ids = store.idMap();
            ids.put("cht-person->patient", "p-2", "uuid-2");
            ids.put("cht-person->patient", "p-1", "uuid-1");
            ids.put("case->patient", "case-1", "uuid-9");
            assertThat(ids.pairs("cht-person->patient", 10)).containsExactly(Map.entry("p-1", "uuid-1"), Map.entry("p-2", "uuid-2"));
            assertThat(ids.pairs("cht-person->patient", 1)).hasSize(1);
            assertThat(ids.pairs("nothing", 10)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aNewTargetForAKnownSourceReplacesTheOld(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            IdMap ids = store.idMap();
            ids.put("case-patient", "case-1", "uuid-1");
            ids.put("case-patient", "case-1", "uuid-2");
            assertThat(ids.target("case-patient", "case-1")).contains("uuid-2");
            assertThat(ids.source("case-patient", "uuid-1")).isEmpty();
            assertThat(ids.source("case-patient", "uuid-2")).contains("case-1");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aTargetMappedFromAnotherSourceIsAConflict(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            IdMap ids = store.idMap();
            ids.put("case-patient", "case-1", "uuid-1");
            assertThatThrownBy(() -> ids.put("case-patient", "case-2", "uuid-1"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already mapped from case-1");
            assertThat(ids.target("case-patient", "case-2")).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void writesInsideATransactionCommitOrRollBackWithIt(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            IdMap ids = store.idMap();
            store.inTransaction(c -> {
                ids.put(c, "case-patient", "case-1", "uuid-1");
                ids.put(c, "case-patient", "case-1", "uuid-1");
                assertThat(ids.target(c, "case-patient", "case-1")).contains("uuid-1");
                return null;
            });
            assertThatThrownBy(() -> store.inTransaction(c -> {
                ids.put(c, "case-patient", "case-2", "uuid-2");
                throw new IllegalStateException("upstream said no");
            })).hasMessage("upstream said no");
            assertThat(ids.target("case-patient", "case-1")).contains("uuid-1");
            assertThat(ids.target("case-patient", "case-2")).isEmpty();
        }
    }
}
