-- 035_soa_record: the SoA record an auditor can read (ISO/IEC 27001:2022 6.1.3 d).
-- * Inclusion and exclusion are justified separately: control.justification now holds the
--   justification for inclusion, control.exclusion_justification the one for exclusion. An
--   excluded control keeps no reasons, inclusion text, target date or status other than
--   not_applicable (ismsd clears them when a control is excluded; this migration clears
--   existing rows once, moving an excluded control's text to exclusion_justification).
-- * control.target_date: when a planned or partially implemented control is due.
-- * A closed risk no longer selects a control (control_linked_risks).
-- Owners stay text: an owner that is not an account (data from before owners were checked) is
-- kept and reported by `soa check`, never deleted.

ALTER TABLE control ADD COLUMN IF NOT EXISTS exclusion_justification text NOT NULL DEFAULT '';
ALTER TABLE control ADD COLUMN IF NOT EXISTS target_date date;

UPDATE control
   SET exclusion_justification = CASE WHEN exclusion_justification = '' THEN justification
                                      ELSE exclusion_justification END,
       justification = '', reasons = '{}', status = 'not_applicable', target_date = NULL,
       version = version + 1
 WHERE applicable = 'no'
   AND (justification <> '' OR reasons <> '{}' OR status <> 'not_applicable'
        OR target_date IS NOT NULL);
UPDATE control SET exclusion_justification = '', version = version + 1
 WHERE applicable <> 'no' AND exclusion_justification <> '';

-- Published rows keep what they were; rows published from now on carry both texts. A row
-- published before this migration has exclusion_justification '' and, when excluded, its
-- exclusion text in justification: soa_rows_at() reads it so.
ALTER TABLE soa_version_row ADD COLUMN IF NOT EXISTS exclusion_justification text NOT NULL
    DEFAULT '';
ALTER TABLE soa_version_row ADD COLUMN IF NOT EXISTS target_date date;

CREATE OR REPLACE FUNCTION control_linked_risks(p_id text) RETURNS text[]
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
    IF to_regclass('risk_control') IS NULL THEN
        RETURN '{}'::text[];
    END IF;
    RETURN coalesce((SELECT array_agg('R-' || rc.risk_num ORDER BY rc.risk_num)
                     FROM risk_control rc JOIN risk r ON r.num = rc.risk_num
                     WHERE rc.control_id = p_id AND r.status <> 'closed'), '{}'::text[]);
END
$$;

-- The SoA rows of version `v` (0: the current state), in catalogue order; `justification` is
-- the inclusion text, `exclusion_justification` the exclusion text, `target_date` YYYY-MM-DD
-- or ''.
DROP FUNCTION IF EXISTS soa_rows_at(integer);
CREATE FUNCTION soa_rows_at(v integer)
    RETURNS TABLE (pos integer, control_id text, ord text, theme text, title text,
                   is_custom boolean, source text, applicable text, reasons text[],
                   justification text, status text, owner text, implementation text,
                   evidence text[], linked_risks text[], control_version bigint,
                   exclusion_justification text, target_date text)
    LANGUAGE sql STABLE
    AS $$
    SELECT (row_number() OVER (ORDER BY c.ord))::integer, c.id, c.ord, c.theme, c.title,
           c.is_custom, c.source, c.applicable, c.reasons, c.justification, c.status, c.owner,
           c.implementation, c.evidence, control_linked_risks(c.id), c.version,
           c.exclusion_justification, coalesce(to_char(c.target_date, 'YYYY-MM-DD'), '')
    FROM control c WHERE v = 0
    UNION ALL
    SELECT r.pos, r.control_id, r.ord, r.theme, r.title, r.is_custom, r.source, r.applicable,
           r.reasons,
           CASE WHEN r.applicable = 'no' AND r.exclusion_justification = '' THEN ''
                ELSE r.justification END,
           r.status, r.owner, r.implementation, r.evidence, r.linked_risks, r.control_version,
           CASE WHEN r.applicable = 'no' AND r.exclusion_justification = '' THEN r.justification
                ELSE r.exclusion_justification END,
           coalesce(to_char(r.target_date, 'YYYY-MM-DD'), '')
    FROM soa_version_row r WHERE v <> 0 AND r.version_num = v
    ORDER BY 3
    $$;
