-- iamd's PostgreSQL schema, version 8: account aliases and service-linked roles (the
-- tables and column of SQLite's migration 10). Applied once, in one transaction, and
-- recorded in `schema_migrations`; never edit a released migration, add a new one instead.

-- An account's alias (CreateAccountAlias): at most one per account, and each unique across
-- every account of the database, as AWS's are across its partition. The unique index
-- decides between nodes creating the same alias at once.
CREATE TABLE account_aliases (
    account_id    TEXT NOT NULL PRIMARY KEY REFERENCES accounts (account_id),
    account_alias TEXT NOT NULL UNIQUE
);

-- The service principal of a service-linked role (CreateServiceLinkedRole), NULL for every
-- other role. Set when the role is created, never changed.
ALTER TABLE roles ADD COLUMN linked_service TEXT;

-- DeleteServiceLinkedRole's tasks, read back by GetServiceLinkedRoleDeletionStatus; a task
-- outlives its role (no foreign key to it). `status` is the model's DeletionTaskStatusType.
CREATE TABLE role_deletion_tasks (
    account_id       TEXT   NOT NULL REFERENCES accounts (account_id),
    deletion_task_id TEXT   NOT NULL,
    status           TEXT   NOT NULL,
    create_date      BIGINT NOT NULL,
    PRIMARY KEY (account_id, deletion_task_id)
);
