-- 002_auth: staff accounts, sessions, API tokens and login throttling (Annex A 5.15-5.18, 8.5).
-- Secrets are never stored: passwords as argon2id strings, tokens as their SHA-256.

CREATE TABLE IF NOT EXISTS app_user (
    name          text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    display_name  text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT '',
    roles         text[] NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    password_hash text NOT NULL,
    must_change_password boolean NOT NULL DEFAULT false,
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);

CREATE SEQUENCE IF NOT EXISTS api_token_num_seq;
CREATE TABLE IF NOT EXISTS api_token (
    num          bigint PRIMARY KEY DEFAULT nextval('api_token_num_seq'),
    owner        text NOT NULL REFERENCES app_user (name),
    name         text NOT NULL,
    roles        text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    UNIQUE (owner, name)
);
ALTER SEQUENCE api_token_num_seq OWNED BY api_token.num;

-- One row per live credential: interactive sessions and API tokens alike.
CREATE TABLE IF NOT EXISTS auth_session (
    token_hash   bytea PRIMARY KEY,
    user_name    text NOT NULL REFERENCES app_user (name),
    token_num    bigint REFERENCES api_token (num),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz NOT NULL DEFAULT now(),
    source       text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS auth_session_user_idx ON auth_session (user_name);

-- Failed logins per key ('user:<name>' or 'addr:<ip>'); a lock grows with each failure.
CREATE TABLE IF NOT EXISTS login_throttle (
    key          text PRIMARY KEY,
    failures     integer NOT NULL DEFAULT 0,
    last_failure timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz
);
