-- iamd's SQLite schema, version 9: AWS managed policies attached to users, roles and
-- groups, and as users' and roles' permissions boundaries. The policies themselves are
-- iamd's catalog, not rows: attachments and boundaries name them by ARN
-- (`arn:aws:iam::aws:policy/…`). Applied once, inside one transaction, and recorded in
-- `PRAGMA user_version`; never edit a released migration, add a new one instead.

-- One table per kind of holder, as for customer managed policies' attachments, so that
-- each has a real foreign key to its holders. `account_id` is the holder's, so that an AWS
-- policy's use is counted per account (`AttachmentCount` as an account sees it).
CREATE TABLE user_aws_policy_attachments (
    user_id    TEXT NOT NULL REFERENCES users (user_id),
    account_id TEXT NOT NULL,
    policy_arn TEXT NOT NULL,
    PRIMARY KEY (user_id, policy_arn)
) STRICT, WITHOUT ROWID;

CREATE TABLE role_aws_policy_attachments (
    role_id    TEXT NOT NULL REFERENCES roles (role_id),
    account_id TEXT NOT NULL,
    policy_arn TEXT NOT NULL,
    PRIMARY KEY (role_id, policy_arn)
) STRICT, WITHOUT ROWID;

CREATE TABLE group_aws_policy_attachments (
    group_id   TEXT NOT NULL REFERENCES groups (group_id),
    account_id TEXT NOT NULL,
    policy_arn TEXT NOT NULL,
    PRIMARY KEY (group_id, policy_arn)
) STRICT, WITHOUT ROWID;

-- Serve the per-account counts and ListEntitiesForPolicy.
CREATE INDEX user_aws_policy_attachments_by_policy
    ON user_aws_policy_attachments (account_id, policy_arn);
CREATE INDEX role_aws_policy_attachments_by_policy
    ON role_aws_policy_attachments (account_id, policy_arn);
CREATE INDEX group_aws_policy_attachments_by_policy
    ON group_aws_policy_attachments (account_id, policy_arn);

-- A user's or role's boundary when it is an AWS managed policy (its ARN). A holder has at
-- most one boundary: the Store clears `permissions_boundary` when it sets this, and the
-- other way round.
ALTER TABLE users ADD COLUMN aws_permissions_boundary TEXT;
ALTER TABLE roles ADD COLUMN aws_permissions_boundary TEXT;

CREATE INDEX users_by_aws_boundary ON users (account_id, aws_permissions_boundary)
    WHERE aws_permissions_boundary IS NOT NULL;
CREATE INDEX roles_by_aws_boundary ON roles (account_id, aws_permissions_boundary)
    WHERE aws_permissions_boundary IS NOT NULL;
