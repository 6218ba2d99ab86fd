-- sms-codecard reporting views: the stable contract a Superset dashboard reads (column meanings in README.md,
-- "Warehouse views"). Repeatable migration, re-run when this file changes; portable SQL (H2 2.x, PostgreSQL 12+).
-- No message text, reply text, names or phone numbers of registered clients.

-- One row per RapidPro message and how it was answered.
DROP VIEW IF EXISTS rpt_sms_message;
CREATE VIEW rpt_sms_message AS
SELECT message_uuid,
       ref,
       phone AS sender_phone,
       kind,
       CASE WHEN kind IN ('ok', 'registered', 'undone') THEN 'accepted'
            WHEN kind = 'system_fault' THEN 'fault'
            ELSE 'rejected' END AS outcome,
       language,
       reply_via,
       reply_status,
       CAST(received_at AS DATE) AS received_day,
       received_at,
       updated_at
FROM sms_message;

-- Messages per day, kind and reply language.
DROP VIEW IF EXISTS rpt_sms_daily;
CREATE VIEW rpt_sms_daily AS
SELECT CAST(received_at AS DATE) AS received_day,
       kind,
       language,
       COUNT(*) AS messages
FROM sms_message
GROUP BY CAST(received_at AS DATE), kind, language;

-- One row per accepted report or registration (the warehouse).
DROP VIEW IF EXISTS rpt_sms_record;
CREATE VIEW rpt_sms_record AS
SELECT ref,
       keyword,
       card_version,
       sender_name,
       phone AS sender_phone,
       patient_id,
       status,
       CASE WHEN status = 'ACTIVE' THEN 1 ELSE 0 END AS active,
       CASE WHEN encounter_uuid IS NOT NULL THEN 1 ELSE 0 END AS openmrs_encounter,
       CASE WHEN keyword = 'REG' AND patient_uuid IS NOT NULL THEN 1 ELSE 0 END AS openmrs_patient,
       CASE WHEN event_id IS NOT NULL THEN 1 ELSE 0 END AS opensrp_event,
       CAST(received_at AS DATE) AS received_day,
       received_at,
       retracted_at
FROM sms_record;

-- One row per field value of a record, with its codes (DHIS2 data element, FHIR, OpenMRS concept); a REG's names
-- and phone are left out.
DROP VIEW IF EXISTS rpt_sms_value;
CREATE VIEW rpt_sms_value AS
SELECT r.ref,
       r.keyword,
       r.card_version,
       r.status,
       CAST(r.received_at AS DATE) AS received_day,
       v.field,
       v.value_text,
       v.value_date,
       v.value_number,
       v.dhis2_data_element,
       v.fhir_code,
       v.openmrs_concept
FROM sms_record r
JOIN sms_record_value v ON v.ref = r.ref
WHERE NOT (r.keyword = 'REG' AND v.field IN ('given', 'family', 'phone'));
