//! The `Store` operations as SQL, each run inside the one transaction it is given.

use iamd_store::model::{
    AccessKey, Account, AccountCounts, Credential, KeyOwner, KeyStatus, KeyUsage, NewAccessKey,
    Tag, User,
};
use iamd_store::secret::SealedSecret;
use iamd_store::{After, StoreError};
use rusqlite::{params, Connection, OptionalExtension, Row};
use time::OffsetDateTime;

/// Why an operation failed, before it is reported as a `StoreError`.
#[derive(Debug)]
pub(crate) enum Fail {
    /// A domain outcome (no such user, quota...), reported as is.
    Store(StoreError),
    /// SQLite failed. Its messages name tables and columns, never bound values.
    Db(rusqlite::Error),
    /// Something SQLite returned, or the file system, is not what iamd expects.
    Data(String),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Db(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl Fail {
    pub(crate) fn into_store(self) -> StoreError {
        match self {
            Fail::Store(e) => e,
            // A unique or primary key violation means the entity exists already (the
            // only unique keys are names and ids); any other failure is the backend's.
            Fail::Db(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                StoreError::AlreadyExists
            }
            Fail::Db(e) => StoreError::Backend(format!("sqlite: {e}")),
            Fail::Data(msg) => StoreError::Backend(msg),
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, Fail>;

/// `query_row` on a cached statement: the operations run the same few statements over and over.
pub(crate) fn query_one<T>(
    tx: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    tx.prepare_cached(sql)?.query_row(params, f)
}

pub(crate) fn time_of(secs: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| Fail::Data(format!("stored time {secs} is out of range")))
}

/// Access keys keep milliseconds, so that keys created in the same second still list (and
/// page) in creation order.
fn unix_ms(t: OffsetDateTime) -> i64 {
    iamd_store::store::key_sort_time(t)
}

pub(crate) fn time_of_ms(ms: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| Fail::Data(format!("stored time {ms} ms is out of range")))
}

fn status_of(s: &str) -> Result<KeyStatus> {
    KeyStatus::parse(s).ok_or_else(|| Fail::Data(format!("stored key status {s:?} is unknown")))
}

pub(crate) fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The `user_id` column's value for an owner: NULL for root. Compared with `IS`, which
/// matches NULL to NULL.
fn owner_column(owner: &KeyOwner) -> Option<&str> {
    match owner {
        KeyOwner::Root => None,
        KeyOwner::User { user_id } => Some(user_id),
    }
}

/// `Store::reset`: empties `RESET_TABLES` in order, users' keys before the users.
pub(crate) fn reset(tx: &Connection) -> Result<()> {
    for table in iamd_store::store::RESET_TABLES {
        if *table == "users" {
            tx.execute("DELETE FROM access_keys WHERE user_id IS NOT NULL", [])?;
        }
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    Ok(())
}

pub(crate) fn bootstrap_account(
    tx: &Connection,
    account_id: &str,
    root: &NewAccessKey,
) -> Result<(String, bool)> {
    let existing: Option<String> = query_one(
        tx,
        "SELECT account_id FROM accounts ORDER BY create_date, account_id LIMIT 1",
        [],
        |r| r.get(0),
    )
    .optional()?;
    if let Some(existing) = existing {
        return Ok((existing, false));
    }
    tx.execute(
        "INSERT INTO accounts (account_id, create_date) VALUES (?1, ?2)",
        params![account_id, root.create_date.unix_timestamp()],
    )?;
    insert_key(tx, account_id, None, root)?;
    Ok((account_id.to_owned(), true))
}

/// `Store::count_account`, in the caller's read transaction.
pub(crate) fn count_account(tx: &Connection, account_id: &str) -> Result<AccountCounts> {
    let mut stmt = tx.prepare_cached(
        "SELECT
             (SELECT count(*) FROM users WHERE account_id = ?1),
             (SELECT count(*) FROM groups WHERE account_id = ?1),
             (SELECT count(*) FROM roles WHERE account_id = ?1),
             (SELECT count(*) FROM managed_policies WHERE account_id = ?1),
             (SELECT count(*) FROM instance_profiles WHERE account_id = ?1),
             (SELECT count(*) FROM access_keys WHERE account_id = ?1 AND user_id IS NULL),
             (SELECT count(*) FROM policy_versions v JOIN managed_policies p ON p.policy_id = v.policy_id
               WHERE p.account_id = ?1 AND p.attachment_count > 0),
             (SELECT count(*) FROM mfa_devices WHERE account_id = ?1),
             (SELECT count(*) FROM mfa_devices WHERE account_id = ?1 AND user_id IS NOT NULL)",
    )?;
    let n =
        |r: &rusqlite::Row, i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)? as u64) };
    Ok(stmt.query_row([account_id], |r| {
        Ok(AccountCounts {
            users: n(r, 0)?,
            groups: n(r, 1)?,
            roles: n(r, 2)?,
            policies: n(r, 3)?,
            instance_profiles: n(r, 4)?,
            root_access_keys: n(r, 5)?,
            policy_versions_in_use: n(r, 6)?,
            mfa_devices: n(r, 7)?,
            mfa_devices_in_use: n(r, 8)?,
        })
    })?)
}

/// `Store::served_account`: the first account, as `bootstrap_account` finds it.
pub(crate) fn served_account(tx: &Connection) -> Result<Option<Account>> {
    let first: Option<(String, i64)> = query_one(
        tx,
        "SELECT account_id, create_date FROM accounts ORDER BY create_date, account_id LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?;
    first
        .map(|(account_id, secs)| {
            Ok(Account {
                account_id,
                create_date: time_of(secs)?,
            })
        })
        .transpose()
}

pub(crate) fn get_account(tx: &Connection, account_id: &str) -> Result<Option<Account>> {
    let created: Option<i64> = query_one(
        tx,
        "SELECT create_date FROM accounts WHERE account_id = ?1",
        [account_id],
        |r| r.get(0),
    )
    .optional()?;
    created
        .map(|secs| {
            Ok(Account {
                account_id: account_id.to_owned(),
                create_date: time_of(secs)?,
            })
        })
        .transpose()
}

pub(crate) fn create_user(tx: &Connection, user: &User) -> Result<()> {
    // UNIQUE (account_id, user_name_lower) turns a taken name into AlreadyExists.
    tx.execute(
        "INSERT INTO users (user_id, account_id, user_name, user_name_lower, path, create_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            user.user_id,
            user.account_id,
            user.user_name,
            user.user_name.to_lowercase(),
            user.path,
            user.create_date.unix_timestamp(),
        ],
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO user_tags (user_id, position, key, value) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (position, tag) in user.tags.iter().enumerate() {
        insert.execute(params![user.user_id, position as i64, tag.key, tag.value])?;
    }
    Ok(())
}

/// The columns of a `users` row that `user_of` reads, in its order.
macro_rules! user_columns {
    () => {
        "user_id, account_id, user_name, path, create_date"
    };
}

pub(crate) fn user_of(r: &Row<'_>) -> rusqlite::Result<(String, String, String, String, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

pub(crate) fn user_from(
    (user_id, account_id, user_name, path, created): (String, String, String, String, i64),
) -> Result<User> {
    Ok(User {
        account_id,
        user_id,
        user_name,
        path,
        create_date: time_of(created)?,
        tags: Vec::new(),
    })
}

/// The id of the user named `user_name` (ignoring case) in the account.
pub(crate) fn user_id_by_name(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
) -> Result<Option<String>> {
    Ok(query_one(
        tx,
        "SELECT user_id FROM users WHERE account_id = ?1 AND user_name_lower = ?2",
        params![account_id, user_name.to_lowercase()],
        |r| r.get(0),
    )
    .optional()?)
}

pub(crate) fn get_user(tx: &Connection, account_id: &str, user_name: &str) -> Result<Option<User>> {
    let row = query_one(
        tx,
        concat!(
            "SELECT ",
            user_columns!(),
            " FROM users INDEXED BY users_by_name
             WHERE account_id = ?1 AND user_name_lower = ?2"
        ),
        params![account_id, user_name.to_lowercase()],
        user_of,
    )
    .optional()?;
    row.map(|row| with_tags(tx, user_from(row)?)).transpose()
}

/// A user by name with its keys in listing order, from one leaf of `users_by_name`: the
/// `key_list` column that the triggers of schema version 5 keep.
pub(crate) fn get_user_with_keys(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
) -> Result<Option<(User, Vec<AccessKey>)>> {
    let row = query_one(
        tx,
        concat!(
            "SELECT ",
            user_columns!(),
            ", key_list FROM users INDEXED BY users_by_name
             WHERE account_id = ?1 AND user_name_lower = ?2"
        ),
        params![account_id, user_name.to_lowercase()],
        |r| Ok((user_of(r)?, r.get::<_, String>(5)?)),
    )
    .optional()?;
    let Some((row, key_list)) = row else {
        return Ok(None);
    };
    let user = with_tags(tx, user_from(row)?)?;
    let keys = keys_of_list(&user, &key_list)?;
    Ok(Some((user, keys)))
}

fn with_tags(tx: &Connection, mut user: User) -> Result<User> {
    let mut tags =
        tx.prepare_cached("SELECT key, value FROM user_tags WHERE user_id = ?1 ORDER BY position")?;
    user.tags = tags
        .query_map([&user.user_id], |r| {
            Ok(Tag {
                key: r.get(0)?,
                value: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(user)
}

/// The keys in a `users.key_list`: `<access_key_id> <status> <create_date ms>`, comma
/// separated.
fn keys_of_list(user: &User, key_list: &str) -> Result<Vec<AccessKey>> {
    key_list
        .split(',')
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let mut fields = entry.split(' ');
            let (Some(id), Some(status), Some(created), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(Fail::Data(format!(
                    "stored key list entry {entry:?} is malformed"
                )));
            };
            let created = created
                .parse()
                .map_err(|_| Fail::Data(format!("stored key list entry {entry:?} is malformed")))?;
            Ok(user.key(id.to_owned(), status_of(status)?, time_of_ms(created)?))
        })
        .collect()
}

pub(crate) fn list_users(
    tx: &Connection,
    account_id: &str,
    path_prefix: &str,
    after: &After,
    limit: usize,
) -> Result<Vec<User>> {
    // A plain string prefix: `substr` rather than LIKE, for paths may hold `%` and `_`.
    let after = match after {
        After::Start => "",
        After::UserName(lower) => lower.as_str(),
        // A position from another listing: nothing comes after it here.
        After::Key { .. } => return Ok(Vec::new()),
    };
    let mut stmt = tx.prepare_cached(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users
         WHERE account_id = ?1 AND substr(path, 1, length(?2)) = ?2 AND user_name_lower > ?3
         ORDER BY user_name_lower LIMIT ?4"
    ))?;
    let rows = stmt
        .query_map(
            params![account_id, path_prefix, after, limit_of(limit)],
            user_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(user_from).collect()
}

pub(crate) fn update_user(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    new_name: Option<&str>,
    new_path: Option<&str>,
) -> Result<()> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    if let Some(new_name) = new_name {
        let lower = new_name.to_lowercase();
        let taken: bool = query_one(
            tx,
            "SELECT EXISTS (SELECT 1 FROM users
                            WHERE account_id = ?1 AND user_name_lower = ?2 AND user_id <> ?3)",
            params![account_id, lower, user_id],
            |r| r.get(0),
        )?;
        if taken {
            return Err(StoreError::AlreadyExists.into());
        }
        tx.execute(
            "UPDATE users SET user_name = ?1, user_name_lower = ?2 WHERE user_id = ?3",
            params![new_name, lower, user_id],
        )?;
    }
    if let Some(new_path) = new_path {
        tx.execute(
            "UPDATE users SET path = ?1 WHERE user_id = ?2",
            params![new_path, user_id],
        )?;
    }
    Ok(())
}

pub(crate) fn delete_user(tx: &Connection, account_id: &str, user_name: &str) -> Result<()> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    if crate::passwords::has_login_profile(tx, &user_id)? {
        return Err(StoreError::UserHasLoginProfile.into());
    }
    let has_keys: bool = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM access_keys WHERE user_id = ?1)",
        [&user_id],
        |r| r.get(0),
    )?;
    if has_keys {
        return Err(StoreError::UserHasAccessKeys.into());
    }
    let has_attached: bool = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM user_policy_attachments WHERE user_id = ?1)
             OR EXISTS (SELECT 1 FROM user_aws_policy_attachments WHERE user_id = ?1)",
        [&user_id],
        |r| r.get(0),
    )?;
    if has_attached {
        return Err(StoreError::UserHasAttachedPolicies.into());
    }
    let has_inline: bool = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM user_policies WHERE user_id = ?1)",
        [&user_id],
        |r| r.get(0),
    )?;
    if has_inline {
        return Err(StoreError::UserHasInlinePolicies.into());
    }
    let in_groups: bool = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM group_members INDEXED BY group_members_by_user
                        WHERE user_id = ?1)",
        [&user_id],
        |r| r.get(0),
    )?;
    if in_groups {
        return Err(StoreError::UserInGroups.into());
    }
    let has_mfa: bool = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM mfa_devices INDEXED BY mfa_devices_by_user
                        WHERE user_id = ?1)",
        [&user_id],
        |r| r.get(0),
    )?;
    if has_mfa {
        return Err(StoreError::UserHasMfaDevices.into());
    }
    if crate::service_credentials::user_has_any(tx, &user_id)? {
        return Err(StoreError::UserHasServiceCredentials.into());
    }
    if let Some(kind) = crate::public_credentials::user_has_any(tx, &user_id)? {
        return Err(StoreError::UserHasPublicCredentials(kind).into());
    }
    tx.execute("DELETE FROM user_tags WHERE user_id = ?1", [&user_id])?;
    tx.execute("DELETE FROM password_uses WHERE user_id = ?1", [&user_id])?;
    tx.execute("DELETE FROM users WHERE user_id = ?1", [&user_id])?;
    Ok(())
}

