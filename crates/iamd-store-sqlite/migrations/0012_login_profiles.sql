-- iamd's SQLite schema, version 12: login profiles (users' console passwords, as argon2id
-- hashes only), when each user last signed in with a password, and the accounts' password
-- policies. Applied once, inside one transaction, and recorded in `PRAGMA user_version`;
-- never edit a released migration, add a new one instead.

-- At most one per user. `previous_hashes`: earlier passwords' hashes, newest first, one
-- per line (a PHC string has no line break), for the policy's reuse prevention.
CREATE TABLE login_profiles (
    user_id                 TEXT    NOT NULL PRIMARY KEY REFERENCES users (user_id),
    create_date             INTEGER NOT NULL,
    password_reset_required INTEGER NOT NULL,
    password_hash           TEXT    NOT NULL,
    password_set            INTEGER NOT NULL,
    previous_hashes         TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

-- GetUser's `PasswordLastUsed` (unix seconds). Its own table, not a column of `users`: a
-- sign-in then does not touch the user's row (nor the user directory that follows it), and
-- it outlives the login profile, as AWS's does.
CREATE TABLE password_uses (
    user_id   TEXT    NOT NULL PRIMARY KEY REFERENCES users (user_id),
    last_used INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE password_policies (
    account_id                     TEXT    NOT NULL PRIMARY KEY REFERENCES accounts (account_id),
    minimum_password_length        INTEGER NOT NULL,
    require_symbols                INTEGER NOT NULL,
    require_numbers                INTEGER NOT NULL,
    require_uppercase_characters   INTEGER NOT NULL,
    require_lowercase_characters   INTEGER NOT NULL,
    allow_users_to_change_password INTEGER NOT NULL,
    max_password_age               INTEGER,
    password_reuse_prevention      INTEGER,
    hard_expiry                    INTEGER NOT NULL
) STRICT;
