-- iamd's SQLite schema: server certificates, each an account's. Applied once, inside one
-- transaction, and recorded in `PRAGMA user_version`; never edit a released migration, add
-- a new one instead.

-- The private key is sealed with the master key, as access keys' secrets are (`secrets`
-- re-seals it); the certificate and its chain are public. Times are unix seconds.
CREATE TABLE server_certificates (
    server_certificate_id TEXT PRIMARY KEY,
    account_id            TEXT NOT NULL,
    name                  TEXT NOT NULL,
    name_lower            TEXT NOT NULL,
    path                  TEXT NOT NULL,
    body                  TEXT NOT NULL,
    chain                 TEXT,
    private_key           TEXT NOT NULL,
    upload_date           INTEGER NOT NULL,
    expiration            INTEGER NOT NULL,
    UNIQUE (account_id, name_lower)
);

CREATE TABLE server_certificate_tags (
    server_certificate_id TEXT    NOT NULL
        REFERENCES server_certificates (server_certificate_id) ON DELETE CASCADE,
    position              INTEGER NOT NULL,
    key                   TEXT    NOT NULL,
    value                 TEXT    NOT NULL,
    PRIMARY KEY (server_certificate_id, position)
) WITHOUT ROWID;
