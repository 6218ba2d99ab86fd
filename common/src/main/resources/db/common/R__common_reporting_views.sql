-- Reporting views over the state every mediator keeps: the stable contract a Superset dashboard reads
-- (column meanings in README.md, "Warehouse views"). Repeatable migration: Flyway runs it again whenever this file
-- changes, after the versioned ones; each view is dropped and made again, so a column may change.
-- Portable SQL: H2 2.x and PostgreSQL 12+. No view reads another view; none exposes payloads or outcome JSON.

-- One row per inbound item a mediator claimed (form, tracker send, referral, SMS message, feed entry, trace task).
DROP VIEW IF EXISTS rpt_ledger_item;
CREATE VIEW rpt_ledger_item AS
SELECT kind,
       source_key,
       status,
       attempts,
       CASE WHEN status = 'SUCCEEDED' THEN 1 ELSE 0 END AS succeeded,
       CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END AS failed,
       CAST(created_at AS DATE) AS created_day,
       created_at,
       updated_at
FROM ledger;

-- Items per kind, day and status.
DROP VIEW IF EXISTS rpt_ledger_daily;
CREATE VIEW rpt_ledger_daily AS
SELECT kind,
       CAST(created_at AS DATE) AS created_day,
       status,
       COUNT(*) AS items,
       SUM(attempts) AS attempts
FROM ledger
GROUP BY kind, CAST(created_at AS DATE), status;

-- Each feed: how far it was read and what is parked on it.
DROP VIEW IF EXISTS rpt_feed_status;
CREATE VIEW rpt_feed_status AS
SELECT f.feed,
       m.marker,
       m.updated_at AS marker_updated_at,
       COALESCE(p.parked, 0) AS parked_entries,
       p.oldest_parked_at,
       p.next_attempt_at
FROM (SELECT feed FROM feed_marker WHERE marker IS NOT NULL UNION SELECT feed FROM failed_event) f
LEFT JOIN feed_marker m ON m.feed = f.feed AND m.marker IS NOT NULL
LEFT JOIN (SELECT feed, COUNT(*) AS parked, MIN(created_at) AS oldest_parked_at, MIN(next_attempt_at) AS next_attempt_at
           FROM failed_event GROUP BY feed) p ON p.feed = f.feed;

-- Parked feed entries (without their payload).
DROP VIEW IF EXISTS rpt_parked_entry;
CREATE VIEW rpt_parked_entry AS
SELECT feed,
       entry_id,
       subject,
       attempts,
       last_error,
       created_at,
       next_attempt_at
FROM failed_event;

-- Multi-step writes (sagas) and how they ended.
DROP VIEW IF EXISTS rpt_saga;
CREATE VIEW rpt_saga AS
SELECT j.saga_key,
       j.state,
       CAST(j.started_at AS DATE) AS started_day,
       j.started_at,
       j.updated_at,
       j.error,
       -- the steps are lines of saga_journal.steps (one per step, fields between tabs: see common's StepLines)
       COALESCE(LENGTH(j.steps) - LENGTH(REPLACE(j.steps, CHR(10), '')), 0) AS steps,
       COALESCE((LENGTH(j.steps) - LENGTH(REPLACE(j.steps, CHR(9) || 'UNDO_FAILED' || CHR(9), ''))) / 13, 0) AS undo_failed_steps
FROM saga_journal j;

-- Links between systems' ids, per namespace (case->patient, form->encounter, ...).
DROP VIEW IF EXISTS rpt_id_link;
CREATE VIEW rpt_id_link AS
SELECT namespace,
       COUNT(*) AS links,
       MIN(created_at) AS first_at,
       MAX(created_at) AS last_at
FROM id_map
GROUP BY namespace;
