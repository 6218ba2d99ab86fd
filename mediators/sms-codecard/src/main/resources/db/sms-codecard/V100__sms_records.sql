-- sms-codecard: every message and its one reply, the records it produced (the warehouse) and their field values.
-- Portable SQL (H2 2.x and PostgreSQL 12+).

-- One row per RapidPro message uuid: what was answered, and how the reply went out (exactly once).
CREATE TABLE sms_message (
    message_uuid VARCHAR(64)  NOT NULL,
    ref          VARCHAR(12)  NOT NULL,
    phone        VARCHAR(32)  NOT NULL,
    text         TEXT,
    kind         VARCHAR(40)  NOT NULL,
    reply        VARCHAR(400),
    language     VARCHAR(3),
    reply_via    VARCHAR(20),
    reply_status VARCHAR(20),
    received_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT sms_message_pk PRIMARY KEY (message_uuid)
);
CREATE INDEX sms_message_ref_ix ON sms_message (ref);

-- The warehouse: one row per accepted report; RETRACTED after UNDO.
CREATE TABLE sms_record (
    ref            VARCHAR(12)  NOT NULL,
    message_uuid   VARCHAR(64)  NOT NULL,
    keyword        VARCHAR(40)  NOT NULL,
    card_version   INTEGER      NOT NULL,
    phone          VARCHAR(32)  NOT NULL,
    sender_name    VARCHAR(200),
    patient_id     VARCHAR(64),
    patient_uuid   VARCHAR(64),
    duplicate_key  VARCHAR(400) NOT NULL,
    status         VARCHAR(20)  NOT NULL,
    encounter_uuid VARCHAR(64),
    event_id       VARCHAR(64),
    record_json    TEXT         NOT NULL,
    received_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    retracted_at   TIMESTAMP WITH TIME ZONE,
    CONSTRAINT sms_record_pk PRIMARY KEY (ref),
    CONSTRAINT sms_record_message_uq UNIQUE (message_uuid),
    CONSTRAINT sms_record_status_ck CHECK (status IN ('ACTIVE', 'RETRACTED'))
);
CREATE INDEX sms_record_duplicate_ix ON sms_record (duplicate_key, status);

-- One row per field value, with where it goes (for aggregation to DHIS2 and analysis without parsing JSON).
CREATE TABLE sms_record_value (
    ref                VARCHAR(12)  NOT NULL,
    field              VARCHAR(60)  NOT NULL,
    value_text         VARCHAR(400),
    value_date         DATE,
    value_number       BIGINT,
    openmrs_concept    VARCHAR(64),
    fhir_code          VARCHAR(200),
    dhis2_data_element VARCHAR(64),
    CONSTRAINT sms_record_value_pk PRIMARY KEY (ref, field),
    CONSTRAINT sms_record_value_fk FOREIGN KEY (ref) REFERENCES sms_record (ref) ON DELETE CASCADE
);
