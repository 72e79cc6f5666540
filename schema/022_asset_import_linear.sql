-- 022: the chunked asset import (020) at 100,000 rows. 020 and 021 are merged and stay as they
-- are; this migration replaces their functions with linear ones and moves ImportCommit's
-- statement into asset_import_commit(). Idempotent: every object is created or replaced.

-- The asset's number, drawn when the row is staged (in row order), so the commit needs no join
-- to learn which number a row got; an import never committed leaves a gap in the ids, as any
-- failed insert does.
ALTER TABLE asset_import_row ADD COLUMN IF NOT EXISTS num bigint NOT NULL
    DEFAULT nextval('asset_num_seq');

-- The cycle check of 020 with both sides materialised before the join and nested loops off:
-- joined directly, the planner may rescan the staging once per staged row (quadratic) when the
-- staging's statistics are stale.
CREATE OR REPLACE FUNCTION asset_import_cycle(p_id uuid) RETURNS int
    LANGUAGE plpgsql STABLE SET enable_nestloop = off AS $$
DECLARE
    n     int;
    src   int[];
    tgt   int[];
    first int[];
    state int[];
    stk   int[];
    pos   int[];
    sp    int;
    v     int;
    w     int;
    e     int;
    k     int;
    best  int;
BEGIN
    SELECT coalesce(max(rn), 0) INTO n FROM asset_import_row WHERE import_id = p_id;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    -- Both sides materialised first: joined directly, the planner may rescan the staging
    -- once per staged row inside the lateral unnest (quadratic) when the statistics are stale.
    WITH e AS MATERIALIZED (SELECT s.rn, lower(d.ref) AS ref FROM asset_import_row s,
                                   unnest(s.deps) AS d (ref) WHERE s.import_id = p_id),
         r AS MATERIALIZED (SELECT t.rn, lower(t.name) AS name FROM asset_import_row t
                             WHERE t.import_id = p_id)
    SELECT coalesce(array_agg(e.rn ORDER BY e.rn, r.rn), '{}'),
           coalesce(array_agg(r.rn ORDER BY e.rn, r.rn), '{}')
      INTO src, tgt
      FROM e JOIN r ON r.name = e.ref;
    -- first[v] .. first[v + 1] - 1: the edges of row v (rows are numbered 1..n).
    first := array_fill(0, ARRAY[n + 1]);
    FOR e IN 1 .. coalesce(array_length(src, 1), 0) LOOP
        first[src[e]] := first[src[e]] + 1;
    END LOOP;
    k := 1;
    FOR v IN 1 .. n + 1 LOOP
        w := first[v];
        first[v] := k;
        k := k + w;
    END LOOP;
    state := array_fill(0, ARRAY[n]);
    stk := array_fill(0, ARRAY[n]);
    pos := array_fill(0, ARRAY[n]);
    FOR root IN 1 .. n LOOP
        CONTINUE WHEN state[root] <> 0;
        sp := 1;
        stk[1] := root;
        pos[1] := first[root];
        state[root] := 1;
        WHILE sp > 0 LOOP
            v := stk[sp];
            e := pos[sp];
            IF e < first[v + 1] THEN
                pos[sp] := e + 1;
                w := tgt[e];
                IF state[w] = 1 THEN
                    -- The cycle is w .. v on the stack: report its smallest row.
                    best := w;
                    k := sp;
                    WHILE stk[k] <> w LOOP
                        best := least(best, stk[k]);
                        k := k - 1;
                    END LOOP;
                    RETURN best;
                ELSIF state[w] = 0 THEN
                    state[w] := 1;
                    sp := sp + 1;
                    stk[sp] := w;
                    pos[sp] := first[w];
                END IF;
            ELSE
                state[v] := 2;
                sp := sp - 1;
            END IF;
        END LOOP;
    END LOOP;
    RETURN NULL;
END
$$;

-- audit_append_many() of 021, walking the arrays with unnest: p_entities[k] walks a text array
-- from its start each time, so subscripts made 100,000 records quadratic. Same rights as in 021
-- (the owner's, a fixed search path); CREATE OR REPLACE keeps 021's grants.
CREATE OR REPLACE FUNCTION audit_append_many(p_actor text, p_source text, p_method text,
                                             p_entities text[], p_changes text[],
                                             p_result text)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $$
DECLARE
    n    int := coalesce(cardinality(p_entities), 0);
    prev bytea;
    h    bytea;
    s    bigint;
    t    timestamptz;
    ts   text;
    r    record;
BEGIN
    IF n = 0 THEN
        RETURN 0;
    END IF;
    IF coalesce(cardinality(p_changes), 0) <> n THEN
        RAISE EXCEPTION 'audit_append_many: % entities but % changes', n,
            coalesce(cardinality(p_changes), 0);
    END IF;
    PERFORM pg_advisory_xact_lock(1769172340);
    SELECT a.seq, a.hash INTO s, prev FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        s := 0;
        prev := decode(repeat('00', 32), 'hex');
    END IF;
    t := date_trunc('microseconds', clock_timestamp());
    ts := audit_ts(t);
    -- unnest, not subscripts: p_entities[k] walks a text array from its start each time.
    FOR r IN SELECT u.e, u.c FROM unnest(p_entities, p_changes) AS u (e, c) LOOP
        s := s + 1;
        h := sha256(prev || audit_canon(s, ts, p_actor, p_source, p_method, r.e, r.c,
                                        p_result));
        INSERT INTO audit_log (seq, at, actor, source, method, entity, changes, result,
                               prev_hash, hash)
        VALUES (s, t, p_actor, p_source, p_method, r.e, r.c, p_result, prev, h);
        prev := h;
    END LOOP;
    RETURN n;
END
$$;

-- Commits import p_id of p_actor (ImportCommit): the checks only the database can make (names
-- repeated in the import or taken in the inventory, dependencies naming nothing, cycles), then
-- every staged row as an asset with the number it got when staged, its dependencies and its
-- audit record (audit_append_many), or nothing; the import is dropped either way. One row:
-- found, staged, nrows, go, dup_rn, dup_first, dup_name, taken_rn, taken_num, taken_name,
-- missing_rn, missing_ref, cycle_rn, audited, deps, ids ("A-1,A-2,..." in row order), dropped.
-- enable_nestloop is off inside and the staged rows are materialised before they are joined:
-- the staging's statistics lag behind a fresh import (after one import they say every row
-- belongs to it), and a nested loop planned for "one row" over 100,000 staged rows takes
-- hours; hash and merge joins keep every step near linear whatever the estimates.
CREATE OR REPLACE FUNCTION asset_import_commit(p_id uuid, p_actor text, p_expected bigint,
                                               p_source text)
    RETURNS TABLE (found bigint, staged bigint, nrows int, go boolean, dup_rn int,
                   dup_first int, dup_name text, taken_rn int, taken_num bigint,
                   taken_name text, missing_rn int, missing_ref text, cycle_rn int,
                   audited bigint, deps bigint, ids text, dropped bigint)
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
    ok AS (SELECT (SELECT count(*) FROM imp) = 1 AND (SELECT n FROM staged) > 0  AND (SELECT n FROM staged) = (SELECT nrows FROM imp)  AND (p_expected = 0 OR (SELECT n FROM staged) = p_expected)  AND NOT EXISTS (SELECT 1 FROM dup_batch) AND NOT EXISTS (SELECT 1 FROM dup_db)  AND NOT EXISTS (SELECT 1 FROM missing) AND (SELECT rn FROM cyc) IS NULL AS go),
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
    (SELECT count(*) FROM dropped)
$$;
