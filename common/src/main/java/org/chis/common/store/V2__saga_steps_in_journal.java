package org.chis.common.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.store.SagaJournal.Step;
import org.chis.common.store.SagaJournal.StepState;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Common migration 2: a saga's steps move into its journal row ({@code saga_journal.steps}, {@link StepLines}) and
 * the {@code saga_step} table goes, with the existing steps copied over. Java, not SQL: gathering a saga's rows into
 * one text has no SQL both H2 and PostgreSQL understand. Registered by {@link StateStore} (not found by scanning).
 * The reporting view that read {@code saga_step} is dropped here and made again by the repeatable migration.
 */
public final class V2__saga_steps_in_journal extends BaseJavaMigration {
    private static final int BATCH = 500;

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        try (Statement st = c.createStatement()) {
            st.execute("ALTER TABLE saga_journal ADD COLUMN steps TEXT");
            st.execute("DROP VIEW IF EXISTS rpt_saga");
        }
        copySteps(c);
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE saga_step");
        }
    }

    private static void copySteps(Connection c) throws SQLException {
        try (PreparedStatement read = c.prepareStatement("SELECT saga_key, seq, name, resource_kind, resource_id, state, error"
                + " FROM saga_step ORDER BY saga_key, seq");
             PreparedStatement write = c.prepareStatement("UPDATE saga_journal SET steps = ? WHERE saga_key = ?")) {
            read.setFetchSize(BATCH); // PostgreSQL streams the rows (the migration runs in a transaction)
            String key = null;
            List<Step> steps = new ArrayList<>();
            int pending = 0;
            try (ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    String k = rs.getString(1);
                    if (key != null && !key.equals(k)) {
                        pending = add(write, key, steps, pending);
                        steps.clear();
                    }
                    key = k;
                    steps.add(new Step(k, rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            StepState.valueOf(rs.getString(6)), rs.getString(7)));
                }
            }
            if (key != null) add(write, key, steps, pending);
            write.executeBatch();
        }
    }

    /** Adds one saga's update to the batch, running the batch when full; returns how many updates are now pending. */
    private static int add(PreparedStatement write, String key, List<Step> steps, int pending) throws SQLException {
        write.setString(1, StepLines.write(steps));
        write.setString(2, key);
        write.addBatch();
        if (pending + 1 < BATCH) return pending + 1;
        write.executeBatch();
        return 0;
    }
}
