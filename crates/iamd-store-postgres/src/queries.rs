//! The `Store` operations as SQL. Writes run inside the one transaction they are given
//! (`Transaction`); reads are single statements, each its own consistent snapshot, run on
//! whatever they are given (a pooled connection).
//!
//! The SQL keeps to what PostgreSQL-compatible distributed engines also accept: no
//! `ON CONFLICT`, no `RETURNING`, no PostgreSQL-only functions; row locks are plain
//! `SELECT … FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{
    AccessKey, Account, AccountCounts, Credential, KeyOwner, KeyStatus, KeyUsage, NewAccessKey,
    Tag, User,
};
use iamd_store::secret::SealedSecret;
use iamd_store::{After, StoreError};
use time::OffsetDateTime;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

/// Why an operation failed, before it is reported as a `StoreError`.
#[derive(Debug)]
pub(crate) enum Fail {
    /// A domain outcome (no such user, quota...), reported as is.
    Store(StoreError),
    /// PostgreSQL (or the connection to it) failed.
    Db(tokio_postgres::Error),
    /// No connection could be had from the pool (the database is unreachable, or every
    /// connection is busy for longer than the wait timeout).
    Pool(String),
    /// Something the database returned is not what iamd expects.
    Data(String),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Fail::Db(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl Fail {
    /// A conflict the database resolved by aborting this transaction: running it again is
    /// safe and will likely succeed (serialization failure, deadlock).
    pub(crate) fn is_conflict(&self) -> bool {
        matches!(self, Fail::Db(e) if matches!(
            e.code(),
            Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        ))
    }

    /// The connection failed (closed, reset, unreachable) rather than the statement.
    pub(crate) fn is_connection(&self) -> bool {
        match self {
            Fail::Db(e) => {
                e.is_closed()
                    || std::iter::successors(std::error::Error::source(e), |c| c.source())
                        .any(|c| c.is::<std::io::Error>())
            }
            Fail::Pool(_) => true,
            Fail::Store(_) | Fail::Data(_) => false,
        }
    }

    pub(crate) fn into_store(self) -> StoreError {
        match self {
            Fail::Store(e) => e,
            // A unique or primary key violation means the entity exists already (the only
            // unique keys are names and ids); any other failure is the backend's.
            Fail::Db(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                StoreError::AlreadyExists
            }
            // Only the code and the primary message: a DbError's detail can quote the
            // failing row (`Failing row contains (…)`), secrets included.
            Fail::Db(e) => match e.as_db_error() {
                Some(db) => {
                    StoreError::Backend(format!("postgres {}: {}", db.code().code(), db.message()))
                }
                None => StoreError::Backend(format!("postgres: {}", chain(&e))),
            },
            Fail::Pool(msg) | Fail::Data(msg) => StoreError::Backend(msg),
        }
    }
}

/// An error and its causes, `: `-separated (tokio-postgres puts the I/O cause of a
/// connection failure in `source`).
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub(crate) type Result<T> = std::result::Result<T, Fail>;

pub(crate) fn time_of(secs: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| Fail::Data(format!("stored time {secs} is out of range")))
}

/// Access keys keep milliseconds, so that keys created in the same second still list (and
/// page) in creation order.
fn unix_ms(t: OffsetDateTime) -> i64 {
    iamd_store::store::key_sort_time(t)
}

fn time_of_ms(ms: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| Fail::Data(format!("stored time {ms} ms is out of range")))
}

fn status_of(s: &str) -> Result<KeyStatus> {
    KeyStatus::parse(s).ok_or_else(|| Fail::Data(format!("stored key status {s:?} is unknown")))
}

pub(crate) fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The condition selecting an owner's keys in `access_keys k`, with the owner as `$1`, and
/// the value to bind. Root's keys are those whose `user_id` is NULL; both forms keep `$1`
/// so that the statements around them number their parameters alike, and both can use
/// `access_keys_by_owner` (a `IS NOT DISTINCT FROM` could not).
fn owner_filter(owner: &KeyOwner) -> (&'static str, Option<&str>) {
    match owner {
        KeyOwner::Root => ("k.user_id IS NULL AND $1::text IS NULL", None),
        KeyOwner::User { user_id } => ("k.user_id = $1", Some(user_id)),
    }
}

