-- iamd's PostgreSQL schema, version 1: the SQLite schema's tables, columns and meaning.
-- Times are unix seconds, except access_keys.create_date (unix milliseconds, so that keys
-- list in creation order). Applied once, inside one transaction, under an advisory lock,
-- and recorded in `schema_migrations`; never edit a released migration, add 0002_*.sql.
--
-- Sorted text columns use the "C" collation: byte order, as SQLite and Rust sort, whatever
-- the database's locale.

CREATE TABLE accounts (
    account_id  TEXT   NOT NULL PRIMARY KEY,
    create_date BIGINT NOT NULL
);

CREATE TABLE users (
    user_id         TEXT   NOT NULL PRIMARY KEY,
    account_id      TEXT   NOT NULL REFERENCES accounts (account_id),
    user_name       TEXT   NOT NULL,
    -- Names are unique per account ignoring case; lower-cased by iamd (Rust's
    -- `to_lowercase`), not by the database, so that every backend agrees on it.
    user_name_lower TEXT   COLLATE "C" NOT NULL,
    path            TEXT   NOT NULL,
    create_date     BIGINT NOT NULL,
    CONSTRAINT users_name_unique UNIQUE (account_id, user_name_lower)
);

CREATE TABLE user_tags (
    user_id  TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (user_id, position)
);

CREATE TABLE access_keys (
    access_key_id     TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    account_id        TEXT   NOT NULL REFERENCES accounts (account_id),
    -- NULL for the account's root keys.
    user_id           TEXT            REFERENCES users (user_id),
    -- `SealedSecret::as_stored()`: `<scheme>:<payload>`.
    secret            TEXT   NOT NULL,
    status            TEXT   NOT NULL CHECK (status IN ('Active', 'Inactive')),
    create_date       BIGINT NOT NULL, -- unix milliseconds
    last_used_date    BIGINT,
    last_used_service TEXT,
    last_used_region  TEXT
);

-- Lists an owner's keys in (create_date, access_key_id) order and counts them for the
-- quota; `user_id` leads so that the same index serves the foreign-key check when a user
-- is deleted.
CREATE INDEX access_keys_by_owner
    ON access_keys (user_id, account_id, create_date, access_key_id);
