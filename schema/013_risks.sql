-- 013_risks: the risk register (ISO/IEC 27001:2022 6.1.2, 8.2), treatment plans (6.1.3, 8.3)
-- and risk acceptance by risk owners. Scores and levels are computed by ismsd from the method
-- version recorded in method_version and stored; a retained risk above the appetite always
-- carries an acceptance by its owner (ismsd enforces it; see domain/plan/risk_rules.c).

CREATE SEQUENCE IF NOT EXISTS risk_num_seq;
CREATE TABLE IF NOT EXISTS risk (
    num                      bigint PRIMARY KEY DEFAULT nextval('risk_num_seq'),
    title                    text NOT NULL,
    description              text NOT NULL DEFAULT '',
    threat                   text NOT NULL DEFAULT '',
    vulnerability            text NOT NULL DEFAULT '',
    owner                    text NOT NULL REFERENCES app_user (name),
    existing_controls        text NOT NULL DEFAULT '',
    method_version           bigint REFERENCES risk_method (version),
    inherent_likelihood      integer CHECK (inherent_likelihood BETWEEN 1 AND 10),
    inherent_impact          integer CHECK (inherent_impact BETWEEN 1 AND 10),
    inherent_score           integer CHECK (inherent_score >= 1),
    inherent_level           text,
    residual_likelihood      integer CHECK (residual_likelihood BETWEEN 1 AND 10),
    residual_impact          integer CHECK (residual_impact BETWEEN 1 AND 10),
    residual_score           integer CHECK (residual_score >= 1),
    residual_level           text,
    treatment                text NOT NULL DEFAULT ''
                             CHECK (treatment IN ('', 'modify', 'retain', 'avoid', 'share')),
    status                   text NOT NULL DEFAULT 'identified'
                             CHECK (status IN ('identified', 'assessed', 'treatment_planned',
                                               'treated', 'accepted', 'closed')),
    next_review              date,
    accepted_by              text NOT NULL DEFAULT '',
    accepted_at              timestamptz,
    acceptance_justification text NOT NULL DEFAULT '',
    accepted_score           integer,
    close_reason             text NOT NULL DEFAULT '',
    version                  bigint NOT NULL DEFAULT 1,
    created_at               timestamptz NOT NULL DEFAULT now(),
    created_by               text NOT NULL DEFAULT '',
    updated_at               timestamptz NOT NULL DEFAULT now(),
    updated_by               text NOT NULL DEFAULT '',
    CHECK (residual_score IS NULL OR residual_score <= inherent_score),
    CHECK ((inherent_score IS NULL) = (method_version IS NULL))
);
ALTER SEQUENCE risk_num_seq OWNED BY risk.num;
CREATE INDEX IF NOT EXISTS risk_owner_idx ON risk (owner, num);
CREATE INDEX IF NOT EXISTS risk_status_idx ON risk (status, num);

CREATE TABLE IF NOT EXISTS risk_asset (
    risk_num  bigint NOT NULL REFERENCES risk (num) ON DELETE CASCADE,
    asset_num bigint NOT NULL REFERENCES asset (num),
    PRIMARY KEY (risk_num, asset_num)
);
CREATE INDEX IF NOT EXISTS risk_asset_asset_idx ON risk_asset (asset_num);

-- Controls selected by a risk's treatment (Annex A or custom); read by `soa check`.
CREATE TABLE IF NOT EXISTS risk_control (
    risk_num   bigint NOT NULL REFERENCES risk (num) ON DELETE CASCADE,
    control_id text NOT NULL REFERENCES control (id),
    added_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (risk_num, control_id)
);
CREATE INDEX IF NOT EXISTS risk_control_control_idx ON risk_control (control_id);

-- Treatment plan actions; ids RA-<n> are global and never reused.
CREATE SEQUENCE IF NOT EXISTS risk_action_num_seq;
CREATE TABLE IF NOT EXISTS risk_action (
    num         bigint PRIMARY KEY DEFAULT nextval('risk_action_num_seq'),
    risk_num    bigint NOT NULL REFERENCES risk (num) ON DELETE CASCADE,
    description text NOT NULL,
    owner       text NOT NULL,
    due         date,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE risk_action_num_seq OWNED BY risk_action.num;
CREATE INDEX IF NOT EXISTS risk_action_risk_idx ON risk_action (risk_num, num);