fn insert_key(
    tx: &Connection,
    account_id: &str,
    user_id: Option<&str>,
    key: &NewAccessKey,
) -> Result<()> {
    tx.execute(
        "INSERT INTO access_keys (access_key_id, account_id, user_id, secret, status, create_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            key.access_key_id,
            account_id,
            user_id,
            key.secret.as_stored(),
            KeyStatus::Active.as_str(),
            unix_ms(key.create_date),
        ],
    )?;
    Ok(())
}

pub(crate) fn create_access_key(
    tx: &Connection,
    key: &NewAccessKey,
    quota: u32,
) -> Result<AccessKey> {
    let user_id = owner_column(&key.owner);
    let user_name = match user_id {
        None => None,
        Some(user_id) => {
            let name: Option<String> = query_one(
                tx,
                "SELECT user_name FROM users WHERE user_id = ?1 AND account_id = ?2",
                params![user_id, key.account_id],
                |r| r.get(0),
            )
            .optional()?;
            Some(name.ok_or(StoreError::NoSuchUser)?)
        }
    };
    let count: i64 = query_one(
        tx,
        "SELECT count(*) FROM access_keys WHERE user_id IS ?1 AND account_id = ?2",
        params![user_id, key.account_id],
        |r| r.get(0),
    )?;
    if count >= i64::from(quota) {
        return Err(StoreError::KeyQuotaExceeded.into());
    }
    insert_key(tx, &key.account_id, user_id, key)?;
    Ok(AccessKey {
        access_key_id: key.access_key_id.clone(),
        account_id: key.account_id.clone(),
        owner: key.owner.clone(),
        user_name,
        status: KeyStatus::Active,
        create_date: time_of_ms(unix_ms(key.create_date))?,
    })
}

