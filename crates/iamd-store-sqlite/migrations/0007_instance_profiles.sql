-- iamd's SQLite schema, version 7: instance profiles, their tags and their roles, and the
-- tags of customer managed policies. Times are unix seconds. Applied once, inside one
-- transaction, and recorded in `PRAGMA user_version`; never edit a released migration,
-- add a new one instead.

CREATE TABLE instance_profiles (
    instance_profile_id         TEXT    NOT NULL PRIMARY KEY,
    account_id                  TEXT    NOT NULL REFERENCES accounts (account_id),
    instance_profile_name       TEXT    NOT NULL,
    -- Names are unique per account ignoring case; lower-cased by iamd, as for roles.
    instance_profile_name_lower TEXT    NOT NULL,
    path                        TEXT    NOT NULL,
    create_date                 INTEGER NOT NULL,
    UNIQUE (account_id, instance_profile_name_lower)
) STRICT;

CREATE TABLE instance_profile_tags (
    instance_profile_id TEXT    NOT NULL
        REFERENCES instance_profiles (instance_profile_id) ON DELETE CASCADE,
    position            INTEGER NOT NULL,
    key                 TEXT    NOT NULL,
    value               TEXT    NOT NULL,
    PRIMARY KEY (instance_profile_id, position)
) STRICT, WITHOUT ROWID;

-- The roles in each profile (AWS allows one; the quota is checked by iamd). The foreign
-- keys keep a role or a profile from being deleted while they are associated.
CREATE TABLE instance_profile_roles (
    instance_profile_id TEXT NOT NULL REFERENCES instance_profiles (instance_profile_id),
    role_id             TEXT NOT NULL REFERENCES roles (role_id),
    PRIMARY KEY (instance_profile_id, role_id)
) STRICT, WITHOUT ROWID;

-- ListInstanceProfilesForRole, and the check when a role is deleted.
CREATE INDEX instance_profile_roles_by_role ON instance_profile_roles (role_id);

-- Customer managed policies' tags (TagPolicy, and Tags given to CreatePolicy).
CREATE TABLE policy_tags (
    policy_id TEXT    NOT NULL REFERENCES managed_policies (policy_id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    key       TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    PRIMARY KEY (policy_id, position)
) STRICT, WITHOUT ROWID;
