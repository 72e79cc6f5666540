-- 001_context: the context of the organisation (ISO/IEC 27001:2022 clause 4).
-- One row of organisation-wide context; interested parties (4.2) and issues (4.1) as lists.

CREATE TABLE IF NOT EXISTS isms_context (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    organization text NOT NULL DEFAULT '',
    scope        text NOT NULL DEFAULT '',
    version      bigint NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text NOT NULL DEFAULT ''
);
INSERT INTO isms_context (singleton) VALUES (true) ON CONFLICT DO NOTHING;

CREATE SEQUENCE IF NOT EXISTS interested_party_num_seq;
CREATE TABLE IF NOT EXISTS interested_party (
    num          bigint PRIMARY KEY DEFAULT nextval('interested_party_num_seq'),
    name         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('internal', 'external')),
    requirements text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL DEFAULT ''
);
ALTER SEQUENCE interested_party_num_seq OWNED BY interested_party.num;
CREATE UNIQUE INDEX IF NOT EXISTS interested_party_name_key ON interested_party (lower(name));

CREATE SEQUENCE IF NOT EXISTS context_issue_num_seq;
CREATE TABLE IF NOT EXISTS context_issue (
    num          bigint PRIMARY KEY DEFAULT nextval('context_issue_num_seq'),
    kind         text NOT NULL CHECK (kind IN ('internal', 'external')),
    description  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL DEFAULT ''
);
ALTER SEQUENCE context_issue_num_seq OWNED BY context_issue.num;
