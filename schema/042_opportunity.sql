-- 042_opportunity.sql — opportunities (ISO/IEC 27001:2022 6.1.1: the risks *and opportunities*
-- to address), each with an owner account, an action and a status; and the sources of a risk
-- or an opportunity: the context issues (4.1) and interested parties' requirements (4.2) it
-- comes from. Ids OPP-<n>, never reused.
CREATE SEQUENCE IF NOT EXISTS opportunity_num_seq;
CREATE TABLE IF NOT EXISTS opportunity (
    num         bigint PRIMARY KEY DEFAULT nextval('opportunity_num_seq'),
    title       text NOT NULL,
    description text NOT NULL DEFAULT '',
    owner       text NOT NULL REFERENCES app_user (name),
    action      text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'identified'
                CHECK (status IN ('identified', 'planned', 'in_progress', 'realised', 'dropped')),
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL
);
ALTER SEQUENCE opportunity_num_seq OWNED BY opportunity.num;

-- One row per (risk or opportunity, issue or party); a removed source or subject takes its
-- links with it.
CREATE TABLE IF NOT EXISTS plan_source (
    risk_num        bigint REFERENCES risk (num) ON DELETE CASCADE,
    opportunity_num bigint REFERENCES opportunity (num) ON DELETE CASCADE,
    issue_num       bigint REFERENCES context_issue (num) ON DELETE CASCADE,
    party_num       bigint REFERENCES interested_party (num) ON DELETE CASCADE,
    CHECK ((risk_num IS NULL) <> (opportunity_num IS NULL)),
    CHECK ((issue_num IS NULL) <> (party_num IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS plan_source_key ON plan_source
    (coalesce(risk_num, 0), coalesce(opportunity_num, 0), coalesce(issue_num, 0),
     coalesce(party_num, 0));
