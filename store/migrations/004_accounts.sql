-- Accounts of lawyers, content staff and operators; their sessions, invitations and
-- failed sign-ins (package accounts).
CREATE TABLE accounts (
    id            bigserial   PRIMARY KEY,
    email         text        NOT NULL UNIQUE CHECK (email = lower(email) AND email <> ''),
    role          text        NOT NULL CHECK (role IN ('lawyer', 'staff', 'operator')),
    lawyer_id     integer     UNIQUE REFERENCES lawyers (id),
    name          text        NOT NULL DEFAULT '',
    -- argon2id in PHC string form; NULL until the invitation is used.
    password_hash text,
    disabled      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'lawyer') = (lawyer_id IS NOT NULL))
);

-- One-time links that let a person set their password. Only a hash of the token is kept.
CREATE TABLE account_invites (
    token_hash bytea       PRIMARY KEY,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX account_invites_account_idx ON account_invites (account_id);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is kept.
CREATE TABLE sessions (
    id_hash      bytea       PRIMARY KEY,
    account_id   bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_secret  bytea       NOT NULL,
    ip           text        NOT NULL DEFAULT '',
    user_agent   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_account_idx ON sessions (account_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Failed sign-ins, counted per account (scope 'login') and per client address
-- (scope 'ip') over a sliding window.
CREATE TABLE signin_failures (
    scope text        NOT NULL CHECK (scope IN ('login', 'ip')),
    key   text        NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signin_failures_key_idx ON signin_failures (scope, key, at);
