-- 003_audit: the tamper-evident audit trail (Annex A 8.15).
-- hash = sha256(prev_hash || canonical record); canonical = each field as "<bytes>:<text>,"
-- in the order seq, at, actor, source, method, entity, changes, result (at as RFC 3339 UTC with
-- microseconds). Writers serialise on an advisory transaction lock, so the chain never forks.

CREATE TABLE IF NOT EXISTS audit_log (
    seq       bigint PRIMARY KEY,
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    source    text NOT NULL,
    method    text NOT NULL,
    entity    text NOT NULL,
    changes   text NOT NULL,
    result    text NOT NULL,
    prev_hash bytea NOT NULL,
    hash      bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_entity_idx ON audit_log (entity, seq);
CREATE INDEX IF NOT EXISTS audit_log_actor_idx ON audit_log (actor, seq);
CREATE INDEX IF NOT EXISTS audit_log_at_idx ON audit_log (at);

CREATE OR REPLACE FUNCTION audit_ts(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

CREATE OR REPLACE FUNCTION audit_canon(seq bigint, at text, actor text, source text,
                                       method text, entity text, changes text, result text)
    RETURNS bytea LANGUAGE sql IMMUTABLE
    AS $$
    SELECT convert_to(
        octet_length(seq::text) || ':' || seq::text || ',' ||
        octet_length(at) || ':' || at || ',' ||
        octet_length(actor) || ':' || actor || ',' ||
        octet_length(source) || ':' || source || ',' ||
        octet_length(method) || ':' || method || ',' ||
        octet_length(entity) || ':' || entity || ',' ||
        octet_length(changes) || ':' || changes || ',' ||
        octet_length(result) || ':' || result || ',', 'UTF8')
    $$;

-- The changed fields between two JSON objects: {"field": {"before": x, "after": y}, ...}.
CREATE OR REPLACE FUNCTION audit_diff(b jsonb, a jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT coalesce(jsonb_object_agg(k, jsonb_build_object('before', b -> k, 'after', a -> k)),
                    '{}'::jsonb)::text
    FROM jsonb_object_keys(coalesce(b, '{}'::jsonb) || coalesce(a, '{}'::jsonb)) AS k
    WHERE (b -> k) IS DISTINCT FROM (a -> k)
    $$;

-- Appends one record at the chain head inside the caller's transaction; returns its seq.
CREATE OR REPLACE FUNCTION audit_append(p_actor text, p_source text, p_method text,
                                        p_entity text, p_changes text, p_result text)
    RETURNS bigint LANGUAGE plpgsql
    AS $$
DECLARE
    prev bytea;
    s bigint;
    t timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(1769172340);
    SELECT a.seq, a.hash INTO s, prev FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        s := 0;
        prev := decode(repeat('00', 32), 'hex');
    END IF;
    s := s + 1;
    t := date_trunc('microseconds', clock_timestamp());
    INSERT INTO audit_log (seq, at, actor, source, method, entity, changes, result, prev_hash, hash)
    VALUES (s, t, p_actor, p_source, p_method, p_entity, p_changes, p_result, prev,
            sha256(prev || audit_canon(s, audit_ts(t), p_actor, p_source, p_method, p_entity,
                                       p_changes, p_result)));
    RETURN s;
END
$$;

CREATE OR REPLACE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();

-- The role that runs migrations (ismsd's) gives up the right to rewrite history.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
DO $$ BEGIN
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', current_user);
END $$;