/// A key's metadata as selected by `KEY_COLUMNS` (`k` = access_keys, `u` = its user).
const KEY_COLUMNS: &str =
    "k.access_key_id, k.account_id, k.user_id, u.user_name, k.status, k.create_date";

type KeyRow = (String, String, Option<String>, Option<String>, String, i64);

fn key_of(r: &Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn key_from(
    (access_key_id, account_id, user_id, user_name, status, created): KeyRow,
) -> Result<AccessKey> {
    Ok(AccessKey {
        access_key_id,
        account_id,
        owner: match user_id {
            None => KeyOwner::Root,
            Some(user_id) => KeyOwner::User { user_id },
        },
        user_name,
        status: status_of(&status)?,
        create_date: time_of_ms(created)?,
    })
}

pub(crate) fn list_access_keys(
    tx: &Connection,
    account_id: &str,
    owner: &KeyOwner,
    after: &After,
    limit: usize,
) -> Result<Vec<AccessKey>> {
    let (created, after_id) = match after {
        After::Start => (i64::MIN, ""),
        After::Key {
            created,
            access_key_id,
        } => (*created, access_key_id.as_str()),
        // A position from another listing: nothing comes after it here.
        After::UserName(_) => return Ok(Vec::new()),
    };
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM access_keys k INDEXED BY access_keys_by_owner
         LEFT JOIN users u INDEXED BY users_by_id ON u.user_id = k.user_id
         WHERE k.user_id IS ?1 AND k.account_id = ?2 AND (k.create_date, k.access_key_id) > (?3, ?4)
         ORDER BY k.create_date, k.access_key_id LIMIT ?5"
    ))?;
    let rows = stmt
        .query_map(
            params![
                owner_column(owner),
                account_id,
                created,
                after_id,
                limit_of(limit)
            ],
            key_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(key_from).collect()
}

