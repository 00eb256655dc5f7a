-- iamd's PostgreSQL schema: SSH public keys and signing certificates, each an IAM user's.
-- Applied once, inside one transaction, and recorded in
-- `schema_migrations` (SQLite's migration `0015_public_credentials`); never edit a
-- released migration, add a new one instead.

-- Public material only: `body` is the text as uploaded, `fingerprint` identifies the key or
-- certificate whatever its encoding (duplicates are refused by it). `kind` is `ssh` or
-- `certificate`. Times are unix seconds.
CREATE TABLE public_credentials (
    credential_id TEXT NOT NULL,
    kind          TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (user_id),
    body          TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    status        TEXT NOT NULL,
    upload_date   BIGINT NOT NULL,
    -- The user's uploads in order (several in one second keep their order).
    seq           BIGINT NOT NULL,
    -- A certificate's id derives from its fingerprint, unique in the account; an SSH key's
    -- is random and unique everywhere.
    PRIMARY KEY (account_id, kind, credential_id)
);

-- A user's keys or certificates (the quota's count, listings, DeleteUser's check).
CREATE INDEX public_credentials_by_user ON public_credentials (user_id, kind, fingerprint);
-- An account's certificates by fingerprint (DuplicateCertificate), and every user's of a
-- kind in upload order (the credential report).
CREATE INDEX public_credentials_by_account
    ON public_credentials (account_id, kind, fingerprint);
