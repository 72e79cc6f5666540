-- 036_action_owner_account: the owner of a treatment plan action (risk_action.owner) is an
-- active account, checked like a risk owner (ISO/IEC 27001:2022 6.1.3 e, 5.3). The check is a
-- trigger on new owners only: actions stored before this migration keep their free-text owner
-- (a status change still works), and no existing row makes the migration fail. The error
-- carries constraint name risk_action_owner_account and the owner and account status in its
-- detail ("<owner>" or "<owner>\x1f<status>"); db/sqlstate.c turns it into NOT_FOUND or
-- FAILED_PRECONDITION with a message naming the user.

CREATE OR REPLACE FUNCTION risk_action_owner_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.owner IS NOT DISTINCT FROM OLD.owner THEN
        RETURN NEW;
    END IF;
    SELECT u.status INTO st FROM app_user u WHERE u.name = NEW.owner;
    IF st IS NULL OR st <> 'active' THEN
        RAISE EXCEPTION 'action owner is not an active account'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'risk_action_owner_account',
                  DETAIL = NEW.owner || CASE WHEN st IS NULL THEN '' ELSE E'\x1f' || st END;
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS risk_action_owner_account ON risk_action;
CREATE TRIGGER risk_action_owner_account BEFORE INSERT OR UPDATE OF owner ON risk_action
    FOR EACH ROW EXECUTE FUNCTION risk_action_owner_check();
