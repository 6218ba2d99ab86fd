package org.chis.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.testing.PostgresServer;
import org.chis.common.testing.StoreEngine;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class StateStoreTest {
    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void migratesCommonTablesAndTheMediatorsOwn(StoreEngine engine) throws Exception {
        // db/storetest/V100__storetest.sql is on the test classpath: the mediator's own migration folder
        try (StateStore store = engine.open(dir, "storetest")) {
            assertThat(count(store, "ledger")).isZero();
            assertThat(count(store, "saga_journal")).isZero();
            assertThat(count(store, "storetest_extra")).isEqualTo(1);
            assertThat(store.healthy()).isTrue();
        }
        try (StateStore reopened = engine.open(dir, "storetest")) { // migrations already applied: a no-op
            assertThat(count(reopened, "storetest_extra")).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aMediatorWithoutItsOwnMigrationsGetsTheCommonOnes(StoreEngine engine) throws Exception {
        try (StateStore store = engine.open(dir, "no-own-migrations")) {
            assertThat(count(store, "feed_marker")).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void inTransactionCommitsOrRollsBack(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            int n = store.inTransaction(c -> {
                store.idMap().put(c, "ns", "s1", "t1");
                return 1;
            });
            assertThat(n).isEqualTo(1);
            assertThatThrownBy(() -> store.inTransaction(c -> {
                store.idMap().put(c, "ns", "s2", "t2");
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT * FROM no_such_table");
                }
                return null;
            })).isInstanceOf(StoreException.class);
            assertThat(store.idMap().target("ns", "s1")).contains("t1");
            assertThat(store.idMap().target("ns", "s2")).isEmpty();
        }
    }

    @Test
    void opensAnH2FileFromSettingsCreatingItsFolder() {
        Path file = dir.resolve("data/nested/commcare-openmrs");
        Settings s = Settings.of(Map.of("db.url", "jdbc:h2:file:" + file + ";AUTO_SERVER=FALSE", "db.poolSize", "3"));
        try (StateStore store = StateStore.open(s, "commcare-openmrs")) {
            assertThat(store.isPostgres()).isFalse();
            assertThat(store.healthy()).isTrue();
        }
        assertThat(Files.exists(dir.resolve("data/nested/commcare-openmrs.mv.db"))).isTrue();
    }

    @Test
    void onPostgresEachMediatorGetsItsOwnSchemaNamedAfterIt() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        String mediator = "mediator-" + Long.toHexString(System.nanoTime());
        String schema = mediator.replace('-', '_');
        Settings s = Settings.of(Map.of("db.url", pg.jdbcUrl(), "db.user", pg.user(), "db.password", pg.password()));
        try (StateStore store = StateStore.open(s, mediator)) {
            assertThat(store.isPostgres()).isTrue();
            store.idMap().put("ns", "a", "b");
            try (Connection c = pg.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT target_id FROM " + schema + ".id_map")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("b");
            }
        } finally {
            pg.dropSchema(schema);
        }
    }

    @Test
    void rejectsSchemaNamesThatAreNotPlainIdentifiers() {
        assertThatThrownBy(() -> StateStore.schemaName("x; DROP TABLE y", "m")).isInstanceOf(ConfigException.class);
        assertThat(StateStore.schemaName(null, "sms-codecard")).isEqualTo("sms_codecard");
        assertThat(StateStore.schemaName("custom", "sms-codecard")).isEqualTo("custom");
    }

    @Test
    void anUnreachableDatabaseFailsWithItsUrl() {
        assertThatThrownBy(() -> StateStore.open("jdbc:postgresql://127.0.0.1:1/nothing", "u", "p", null, "m"))
                .isInstanceOf(StoreException.class).hasMessageContaining("127.0.0.1:1");
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void sagaStepsOfTheFirstSchemaMoveIntoTheirJournalRows(StoreEngine engine) throws Exception {
        // a database at common migration 1 (steps in table saga_step), with a rolled-back saga and a running one
        Path v1 = Files.createDirectories(dir.resolve("v1"));
        try (var in = StateStore.class.getResourceAsStream("/db/common/V1__state.sql")) {
            Files.write(v1.resolve("V1__state.sql"), in.readAllBytes());
        }
        var flyway = Flyway.configure().locations("filesystem:" + v1);
        if (engine == StoreEngine.H2) {
            flyway.dataSource("jdbc:h2:file:" + dir.toAbsolutePath().resolve("state") + ";AUTO_SERVER=FALSE", "", "");
        } else {
            PostgresServer pg = PostgresServer.shared();
            flyway.dataSource(pg.jdbcUrl(), pg.user(), pg.password()).schemas(StoreEngine.schemaFor(dir)).defaultSchema(StoreEngine.schemaFor(dir));
        }
        flyway.load().migrate();
        try (Connection c = flyway.getDataSource().getConnection(); Statement st = c.createStatement()) {
            if (engine == StoreEngine.POSTGRESQL) c.setSchema(StoreEngine.schemaFor(dir));
            st.execute("INSERT INTO saga_journal (saga_key, state, started_at, updated_at, error) VALUES"
                    + " ('form:1', 'ROLLBACK_INCOMPLETE', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'OpenMRS 500'),"
                    + " ('form:2', 'RUNNING', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, NULL),"
                    + " ('form:3', 'COMPLETED', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, NULL)");
            st.execute("INSERT INTO saga_step (saga_key, seq, name, resource_kind, resource_id, state, error) VALUES"
                    + " ('form:1', 1, 'read case', NULL, NULL, 'DONE', NULL),"
                    + " ('form:1', 2, 'create patient', 'openmrs-patient', 'p-1', 'UNDO_FAILED', 'purge failed:\tHTTP 500\nbody'),"
                    + " ('form:2', 1, 'create patient', 'openmrs-patient', 'p-2', 'PLANNED', NULL)");
        }
        try (StateStore store = engine.open(dir, "migration-test")) {
            SagaJournal journal = store.sagaJournal();
            assertThat(journal.steps("form:1")).containsExactly(
                    new SagaJournal.Step("form:1", 1, "read case", null, null, SagaJournal.StepState.DONE, null),
                    new SagaJournal.Step("form:1", 2, "create patient", "openmrs-patient", "p-1", SagaJournal.StepState.UNDO_FAILED,
                            "purge failed:\tHTTP 500\nbody"));
            assertThat(journal.steps("form:2")).extracting(SagaJournal.Step::resourceId, SagaJournal.Step::state)
                    .containsExactly(tuple("p-2", SagaJournal.StepState.PLANNED));
            assertThat(journal.steps("form:3")).isEmpty();
            assertThat(journal.unfinished()).containsExactly("form:2");
            try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT saga_key, steps, undo_failed_steps FROM rpt_saga ORDER BY saga_key")) {
                rs.next();
                assertThat(rs.getInt("steps")).isEqualTo(2);
                assertThat(rs.getInt("undo_failed_steps")).isEqualTo(1);
                rs.next();
                assertThat(rs.getInt("steps")).isEqualTo(1);
                rs.next();
                assertThat(rs.getInt("steps")).isZero();
            }
            assertThatThrownBy(() -> count(store, "saga_step")).isInstanceOf(SQLException.class);
        }
    }

    private static int count(StateStore store, String table) throws SQLException {
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
