package org.chis.common.store;

import java.sql.Connection;
import java.sql.SQLException;

/** A caller's own rows, written inside a transaction the store opens for something else (e.g. a saga journal write). */
@FunctionalInterface
public interface Rows {
    void write(Connection c) throws SQLException;
}
