-- 041_context_edit.sql — interested parties and issues can be edited (Context/UpdateParty,
-- UpdateIssue, with an optimistic version), and a party records whether the ISMS addresses
-- its requirements (ISO/IEC 27001:2022 4.2 c): '' (not decided), yes, partly, no, and how.
ALTER TABLE interested_party ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1;
ALTER TABLE interested_party ADD COLUMN IF NOT EXISTS addressed text NOT NULL DEFAULT ''
    CHECK (addressed IN ('', 'yes', 'partly', 'no'));
ALTER TABLE interested_party ADD COLUMN IF NOT EXISTS addressed_note text NOT NULL DEFAULT '';
ALTER TABLE interested_party ADD COLUMN IF NOT EXISTS updated_at timestamptz;
ALTER TABLE interested_party ADD COLUMN IF NOT EXISTS updated_by text NOT NULL DEFAULT '';
ALTER TABLE context_issue ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1;
ALTER TABLE context_issue ADD COLUMN IF NOT EXISTS updated_at timestamptz;
ALTER TABLE context_issue ADD COLUMN IF NOT EXISTS updated_by text NOT NULL DEFAULT '';
