-- 019_idempotency: the idempotency keys of writes (the `idempotency-key` request metadata).
-- A write statement run with a key inserts its row in the same statement as the change and
-- its audit record, so the key commits (or rolls back) with the write: a repeat can never
-- make a second write. ismsd adds the final response (code, message, body) once the call is
-- answered; a row without it is a write that committed whose answer was not recorded.
-- Rows expire 24 hours after created_at; ismsd ignores expired rows and prunes them.
CREATE TABLE IF NOT EXISTS idempotency_key (
    user_name  text NOT NULL,
    key        text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    method     text NOT NULL,
    body_hash  bytea NOT NULL,              -- SHA-256 of the request body
    code       integer,                     -- NULL until the response is recorded
    message    text,
    response   bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_name, key)
);
CREATE INDEX IF NOT EXISTS idempotency_key_created_idx ON idempotency_key (created_at);