/// All of `user`'s keys in listing order: `list_access_keys` for an owner whose name is
/// known already, so without looking the user up again for each key.
pub(crate) fn update_access_key(
    tx: &Connection,
    account_id: &str,
    owner: &KeyOwner,
    access_key_id: &str,
    status: KeyStatus,
) -> Result<()> {
    let changed = tx.execute(
        "UPDATE access_keys SET status = ?1 WHERE access_key_id = ?2 AND account_id = ?3 AND user_id IS ?4",
        params![status.as_str(), access_key_id, account_id, owner_column(owner)],
    )?;
    if changed == 0 {
        return Err(StoreError::NoSuchAccessKey.into());
    }
    Ok(())
}

pub(crate) fn delete_access_key(
    tx: &Connection,
    account_id: &str,
    owner: &KeyOwner,
    access_key_id: &str,
) -> Result<()> {
    let deleted = tx.execute(
        "DELETE FROM access_keys WHERE access_key_id = ?1 AND account_id = ?2 AND user_id IS ?3",
        params![access_key_id, account_id, owner_column(owner)],
    )?;
    if deleted == 0 {
        return Err(StoreError::NoSuchAccessKey.into());
    }
    Ok(())
}

pub(crate) fn get_credential(tx: &Connection, access_key_id: &str) -> Result<Option<Credential>> {
    let row = query_one(
        tx,
        &format!(
            "SELECT {KEY_COLUMNS}, k.secret, u.path, u.create_date
                 FROM access_keys k INDEXED BY access_keys_by_id
                 LEFT JOIN users u INDEXED BY users_by_id ON u.user_id = k.user_id
                 WHERE k.access_key_id = ?1"
        ),
        [access_key_id],
        |r| {
            let secret: String = r.get(6)?;
            let path: Option<String> = r.get(7)?;
            let user_created: Option<i64> = r.get(8)?;
            Ok((
                key_of(r)?,
                SealedSecret::from_stored(secret),
                path,
                user_created,
            ))
        },
    )
    .optional()?;
    let Some((key_row, secret, path, user_created)) = row else {
        return Ok(None);
    };
    let key = key_from(key_row)?;
    let user = match (&key.owner, &key.user_name, path, user_created) {
        (KeyOwner::User { user_id }, Some(user_name), Some(path), Some(created)) => Some(User {
            account_id: key.account_id.clone(),
            user_id: user_id.clone(),
            user_name: user_name.clone(),
            path,
            create_date: time_of(created)?,
            tags: Vec::new(),
        }),
        (KeyOwner::Root, ..) => None,
        (KeyOwner::User { .. }, ..) => {
            return Err(Fail::Data("access key refers to a missing user".into()))
        }
    };
    Ok(Some(Credential { key, secret, user }))
}

