-- iamd's PostgreSQL schema: service-specific credentials (SQLite's migration
-- `0014_service_credentials`). Applied once, in one transaction, and recorded in
-- `schema_migrations`; never edit a released migration, add a new one instead.

-- The password is sealed with the master key, as access keys' secrets are (`secrets`
-- re-seals it). Times are unix seconds.
CREATE TABLE service_credentials (
    credential_id     TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (user_id),
    service_name      TEXT NOT NULL,
    service_user_name TEXT NOT NULL,
    password          TEXT NOT NULL,
    status            TEXT NOT NULL,
    create_date       BIGINT NOT NULL
);

CREATE INDEX service_credentials_by_user ON service_credentials (user_id, service_name);
CREATE INDEX service_credentials_by_account ON service_credentials (account_id, create_date);
