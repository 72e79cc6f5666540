-- 016_audit_trust: the audit trail against ismsd's own database role (Annex A 8.15).
-- Two roles: the owner (runs migrations, owns every object) and the runtime role ismsd
-- connects as, which is not the owner and not a member of it. The runtime role may read
-- audit_log and audit_checkpoint and append to them only through audit_append() and
-- audit_checkpoint_add(), which run with the owner's rights (SECURITY DEFINER). Checkpoints
-- hold the chain head (seq, hash) signed by ismsd with an Ed25519 key kept outside the
-- database; the signature itself is checked by Audit/Verify and `ismsctl audit verify`.
-- isms_grant_runtime(role) gives the runtime role exactly what it needs; ismsd calls it as
-- the owner after every migration run (owner_db set), so tables of later migrations follow.

CREATE TABLE IF NOT EXISTS audit_checkpoint (
    seq       bigint PRIMARY KEY,
    hash      bytea NOT NULL,
    signed_at timestamptz NOT NULL,
    key_id    text NOT NULL,
    signature bytea NOT NULL
);

DROP TRIGGER IF EXISTS audit_checkpoint_no_update ON audit_checkpoint;
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint;
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();

-- audit_append (003) now runs with its owner's rights and a fixed search path, so a caller's
-- own objects can never stand in for the ones it uses.
ALTER FUNCTION audit_append(text, text, text, text, text, text)
    SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp;

-- Records one signed checkpoint of the chain head. The (seq, hash) must be a record of the
-- chain; a checkpoint at or below the newest one is skipped (another instance signed first).
-- Returns true when a row was added.
CREATE OR REPLACE FUNCTION audit_checkpoint_add(p_seq bigint, p_hash bytea, p_signed_at timestamptz,
                                                p_key_id text, p_signature bytea)
    RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1769172341);
    IF NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.seq = p_seq AND a.hash = p_hash) THEN
        RAISE EXCEPTION 'checkpoint % does not match the audit chain', p_seq
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM audit_checkpoint c WHERE c.seq >= p_seq) THEN
        RETURN false;
    END IF;
    INSERT INTO audit_checkpoint (seq, hash, signed_at, key_id, signature)
    VALUES (p_seq, p_hash, p_signed_at, p_key_id, p_signature);
    RETURN true;
END
$$;

REVOKE ALL ON audit_log, audit_checkpoint FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit_append(text, text, text, text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit_checkpoint_add(bigint, bytea, timestamptz, text, bytea)
    FROM PUBLIC;
DO $$ BEGIN
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoint FROM %I', current_user);
END $$;

-- Grants the runtime role `p_role` what ismsd needs and nothing of the audit trail but SELECT
-- and the two append functions. Run by the owner. Refuses a superuser, the owner itself, a
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
END
$$;
REVOKE EXECUTE ON FUNCTION isms_grant_runtime(name) FROM PUBLIC;
