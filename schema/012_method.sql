-- 012_method: the risk assessment methodology (ISO/IEC 27001:2022 6.1.2), versioned.
-- A version is never changed or deleted once written (triggers refuse it): a change is a new
-- version, so every assessment can name the exact method it used. ismsd validates a method
-- (scales of 3-10 levels, bands covering every score once, appetite in range) before saving it.

CREATE TABLE IF NOT EXISTS risk_method (
    version                 bigint PRIMARY KEY CHECK (version >= 1),
    likelihood_labels       text[] NOT NULL,
    likelihood_descriptions text[] NOT NULL,
    impact_labels           text[] NOT NULL,
    impact_descriptions     text[] NOT NULL,
    computation             text NOT NULL CHECK (computation IN ('product', 'matrix')),
    -- computation 'matrix': score of (l, i) at index (l - 1) * cardinality(impact_labels) + i
    matrix                  integer[],
    level_names             text[] NOT NULL,
    level_min               integer[] NOT NULL,
    level_max               integer[] NOT NULL,
    appetite                integer NOT NULL CHECK (appetite >= 0),
    note                    text NOT NULL DEFAULT '',
    created_at              timestamptz NOT NULL DEFAULT now(),
    created_by              text NOT NULL DEFAULT '',
    CHECK (cardinality(likelihood_labels) BETWEEN 3 AND 10
           AND cardinality(likelihood_descriptions) = cardinality(likelihood_labels)),
    CHECK (cardinality(impact_labels) BETWEEN 3 AND 10
           AND cardinality(impact_descriptions) = cardinality(impact_labels)),
    CHECK ((computation = 'product' AND matrix IS NULL)
           OR (computation = 'matrix'
               AND cardinality(matrix) = cardinality(likelihood_labels) * cardinality(impact_labels))),
    CHECK (cardinality(level_names) BETWEEN 1 AND 10
           AND cardinality(level_min) = cardinality(level_names)
           AND cardinality(level_max) = cardinality(level_names))
);

CREATE OR REPLACE FUNCTION risk_method_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'risk_method versions are immutable; save a new version instead'
        USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS risk_method_no_update ON risk_method;
CREATE TRIGGER risk_method_no_update BEFORE UPDATE OR DELETE ON risk_method
    FOR EACH ROW EXECUTE FUNCTION risk_method_immutable();
DROP TRIGGER IF EXISTS risk_method_no_truncate ON risk_method;
CREATE TRIGGER risk_method_no_truncate BEFORE TRUNCATE ON risk_method
    FOR EACH STATEMENT EXECUTE FUNCTION risk_method_immutable();

-- The method as the audit trail records it (before/after of Method/Set).
CREATE OR REPLACE FUNCTION risk_method_json(m risk_method) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT jsonb_build_object(
        'likelihood', to_jsonb(m.likelihood_labels),
        'likelihood_descriptions', to_jsonb(m.likelihood_descriptions),
        'impact', to_jsonb(m.impact_labels),
        'impact_descriptions', to_jsonb(m.impact_descriptions),
        'computation', m.computation,
        'matrix', to_jsonb(m.matrix),
        'levels', (SELECT jsonb_agg(n || ' ' || lo || '-' || hi ORDER BY o)
                   FROM unnest(m.level_names, m.level_min, m.level_max)
                        WITH ORDINALITY AS t(n, lo, hi, o)),
        'appetite', m.appetite,
        'note', m.note)
    $$;

-- Version 1: the default methodology, 5 × 5, score = likelihood × impact, appetite 6.
INSERT INTO risk_method (version, likelihood_labels, likelihood_descriptions, impact_labels,
                         impact_descriptions, computation, matrix, level_names, level_min,
                         level_max, appetite, note, created_by)
VALUES (1,
    ARRAY['Rare', 'Unlikely', 'Possible', 'Likely', 'Almost certain'],
    ARRAY['may occur only in exceptional circumstances (less than once in 10 years)',
          'could occur at some time (once in 3 to 10 years)',
          'might occur (once in 1 to 3 years)',
          'will probably occur (at least once a year)',
          'is expected to occur (several times a year)'],
    ARRAY['Negligible', 'Minor', 'Moderate', 'Major', 'Severe'],
    ARRAY['no noticeable effect on operations, customers or obligations',
          'limited, short disruption or loss, handled within normal operations',
          'noticeable disruption, limited exposure of internal data, or a minor breach of an obligation',
          'serious disruption, exposure of confidential data, or a legal, regulatory or contractual breach',
          'prolonged outage, large-scale data breach, major fines or lasting loss of trust'],
    'product', NULL,
    ARRAY['low', 'medium', 'high', 'critical'],
    ARRAY[1, 5, 10, 17],
    ARRAY[4, 9, 16, 25],
    6,
    'default methodology: 5 x 5 scales, score = likelihood x impact, appetite 6',
    'ismsd')
ON CONFLICT (version) DO NOTHING;
