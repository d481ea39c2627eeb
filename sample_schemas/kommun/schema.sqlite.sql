-- kommun: social-services case management of the (fictional) municipality Älvstad.
-- SQLite 3.35+. Dates are ISO-8601 text, timestamps 'YYYY-MM-DD HH:MM:SS' local time
-- (Europe/Stockholm), booleans 0/1, money NUMERIC(12,2).
-- SQLite does not check foreign keys at CREATE time, so unit.head_caseworker_id references
-- caseworker inline although caseworker is created afterwards (the unit <-> caseworker cycle).
-- Statements end with a semicolon at the end of a line (sample_schemas/build.py splits on that).

-- Lookup table with a natural, non-integer key.
CREATE TABLE benefit_type (
    code                VARCHAR(4)   NOT NULL PRIMARY KEY,
    description         VARCHAR(200) NOT NULL,
    case_category       VARCHAR(40)  NOT NULL,
    is_monetary         BOOLEAN      NOT NULL DEFAULT 0 CHECK (is_monetary IN (0, 1)),
    default_legal_basis VARCHAR(40)  NOT NULL,
    active              BOOLEAN      NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    CONSTRAINT ck_benefit_type_code CHECK (length(code) = 4 AND code GLOB '[A-Z][A-Z][A-Z][A-Z]')
);

CREATE TABLE unit (
    id                 INTEGER      NOT NULL PRIMARY KEY,
    name               VARCHAR(100) NOT NULL,
    cost_center        CHAR(5)      NOT NULL,
    head_caseworker_id INTEGER,
    established_on     DATE         NOT NULL,
    CONSTRAINT uq_unit_name UNIQUE (name),
    CONSTRAINT uq_unit_cost_center UNIQUE (cost_center),
    CONSTRAINT fk_unit_head_caseworker FOREIGN KEY (head_caseworker_id)
        REFERENCES caseworker (id) ON DELETE SET NULL,
    CONSTRAINT ck_unit_cost_center CHECK (length(cost_center) = 5 AND cost_center GLOB '4[0-9][0-9][0-9][0-9]')
);

CREATE TABLE caseworker (
    id          INTEGER      NOT NULL PRIMARY KEY,
    unit_id     INTEGER      NOT NULL,
    manager_id  INTEGER,
    first_name  VARCHAR(60)  NOT NULL,
    last_name   VARCHAR(60)  NOT NULL,
    email       VARCHAR(254) NOT NULL,
    phone       VARCHAR(20),
    title       VARCHAR(60)  NOT NULL,
    hired_on    DATE         NOT NULL,
    active      BOOLEAN      NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    CONSTRAINT uq_caseworker_email UNIQUE (email),
    CONSTRAINT fk_caseworker_unit FOREIGN KEY (unit_id) REFERENCES unit (id),
    CONSTRAINT fk_caseworker_manager FOREIGN KEY (manager_id) REFERENCES caseworker (id)
        ON DELETE SET NULL,
    CONSTRAINT ck_caseworker_not_own_manager CHECK (manager_id IS NULL OR manager_id <> id)
);

CREATE TABLE household (
    id             INTEGER      NOT NULL PRIMARY KEY,
    street_address VARCHAR(120) NOT NULL,
    apartment_no   CHAR(4),
    postal_code    CHAR(6)      NOT NULL,
    city           VARCHAR(60)  NOT NULL,
    district       VARCHAR(40)  NOT NULL,
    household_type VARCHAR(30)  NOT NULL,
    created_at     DATETIME     NOT NULL,
    CONSTRAINT ck_household_postal_code CHECK (postal_code GLOB '[0-9][0-9][0-9] [0-9][0-9]'),
    CONSTRAINT ck_household_apartment_no CHECK (apartment_no IS NULL OR apartment_no GLOB '[0-9][0-9][0-9][0-9]'),
    CONSTRAINT ck_household_type CHECK (household_type IN
        ('single', 'couple', 'single_parent', 'couple_with_children', 'shared', 'multigenerational'))
);

