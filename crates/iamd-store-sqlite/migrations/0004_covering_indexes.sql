-- iamd's SQLite schema, version 4: covering indexes for the reads every request makes, so
-- that each is answered from one index without a second walk into the table. With a
-- million users most of these rows are in no cache, and every walk costs page reads.
-- Applied once, inside one transaction, and recorded in `PRAGMA user_version`; never edit
-- a released migration, add 0005_*.sql instead.

-- A user by name (GetUser, ListAccessKeys, every call that names a user).
CREATE INDEX users_by_name
    ON users (account_id, user_name_lower, user_id, user_name, path, create_date);

-- A key's user (listing keys, looking up a signing key): by id.
CREATE INDEX users_by_id ON users (user_id, user_name, path, create_date);

-- A signing key by its id, with everything verification needs.
CREATE INDEX access_keys_by_id
    ON access_keys (access_key_id, account_id, user_id, status, create_date, secret);

-- An owner's keys in listing order, now with their status.
DROP INDEX access_keys_by_owner;
CREATE INDEX access_keys_by_owner
    ON access_keys (user_id, account_id, create_date, access_key_id, status);
