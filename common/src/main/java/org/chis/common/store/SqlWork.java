package org.chis.common.store;

import java.sql.Connection;
import java.sql.SQLException;

/** Work done on one connection inside one transaction (see {@link StateStore#inTransaction}). */
@FunctionalInterface
public interface SqlWork<T> {
    T run(Connection c) throws SQLException;
}
