-- 021: audit_append_many(), the bulk audit append of the chunked asset import (020). It was
-- written into 020 after 020's first commit; 020 is back as first committed and the function
-- lives here. Like audit_append (016) it runs with the owner's rights and a fixed search path:
-- ismsd's runtime role may read audit_log but not insert into it, so a plain function would
-- fail the import's commit under the owner/runtime split.
-- Appends one audit record per element of p_entities / p_changes (same length, in order) at
-- the chain head, exactly as that many audit_append() calls would (same lock, same canonical
-- form and hash chain; the records share one timestamp), but reads the head once and inserts
-- them in one statement: a per-record head lookup made a large import's audit trail cost more
-- than the import. Returns how many records it appended (0 for NULL or empty arrays).
CREATE OR REPLACE FUNCTION audit_append_many(p_actor text, p_source text, p_method text,
                                             p_entities text[], p_changes text[],
                                             p_result text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $$
DECLARE
    n      int := coalesce(cardinality(p_entities), 0);
    prev   bytea;
    s      bigint;
    t      timestamptz;
    ts     text;
    prevs  bytea[];
    hashes bytea[];
BEGIN
    IF n = 0 THEN
        RETURN 0;
    END IF;
    IF coalesce(cardinality(p_changes), 0) <> n THEN
        RAISE EXCEPTION 'audit_append_many: % entities but % changes', n,
            coalesce(cardinality(p_changes), 0);
    END IF;
    PERFORM pg_advisory_xact_lock(1769172340);
    SELECT a.seq, a.hash INTO s, prev FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        s := 0;
        prev := decode(repeat('00', 32), 'hex');
    END IF;
    t := date_trunc('microseconds', clock_timestamp());
    ts := audit_ts(t);
    prevs := array_fill(NULL::bytea, ARRAY[n]);
    hashes := array_fill(NULL::bytea, ARRAY[n]);
    FOR k IN 1 .. n LOOP
        prevs[k] := prev;
        prev := sha256(prev || audit_canon(s + k, ts, p_actor, p_source, p_method,
                                           p_entities[k], p_changes[k], p_result));
        hashes[k] := prev;
    END LOOP;
    INSERT INTO audit_log (seq, at, actor, source, method, entity, changes, result, prev_hash, hash)
    SELECT s + k, t, p_actor, p_source, p_method, p_entities[k], p_changes[k], p_result,
           prevs[k], hashes[k]
      FROM generate_series(1, n) AS k;
    RETURN n;
END
$$;
REVOKE EXECUTE ON FUNCTION audit_append_many(text, text, text, text[], text[], text) FROM PUBLIC;

-- Grants the runtime role `p_role` what ismsd needs and nothing of the audit trail but SELECT
-- and the three append functions. Run by the owner. Refuses a superuser, the owner itself, a
-- role with CREATEROLE and a member of the owner role (each could rewrite the trail).
CREATE OR REPLACE FUNCTION isms_grant_runtime(p_role name) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
    AS $$
DECLARE
    r record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', p_role;
    END IF;
    IF p_role = current_user THEN
        RAISE EXCEPTION 'the runtime role "%" is the owner role', p_role;
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = p_role) THEN
        RAISE EXCEPTION 'the runtime role "%" is a superuser', p_role;
    END IF;
    -- CREATEROLE could grant itself the owner role (PostgreSQL 15).
    IF (SELECT rolcreaterole FROM pg_roles WHERE rolname = p_role) THEN
        RAISE EXCEPTION 'the runtime role "%" has CREATEROLE', p_role;
    END IF;
    IF pg_has_role(p_role, current_user, 'MEMBER') THEN
        RAISE EXCEPTION 'the runtime role "%" is a member of the owner role "%"', p_role,
            current_user;
    END IF;
    FOR r IN SELECT c.oid::regclass AS t, c.relname FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') LOOP
        IF r.relname IN ('audit_log', 'audit_checkpoint', 'schema_migrations') THEN
            EXECUTE format('REVOKE ALL ON %s FROM %I', r.t, p_role);
            EXECUTE format('GRANT SELECT ON %s TO %I', r.t, p_role);
        ELSE
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I', r.t, p_role);
        END IF;
    END LOOP;
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION audit_append(text, text, text, text, text, text) '
                   'TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION audit_checkpoint_add(bigint, bytea, timestamptz, '
                   'text, bytea) TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION audit_append_many(text, text, text, text[], text[], '
                   'text) TO %I', p_role);
END
$$;
REVOKE EXECUTE ON FUNCTION isms_grant_runtime(name) FROM PUBLIC;
