-- 050_documents: the document register (7.5, 5.2, Annex A 5.1, 5.37) and file bodies.
-- A file body (a document version or an evidence file) is stored as numbered chunk rows of
-- bytea in file_chunk under one file_blob. Rows rather than large objects: they cascade with
-- their blob, are covered by the ordinary table grants (isms_grant_runtime) and backups, and a
-- download reads them a page at a time like any other stream. A blob is 'uploading' while its
-- owner sends chunks (ismsd keeps the running SHA-256 state in hash_state), 'complete' once
-- every declared byte arrived and its SHA-256 matched, and 'attached' once a document version
-- or evidence record holds it; unattached blobs idle for an hour are deleted by the next
-- Upload/Begin.

CREATE TABLE IF NOT EXISTS file_blob (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner           text NOT NULL,
    state           text NOT NULL DEFAULT 'uploading'
                    CHECK (state IN ('uploading', 'complete', 'attached')),
    filename        text NOT NULL DEFAULT '',
    declared_size   bigint NOT NULL CHECK (declared_size > 0),
    declared_sha256 bytea NOT NULL CHECK (length(declared_sha256) = 32),
    received        bigint NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= declared_size),
    next_chunk      int NOT NULL DEFAULT 0,
    hash_state      bytea,
    sha256          bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    touched_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS file_blob_owner_idx ON file_blob (owner, state);

CREATE TABLE IF NOT EXISTS file_chunk (
    blob_id uuid NOT NULL REFERENCES file_blob (id) ON DELETE CASCADE,
    n       int NOT NULL CHECK (n >= 0),
    data    bytea NOT NULL,
    PRIMARY KEY (blob_id, n)
);
-- Bodies are mostly compressed already (PDF, DOCX): store out of line without pglz.
ALTER TABLE file_chunk ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE SEQUENCE IF NOT EXISTS document_num_seq;
CREATE TABLE IF NOT EXISTS document (
    num            bigint PRIMARY KEY DEFAULT nextval('document_num_seq'),
    title          text NOT NULL,
    type           text NOT NULL CHECK (type IN ('policy', 'topic_policy', 'procedure',
                   'standard', 'plan', 'record', 'external')),
    is_isms_policy boolean NOT NULL DEFAULT false CHECK (NOT is_isms_policy OR type = 'policy'),
    owner          text NOT NULL REFERENCES app_user (name),
    classification text NOT NULL DEFAULT 'internal',
    serves         text[] NOT NULL DEFAULT '{}',
    review_months  int NOT NULL DEFAULT 12 CHECK (review_months BETWEEN 1 AND 120),
    next_review    date,
    retention      text NOT NULL DEFAULT '',
    version        bigint NOT NULL DEFAULT 1,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE document_num_seq OWNED BY document.num;
-- One information security policy (5.2) in the register.
CREATE UNIQUE INDEX IF NOT EXISTS document_isms_policy_idx ON document (is_isms_policy)
    WHERE is_isms_policy;

CREATE TABLE IF NOT EXISTS doc_version (
    doc_num      bigint NOT NULL REFERENCES document (num),
    n            int NOT NULL CHECK (n >= 1),
    state        text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'in_review',
                 'approved', 'published', 'superseded', 'retired')),
    author       text NOT NULL,
    note         text NOT NULL DEFAULT '',
    blob_id      uuid REFERENCES file_blob (id),
    external_ref text NOT NULL DEFAULT '',
    filename     text NOT NULL DEFAULT '',
    size         bigint NOT NULL DEFAULT 0,
    sha256       bytea NOT NULL CHECK (length(sha256) = 32),
    approved_by  text,
    approved_at  timestamptz,
    published_at timestamptz,
    ended_at     timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (doc_num, n),
    CHECK ((blob_id IS NULL) <> (external_ref = ''))
);
-- One published version per document.
CREATE UNIQUE INDEX IF NOT EXISTS doc_version_published_idx ON doc_version (doc_num)
    WHERE state = 'published';

-- A version's body and hash never change once it has been written; its state moves only
-- forward along the lifecycle.
CREATE OR REPLACE FUNCTION doc_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.blob_id IS DISTINCT FROM OLD.blob_id OR NEW.sha256 <> OLD.sha256
       OR NEW.external_ref <> OLD.external_ref OR NEW.size <> OLD.size
       OR NEW.author <> OLD.author THEN
        RAISE EXCEPTION 'document version DOC-%/% is immutable', OLD.doc_num, OLD.n
            USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.state IN ('superseded', 'retired') THEN
        RAISE EXCEPTION 'document version DOC-%/% is %', OLD.doc_num, OLD.n, OLD.state
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS doc_version_guard ON doc_version;
CREATE TRIGGER doc_version_guard BEFORE UPDATE ON doc_version
    FOR EACH ROW EXECUTE FUNCTION doc_version_guard();

-- Distribution of a published version to a role or a named account (7.3, 7.4).
CREATE TABLE IF NOT EXISTS doc_distribution (
    doc_num    bigint NOT NULL,
    n          int NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('role', 'user')),
    target     text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (doc_num, n, kind, target),
    FOREIGN KEY (doc_num, n) REFERENCES doc_version (doc_num, n)
);

-- An acknowledgement: this person read this version, whose body hashed to sha256.
CREATE TABLE IF NOT EXISTS doc_ack (
    doc_num   bigint NOT NULL,
    n         int NOT NULL,
    user_name text NOT NULL REFERENCES app_user (name),
    sha256    bytea NOT NULL,
    acked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (doc_num, n, user_name),
    FOREIGN KEY (doc_num, n) REFERENCES doc_version (doc_num, n)
);
CREATE INDEX IF NOT EXISTS doc_ack_user_idx ON doc_ack (user_name);

-- The accounts a version is distributed to (named, or holding a named role; active only).
CREATE OR REPLACE FUNCTION doc_audience(p_doc bigint, p_n int) RETURNS SETOF text
    LANGUAGE sql STABLE AS $$
    SELECT u.name FROM app_user u WHERE u.status = 'active' AND EXISTS (
        SELECT 1 FROM doc_distribution d WHERE d.doc_num = p_doc AND d.n = p_n
        AND ((d.kind = 'user' AND d.target = u.name)
          OR (d.kind = 'role' AND d.target = ANY (u.roles))))
$$;
