-- iamd's SQLite schema, version 2: inline user policies, customer managed policies with
-- their versions, and their attachments to users. Times are unix seconds. Applied once,
-- inside one transaction, and recorded in `PRAGMA user_version`; never edit a released
-- migration, add 0003_*.sql instead.

-- A user's inline policies, named exactly (case matters). `size` is the document's size
-- as AWS counts it, summed for the per-user quota.
CREATE TABLE user_policies (
    user_id     TEXT    NOT NULL REFERENCES users (user_id),
    policy_name TEXT    NOT NULL,
    document    TEXT    NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    PRIMARY KEY (user_id, policy_name)
) STRICT, WITHOUT ROWID;

CREATE TABLE managed_policies (
    policy_id          TEXT    NOT NULL PRIMARY KEY,
    account_id         TEXT    NOT NULL REFERENCES accounts (account_id),
    policy_name        TEXT    NOT NULL,
    -- Names are unique per account ignoring case; lower-cased by iamd, as for users.
    policy_name_lower  TEXT    NOT NULL,
    path               TEXT    NOT NULL,
    description        TEXT,
    default_version_id TEXT    NOT NULL,
    -- The highest version number the policy ever had: the next version is one more, so
    -- that version ids are never reused, even after deletes.
    highest_version    INTEGER NOT NULL,
    -- How many attachment rows refer to the policy, kept exact by every attach and detach.
    attachment_count   INTEGER NOT NULL CHECK (attachment_count >= 0),
    create_date        INTEGER NOT NULL,
    update_date        INTEGER NOT NULL,
    UNIQUE (account_id, policy_name_lower)
) STRICT;

CREATE TABLE policy_versions (
    policy_id      TEXT    NOT NULL REFERENCES managed_policies (policy_id),
    version_id     TEXT    NOT NULL, -- `v{version_number}`
    version_number INTEGER NOT NULL,
    document       TEXT    NOT NULL,
    create_date    INTEGER NOT NULL,
    PRIMARY KEY (policy_id, version_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE user_policy_attachments (
    user_id   TEXT NOT NULL REFERENCES users (user_id),
    policy_id TEXT NOT NULL REFERENCES managed_policies (policy_id),
    PRIMARY KEY (user_id, policy_id)
) STRICT, WITHOUT ROWID;

-- Serves the foreign-key check when a policy is deleted.
CREATE INDEX user_policy_attachments_by_policy ON user_policy_attachments (policy_id);
