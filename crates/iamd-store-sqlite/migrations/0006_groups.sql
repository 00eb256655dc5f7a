-- iamd's SQLite schema, version 6: groups, their members, their inline policies and their
-- managed-policy attachments. Times are unix seconds. Applied once, inside one
-- transaction, and recorded in `PRAGMA user_version`; never edit a released migration,
-- add 0007_*.sql instead.

CREATE TABLE groups (
    group_id         TEXT    NOT NULL PRIMARY KEY,
    account_id       TEXT    NOT NULL REFERENCES accounts (account_id),
    group_name       TEXT    NOT NULL,
    -- Names are unique per account ignoring case; lower-cased by iamd, as for users.
    group_name_lower TEXT    NOT NULL,
    path             TEXT    NOT NULL,
    create_date      INTEGER NOT NULL,
    UNIQUE (account_id, group_name_lower)
) STRICT;

-- Who is in which group. Both ends are ids, so renames keep memberships; deleting either
-- end is refused while a row refers to it (DeleteConflict).
CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (group_id),
    user_id  TEXT NOT NULL REFERENCES users (user_id),
    PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;

-- A user's groups (ListGroupsForUser, the GroupsPerUser quota, the policies that apply
-- to it), and the foreign-key check when a user is deleted.
CREATE INDEX group_members_by_user ON group_members (user_id, group_id);

-- A group's inline policies, named exactly (case matters). `size` is the document's size
-- as AWS counts it, summed for the per-group quota.
CREATE TABLE group_policies (
    group_id    TEXT    NOT NULL REFERENCES groups (group_id),
    policy_name TEXT    NOT NULL,
    document    TEXT    NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    PRIMARY KEY (group_id, policy_name)
) STRICT, WITHOUT ROWID;

-- Counted in `managed_policies.attachment_count` together with the users' and roles'.
CREATE TABLE group_policy_attachments (
    group_id  TEXT NOT NULL REFERENCES groups (group_id),
    policy_id TEXT NOT NULL REFERENCES managed_policies (policy_id),
    PRIMARY KEY (group_id, policy_id)
) STRICT, WITHOUT ROWID;

-- Serves the foreign-key check when a policy is deleted.
CREATE INDEX group_policy_attachments_by_policy ON group_policy_attachments (policy_id);