pub(crate) async fn query_opt<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&stmt, params).await?)
}

pub(crate) async fn query<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query(&stmt, params).await?)
}

pub(crate) async fn execute<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.execute(&stmt, params).await?)
}

/// Run at `SERIALIZABLE`: two nodes bootstrapping an empty database together both read no
/// account, and the database aborts one of them (40001), whose retry then finds the
/// other's account.
/// `Store::reset`: empties `RESET_TABLES` in order (the foreign keys are not deferrable),
/// users' keys before the users.
pub(crate) async fn reset<C: GenericClient>(tx: &C) -> Result<()> {
    for table in iamd_store::store::RESET_TABLES {
        if *table == "users" {
            tx.execute("DELETE FROM access_keys WHERE user_id IS NOT NULL", &[])
                .await?;
        }
        tx.execute(&format!("DELETE FROM {table}"), &[]).await?;
    }
    Ok(())
}

pub(crate) async fn bootstrap_account<C: GenericClient>(
    tx: &C,
    account_id: &str,
    root: &NewAccessKey,
) -> Result<(String, bool)> {
    let existing = query_opt(
        tx,
        "SELECT account_id FROM accounts ORDER BY create_date, account_id LIMIT 1",
        &[],
    )
    .await?;
    if let Some(row) = existing {
        return Ok((row.try_get(0)?, false));
    }
    execute(
        tx,
        "INSERT INTO accounts (account_id, create_date) VALUES ($1, $2)",
        &[&account_id, &root.create_date.unix_timestamp()],
    )
    .await?;
    insert_key(tx, account_id, None, root).await?;
    Ok((account_id.to_owned(), true))
}

/// `Store::count_account`: one statement, so one snapshot.
pub(crate) async fn count_account<C: GenericClient>(
    c: &C,
    account_id: &str,
) -> Result<AccountCounts> {
    let row = c
        .query_one(
            "SELECT
                 (SELECT count(*) FROM users WHERE account_id = $1),
                 (SELECT count(*) FROM groups WHERE account_id = $1),
                 (SELECT count(*) FROM roles WHERE account_id = $1),
                 (SELECT count(*) FROM managed_policies WHERE account_id = $1),
                 (SELECT count(*) FROM instance_profiles WHERE account_id = $1),
                 (SELECT count(*) FROM access_keys WHERE account_id = $1 AND user_id IS NULL),
                 (SELECT count(*) FROM policy_versions v JOIN managed_policies p ON p.policy_id = v.policy_id
                   WHERE p.account_id = $1 AND p.attachment_count > 0),
                 (SELECT count(*) FROM mfa_devices WHERE account_id = $1),
                 (SELECT count(*) FROM mfa_devices WHERE account_id = $1 AND user_id IS NOT NULL)",
            &[&account_id],
        )
        .await?;
    let n = |i: usize| -> Result<u64> { Ok(row.try_get::<_, i64>(i)? as u64) };
    Ok(AccountCounts {
        users: n(0)?,
        groups: n(1)?,
        roles: n(2)?,
        policies: n(3)?,
        instance_profiles: n(4)?,
        root_access_keys: n(5)?,
        policy_versions_in_use: n(6)?,
        mfa_devices: n(7)?,
        mfa_devices_in_use: n(8)?,
    })
}

/// `Store::served_account`: the first account, as `bootstrap_account` finds it.
pub(crate) async fn served_account<C: GenericClient>(c: &C) -> Result<Option<Account>> {
    let row = query_opt(
        c,
        "SELECT account_id, create_date FROM accounts ORDER BY create_date, account_id LIMIT 1",
        &[],
    )
    .await?;
    row.map(|row| {
        Ok(Account {
            account_id: row.try_get(0)?,
            create_date: time_of(row.try_get(1)?)?,
        })
    })
    .transpose()
}

