package org.chis.mediator.smscodecard;

import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.chis.common.store.StateStore;
import org.chis.common.store.StoreException;
import org.chis.mediator.smscodecard.card.CardField;
import org.chis.mediator.smscodecard.card.CodeOption;
import org.chis.mediator.smscodecard.card.DerivedField;
import org.chis.mediator.smscodecard.card.Target;

/**
 * The mediator's own tables in the state store (migration {@code db/sms-codecard}): the message log with each
 * message's one reply, and the warehouse of accepted reports with one row per value.
 */
public final class Warehouse {
    /** A stored report, as UNDO and duplicate checks need it. */
    public record Stored(String ref, String messageUuid, String keyword, String phone, String status, String encounterUuid,
                         String duplicateKey, String recordJson) {}

    /** A logged message with its reply. */
    public record Message(String messageUuid, String ref, String phone, String kind, String reply, String replyVia, String replyStatus,
                          Instant updatedAt) {}

    /** reply_via of a reply the webhook's answer carries (recorded SENT: the answer is written after the commit). */
    public static final String INLINE = "inline";

    private final StateStore store;

    public Warehouse(StateStore store) { this.store = store; }

    public StateStore store() { return store; }

    /** The active report with this duplicate key, if any. */
    public Optional<Stored> activeDuplicate(String duplicateKey) {
        return one("SELECT * FROM sms_record WHERE duplicate_key = ? AND status = 'ACTIVE' ORDER BY received_at", duplicateKey);
    }

    /** How many reports with this duplicate key were retracted (UNDO): each one lets the report be sent again. */
    public int retractedCount(String duplicateKey) {
        return store.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM sms_record WHERE duplicate_key = ? AND status = 'RETRACTED'")) {
                ps.setString(1, duplicateKey);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    public Optional<Stored> byRef(String ref) { return one("SELECT * FROM sms_record WHERE ref = ?", ref); }

    public List<Stored> records() { return list("SELECT * FROM sms_record ORDER BY received_at, ref"); }

    /** Inserts the report and its values inside the caller's transaction (with the ledger's success). */
    public void insert(Connection c, Report r, String encounterUuid, String eventId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sms_record (ref, message_uuid, keyword, card_version, phone, sender_name,"
                + " patient_id, patient_uuid, duplicate_key, status, encounter_uuid, event_id, record_json, received_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?, ?, ?)")) {
            ps.setString(1, r.ref());
            ps.setString(2, r.messageUuid());
            ps.setString(3, r.card().keyword());
            ps.setInt(4, r.card().version());
            ps.setString(5, r.phone());
            ps.setString(6, r.sender() == null ? null : r.sender().name());
            ps.setString(7, r.patientId());
            ps.setString(8, r.patientUuid());
            ps.setString(9, r.duplicateKey());
            ps.setString(10, encounterUuid);
            ps.setString(11, eventId);
            ps.setString(12, r.toJson().toString());
            ps.setTimestamp(13, Timestamp.from(r.receivedAt()));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sms_record_value (ref, field, value_text, value_date, value_number,"
                + " openmrs_concept, fhir_code, dhis2_data_element) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (CardField f : r.card().fields()) {
                var v = r.parsed().value(f.name());
                if (v != null) addValue(ps, r.ref(), f.name(), v.value(), f.target());
            }
            for (DerivedField d : r.card().derived()) {
                LocalDate date = r.derived().get(d.name());
                if (date != null) addValue(ps, r.ref(), d.name(), date, d.target());
            }
            ps.executeBatch();
        }
    }

    private static void addValue(PreparedStatement ps, String ref, String field, Object value, Target t) throws SQLException {
        ps.setString(1, ref);
        ps.setString(2, field);
        ps.setString(3, value instanceof CodeOption o ? o.code() : String.valueOf(value));
        if (value instanceof LocalDate d) ps.setDate(4, Date.valueOf(d));
        else ps.setNull(4, Types.DATE);
        if (value instanceof Integer n) ps.setLong(5, n);
        else if (value instanceof Boolean b) ps.setLong(5, b ? 1 : 0);
        else ps.setNull(5, Types.BIGINT);
        ps.setString(6, t.openmrsConcept());
        ps.setString(7, t.fhir());
        ps.setString(8, t.dhis2DataElement());
        ps.addBatch();
    }

