-- 051_evidence: the evidence store (Annex A controls, 9.1, 9.2). An EV-n record is a file
-- (a file_blob of schema/050, same chunked upload) or a URL, says what it shows, when and by
-- whom it was collected and until when it is valid, and links to controls and risks.
-- `control set --evidence` refers to it as "EV-n"; `soa check` reports an implemented control
-- whose only evidence has expired.

CREATE SEQUENCE IF NOT EXISTS evidence_num_seq;
CREATE TABLE IF NOT EXISTS evidence (
    num          bigint PRIMARY KEY DEFAULT nextval('evidence_num_seq'),
    title        text NOT NULL,
    shows        text NOT NULL DEFAULT '',
    url          text NOT NULL DEFAULT '',
    blob_id      uuid REFERENCES file_blob (id),
    filename     text NOT NULL DEFAULT '',
    size         bigint NOT NULL DEFAULT 0,
    sha256       bytea,
    collected_at date NOT NULL DEFAULT current_date,
    collected_by text NOT NULL REFERENCES app_user (name),
    valid_until  date,
    controls     text[] NOT NULL DEFAULT '{}',
    risks        text[] NOT NULL DEFAULT '{}',
    version      bigint NOT NULL DEFAULT 1,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((blob_id IS NULL) <> (url = ''))
);
ALTER SEQUENCE evidence_num_seq OWNED BY evidence.num;

-- How many of a control's evidence references are still live: anything but an EV-n whose
-- valid_until has passed (URLs, file hashes and DOC-n references do not expire here).
CREATE OR REPLACE FUNCTION evidence_live_count(p_refs text[]) RETURNS bigint
    LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM unnest(p_refs) AS r (ref)
     WHERE NOT EXISTS (SELECT 1 FROM evidence e WHERE r.ref = 'EV-' || e.num
                       AND e.valid_until IS NOT NULL AND e.valid_until < current_date)
$$;
