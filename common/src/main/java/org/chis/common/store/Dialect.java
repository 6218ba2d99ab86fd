package org.chis.common.store;

import java.sql.Connection;
import java.sql.SQLException;

/** The two engines we run on. Only locking differs; every other statement is the same portable SQL. */
enum Dialect {
    H2, POSTGRESQL;

    static Dialect of(Connection c) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName();
        if (product.equalsIgnoreCase("PostgreSQL")) return POSTGRESQL;
        if (product.equalsIgnoreCase("H2")) return H2;
        throw new StoreException("unsupported database '" + product + "': use H2 or PostgreSQL");
    }
}
