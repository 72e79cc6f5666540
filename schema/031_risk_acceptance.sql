-- 031_risk_acceptance: acceptance of every residual risk by its owner with a review date, and
-- a lowered residual rating awaiting a second person (ISO/IEC 27001:2022 6.1.3 e-f, 8.3).
-- acceptance_expires: the date by which the owner's acceptance is reviewed; after it the
-- acceptance no longer counts (NULL for acceptances recorded before this migration).
-- pending_residual_*: a residual rating the risk's owner gave below the current one; it counts
-- only once an isms_manager other than the owner confirms it (Risk/ConfirmResidual).

ALTER TABLE risk ADD COLUMN IF NOT EXISTS acceptance_expires date;
ALTER TABLE risk ADD COLUMN IF NOT EXISTS pending_residual_likelihood integer
    CHECK (pending_residual_likelihood BETWEEN 1 AND 10);
ALTER TABLE risk ADD COLUMN IF NOT EXISTS pending_residual_impact integer
    CHECK (pending_residual_impact BETWEEN 1 AND 10);
ALTER TABLE risk ADD COLUMN IF NOT EXISTS pending_residual_score integer
    CHECK (pending_residual_score >= 1);
ALTER TABLE risk ADD COLUMN IF NOT EXISTS pending_residual_level text;
ALTER TABLE risk ADD COLUMN IF NOT EXISTS pending_method_version bigint
    REFERENCES risk_method (version);
ALTER TABLE risk ADD COLUMN IF NOT EXISTS pending_by text NOT NULL DEFAULT '';
ALTER TABLE risk ADD COLUMN IF NOT EXISTS pending_at timestamptz;
