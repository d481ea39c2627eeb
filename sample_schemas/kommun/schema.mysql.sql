-- kommun: social-services case management of the (fictional) municipality Älvstad.
-- MariaDB 10.11 / MySQL 8, InnoDB, utf8mb4 with Swedish collation (å, ä, ö sort after z).
-- Tables are created in foreign-key order; the unit <-> caseworker cycle is closed with
-- ALTER TABLE once caseworker exists.
-- Statements end with a semicolon at the end of a line (sample_schemas/build.py splits on that).

-- Lookup table with a natural, non-integer key.
CREATE TABLE benefit_type (
    code                VARCHAR(4)   NOT NULL,
    description         VARCHAR(200) NOT NULL,
    case_category       VARCHAR(40)  NOT NULL,
    is_monetary         BOOLEAN      NOT NULL DEFAULT FALSE,
    default_legal_basis VARCHAR(40)  NOT NULL,
    active              BOOLEAN      NOT NULL DEFAULT TRUE,
    PRIMARY KEY (code),
    CONSTRAINT ck_benefit_type_code CHECK (code REGEXP BINARY '^[A-Z]{4}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci;

CREATE TABLE unit (
    id                 INT          NOT NULL AUTO_INCREMENT,
    name               VARCHAR(100) NOT NULL,
    cost_center        CHAR(5)      NOT NULL COMMENT 'Ansvarskod in the municipal ledger',
    head_caseworker_id INT          NULL,
    established_on     DATE         NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_unit_name UNIQUE (name),
    CONSTRAINT uq_unit_cost_center UNIQUE (cost_center),
    CONSTRAINT ck_unit_cost_center CHECK (cost_center REGEXP '^4[0-9]{4}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci
  COMMENT='Organisational unit (enhet) of the social services department';

CREATE TABLE caseworker (
    id          INT          NOT NULL AUTO_INCREMENT,
    unit_id     INT          NOT NULL,
    manager_id  INT          NULL,
    first_name  VARCHAR(60)  NOT NULL,
    last_name   VARCHAR(60)  NOT NULL,
    email       VARCHAR(254) NOT NULL,
    phone       VARCHAR(20)  NULL,
    title       VARCHAR(60)  NOT NULL,
    hired_on    DATE         NOT NULL,
    active      BOOLEAN      NOT NULL DEFAULT TRUE,
    PRIMARY KEY (id),
    CONSTRAINT uq_caseworker_email UNIQUE (email),
    KEY ix_caseworker_unit (unit_id),
    KEY ix_caseworker_manager (manager_id),
    CONSTRAINT fk_caseworker_unit FOREIGN KEY (unit_id) REFERENCES unit (id),
    CONSTRAINT fk_caseworker_manager FOREIGN KEY (manager_id) REFERENCES caseworker (id)
        ON DELETE SET NULL
    -- No CHECK (manager_id <> id) here: MariaDB/MySQL reject CHECK constraints on an
    -- AUTO_INCREMENT column and on columns with a referential action (PG/SQLite have it).
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci;

ALTER TABLE unit ADD CONSTRAINT fk_unit_head_caseworker
    FOREIGN KEY (head_caseworker_id) REFERENCES caseworker (id) ON DELETE SET NULL;

CREATE TABLE household (
    id             INT          NOT NULL AUTO_INCREMENT,
    street_address VARCHAR(120) NOT NULL,
    apartment_no   CHAR(4)      NULL,
    postal_code    CHAR(6)      NOT NULL,
    city           VARCHAR(60)  NOT NULL,
    district       VARCHAR(40)  NOT NULL,
    household_type ENUM('single', 'couple', 'single_parent', 'couple_with_children', 'shared',
                        'multigenerational') NOT NULL,
    created_at     DATETIME     NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_household_postal_code CHECK (postal_code REGEXP '^[0-9]{3} [0-9]{2}$'),
    CONSTRAINT ck_household_apartment_no CHECK (apartment_no IS NULL OR apartment_no REGEXP '^[0-9]{4}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci;

CREATE TABLE person (
    id                 INT          NOT NULL AUTO_INCREMENT,
    personnummer       CHAR(13)     NOT NULL
        COMMENT 'Swedish personal identity number YYYYMMDD-NNNN; odd 3rd serial digit = male',
    first_name         VARCHAR(60)  NOT NULL,
    last_name          VARCHAR(60)  NOT NULL,
    birth_date         DATE         NOT NULL,
    gender             CHAR(1)      NOT NULL,
    household_id       INT          NULL,
    email              VARCHAR(254) NULL,
    phone              VARCHAR(20)  NULL,
    preferred_language CHAR(2)      NOT NULL DEFAULT 'sv',
    needs_interpreter  BOOLEAN      NOT NULL DEFAULT FALSE,
    protected_identity BOOLEAN      NOT NULL DEFAULT FALSE
        COMMENT 'Skyddad identitet: address data must not be disclosed',
    PRIMARY KEY (id),
    CONSTRAINT uq_person_personnummer UNIQUE (personnummer),
    KEY ix_person_household (household_id),
    KEY ix_person_name (last_name, first_name),
    CONSTRAINT fk_person_household FOREIGN KEY (household_id) REFERENCES household (id)
        ON DELETE SET NULL,
    CONSTRAINT ck_person_personnummer CHECK (personnummer REGEXP '^[0-9]{8}-[0-9]{4}$'),
    CONSTRAINT ck_person_birth_date CHECK (birth_date = CAST(LEFT(personnummer, 8) AS DATE)),
    CONSTRAINT ck_person_gender CHECK (gender IN ('F', 'M'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci
  COMMENT='Registered individual: client, relative or representative';

CREATE TABLE case_file (
    id              INT          NOT NULL AUTO_INCREMENT,
    case_number     VARCHAR(16)  NOT NULL,
    person_id       INT          NOT NULL,
    caseworker_id   INT          NOT NULL,
    category        VARCHAR(40)  NOT NULL,
    status          ENUM('open', 'investigating', 'decided', 'appealed', 'closed')
                                 NOT NULL DEFAULT 'open',
    referral_source VARCHAR(30)  NULL,
    opened_on       DATE         NOT NULL,
    closed_on       DATE         NULL,
    priority        SMALLINT     NOT NULL DEFAULT 3 COMMENT '1 = most urgent, 5 = least urgent',
    summary         TEXT         NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_case_file_case_number UNIQUE (case_number),
    KEY ix_case_file_person (person_id),
    KEY ix_case_file_caseworker (caseworker_id),
    KEY ix_case_file_status (status),
    CONSTRAINT fk_case_file_person FOREIGN KEY (person_id) REFERENCES person (id),
    CONSTRAINT fk_case_file_caseworker FOREIGN KEY (caseworker_id) REFERENCES caseworker (id),
    CONSTRAINT ck_case_file_case_number CHECK (case_number REGEXP '^SOC-[0-9]{4}-[0-9]{6}$'),
    CONSTRAINT ck_case_file_dates CHECK (closed_on IS NULL OR closed_on >= opened_on),
    CONSTRAINT ck_case_file_closed CHECK ((status = 'closed') = (closed_on IS NOT NULL)),
    CONSTRAINT ck_case_file_priority CHECK (priority BETWEEN 1 AND 5)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci
  COMMENT='Social services case (ärende)';

CREATE TABLE decision (
    id            INT           NOT NULL AUTO_INCREMENT,
    case_id       INT           NOT NULL,
    decided_by    INT           NOT NULL,
    decided_on    DATE          NOT NULL,
    decision_type VARCHAR(30)   NOT NULL,
    benefit_code  VARCHAR(4)    NULL,
    outcome       ENUM('granted', 'partly_granted', 'rejected') NOT NULL,
    amount_sek    DECIMAL(12,2) NULL
        COMMENT 'Total granted amount; NULL for non-monetary or rejected decisions',
    period_start  DATE          NULL,
    period_end    DATE          NULL,
    legal_basis   VARCHAR(40)   NOT NULL,
    motivation    TEXT          NOT NULL,
    PRIMARY KEY (id),
    KEY ix_decision_case (case_id),
    KEY ix_decision_decided_by (decided_by),
    KEY ix_decision_benefit (benefit_code),
    CONSTRAINT fk_decision_case FOREIGN KEY (case_id) REFERENCES case_file (id) ON DELETE CASCADE,
    CONSTRAINT fk_decision_decided_by FOREIGN KEY (decided_by) REFERENCES caseworker (id),
    CONSTRAINT fk_decision_benefit FOREIGN KEY (benefit_code) REFERENCES benefit_type (code),
    CONSTRAINT ck_decision_type CHECK (decision_type IN ('initial', 'renewal', 'amendment', 'termination')),
    CONSTRAINT ck_decision_amount CHECK (amount_sek IS NULL OR amount_sek > 0),
    CONSTRAINT ck_decision_rejected_amount CHECK (outcome <> 'rejected' OR amount_sek IS NULL),
    CONSTRAINT ck_decision_period CHECK (period_end IS NULL OR period_end >= period_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci;

CREATE TABLE payment (
    id           INT           NOT NULL AUTO_INCREMENT,
    decision_id  INT           NOT NULL,
    paid_on      DATE          NOT NULL,
    amount_sek   DECIMAL(12,2) NOT NULL,
    bank_account VARCHAR(30)   NOT NULL
        COMMENT 'Clearing number and account, or bankgiro (BG) of a landlord or family home',
    status       ENUM('scheduled', 'paid', 'returned', 'cancelled') NOT NULL DEFAULT 'scheduled',
    PRIMARY KEY (id),
    KEY ix_payment_decision (decision_id),
    KEY ix_payment_paid_on (paid_on),
    CONSTRAINT fk_payment_decision FOREIGN KEY (decision_id) REFERENCES decision (id),
    CONSTRAINT ck_payment_amount CHECK (amount_sek > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci;

CREATE TABLE case_note (
    id         BIGINT      NOT NULL AUTO_INCREMENT,
    case_id    INT         NOT NULL,
    author_id  INT         NOT NULL,
    written_at DATETIME    NOT NULL,
    note_type  VARCHAR(20) NOT NULL,
    body       TEXT        NOT NULL,
    PRIMARY KEY (id),
    KEY ix_case_note_case (case_id, written_at),
    KEY ix_case_note_author (author_id),
    CONSTRAINT fk_case_note_case FOREIGN KEY (case_id) REFERENCES case_file (id) ON DELETE CASCADE,
    CONSTRAINT fk_case_note_author FOREIGN KEY (author_id) REFERENCES caseworker (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci;

-- Association table: two parents, composite primary key made of the two foreign keys.
CREATE TABLE case_participant (
    case_id   INT         NOT NULL,
    person_id INT         NOT NULL,
    role      VARCHAR(30) NOT NULL,
    added_on  DATE        NOT NULL,
    PRIMARY KEY (case_id, person_id),
    KEY ix_case_participant_person (person_id),
    CONSTRAINT fk_case_participant_case FOREIGN KEY (case_id) REFERENCES case_file (id)
        ON DELETE CASCADE,
    CONSTRAINT fk_case_participant_person FOREIGN KEY (person_id) REFERENCES person (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci;

-- Append-only access log: no primary key, caseworker_id is a soft reference (no FK),
-- and exact duplicate rows occur (events logged twice).
CREATE TABLE audit_log (
    logged_at     DATETIME    NOT NULL,
    caseworker_id INT         NULL,
    action        VARCHAR(10) NOT NULL,
    table_name    VARCHAR(40) NOT NULL,
    row_id        BIGINT      NULL,
    client_ip     VARCHAR(45) NULL,
    KEY ix_audit_log_logged_at (logged_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_swedish_ci
  COMMENT='Access log (no primary key)';
