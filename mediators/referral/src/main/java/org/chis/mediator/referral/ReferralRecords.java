package org.chis.mediator.referral;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.chis.common.store.Sql;
import org.chis.common.store.StateStore;

/** The {@code referral} and {@code referral_transition} tables: plain JDBC on the mediator's state store. */
final class ReferralRecords {
    /** One recorded status change. */
    record Transition(String from, String to, String businessStatus, String actor, String via, String taskVersion, String note, Instant at) {}

    /** SQL list of the statuses that expire (TaskStatus.awaitingFacility), e.g. 'requested', 'ready'. */
    private static final String AWAITING_FACILITY = String.join(", ", Arrays.stream(TaskStatus.values())
            .filter(TaskStatus::awaitingFacility).map(s -> "'" + s.code() + "'").toList());

    private final StateStore store;
    private final Clock clock;

    ReferralRecords(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    void insert(Connection c, ReferralRecord r) throws SQLException {
        Sql.update(c, "INSERT INTO referral (referral_id, source, community_id, urgency, status, business_status, task_id, task_version,"
                        + " service_request_id, fhir_patient_id, emr_patient_uuid, emr_encounter_uuid, expires_at, pushed_status, created_at, updated_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                r.referralId(), r.source(), r.communityId(), r.urgency(), r.status().code(), r.businessStatus(), r.taskId(), r.taskVersion(),
                r.serviceRequestId(), r.fhirPatientId(), r.emrPatientUuid(), r.emrEncounterUuid(), r.expiresAt(), r.pushedStatus(),
                r.createdAt(), r.updatedAt());
    }

    /** Moves the record to a new status and records the transition, in one transaction; returns the record as now stored. */
    ReferralRecord transition(ReferralRecord r, TaskStatus to, String businessStatus, String taskVersion, String actor, String via, String note) {
        Instant at = clock.instant();
        store.inTransaction(c -> {
            Sql.update(c, "UPDATE referral SET status = ?, business_status = ?, task_version = ?, updated_at = ? WHERE referral_id = ?",
                    to.code(), businessStatus, taskVersion, at, r.referralId());
            record(c, r.referralId(), r.status().code(), to.code(), businessStatus, actor, via, taskVersion, note);
            return null;
        });
        return new ReferralRecord(r.referralId(), r.source(), r.communityId(), r.urgency(), to, businessStatus, r.taskId(), taskVersion,
                r.serviceRequestId(), r.fhirPatientId(), r.emrPatientUuid(), r.emrEncounterUuid(), r.expiresAt(), r.pushedStatus(),
                r.createdAt(), at);
    }

    /** A change seen but refused (an illegal move made directly on the FHIR server): recorded, status kept. */
    void refused(ReferralRecord r, String seen, String taskVersion, String note) {
        store.inTransaction(c -> {
            Sql.update(c, "UPDATE referral SET task_version = ?, updated_at = ? WHERE referral_id = ?", taskVersion, clock.instant(), r.referralId());
            record(c, r.referralId(), r.status().code(), seen, null, "fhir-server", "poll-refused", taskVersion, note);
            return null;
        });
    }

    void record(Connection c, String referralId, String from, String to, String businessStatus, String actor, String via,
                String taskVersion, String note) throws SQLException {
        Sql.update(c, "INSERT INTO referral_transition (referral_id, from_status, to_status, business_status, actor, via, task_version, note, at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", referralId, from, to, businessStatus, actor, via, taskVersion,
                note == null ? null : note.length() > 1000 ? note.substring(0, 1000) : note, clock.instant());
    }

    void taskVersion(String referralId, String version) {
        store.inTransaction(c -> Sql.update(c, "UPDATE referral SET task_version = ? WHERE referral_id = ?", version, referralId));
    }

    void pushed(String referralId, String statusKey) {
        store.inTransaction(c -> Sql.update(c, "UPDATE referral SET pushed_status = ? WHERE referral_id = ?", statusKey, referralId));
    }

    Optional<ReferralRecord> find(String referralId) {
        return store.inTransaction(c -> {
            List<ReferralRecord> l = query(c, "SELECT * FROM referral WHERE referral_id = ?", referralId);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        });
    }

    /** Open referrals whose window has passed. */
    List<ReferralRecord> expired(Instant now) {
        return store.inTransaction(c -> query(c, "SELECT * FROM referral WHERE status IN (" + AWAITING_FACILITY + ")"
                + " AND expires_at < ? ORDER BY expires_at", now));
    }

    List<ReferralRecord> pushPending() {
        return store.inTransaction(c -> {
            List<ReferralRecord> all = query(c, "SELECT * FROM referral WHERE pushed_status IS NULL"
                    + " OR pushed_status <> " + concat(c) + " ORDER BY updated_at");
            return all;
        });
    }

    List<Transition> transitions(String referralId) {
        return store.inTransaction(c -> {
            List<Transition> out = new ArrayList<>();
            try (PreparedStatement ps = Sql.prepare(c, "SELECT * FROM referral_transition WHERE referral_id = ? ORDER BY id", referralId);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Transition(rs.getString("from_status"), rs.getString("to_status"), rs.getString("business_status"),
                            rs.getString("actor"), rs.getString("via"), rs.getString("task_version"), rs.getString("note"), Sql.instant(rs, "at")));
                }
            }
            return out;
        });
    }

    private static String concat(Connection c) {
        return "status || '|' || COALESCE(business_status, '')";
    }

    private static List<ReferralRecord> query(Connection c, String sql, Object... params) throws SQLException {
        return Sql.list(c, sql, rs -> new ReferralRecord(rs.getString("referral_id"), rs.getString("source"), rs.getString("community_id"),
                rs.getString("urgency"), TaskStatus.of(rs.getString("status")).orElseThrow(), rs.getString("business_status"),
                rs.getString("task_id"), rs.getString("task_version"), rs.getString("service_request_id"), rs.getString("fhir_patient_id"),
                rs.getString("emr_patient_uuid"), rs.getString("emr_encounter_uuid"), Sql.instant(rs, "expires_at"),
                rs.getString("pushed_status"), Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at")), params);
    }
}
