-- iamd's PostgreSQL schema, version 9: when each role was last used (the columns of
-- SQLite's migration 11). Applied once, in one transaction, and recorded in
-- `schema_migrations`; never edit a released migration, add a new one instead.

-- Unix seconds and the region of the newest request signed by one of the role's sessions;
-- both NULL for a role never used. Written in batches by `Store::record_role_usage`.
ALTER TABLE roles ADD COLUMN last_used_date BIGINT, ADD COLUMN last_used_region TEXT;