pub(crate) async fn get_account<C: GenericClient>(
    c: &C,
    account_id: &str,
) -> Result<Option<Account>> {
    let row = query_opt(
        c,
        "SELECT create_date FROM accounts WHERE account_id = $1",
        &[&account_id],
    )
    .await?;
    row.map(|row| {
        Ok(Account {
            account_id: account_id.to_owned(),
            create_date: time_of(row.try_get(0)?)?,
        })
    })
    .transpose()
}

pub(crate) async fn create_user<C: GenericClient>(tx: &C, user: &User) -> Result<()> {
    // UNIQUE (account_id, user_name_lower) turns a taken name into AlreadyExists, also
    // when another node inserts the same name (in any casing) at the same moment.
    execute(
        tx,
        "INSERT INTO users (user_id, account_id, user_name, user_name_lower, path, create_date)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &user.user_id,
            &user.account_id,
            &user.user_name,
            &user.user_name.to_lowercase(),
            &user.path,
            &user.create_date.unix_timestamp(),
        ],
    )
    .await?;
    for (position, tag) in user.tags.iter().enumerate() {
        let position = i32::try_from(position)
            .map_err(|_| Fail::Data(format!("tag position {position} is out of range")))?;
        execute(
            tx,
            "INSERT INTO user_tags (user_id, position, key, value) VALUES ($1, $2, $3, $4)",
            &[&user.user_id, &position, &tag.key, &tag.value],
        )
        .await?;
    }
    Ok(())
}

/// A `users` row as selected by `USER_COLUMNS`, from column `at` on.
pub(crate) const USER_COLUMNS: &str = "u.user_id, u.account_id, u.user_name, u.path, u.create_date";

fn user_from(row: &Row) -> Result<User> {
    Ok(User {
        user_id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        user_name: row.try_get(2)?,
        path: row.try_get(3)?,
        create_date: time_of(row.try_get(4)?)?,
        tags: Vec::new(),
    })
}

/// Locks the user named `user_name` (ignoring case) in the account until the transaction
/// ends, and returns its id: deleting, renaming and adding keys to one user take turns.
pub(crate) async fn lock_user_by_name<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
) -> Result<Option<String>> {
    let row = query_opt(
        tx,
        "SELECT user_id FROM users WHERE account_id = $1 AND user_name_lower = $2 FOR UPDATE",
        &[&account_id, &user_name.to_lowercase()],
    )
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// The user and its tags in one statement (one snapshot).
pub(crate) async fn get_user<C: GenericClient>(
    c: &C,
    account_id: &str,
    user_name: &str,
) -> Result<Option<User>> {
    let rows = query(
        c,
        &format!(
            "SELECT {USER_COLUMNS}, t.key, t.value
             FROM users u LEFT JOIN user_tags t ON t.user_id = u.user_id
             WHERE u.account_id = $1 AND u.user_name_lower = $2
             ORDER BY t.position"
        ),
        &[&account_id, &user_name.to_lowercase()],
    )
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut user = user_from(first)?;
    for row in &rows {
        let key: Option<String> = row.try_get(5)?;
        let value: Option<String> = row.try_get(6)?;
        if let (Some(key), Some(value)) = (key, value) {
            user.tags.push(Tag { key, value });
        }
    }
    Ok(Some(user))
}

pub(crate) async fn list_users<C: GenericClient>(
    c: &C,
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
    let rows = query(
        c,
        &format!(
            "SELECT {USER_COLUMNS} FROM users u
             WHERE u.account_id = $1 AND substr(u.path, 1, length($2::text)) = $2::text
               AND u.user_name_lower > $3
             ORDER BY u.user_name_lower LIMIT $4"
        ),
        &[&account_id, &path_prefix, &after, &limit_of(limit)],
    )
    .await?;
    rows.iter().map(user_from).collect()
}

pub(crate) async fn update_user<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    new_name: Option<&str>,
    new_path: Option<&str>,
) -> Result<()> {
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    if let Some(new_name) = new_name {
        let lower = new_name.to_lowercase();
        let taken: bool = query_opt(
            tx,
            "SELECT EXISTS (SELECT 1 FROM users
                            WHERE account_id = $1 AND user_name_lower = $2 AND user_id <> $3)",
            &[&account_id, &lower, &user_id],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(false);
        if taken {
            return Err(StoreError::AlreadyExists.into());
        }
        // A rename racing another node's CreateUser or rename to the same name: the
        // unique index decides (AlreadyExists).
        execute(
            tx,
            "UPDATE users SET user_name = $1, user_name_lower = $2 WHERE user_id = $3",
            &[&new_name, &lower, &user_id],
        )
        .await?;
    }
    if let Some(new_path) = new_path {
        execute(
            tx,
            "UPDATE users SET path = $1 WHERE user_id = $2",
            &[&new_path, &user_id],
        )
        .await?;
    }
    Ok(())
}

