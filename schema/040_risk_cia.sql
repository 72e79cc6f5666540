-- 040_risk_cia.sql — which of confidentiality, integrity and availability a risk affects
-- (ISO/IEC 27001:2022 6.1.2 c 1: risks of loss of C, I or A). Kept beside the risk, one row per
-- risk that has said so; written by RiskCia/Set with its audit record.
CREATE TABLE IF NOT EXISTS risk_cia (
    risk_num   bigint PRIMARY KEY REFERENCES risk (num) ON DELETE CASCADE,
    affects    text NOT NULL CHECK (affects IN ('C', 'I', 'A', 'CI', 'CA', 'IA', 'CIA')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL
);
