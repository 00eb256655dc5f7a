-- iamd's PostgreSQL schema, version 10: login profiles, password uses and password
-- policies (the tables of SQLite's migration 12). Applied once, in one transaction, and
-- recorded in `schema_migrations`; never edit a released migration, add a new one instead.

-- At most one per user. `previous_hashes`: earlier passwords' hashes, newest first, one
-- per line (a PHC string has no line break), for the policy's reuse prevention.
CREATE TABLE login_profiles (
    user_id                 TEXT    NOT NULL PRIMARY KEY REFERENCES users (user_id),
    create_date             BIGINT  NOT NULL,
    password_reset_required BOOLEAN NOT NULL,
    password_hash           TEXT    NOT NULL,
    password_set            BIGINT  NOT NULL,
    previous_hashes         TEXT    NOT NULL
);

-- GetUser's `PasswordLastUsed` (unix seconds); outlives the login profile, as AWS's does.
CREATE TABLE password_uses (
    user_id   TEXT   NOT NULL PRIMARY KEY REFERENCES users (user_id),
    last_used BIGINT NOT NULL
);

CREATE TABLE password_policies (
    account_id                     TEXT    NOT NULL PRIMARY KEY REFERENCES accounts (account_id),
    minimum_password_length        INTEGER NOT NULL,
    require_symbols                BOOLEAN NOT NULL,
    require_numbers                BOOLEAN NOT NULL,
    require_uppercase_characters   BOOLEAN NOT NULL,
    require_lowercase_characters   BOOLEAN NOT NULL,
    allow_users_to_change_password BOOLEAN NOT NULL,
    max_password_age               INTEGER,
    password_reuse_prevention      INTEGER,
    hard_expiry                    BOOLEAN NOT NULL
);