/// Holds the user's row lock while it checks for keys and policies, so that a key being
/// created for the user, or a policy being attached or put (which take the same lock), is
/// either seen here or refused there.
pub(crate) async fn delete_user<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
) -> Result<()> {
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    // Creating a login profile takes the same user lock.
    if crate::passwords::has_login_profile(tx, &user_id).await? {
        return Err(StoreError::UserHasLoginProfile.into());
    }
    let has_keys: bool = query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM access_keys WHERE user_id = $1)",
        &[&user_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(false);
    if has_keys {
        return Err(StoreError::UserHasAccessKeys.into());
    }
    // Attaching and putting inline policies take the same user lock, so what these
    // checks see stays true until the user is gone.
    let (has_attached, has_inline): (bool, bool) = query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM user_policy_attachments WHERE user_id = $1)
                    OR EXISTS (SELECT 1 FROM user_aws_policy_attachments WHERE user_id = $1),
                EXISTS (SELECT 1 FROM user_policies WHERE user_id = $1)",
        &[&user_id],
    )
    .await?
    .map(|r| Ok::<_, Fail>((r.try_get(0)?, r.try_get(1)?)))
    .transpose()?
    .unwrap_or((false, false));
    if has_attached {
        return Err(StoreError::UserHasAttachedPolicies.into());
    }
    if has_inline {
        return Err(StoreError::UserHasInlinePolicies.into());
    }
    // Adding the user to a group takes the same user lock.
    let in_groups: bool = query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM group_members WHERE user_id = $1)",
        &[&user_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(false);
    if in_groups {
        return Err(StoreError::UserInGroups.into());
    }
    // Enabling a device for the user takes the same user lock.
    let has_mfa: bool = query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM mfa_devices WHERE user_id = $1)",
        &[&user_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(false);
    if has_mfa {
        return Err(StoreError::UserHasMfaDevices.into());
    }
    if crate::service_credentials::user_has_any(tx, &user_id).await? {
        return Err(StoreError::UserHasServiceCredentials.into());
    }
    if let Some(kind) = crate::public_credentials::user_has_any(tx, &user_id).await? {
        return Err(StoreError::UserHasPublicCredentials(kind).into());
    }
    execute(tx, "DELETE FROM user_tags WHERE user_id = $1", &[&user_id]).await?;
    execute(
        tx,
        "DELETE FROM password_uses WHERE user_id = $1",
        &[&user_id],
    )
    .await?;
    execute(tx, "DELETE FROM users WHERE user_id = $1", &[&user_id]).await?;
    Ok(())
}

async fn insert_key<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_id: Option<&str>,
    key: &NewAccessKey,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO access_keys (access_key_id, account_id, user_id, secret, status, create_date)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &key.access_key_id,
            &account_id,
            &user_id,
            &key.secret.as_stored(),
            &KeyStatus::Active.as_str(),
            &unix_ms(key.create_date),
        ],
    )
    .await?;
    Ok(())
}

