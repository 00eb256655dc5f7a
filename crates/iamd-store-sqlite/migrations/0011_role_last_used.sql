-- iamd's SQLite schema, version 11: when each role was last used (GetRole's
-- `RoleLastUsed`). Applied once, inside one transaction, and recorded in
-- `PRAGMA user_version`; never edit a released migration, add a new one instead.

-- Unix seconds and the region of the newest request signed by one of the role's sessions;
-- both NULL for a role never used. Written in batches by `Store::record_role_usage`.
ALTER TABLE roles ADD COLUMN last_used_date INTEGER;
ALTER TABLE roles ADD COLUMN last_used_region TEXT;
