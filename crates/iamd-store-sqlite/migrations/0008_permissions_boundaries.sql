-- iamd's SQLite schema, version 8: permissions boundaries of users and roles. Applied
-- once, inside one transaction, and recorded in `PRAGMA user_version`; never edit a
-- released migration, add a new one instead.

-- The managed policy that bounds the user's or role's permissions, if any. The foreign key
-- keeps a boundary from outliving its policy (DeletePolicy also refuses it first, with
-- its own error).
ALTER TABLE users ADD COLUMN permissions_boundary TEXT REFERENCES managed_policies (policy_id);
ALTER TABLE roles ADD COLUMN permissions_boundary TEXT REFERENCES managed_policies (policy_id);

-- Serve the usage count of a policy and the foreign-key check when one is deleted; only
-- bounded users and roles are in them.
CREATE INDEX users_by_boundary ON users (permissions_boundary)
    WHERE permissions_boundary IS NOT NULL;
CREATE INDEX roles_by_boundary ON roles (permissions_boundary)
    WHERE permissions_boundary IS NOT NULL;
