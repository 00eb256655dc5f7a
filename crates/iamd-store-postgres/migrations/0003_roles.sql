-- iamd's PostgreSQL schema, version 3: the SQLite schema's version 3 (roles, their tags,
-- their inline policies and their managed-policy attachments). Times are unix seconds.
-- Applied once, inside one transaction, under an advisory lock, and recorded in
-- `schema_migrations`; never edit a released migration, add 0004_*.sql.
--
-- Sorted text columns use the "C" collation: byte order, as SQLite and Rust sort.

CREATE TABLE roles (
    role_id                     TEXT   NOT NULL PRIMARY KEY,
    account_id                  TEXT   NOT NULL REFERENCES accounts (account_id),
    role_name                   TEXT   NOT NULL,
    -- Names are unique per account ignoring case; lower-cased by iamd, as for users. The
    -- unique index also decides between nodes creating one name at the same moment.
    role_name_lower             TEXT   COLLATE "C" NOT NULL,
    path                        TEXT   NOT NULL,
    description                 TEXT,
    -- The trust policy, as given.
    assume_role_policy_document TEXT   NOT NULL,
    max_session_duration        BIGINT NOT NULL CHECK (max_session_duration >= 0),
    create_date                 BIGINT NOT NULL,
    -- `SealedSecret::as_stored()`: `<scheme>:<payload>`. Keys the role's session tokens.
    session_secret              TEXT   NOT NULL,
    CONSTRAINT roles_name_unique UNIQUE (account_id, role_name_lower)
);

CREATE TABLE role_tags (
    role_id  TEXT    NOT NULL REFERENCES roles (role_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (role_id, position)
);

-- A role's inline policies, named exactly (case matters). `size` is the document's size
-- as AWS counts it, summed for the per-role quota.
CREATE TABLE role_policies (
    role_id     TEXT   NOT NULL REFERENCES roles (role_id),
    policy_name TEXT   COLLATE "C" NOT NULL,
    document    TEXT   NOT NULL,
    size        BIGINT NOT NULL CHECK (size >= 0),
    PRIMARY KEY (role_id, policy_name)
);

-- Counted in `managed_policies.attachment_count` together with the users' attachments.
CREATE TABLE role_policy_attachments (
    role_id   TEXT NOT NULL REFERENCES roles (role_id),
    policy_id TEXT NOT NULL REFERENCES managed_policies (policy_id),
    PRIMARY KEY (role_id, policy_id)
);

-- Serves the foreign-key check when a policy is deleted.
CREATE INDEX role_policy_attachments_by_policy ON role_policy_attachments (policy_id);
