-- 018_auth_lockouts: failed-password counters per (user, address), per user and per address,
-- listed and cleared by admins; and failed-password audit records aggregated per address,
-- method and minute, so a flood of guesses cannot flood the audit trail.

-- login_throttle keys are now 'user:<name>', 'addr:<ip>' and 'pair:<ip> <name>' (an address
-- holds no space). The columns name what a key counts, for User/ListLockouts and User/Unlock.
ALTER TABLE login_throttle ADD COLUMN IF NOT EXISTS user_name text NOT NULL DEFAULT '';
ALTER TABLE login_throttle ADD COLUMN IF NOT EXISTS source text NOT NULL DEFAULT '';
UPDATE login_throttle SET user_name = substr(key, 6)
    WHERE key LIKE 'user:%' AND user_name = '';
UPDATE login_throttle SET source = substr(key, 6)
    WHERE key LIKE 'addr:%' AND source = '';
CREATE INDEX IF NOT EXISTS login_throttle_user_idx ON login_throttle (user_name);
CREATE INDEX IF NOT EXISTS login_throttle_source_idx ON login_throttle (source);
CREATE INDEX IF NOT EXISTS login_throttle_locked_idx ON login_throttle (locked_until);

-- One row per (address, method): the current one-minute window of failed password checks.
CREATE TABLE IF NOT EXISTS auth_failure_window (
    source       text NOT NULL,
    method       text NOT NULL,
    window_start timestamptz NOT NULL,
    recorded     integer NOT NULL DEFAULT 0, -- failures with their own audit record
    suppressed   integer NOT NULL DEFAULT 0, -- failures counted only in the summary record
    PRIMARY KEY (source, method)
);
CREATE INDEX IF NOT EXISTS auth_failure_window_start_idx ON auth_failure_window (window_start);

-- Records one failed password check in the audit trail: the first 5 of an address's window
-- (per method, one minute) get a record each, as before; the rest are counted, and once the
-- window is over the next failure from anywhere appends one summary record per window
-- ({"unrecorded_failures": N, "window_start": ...}, entity 'addr:<ip>'). Returns true when
-- this failure got its own record.
CREATE OR REPLACE FUNCTION auth_failure_audit(p_actor text, p_source text, p_method text,
                                              p_entity text, p_result text)
    RETURNS boolean LANGUAGE plpgsql
    AS $$
DECLARE
    w auth_failure_window%ROWTYPE;
    own boolean;
BEGIN
    -- Windows that are over: their summaries first, so the trail stays in time order.
    FOR w IN SELECT * FROM auth_failure_window
             WHERE window_start <= now() - interval '1 minute' AND suppressed > 0
             ORDER BY window_start FOR UPDATE SKIP LOCKED LOOP
        PERFORM audit_append('anonymous', w.source, w.method, 'addr:' || w.source,
                             jsonb_build_object('unrecorded_failures', w.suppressed,
                                                'window_start', audit_ts(w.window_start))::text,
                             p_result);
        UPDATE auth_failure_window SET suppressed = 0
            WHERE source = w.source AND method = w.method;
    END LOOP;
    DELETE FROM auth_failure_window
        WHERE window_start < now() - interval '1 day' AND suppressed = 0;

    INSERT INTO auth_failure_window (source, method, window_start)
        VALUES (p_source, p_method, now()) ON CONFLICT DO NOTHING;
    SELECT * INTO w FROM auth_failure_window
        WHERE source = p_source AND method = p_method FOR UPDATE;
    IF w.window_start <= now() - interval '1 minute' THEN
        IF w.suppressed > 0 THEN
            PERFORM audit_append('anonymous', w.source, w.method, 'addr:' || w.source,
                                 jsonb_build_object('unrecorded_failures', w.suppressed,
                                                    'window_start',
                                                    audit_ts(w.window_start))::text,
                                 p_result);
        END IF;
        w.window_start := now();
        w.recorded := 0;
        w.suppressed := 0;
    END IF;
    own := w.recorded < 5;
    IF own THEN
        PERFORM audit_append(p_actor, p_source, p_method, p_entity, '{}', p_result);
        w.recorded := w.recorded + 1;
    ELSE
        w.suppressed := w.suppressed + 1;
    END IF;
    UPDATE auth_failure_window SET window_start = w.window_start, recorded = w.recorded,
        suppressed = w.suppressed
        WHERE source = p_source AND method = p_method;
    RETURN own;
END
$$;
