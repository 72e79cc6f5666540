-- 010_assets: the asset inventory (ISO/IEC 27001:2022 Annex A 5.9, 5.12): assets, their
-- configurable classification levels, and dependencies between assets (never cyclic: every
-- insert into asset_dependency goes through asset_dependency_cycle() under one advisory lock).

CREATE TABLE IF NOT EXISTS asset_classification (
    level text PRIMARY KEY CHECK (level ~ '^[a-z0-9][a-z0-9 _-]{0,39}$'),
    rank  int NOT NULL CHECK (rank >= 1),
    CONSTRAINT asset_classification_rank_key UNIQUE (rank) DEFERRABLE INITIALLY IMMEDIATE
);
INSERT INTO asset_classification (level, rank)
SELECT l, r FROM (VALUES ('public', 1), ('internal', 2), ('confidential', 3),
                         ('restricted', 4)) AS d (l, r)
WHERE NOT EXISTS (SELECT 1 FROM asset_classification);

CREATE SEQUENCE IF NOT EXISTS asset_num_seq;
CREATE TABLE IF NOT EXISTS asset (
    num             bigint PRIMARY KEY DEFAULT nextval('asset_num_seq'),
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    type            text NOT NULL CHECK (type IN ('information', 'software', 'hardware',
                                                  'service', 'people', 'site', 'supplier')),
    description     text NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
    owner           text NOT NULL CHECK (char_length(owner) BETWEEN 1 AND 200),
    custodian       text NOT NULL DEFAULT '' CHECK (char_length(custodian) <= 200),
    location        text NOT NULL DEFAULT '' CHECK (char_length(location) <= 200),
    classification  text NOT NULL REFERENCES asset_classification (level),
    -- 1..N on the risk methodology's impact scale; N is checked by ismsd (asset_cia_scale()),
    -- 10 is the largest scale a methodology may have.
    confidentiality int NOT NULL CHECK (confidentiality BETWEEN 1 AND 10),
    integrity       int NOT NULL CHECK (integrity BETWEEN 1 AND 10),
    availability    int NOT NULL CHECK (availability BETWEEN 1 AND 10),
    tags            text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 32),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text NOT NULL DEFAULT '',
    version         bigint NOT NULL DEFAULT 1
);
ALTER SEQUENCE asset_num_seq OWNED BY asset.num;
CREATE UNIQUE INDEX IF NOT EXISTS asset_name_key ON asset (lower(name));
CREATE INDEX IF NOT EXISTS asset_updated_idx ON asset (updated_at, num);
CREATE INDEX IF NOT EXISTS asset_owner_idx ON asset (lower(owner));
CREATE INDEX IF NOT EXISTS asset_classification_idx ON asset (classification);
CREATE INDEX IF NOT EXISTS asset_tags_idx ON asset USING gin (tags);

CREATE TABLE IF NOT EXISTS asset_dependency (
    asset_num      bigint NOT NULL REFERENCES asset (num) ON DELETE CASCADE,
    depends_on_num bigint NOT NULL REFERENCES asset (num),
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NOT NULL DEFAULT '',
    PRIMARY KEY (asset_num, depends_on_num),
    CHECK (asset_num <> depends_on_num)
);
CREATE INDEX IF NOT EXISTS asset_dependency_rev_idx ON asset_dependency (depends_on_num);

-- Largest allowed C/I/A value: the number of impact levels of the newest risk methodology
-- version (risk_method, schema/012_method.sql) when that table exists, else 5 (the default
-- 5 x 5 methodology). Read at run time, so a new methodology version applies at once.
CREATE OR REPLACE FUNCTION asset_cia_scale() RETURNS int LANGUAGE plpgsql STABLE AS $$
DECLARE
    n int;
BEGIN
    IF to_regclass('risk_method') IS NULL THEN
        RETURN 5;
    END IF;
    BEGIN
        EXECUTE 'SELECT cardinality(impact_labels) FROM risk_method'
                ' ORDER BY version DESC LIMIT 1' INTO n;
    EXCEPTION WHEN undefined_column OR undefined_function OR datatype_mismatch THEN
        n := NULL;
    END;
    IF n IS NULL OR n < 3 OR n > 10 THEN
        RETURN 5;
    END IF;
    RETURN n;
END
$$;

-- True when "p_asset depends on p_dep" would close a cycle (or is a self-dependency). Takes a
-- transaction-level advisory lock first, and being VOLATILE its query sees a fresh snapshot,
-- so two concurrent additions (X -> Y and Y -> X) cannot both pass.
CREATE OR REPLACE FUNCTION asset_dependency_cycle(p_asset bigint, p_dep bigint)
    RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1769172341);
    IF p_asset = p_dep THEN
        RETURN true;
    END IF;
    RETURN EXISTS (
        WITH RECURSIVE reach (n) AS (
            SELECT p_dep
            UNION
            SELECT d.depends_on_num FROM asset_dependency d JOIN reach r ON d.asset_num = r.n)
        SELECT 1 FROM reach WHERE n = p_asset);
END
$$;

-- The risks (ids "R-<n>", comma-separated) that name the asset, or '' when none or when the
-- risk register (risk_asset) does not exist yet.
CREATE OR REPLACE FUNCTION asset_risk_refs(p_num bigint) RETURNS text
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    refs text;
BEGIN
    IF to_regclass('risk_asset') IS NULL THEN
        RETURN '';
    END IF;
    EXECUTE 'SELECT string_agg(''R-'' || risk_num, '', '' ORDER BY risk_num)'
            ' FROM risk_asset WHERE asset_num = $1' INTO refs USING p_num;
    RETURN coalesce(refs, '');
END
$$;