CREATE TABLE person (
    id                 INTEGER      NOT NULL PRIMARY KEY,
    personnummer       CHAR(13)     NOT NULL,
    first_name         VARCHAR(60)  NOT NULL,
    last_name          VARCHAR(60)  NOT NULL,
    birth_date         DATE         NOT NULL,
    gender             CHAR(1)      NOT NULL,
    household_id       INTEGER,
    email              VARCHAR(254),
    phone              VARCHAR(20),
    preferred_language CHAR(2)      NOT NULL DEFAULT 'sv',
    needs_interpreter  BOOLEAN      NOT NULL DEFAULT 0 CHECK (needs_interpreter IN (0, 1)),
    protected_identity BOOLEAN      NOT NULL DEFAULT 0 CHECK (protected_identity IN (0, 1)),
    CONSTRAINT uq_person_personnummer UNIQUE (personnummer),
    CONSTRAINT fk_person_household FOREIGN KEY (household_id) REFERENCES household (id)
        ON DELETE SET NULL,
    CONSTRAINT ck_person_personnummer CHECK (personnummer GLOB
        '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
    CONSTRAINT ck_person_birth_date CHECK (strftime('%Y%m%d', birth_date) = substr(personnummer, 1, 8)),
    CONSTRAINT ck_person_gender CHECK (gender IN ('F', 'M'))
);

CREATE TABLE case_file (
    id              INTEGER      NOT NULL PRIMARY KEY,
    case_number     VARCHAR(16)  NOT NULL,
    person_id       INTEGER      NOT NULL,
    caseworker_id   INTEGER      NOT NULL,
    category        VARCHAR(40)  NOT NULL,
    status          VARCHAR(13)  NOT NULL DEFAULT 'open',
    referral_source VARCHAR(30),
    opened_on       DATE         NOT NULL,
    closed_on       DATE,
    priority        SMALLINT     NOT NULL DEFAULT 3,
    summary         TEXT,
    CONSTRAINT uq_case_file_case_number UNIQUE (case_number),
    CONSTRAINT fk_case_file_person FOREIGN KEY (person_id) REFERENCES person (id),
    CONSTRAINT fk_case_file_caseworker FOREIGN KEY (caseworker_id) REFERENCES caseworker (id),
    CONSTRAINT ck_case_file_case_number CHECK (case_number GLOB
        'SOC-[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]'),
    CONSTRAINT ck_case_file_status CHECK (status IN
        ('open', 'investigating', 'decided', 'appealed', 'closed')),
    CONSTRAINT ck_case_file_dates CHECK (closed_on IS NULL OR closed_on >= opened_on),
    CONSTRAINT ck_case_file_closed CHECK ((status = 'closed') = (closed_on IS NOT NULL)),
    CONSTRAINT ck_case_file_priority CHECK (priority BETWEEN 1 AND 5)
);

CREATE TABLE decision (
    id            INTEGER       NOT NULL PRIMARY KEY,
    case_id       INTEGER       NOT NULL,
    decided_by    INTEGER       NOT NULL,
    decided_on    DATE          NOT NULL,
    decision_type VARCHAR(30)   NOT NULL,
    benefit_code  VARCHAR(4),
    outcome       VARCHAR(16)   NOT NULL,
    amount_sek    NUMERIC(12,2),
    period_start  DATE,
    period_end    DATE,
    legal_basis   VARCHAR(40)   NOT NULL,
    motivation    TEXT          NOT NULL,
    CONSTRAINT fk_decision_case FOREIGN KEY (case_id) REFERENCES case_file (id) ON DELETE CASCADE,
    CONSTRAINT fk_decision_decided_by FOREIGN KEY (decided_by) REFERENCES caseworker (id),
    CONSTRAINT fk_decision_benefit FOREIGN KEY (benefit_code) REFERENCES benefit_type (code),
    CONSTRAINT ck_decision_type CHECK (decision_type IN ('initial', 'renewal', 'amendment', 'termination')),
    CONSTRAINT ck_decision_outcome CHECK (outcome IN ('granted', 'partly_granted', 'rejected')),
    CONSTRAINT ck_decision_amount CHECK (amount_sek IS NULL OR amount_sek > 0),
    CONSTRAINT ck_decision_rejected_amount CHECK (outcome <> 'rejected' OR amount_sek IS NULL),
    CONSTRAINT ck_decision_period CHECK (period_end IS NULL OR period_end >= period_start)
);

CREATE TABLE payment (
    id           INTEGER       NOT NULL PRIMARY KEY,
    decision_id  INTEGER       NOT NULL,
    paid_on      DATE          NOT NULL,
    amount_sek   NUMERIC(12,2) NOT NULL,
    bank_account VARCHAR(30)   NOT NULL,
    status       VARCHAR(12)   NOT NULL DEFAULT 'scheduled',
    CONSTRAINT fk_payment_decision FOREIGN KEY (decision_id) REFERENCES decision (id),
    CONSTRAINT ck_payment_amount CHECK (amount_sek > 0),
    CONSTRAINT ck_payment_status CHECK (status IN ('scheduled', 'paid', 'returned', 'cancelled'))
);

CREATE TABLE case_note (
    id         INTEGER     NOT NULL PRIMARY KEY,
    case_id    INTEGER     NOT NULL,
    author_id  INTEGER     NOT NULL,
    written_at DATETIME    NOT NULL,
    note_type  VARCHAR(20) NOT NULL,
    body       TEXT        NOT NULL,
    CONSTRAINT fk_case_note_case FOREIGN KEY (case_id) REFERENCES case_file (id) ON DELETE CASCADE,
    CONSTRAINT fk_case_note_author FOREIGN KEY (author_id) REFERENCES caseworker (id)
);

-- Association table: two parents, composite primary key made of the two foreign keys.
CREATE TABLE case_participant (
    case_id   INTEGER     NOT NULL,
    person_id INTEGER     NOT NULL,
    role      VARCHAR(30) NOT NULL,
    added_on  DATE        NOT NULL,
    CONSTRAINT pk_case_participant PRIMARY KEY (case_id, person_id),
    CONSTRAINT fk_case_participant_case FOREIGN KEY (case_id) REFERENCES case_file (id)
        ON DELETE CASCADE,
    CONSTRAINT fk_case_participant_person FOREIGN KEY (person_id) REFERENCES person (id)
);

-- Append-only access log: no primary key, caseworker_id is a soft reference (no FK),
-- and exact duplicate rows occur (events logged twice).
CREATE TABLE audit_log (
    logged_at     DATETIME    NOT NULL,
    caseworker_id INTEGER,
    action        VARCHAR(10) NOT NULL,
    table_name    VARCHAR(40) NOT NULL,
    row_id        INTEGER,
    client_ip     VARCHAR(45)
);

CREATE INDEX ix_caseworker_unit ON caseworker (unit_id);
CREATE INDEX ix_caseworker_manager ON caseworker (manager_id);
CREATE INDEX ix_person_household ON person (household_id);
CREATE INDEX ix_person_name ON person (last_name, first_name);
CREATE INDEX ix_case_file_person ON case_file (person_id);
CREATE INDEX ix_case_file_caseworker ON case_file (caseworker_id);
CREATE INDEX ix_case_file_status ON case_file (status) WHERE status <> 'closed';
CREATE INDEX ix_decision_case ON decision (case_id);
CREATE INDEX ix_decision_decided_by ON decision (decided_by);
CREATE INDEX ix_payment_decision ON payment (decision_id);
CREATE INDEX ix_payment_paid_on ON payment (paid_on);
CREATE INDEX ix_case_note_case ON case_note (case_id, written_at);
CREATE INDEX ix_case_note_author ON case_note (author_id);
CREATE INDEX ix_case_participant_person ON case_participant (person_id);
CREATE INDEX ix_audit_log_logged_at ON audit_log (logged_at);
