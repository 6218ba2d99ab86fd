package org.chis.common.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.chis.common.store.StateStore;

/**
 * The two engines a {@link StateStore} runs on, for tests parameterised over both
 * ({@code @EnumSource(StoreEngine.class)}). {@link #open} gives "the database of this temp folder": an H2
 * file inside it, or a PostgreSQL schema named after it on the shared test server, so opening the same
 * folder again (a restart) finds the same state.
 */
public enum StoreEngine {
    H2 {
        @Override
        public StateStore open(Path dir, String mediator) {
            return StateStore.open("jdbc:h2:file:" + dir.toAbsolutePath().resolve("state") + ";AUTO_SERVER=FALSE", "", "", null, mediator);
        }
    },
    POSTGRESQL {
        @Override
        public StateStore open(Path dir, String mediator) {
            PostgresServer pg = PostgresServer.shared();
            return StateStore.open(pg.jdbcUrl(), pg.user(), pg.password(), schemaFor(dir), mediator);
        }
    };

    public abstract StateStore open(Path dir, String mediator);

    /** A schema name unique to the folder (temp folders are unique per test). */
    public static String schemaFor(Path dir) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(dir.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8));
            return "t_" + HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
