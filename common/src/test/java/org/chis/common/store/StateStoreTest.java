package org.chis.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            assertThat(count(store, "saga_step")).isZero();
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

    private static int count(StateStore store, String table) throws SQLException {
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