    /** Marks a report retracted (UNDO); false when it was not active. */
    public boolean retract(Connection c, String ref, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE sms_record SET status = 'RETRACTED', retracted_at = ? WHERE ref = ? AND status = 'ACTIVE'")) {
            ps.setTimestamp(1, Timestamp.from(at));
            ps.setString(2, ref);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * Logs the message and the reply decided for it (once per message uuid; a rerun updates it). {@code via}
     * {@link #INLINE} records the reply as sent in the webhook's answer; null leaves the route to be chosen.
     */
    public void logMessage(Connection c, String messageUuid, String ref, String phone, String text, String kind, String reply,
                           String language, String via, Instant at) throws SQLException {
        String status = INLINE.equals(via) ? "SENT" : null;
        int n;
        try (PreparedStatement ps = c.prepareStatement("UPDATE sms_message SET kind = ?, reply = ?, language = ?, reply_via = ?,"
                + " reply_status = COALESCE(?, reply_status), updated_at = ? WHERE message_uuid = ?")) {
            ps.setString(1, kind);
            ps.setString(2, reply);
            ps.setString(3, language);
            ps.setString(4, via);
            ps.setString(5, status);
            ps.setTimestamp(6, Timestamp.from(at));
            ps.setString(7, messageUuid);
            n = ps.executeUpdate();
        }
        if (n > 0) return;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sms_message (message_uuid, ref, phone, text, kind, reply, language, reply_via,"
                + " reply_status, received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, messageUuid);
            ps.setString(2, ref);
            ps.setString(3, phone);
            ps.setString(4, text == null ? null : text.length() > 2000 ? text.substring(0, 2000) : text);
            ps.setString(5, kind);
            ps.setString(6, reply);
            ps.setString(7, language);
            ps.setString(8, via);
            ps.setString(9, status);
            ps.setTimestamp(10, Timestamp.from(at));
            ps.setTimestamp(11, Timestamp.from(at));
            ps.executeUpdate();
        }
    }

    public void logMessage(String messageUuid, String ref, String phone, String text, String kind, String reply, String language, String via) {
        store.inTransaction(c -> {
            logMessage(c, messageUuid, ref, phone, text, kind, reply, language, via, Instant.now());
            return null;
        });
    }

    /** How the reply went out: via inline/broadcast; status SENDING (broadcast under way), SENT, FAILED (RapidPro refused it), UNKNOWN (no answer). */
    public void replyStatus(String messageUuid, String via, String status) {
        store.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE sms_message SET reply_via = ?, reply_status = ?, updated_at = ? WHERE message_uuid = ?")) {
                ps.setString(1, via);
                ps.setString(2, status);
                ps.setTimestamp(3, Timestamp.from(Instant.now()));
                ps.setString(4, messageUuid);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Takes the reply of a message whose route was never chosen (no reply_via) and that was last touched before
     * {@code before}: the inline route is recorded for it, and true means this caller, alone, carries the reply.
     */
    public boolean takeUnroutedReply(String messageUuid, Instant before) {
        return store.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE sms_message SET reply_via = 'inline', reply_status = 'SENT', updated_at = ?"
                    + " WHERE message_uuid = ? AND reply_via IS NULL AND updated_at < ?")) {
                ps.setTimestamp(1, Timestamp.from(Instant.now()));
                ps.setString(2, messageUuid);
                ps.setTimestamp(3, Timestamp.from(before));
                return ps.executeUpdate() == 1;
            }
        });
    }

    public Optional<Message> message(String messageUuid) {
        return store.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM sms_message WHERE message_uuid = ?")) {
                ps.setString(1, messageUuid);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    return Optional.of(new Message(rs.getString("message_uuid"), rs.getString("ref"), rs.getString("phone"), rs.getString("kind"),
                            rs.getString("reply"), rs.getString("reply_via"), rs.getString("reply_status"),
                            rs.getTimestamp("updated_at").toInstant()));
                }
            }
        });
    }

    private Optional<Stored> one(String sql, String param) {
        List<Stored> l = query(sql, param);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    private List<Stored> list(String sql) { return query(sql, null); }

    private List<Stored> query(String sql, String param) {
        try {
            return store.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    if (param != null) ps.setString(1, param);
                    List<Stored> out = new ArrayList<>();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.add(new Stored(rs.getString("ref"), rs.getString("message_uuid"), rs.getString("keyword"), rs.getString("phone"),
                                    rs.getString("status"), rs.getString("encounter_uuid"), rs.getString("duplicate_key"), rs.getString("record_json")));
                        }
                    }
                    return out;
                }
            });
        } catch (StoreException e) {
            throw e;
        }
    }
}
