-- 023: the chunked import's commit (asset_import_commit() of 022) also refuses a row whose
-- owner is not an active account, as Asset/Create and Import do: three columns more (the first
-- such row, its owner, and that account's status, '' when there is none). A function's result
-- type cannot be replaced, so it is dropped and created again in this one transaction.
DROP FUNCTION IF EXISTS asset_import_commit(uuid, text, bigint, text);

CREATE FUNCTION asset_import_commit(p_id uuid, p_actor text, p_expected bigint,
                                               p_source text)
    RETURNS TABLE (found bigint, staged bigint, nrows int, go boolean, dup_rn int,
                   dup_first int, dup_name text, taken_rn int, taken_num bigint,
                   taken_name text, missing_rn int, missing_ref text, cycle_rn int,
                   audited bigint, deps bigint, ids text, dropped bigint,
                   badowner_rn int, badowner text, badowner_status text)
    LANGUAGE sql VOLATILE SET enable_nestloop = off
    AS $$
WITH imp AS (SELECT id, nrows FROM asset_import WHERE id = p_id AND owner = p_actor  AND touched_at > now() - interval '1 hour' FOR UPDATE),
    staged AS (SELECT count(*) AS n FROM asset_import_row r JOIN imp ON r.import_id = imp.id),
    dup_batch AS (SELECT rn, first, name FROM (SELECT r.rn, r.name,  min(r.rn) OVER (PARTITION BY lower(r.name)) AS first FROM asset_import_row r  JOIN imp ON r.import_id = imp.id) w WHERE rn > first ORDER BY rn LIMIT 1),
    dup_db AS (SELECT s.rn, x.num, s.name FROM asset_import_row s JOIN imp  ON s.import_id = imp.id JOIN asset x ON lower(x.name) = lower(s.name)  ORDER BY s.rn LIMIT 1),
    edges AS MATERIALIZED (SELECT s.rn, s.num, d.ord, d.ref FROM asset_import_row s
      JOIN imp ON s.import_id = imp.id CROSS JOIN LATERAL unnest(s.deps) WITH ORDINALITY
      AS d (ref, ord)),
    names AS MATERIALIZED (SELECT lower(t.name) AS name, t.num FROM asset_import_row t
      JOIN imp ON t.import_id = imp.id),
    refs AS (SELECT e.rn, e.num, e.ord, e.ref, n.num AS to_staged,
      CASE WHEN n.num IS NULL THEN (SELECT y.num FROM asset y WHERE y.num = CASE WHEN e.ref
      ~* '^a-[0-9]{1,18}$' THEN substr(e.ref, 3)::bigint END OR lower(y.name) = lower(e.ref))
      END AS to_num FROM edges e LEFT JOIN names n ON n.name = lower(e.ref)),
    missing AS (SELECT rn, ref FROM refs WHERE to_staged IS NULL AND to_num IS NULL  ORDER BY rn, ord LIMIT 1),
    cyc AS (SELECT asset_import_cycle(imp.id) AS rn FROM imp),
    badowner AS (SELECT s.rn, s.owner, coalesce(u.status, '') AS st FROM asset_import_row s
      JOIN imp ON s.import_id = imp.id LEFT JOIN app_user u ON u.name = lower(s.owner)
      WHERE u.status IS DISTINCT FROM 'active' ORDER BY s.rn LIMIT 1),
    ok AS (SELECT (SELECT count(*) FROM imp) = 1 AND (SELECT n FROM staged) > 0  AND (SELECT n FROM staged) = (SELECT nrows FROM imp)  AND (p_expected = 0 OR (SELECT n FROM staged) = p_expected)  AND NOT EXISTS (SELECT 1 FROM dup_batch) AND NOT EXISTS (SELECT 1 FROM dup_db)  AND NOT EXISTS (SELECT 1 FROM missing) AND (SELECT rn FROM cyc) IS NULL
      AND NOT EXISTS (SELECT 1 FROM badowner) AS go),
    ins AS (INSERT INTO asset (num, name, type, description, owner, custodian, location,  classification, confidentiality, integrity, availability, tags, status, created_by,  updated_by) SELECT s.num, s.name, s.type, s.description, s.owner, s.custodian,  s.location, s.classification, s.c, s.i, s.a, s.tags, s.status, p_actor, p_actor  FROM asset_import_row s JOIN imp ON s.import_id = imp.id, ok WHERE ok.go  ORDER BY s.rn RETURNING 1),
    deps AS (INSERT INTO asset_dependency (asset_num, depends_on_num, created_by)  SELECT DISTINCT r.num, coalesce(r.to_staged, r.to_num),
    p_actor FROM refs r, ok  WHERE ok.go RETURNING 1),
    au AS (SELECT audit_append_many(p_actor, p_source, '/isms.v1.Asset/ImportCommit',  array_agg('asset:A-' || s.num ORDER BY s.rn),
    array_agg(audit_diff(NULL,  jsonb_build_object('name', s.name, 'type', s.type, 'description', s.description,  'owner', s.owner, 'custodian', s.custodian, 'location', s.location,  'classification', s.classification, 'confidentiality', s.c, 'integrity', s.i,  'availability', s.a, 'tags', to_jsonb(s.tags),
    'status', s.status,  'depends_on', to_jsonb(s.deps))) ORDER BY s.rn),
    'OK') AS n  FROM asset_import_row s JOIN imp ON s.import_id = imp.id, ok WHERE ok.go),
    dropped AS (DELETE FROM asset_import x USING imp WHERE x.id = imp.id RETURNING 1) SELECT (SELECT count(*) FROM imp),
    (SELECT n FROM staged),
    (SELECT nrows FROM imp),
    (SELECT go FROM ok),
    (SELECT rn FROM dup_batch),
    (SELECT first FROM dup_batch),
    (SELECT name FROM dup_batch),
    (SELECT rn FROM dup_db),
    (SELECT num FROM dup_db),
    (SELECT name FROM dup_db),
    (SELECT rn FROM missing),
    (SELECT ref FROM missing),
    (SELECT rn FROM cyc),
    (SELECT n FROM au),
    (SELECT count(*) FROM deps),
    (SELECT CASE WHEN (SELECT go FROM ok) THEN coalesce(string_agg('A-' || s.num, ','  ORDER BY s.rn),
    '') ELSE '' END FROM asset_import_row s JOIN imp  ON s.import_id = imp.id),
    (SELECT count(*) FROM dropped),
    (SELECT rn FROM badowner),
    (SELECT owner FROM badowner),
    (SELECT st FROM badowner)
$$;
