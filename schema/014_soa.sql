-- 014_soa: the Statement of Applicability (ISO/IEC 27001:2022 6.1.3 d). The current SoA is read
-- from `control`; a published version freezes every row with its approval. Published versions
-- never change: triggers refuse UPDATE, DELETE and TRUNCATE.

CREATE TABLE IF NOT EXISTS soa_version (
    num          integer PRIMARY KEY CHECK (num > 0),
    approved_by  text NOT NULL CHECK (approved_by <> ''),
    approved_at  timestamptz NOT NULL DEFAULT now(),
    published_by text NOT NULL,
    row_count    integer NOT NULL
);

CREATE TABLE IF NOT EXISTS soa_version_row (
    version_num     integer NOT NULL REFERENCES soa_version (num),
    pos             integer NOT NULL CHECK (pos > 0),
    control_id      text NOT NULL,
    ord             text COLLATE "C" NOT NULL,
    theme           text NOT NULL,
    title           text NOT NULL,
    is_custom       boolean NOT NULL,
    source          text NOT NULL,
    applicable      text NOT NULL,
    reasons         text[] NOT NULL,
    justification   text NOT NULL,
    status          text NOT NULL,
    owner           text NOT NULL,
    implementation  text NOT NULL,
    evidence        text[] NOT NULL,
    linked_risks    text[] NOT NULL,
    control_version bigint NOT NULL,
    PRIMARY KEY (version_num, pos),
    UNIQUE (version_num, control_id)
);

CREATE OR REPLACE FUNCTION soa_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published SoA version never changes' USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS soa_version_no_change ON soa_version;
CREATE TRIGGER soa_version_no_change BEFORE UPDATE OR DELETE ON soa_version
    FOR EACH ROW EXECUTE FUNCTION soa_version_immutable();
DROP TRIGGER IF EXISTS soa_version_no_truncate ON soa_version;
CREATE TRIGGER soa_version_no_truncate BEFORE TRUNCATE ON soa_version
    FOR EACH STATEMENT EXECUTE FUNCTION soa_version_immutable();
DROP TRIGGER IF EXISTS soa_version_row_no_change ON soa_version_row;
CREATE TRIGGER soa_version_row_no_change BEFORE UPDATE OR DELETE ON soa_version_row
    FOR EACH ROW EXECUTE FUNCTION soa_version_immutable();
DROP TRIGGER IF EXISTS soa_version_row_no_truncate ON soa_version_row;
CREATE TRIGGER soa_version_row_no_truncate BEFORE TRUNCATE ON soa_version_row
    FOR EACH STATEMENT EXECUTE FUNCTION soa_version_immutable();

-- The SoA rows of version `v` (0: the current state from `control`), in catalogue order.
CREATE OR REPLACE FUNCTION soa_rows_at(v integer)
    RETURNS TABLE (pos integer, control_id text, ord text, theme text, title text,
                   is_custom boolean, source text, applicable text, reasons text[],
                   justification text, status text, owner text, implementation text,
                   evidence text[], linked_risks text[], control_version bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT (row_number() OVER (ORDER BY c.ord))::integer, c.id, c.ord, c.theme, c.title,
           c.is_custom, c.source, c.applicable, c.reasons, c.justification, c.status, c.owner,
           c.implementation, c.evidence, control_linked_risks(c.id), c.version
    FROM control c WHERE v = 0
    UNION ALL
    SELECT r.pos, r.control_id, r.ord, r.theme, r.title, r.is_custom, r.source, r.applicable,
           r.reasons, r.justification, r.status, r.owner, r.implementation, r.evidence,
           r.linked_risks, r.control_version
    FROM soa_version_row r WHERE v <> 0 AND r.version_num = v
    ORDER BY 3
    $$;