pub(crate) fn get_access_key_last_used(
    tx: &Connection,
    access_key_id: &str,
) -> Result<Option<(AccessKey, Option<KeyUsage>)>> {
    let row = query_one(
        tx,
        &format!(
            "SELECT {KEY_COLUMNS}, k.last_used_date, k.last_used_service, k.last_used_region
                 FROM access_keys k LEFT JOIN users u ON u.user_id = k.user_id
                 WHERE k.access_key_id = ?1"
        ),
        [access_key_id],
        |r| {
            let used: Option<i64> = r.get(6)?;
            let service: Option<String> = r.get(7)?;
            let region: Option<String> = r.get(8)?;
            Ok((key_of(r)?, used, service, region))
        },
    )
    .optional()?;
    let Some((key_row, used, service, region)) = row else {
        return Ok(None);
    };
    let key = key_from(key_row)?;
    let usage = used
        .map(|secs| {
            Ok::<_, Fail>(KeyUsage {
                access_key_id: key.access_key_id.clone(),
                when: time_of(secs)?,
                service: service.unwrap_or_default(),
                region: region.unwrap_or_default(),
            })
        })
        .transpose()?;
    Ok(Some((key, usage)))
}

pub(crate) fn record_key_usage(tx: &Connection, usage: &[KeyUsage]) -> Result<()> {
    let mut update = tx.prepare_cached(
        "UPDATE access_keys SET last_used_date = ?1, last_used_service = ?2, last_used_region = ?3
         WHERE access_key_id = ?4 AND (last_used_date IS NULL OR last_used_date <= ?1)",
    )?;
    for u in usage {
        update.execute(params![
            u.when.unix_timestamp(),
            u.service,
            u.region,
            u.access_key_id
        ])?;
    }
    Ok(())
}
