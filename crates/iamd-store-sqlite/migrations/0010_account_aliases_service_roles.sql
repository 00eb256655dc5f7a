-- iamd's SQLite schema, version 10: account aliases and service-linked roles. Applied once,
-- inside one transaction, and recorded in `PRAGMA user_version`; never edit a released
-- migration, add a new one instead.

-- An account's alias (CreateAccountAlias): at most one per account, and each unique across
-- every account of the database, as AWS's are across its partition.
CREATE TABLE account_aliases (
    account_id    TEXT NOT NULL PRIMARY KEY REFERENCES accounts (account_id),
    account_alias TEXT NOT NULL UNIQUE
) STRICT, WITHOUT ROWID;

-- The service principal of a service-linked role (CreateServiceLinkedRole), NULL for every
-- other role. Set when the role is created, never changed: it is what makes the role
-- protected (only its description and tags may change).
ALTER TABLE roles ADD COLUMN linked_service TEXT;

-- DeleteServiceLinkedRole's tasks, read back by GetServiceLinkedRoleDeletionStatus. The
-- role is deleted in the transaction that records its task, so a task outlives its role
-- (no foreign key to it). `status` is the model's DeletionTaskStatusType.
CREATE TABLE role_deletion_tasks (
    account_id       TEXT    NOT NULL REFERENCES accounts (account_id),
    deletion_task_id TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    create_date      INTEGER NOT NULL,
    PRIMARY KEY (account_id, deletion_task_id)
) STRICT, WITHOUT ROWID;
