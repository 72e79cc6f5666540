-- 060_schedules: scheduled reviews (ISO/IEC 27001:2022 8.2 "at planned intervals", 9.x).
-- A schedule S-<n> names what is reviewed (target_kind + target_ref, so more kinds can be added),
-- its owner and its recurrence; ismsd's scheduler turns each occurrence into a review R-<n>.
-- Exactly once: (schedule_num, due_at) is unique, and the scheduler claims due schedules with
-- FOR UPDATE SKIP LOCKED in one statement that also advances them, using the database's clock.

-- The organisation's time zone: calendar recurrences are computed in it (DST included).
ALTER TABLE isms_context ADD COLUMN IF NOT EXISTS time_zone text NOT NULL DEFAULT 'UTC';

CREATE SEQUENCE IF NOT EXISTS schedule_num_seq;
CREATE TABLE IF NOT EXISTS schedule (
    num          bigint PRIMARY KEY DEFAULT nextval('schedule_num_seq'),
    title        text NOT NULL,
    target_kind  text NOT NULL
                 CHECK (target_kind IN ('risk', 'risk_level', 'asset', 'access', 'soa', 'task')),
    target_ref   text NOT NULL DEFAULT '',      -- "R-<n>", a level name, "A-<n>", or ''
    owner        text NOT NULL REFERENCES app_user (name),
    every_n      integer NOT NULL CHECK (every_n BETWEEN 1 AND 1000),
    every_unit   text NOT NULL
                 CHECK (every_unit IN ('second', 'minute', 'hour', 'day', 'week', 'month', 'year')),
    time_zone    text NOT NULL,
    anchor       timestamptz NOT NULL,          -- occurrence 0
    occurrence   bigint NOT NULL DEFAULT 0 CHECK (occurrence >= 0), -- index of next_due
    next_due     timestamptz NOT NULL,          -- schedule_at(anchor, ..., occurrence)
    lead         interval NOT NULL DEFAULT '0', -- the review is created this long before
    fire_at      timestamptz NOT NULL,          -- next_due - lead: when the scheduler acts
    catch_up     text NOT NULL DEFAULT 'one' CHECK (catch_up IN ('one', 'each')),
    catch_up_max integer NOT NULL DEFAULT 10 CHECK (catch_up_max BETWEEN 1 AND 1000),
    paused_at    timestamptz,
    paused_by    text NOT NULL DEFAULT '',
    pause_reason text NOT NULL DEFAULT '',
    deleted_at   timestamptz,
    last_run_at  timestamptz,
    version      bigint NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS schedule_fire ON schedule (fire_at)
    WHERE paused_at IS NULL AND deleted_at IS NULL;

CREATE SEQUENCE IF NOT EXISTS review_num_seq;
CREATE TABLE IF NOT EXISTS review (
    num          bigint PRIMARY KEY DEFAULT nextval('review_num_seq'),
    schedule_num bigint NOT NULL REFERENCES schedule (num),
    due_at       timestamptz NOT NULL,
    occurrences  integer NOT NULL DEFAULT 1,   -- occurrences this review stands for (catch-up)
    skipped      integer NOT NULL DEFAULT 0,   -- missed occurrences before it left without one
    owner        text NOT NULL REFERENCES app_user (name),
    title        text NOT NULL,
    target_kind  text NOT NULL,
    target_ref   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL DEFAULT 'ismsd:scheduler',
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    completed_at timestamptz,
    completed_by text NOT NULL DEFAULT '',
    outcome      text NOT NULL DEFAULT ''
                 CHECK (outcome IN ('', 'confirmed', 'changed', 'action_required')),
    evidence     text NOT NULL DEFAULT '',
    UNIQUE (schedule_num, due_at)
);
CREATE INDEX IF NOT EXISTS review_open ON review (due_at) WHERE status = 'open';

-- The documented result of a risk review (8.2): the risk's ratings when the review completed.
CREATE SEQUENCE IF NOT EXISTS risk_assessment_num_seq;
CREATE TABLE IF NOT EXISTS risk_assessment (
    num         bigint PRIMARY KEY DEFAULT nextval('risk_assessment_num_seq'),
    risk_num    bigint NOT NULL,
    review_num  bigint NOT NULL REFERENCES review (num),
    assessed_at timestamptz NOT NULL,
    assessed_by text NOT NULL,
    outcome     text NOT NULL,
    evidence    text NOT NULL DEFAULT '',
    title       text NOT NULL,
    ratings     jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS risk_assessment_risk ON risk_assessment (risk_num, assessed_at);

-- What an access review confirmed: every account, its roles, last login and live tokens.
CREATE TABLE IF NOT EXISTS access_review_entry (
    review_num  bigint NOT NULL REFERENCES review (num),
    user_name   text NOT NULL,
    roles       text[] NOT NULL,
    status      text NOT NULL,
    last_login  timestamptz,
    tokens      text[] NOT NULL,
    PRIMARY KEY (review_num, user_name)
);

-- The length of one step of `every_n` `every_unit`.
CREATE OR REPLACE FUNCTION schedule_step(p_every integer, p_unit text) RETURNS interval
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT p_every * CASE p_unit WHEN 'second' THEN interval '1 second'
        WHEN 'minute' THEN interval '1 minute' WHEN 'hour' THEN interval '1 hour'
        WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days'
        WHEN 'month' THEN interval '1 month' ELSE interval '1 year' END
$$;

-- Occurrence k: calendar units step in local time of p_tz, so 09:00 stays 09:00 across a DST
-- change and the 31st stays the month's end; clock units (second, minute, hour) step in
-- absolute time. Always from the anchor, so months never drift.
CREATE OR REPLACE FUNCTION schedule_at(p_anchor timestamptz, p_tz text, p_every integer,
                                       p_unit text, p_k bigint) RETURNS timestamptz
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE WHEN p_unit IN ('second', 'minute', 'hour')
        THEN p_anchor + p_k * schedule_step(p_every, p_unit)
        ELSE ((p_anchor AT TIME ZONE p_tz) + p_k * schedule_step(p_every, p_unit)) AT TIME ZONE p_tz
        END
$$;

-- The last occurrence whose review is due at p_at (occurrence - lead <= p_at); -1 if none.
CREATE OR REPLACE FUNCTION schedule_last_due(p_anchor timestamptz, p_tz text, p_every integer,
                                             p_unit text, p_lead interval, p_at timestamptz)
    RETURNS bigint LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    k bigint;
BEGIN
    -- An estimate (a month counts 30 days), then exact steps to the answer.
    k := floor(extract(epoch FROM (p_at + p_lead - p_anchor))
               / extract(epoch FROM schedule_step(p_every, p_unit)))::bigint;
    IF k < -1 THEN
        k := -1;
    END IF;
    WHILE k >= 0 AND schedule_at(p_anchor, p_tz, p_every, p_unit, k) - p_lead > p_at LOOP
        k := k - 1;
    END LOOP;
    WHILE schedule_at(p_anchor, p_tz, p_every, p_unit, k + 1) - p_lead <= p_at LOOP
        k := k + 1;
    END LOOP;
    RETURN k;
END
$$;