/// Locks the owner's row (the user's, or the account's for root keys) before counting, so
/// that concurrent creations for one owner, on any node, count one after another.
pub(crate) async fn create_access_key<C: GenericClient>(
    tx: &C,
    key: &NewAccessKey,
    quota: u32,
) -> Result<AccessKey> {
    let (filter, user_id) = owner_filter(&key.owner);
    let user_name = match user_id {
        None => {
            query_opt(
                tx,
                "SELECT account_id FROM accounts WHERE account_id = $1 FOR UPDATE",
                &[&key.account_id],
            )
            .await?;
            None
        }
        Some(user_id) => {
            let row = query_opt(
                tx,
                "SELECT user_name FROM users WHERE user_id = $1 AND account_id = $2 FOR UPDATE",
                &[&user_id, &key.account_id],
            )
            .await?
            .ok_or(StoreError::NoSuchUser)?;
            Some(row.try_get::<_, String>(0)?)
        }
    };
    // A new statement, so a new snapshot at READ COMMITTED: it sees the keys committed by
    // whoever held the lock before us.
    let count: i64 = query_opt(
        tx,
        &format!("SELECT count(*) FROM access_keys k WHERE {filter} AND k.account_id = $2"),
        &[&user_id, &key.account_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    if count >= i64::from(quota) {
        return Err(StoreError::KeyQuotaExceeded.into());
    }
    insert_key(tx, &key.account_id, user_id, key).await?;
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

fn key_from(row: &Row) -> Result<AccessKey> {
    let user_id: Option<String> = row.try_get(2)?;
    let status: String = row.try_get(4)?;
    Ok(AccessKey {
        access_key_id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        owner: match user_id {
            None => KeyOwner::Root,
            Some(user_id) => KeyOwner::User { user_id },
        },
        user_name: row.try_get(3)?,
        status: status_of(&status)?,
        create_date: time_of_ms(row.try_get(5)?)?,
    })
}

pub(crate) async fn list_access_keys<C: GenericClient>(
    c: &C,
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
    let (filter, user_id) = owner_filter(owner);
    let rows = query(
        c,
        &format!(
            "SELECT {KEY_COLUMNS} FROM access_keys k LEFT JOIN users u ON u.user_id = k.user_id
             WHERE {filter} AND k.account_id = $2
               AND (k.create_date, k.access_key_id) > ($3, $4)
             ORDER BY k.create_date, k.access_key_id LIMIT $5"
        ),
        &[&user_id, &account_id, &created, &after_id, &limit_of(limit)],
    )
    .await?;
    rows.iter().map(key_from).collect()
}

/// A user (ignoring case) with its tags and all of its keys in listing order, in one
/// statement: one round trip, one snapshot.
pub(crate) async fn get_user_with_keys<C: GenericClient>(
    c: &C,
    account_id: &str,
    user_name: &str,
) -> Result<Option<(User, Vec<AccessKey>)>> {
    let rows = query(
        c,
        &format!(
            "SELECT {USER_COLUMNS},
                    ARRAY(SELECT t.key FROM user_tags t
                          WHERE t.user_id = u.user_id ORDER BY t.position),
                    ARRAY(SELECT t.value FROM user_tags t
                          WHERE t.user_id = u.user_id ORDER BY t.position),
                    k.access_key_id, k.status, k.create_date
             FROM users u
             LEFT JOIN access_keys k ON k.user_id = u.user_id AND k.account_id = u.account_id
             WHERE u.account_id = $1 AND u.user_name_lower = $2
             ORDER BY k.create_date, k.access_key_id"
        ),
        &[&account_id, &user_name.to_lowercase()],
    )
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut user = user_from(first)?;
    let tag_keys: Vec<String> = first.try_get(5)?;
    let tag_values: Vec<String> = first.try_get(6)?;
    user.tags = tag_keys
        .into_iter()
        .zip(tag_values)
        .map(|(key, value)| Tag { key, value })
        .collect();
    let mut keys = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(access_key_id) = row.try_get::<_, Option<String>>(7)? else {
            continue; // the user has no keys: the one row is the user's alone
        };
        let status: String = row.try_get(8)?;
        keys.push(user.key(
            access_key_id,
            status_of(&status)?,
            time_of_ms(row.try_get(9)?)?,
        ));
    }
    Ok(Some((user, keys)))
}

pub(crate) async fn update_access_key<C: GenericClient>(
    tx: &C,
    account_id: &str,
    owner: &KeyOwner,
    access_key_id: &str,
    status: KeyStatus,
) -> Result<()> {
    let (filter, user_id) = owner_filter(owner);
    let changed = execute(
        tx,
        &format!(
            "UPDATE access_keys k SET status = $4
             WHERE {filter} AND k.account_id = $2 AND k.access_key_id = $3"
        ),
        &[&user_id, &account_id, &access_key_id, &status.as_str()],
    )
    .await?;
    if changed == 0 {
        return Err(StoreError::NoSuchAccessKey.into());
    }
    Ok(())
}

pub(crate) async fn delete_access_key<C: GenericClient>(
    tx: &C,
    account_id: &str,
    owner: &KeyOwner,
    access_key_id: &str,
) -> Result<()> {
    let (filter, user_id) = owner_filter(owner);
    let deleted = execute(
        tx,
        &format!(
            "DELETE FROM access_keys k
             WHERE {filter} AND k.account_id = $2 AND k.access_key_id = $3"
        ),
        &[&user_id, &account_id, &access_key_id],
    )
    .await?;
    if deleted == 0 {
        return Err(StoreError::NoSuchAccessKey.into());
    }
    Ok(())
}

pub(crate) async fn get_credential<C: GenericClient>(
    c: &C,
    access_key_id: &str,
) -> Result<Option<Credential>> {
    let row = query_opt(
        c,
        &format!(
            "SELECT {KEY_COLUMNS}, k.secret, u.path, u.create_date
             FROM access_keys k LEFT JOIN users u ON u.user_id = k.user_id
             WHERE k.access_key_id = $1"
        ),
        &[&access_key_id],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let key = key_from(&row)?;
    let secret = SealedSecret::from_stored(row.try_get::<_, String>(6)?);
    let path: Option<String> = row.try_get(7)?;
    let user_created: Option<i64> = row.try_get(8)?;
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

pub(crate) async fn get_access_key_last_used<C: GenericClient>(
    c: &C,
    access_key_id: &str,
) -> Result<Option<(AccessKey, Option<KeyUsage>)>> {
    let row = query_opt(
        c,
        &format!(
            "SELECT {KEY_COLUMNS}, k.last_used_date, k.last_used_service, k.last_used_region
             FROM access_keys k LEFT JOIN users u ON u.user_id = k.user_id
             WHERE k.access_key_id = $1"
        ),
        &[&access_key_id],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let key = key_from(&row)?;
    let used: Option<i64> = row.try_get(6)?;
    let service: Option<String> = row.try_get(7)?;
    let region: Option<String> = row.try_get(8)?;
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

/// Updates the keys in id order, so that two nodes flushing overlapping batches lock the
/// rows in the same order and cannot deadlock.
pub(crate) async fn record_key_usage<C: GenericClient>(tx: &C, usage: &[KeyUsage]) -> Result<()> {
    let mut ordered: Vec<&KeyUsage> = usage.iter().collect();
    ordered.sort_by(|a, b| a.access_key_id.cmp(&b.access_key_id));
    for u in ordered {
        execute(
            tx,
            "UPDATE access_keys
             SET last_used_date = $1, last_used_service = $2, last_used_region = $3
             WHERE access_key_id = $4 AND (last_used_date IS NULL OR last_used_date <= $1)",
            &[
                &u.when.unix_timestamp(),
                &u.service,
                &u.region,
                &u.access_key_id,
            ],
        )
        .await?;
    }
    Ok(())
}
