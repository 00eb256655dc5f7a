-- iamd's SQLite schema, version 5: each user's row carries the list of its access keys,
-- kept by triggers, so that ListAccessKeys for a user not in any cache reads one index
-- leaf (`users_by_name`) instead of walking two indexes. With a million users the second
-- walk (`access_keys_by_owner`) was a page read from the OS and about a third of such a
-- request's time.
-- Applied once, inside one transaction, and recorded in `PRAGMA user_version`; never edit
-- a released migration, add 0006_*.sql instead.

-- The user's keys in listing order (create_date, then access_key_id), each as
-- `<access_key_id> <status> <create_date in unix ms>`, separated by commas; '' for none.
-- Written only by the triggers below, in the same transaction as the key's change.
ALTER TABLE users ADD COLUMN key_list TEXT NOT NULL DEFAULT '';

-- The same statement recomputes it in each trigger, for the users whose keys changed, and
-- fills it in below. (A view holding it once would not do: SQLite does not push the user
-- filter into a grouped view, and each trigger would scan every key.) Key ids are
-- `[A-Z0-9]` and statuses `Active`/`Inactive`, so the separators cannot occur in them.
CREATE TRIGGER access_keys_listed_after_insert AFTER INSERT ON access_keys
WHEN NEW.user_id IS NOT NULL
BEGIN
    UPDATE users SET key_list = coalesce((
        SELECT group_concat(k.access_key_id || ' ' || k.status || ' ' || k.create_date, ','
                            ORDER BY k.create_date, k.access_key_id)
        FROM access_keys k WHERE k.user_id = users.user_id), '')
    WHERE user_id = NEW.user_id;
END;

-- Last-used updates set none of these columns, so they do not fire it.
CREATE TRIGGER access_keys_listed_after_update
AFTER UPDATE OF access_key_id, user_id, status, create_date ON access_keys
WHEN OLD.user_id IS NOT NULL OR NEW.user_id IS NOT NULL
BEGIN
    UPDATE users SET key_list = coalesce((
        SELECT group_concat(k.access_key_id || ' ' || k.status || ' ' || k.create_date, ','
                            ORDER BY k.create_date, k.access_key_id)
        FROM access_keys k WHERE k.user_id = users.user_id), '')
    WHERE user_id IN (OLD.user_id, NEW.user_id);
END;

CREATE TRIGGER access_keys_listed_after_delete AFTER DELETE ON access_keys
WHEN OLD.user_id IS NOT NULL
BEGIN
    UPDATE users SET key_list = coalesce((
        SELECT group_concat(k.access_key_id || ' ' || k.status || ' ' || k.create_date, ','
                            ORDER BY k.create_date, k.access_key_id)
        FROM access_keys k WHERE k.user_id = users.user_id), '')
    WHERE user_id = OLD.user_id;
END;

-- The lists of the keys already stored.
UPDATE users SET key_list = coalesce((
    SELECT group_concat(k.access_key_id || ' ' || k.status || ' ' || k.create_date, ','
                        ORDER BY k.create_date, k.access_key_id)
    FROM access_keys k WHERE k.user_id = users.user_id), '');

-- A user by name with its keys, from the index alone.
DROP INDEX users_by_name;
CREATE INDEX users_by_name
    ON users (account_id, user_name_lower, user_id, user_name, path, create_date, key_list);
