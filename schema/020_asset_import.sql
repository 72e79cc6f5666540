-- 020_asset_import: staging for chunked asset imports (Asset/ImportBegin, ImportChunk,
-- ImportCommit, ImportAbort). An import belongs to the user who began it; its rows wait in
-- asset_import_row (UNLOGGED: staging is not worth WAL, and a crash that empties it makes
-- the commit refuse, because the count in asset_import no longer matches) until one commit
-- statement creates them all. Imports idle for an hour are deleted by the next ImportBegin.

CREATE TABLE IF NOT EXISTS asset_import (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    touched_at timestamptz NOT NULL DEFAULT now(),
    nrows      int NOT NULL DEFAULT 0 CHECK (nrows >= 0)
);
CREATE INDEX IF NOT EXISTS asset_import_owner_idx ON asset_import (owner);

CREATE UNLOGGED TABLE IF NOT EXISTS asset_import_row (
    import_id      uuid NOT NULL REFERENCES asset_import (id) ON DELETE CASCADE,
    rn             int NOT NULL,
    name           text NOT NULL,
    type           text NOT NULL,
    description    text NOT NULL,
    owner          text NOT NULL,
    custodian      text NOT NULL,
    location       text NOT NULL,
    classification text NOT NULL,
    c              int NOT NULL,
    i              int NOT NULL,
    a              int NOT NULL,
    tags           text[] NOT NULL,
    status         text NOT NULL,
    deps           text[] NOT NULL,
    PRIMARY KEY (import_id, rn)
);
CREATE INDEX IF NOT EXISTS asset_import_row_name_idx ON asset_import_row (import_id, lower(name));

-- The smallest row number on a dependency cycle among the staged rows of import p_id, or NULL
-- when there is none. Existing assets never depend on staged ones, so only edges between
-- staged rows (a depends_on naming another staged row) can close a cycle. One iterative
-- depth-first search: every row and edge is visited once (linear, whatever the shape).
CREATE OR REPLACE FUNCTION asset_import_cycle(p_id uuid) RETURNS int
    LANGUAGE plpgsql STABLE AS $$
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
    SELECT coalesce(array_agg(s.rn ORDER BY s.rn, t.rn), '{}'),
           coalesce(array_agg(t.rn ORDER BY s.rn, t.rn), '{}')
      INTO src, tgt
      FROM asset_import_row s CROSS JOIN LATERAL unnest(s.deps) AS d (ref)
      JOIN asset_import_row t ON t.import_id = p_id AND lower(t.name) = lower(d.ref)
     WHERE s.import_id = p_id;
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
