-- referral reporting views: the stable contract a Superset dashboard reads (column meanings in README.md,
-- "Warehouse views"). Repeatable migration, re-run when this file changes; portable SQL (H2 2.x, PostgreSQL 12+).

-- One row per referral with its current FHIR Task status.
DROP VIEW IF EXISTS rpt_referral;
CREATE VIEW rpt_referral AS
SELECT referral_id,
       source,
       urgency,
       status,
       business_status,
       CASE WHEN status IN ('completed', 'cancelled', 'rejected', 'failed', 'entered-in-error') THEN 1 ELSE 0 END AS closed,
       CASE WHEN status = 'completed' THEN 1 ELSE 0 END AS completed,
       CAST(created_at AS DATE) AS created_day,
       created_at,
       updated_at,
       expires_at,
       pushed_status
FROM referral;

-- Every status change of a referral.
DROP VIEW IF EXISTS rpt_referral_transition;
CREATE VIEW rpt_referral_transition AS
SELECT id,
       referral_id,
       from_status,
       to_status,
       business_status,
       via,
       actor,
       CAST(at AS DATE) AS at_day,
       at
FROM referral_transition;

-- Referrals per day created, source, urgency and current status.
DROP VIEW IF EXISTS rpt_referral_daily;
CREATE VIEW rpt_referral_daily AS
SELECT CAST(created_at AS DATE) AS created_day,
       source,
       urgency,
       status,
       COUNT(*) AS referrals
FROM referral
GROUP BY CAST(created_at AS DATE), source, urgency, status;
