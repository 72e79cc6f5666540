-- 030_soa_approval: SoA approval by top management (ISO/IEC 27001:2022 5.1, 6.1.3 d) as a step
-- of its own. Publishing freezes a version; afterwards a top_management account approves it,
-- once, itself. soa_version.approved_by keeps the free text publishers typed before this
-- migration (it never counted as an approval; new versions leave it empty) and
-- soa_version.approved_at is the publish time. Approvals never change either.

ALTER TABLE soa_version DROP CONSTRAINT IF EXISTS soa_version_approved_by_check;
ALTER TABLE soa_version ALTER COLUMN approved_by SET DEFAULT '';

CREATE TABLE IF NOT EXISTS soa_approval (
    version_num integer PRIMARY KEY REFERENCES soa_version (num),
    approved_by text NOT NULL REFERENCES app_user (name),
    approved_at timestamptz NOT NULL DEFAULT now()
);

DROP TRIGGER IF EXISTS soa_approval_no_change ON soa_approval;
CREATE TRIGGER soa_approval_no_change BEFORE UPDATE OR DELETE ON soa_approval
    FOR EACH ROW EXECUTE FUNCTION soa_version_immutable();
DROP TRIGGER IF EXISTS soa_approval_no_truncate ON soa_approval;
CREATE TRIGGER soa_approval_no_truncate BEFORE TRUNCATE ON soa_approval
    FOR EACH STATEMENT EXECUTE FUNCTION soa_version_immutable();
