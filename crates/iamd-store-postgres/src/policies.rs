//! The managed-policy operations of `Store` as SQL: managed policies and their versions
//! (holders' inline policies and attachments are in `holders`). Writes run inside the one
//! transaction they are given and lock the policy's row first. Reads are single
//! statements (one snapshot each).
//!
//! Same SQL subset as `queries`: no `ON CONFLICT`, no `RETURNING`, plain `FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{ManagedPolicy, PolicyVersion, Tag, TaggedKind};
use iamd_store::StoreError;
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::queries::{execute, limit_of, query, query_opt, time_of, Fail, Result};
use crate::tags;

/// A `managed_policies` row as selected by `POLICY_COLUMNS` (`p` = managed_policies).
pub(crate) const POLICY_COLUMNS: &str =
    "p.policy_id, p.account_id, p.policy_name, p.path, p.description,
     p.default_version_id, p.attachment_count, p.create_date, p.update_date,
     (SELECT count(*) FROM users bu WHERE bu.permissions_boundary = p.policy_id)
       + (SELECT count(*) FROM roles br WHERE br.permissions_boundary = p.policy_id)";

pub(crate) fn policy_from(row: &Row) -> Result<ManagedPolicy> {
    let attachment_count: i64 = row.try_get(6)?;
    let boundary_uses: i64 = row.try_get(9)?;
    Ok(ManagedPolicy {
        policy_id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        policy_name: row.try_get(2)?,
        path: row.try_get(3)?,
        description: row.try_get(4)?,
        default_version_id: row.try_get(5)?,
        attachment_count: u32::try_from(attachment_count).map_err(|_| {
            Fail::Data(format!(
                "stored attachment count {attachment_count} is out of range"
            ))
        })?,
        permissions_boundary_usage_count: u32::try_from(boundary_uses).map_err(|_| {
            Fail::Data(format!(
                "boundary usage count {boundary_uses} is out of range"
            ))
        })?,
        create_date: time_of(row.try_get(7)?)?,
        update_date: time_of(row.try_get(8)?)?,
        tags: Vec::new(),
    })
}

/// A policy's row, locked until the transaction ends: changes to one policy's versions,
/// attachments and existence take turns, on any node.
pub(crate) struct LockedPolicy {
    pub(crate) policy_id: String,
    default_version_id: String,
    highest_version: i64,
    attachment_count: i64,
}

pub(crate) async fn lock_policy<C: GenericClient>(
    tx: &C,
    account_id: &str,
    policy_name: &str,
) -> Result<LockedPolicy> {
    let row = query_opt(
        tx,
        "SELECT policy_id, default_version_id, highest_version, attachment_count
         FROM managed_policies WHERE account_id = $1 AND policy_name_lower = $2 FOR UPDATE",
        &[&account_id, &policy_name.to_lowercase()],
    )
    .await?
    .ok_or(StoreError::NoSuchPolicy)?;
    Ok(LockedPolicy {
        policy_id: row.try_get(0)?,
        default_version_id: row.try_get(1)?,
        highest_version: row.try_get(2)?,
        attachment_count: row.try_get(3)?,
    })
}

fn version_id(number: i64) -> String {
    format!("v{number}")
}

async fn insert_version<C: GenericClient>(
    tx: &C,
    policy_id: &str,
    number: i64,
    document: &str,
    created: i64,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO policy_versions (policy_id, version_id, version_number, document, create_date)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &policy_id,
            &version_id(number),
            &number,
            &document,
            &created,
        ],
    )
    .await?;
    Ok(())
}

/// UNIQUE (account_id, policy_name_lower) turns a taken name into AlreadyExists, also when
/// another node creates the same name (in any casing) at the same moment.
pub(crate) async fn create_policy<C: GenericClient>(
    tx: &C,
    policy: &ManagedPolicy,
    document: &str,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO managed_policies (policy_id, account_id, policy_name, policy_name_lower,
             path, description, default_version_id, highest_version, attachment_count,
             create_date, update_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10)",
        &[
            &policy.policy_id,
            &policy.account_id,
            &policy.policy_name,
            &policy.policy_name.to_lowercase(),
            &policy.path,
            &policy.description,
            &version_id(1),
            &i64::from(policy.attachment_count),
            &policy.create_date.unix_timestamp(),
            &policy.update_date.unix_timestamp(),
        ],
    )
    .await?;
    tags::insert_tags(tx, TaggedKind::Policy, &policy.policy_id, &policy.tags).await?;
    insert_version(
        tx,
        &policy.policy_id,
        1,
        document,
        policy.create_date.unix_timestamp(),
    )
    .await
}

pub(crate) async fn get_policy<C: GenericClient>(
    c: &C,
    account_id: &str,
    policy_name: &str,
) -> Result<Option<ManagedPolicy>> {
    // The tags come in the same statement (one snapshot), as arrays in tag order.
    let Some(row) = query_opt(
        c,
        &format!(
            "SELECT {POLICY_COLUMNS},
                    ARRAY(SELECT t.key FROM policy_tags t
                          WHERE t.policy_id = p.policy_id ORDER BY t.position),
                    ARRAY(SELECT t.value FROM policy_tags t
                          WHERE t.policy_id = p.policy_id ORDER BY t.position)
             FROM managed_policies p
             WHERE p.account_id = $1 AND p.policy_name_lower = $2"
        ),
        &[&account_id, &policy_name.to_lowercase()],
    )
    .await?
    else {
        return Ok(None);
    };
    let mut policy = policy_from(&row)?;
    let keys: Vec<String> = row.try_get(10)?;
    let values: Vec<String> = row.try_get(11)?;
    policy.tags = keys
        .into_iter()
        .zip(values)
        .map(|(key, value)| Tag { key, value })
        .collect();
    Ok(Some(policy))
}

pub(crate) async fn list_policies<C: GenericClient>(
    c: &C,
    account_id: &str,
    path_prefix: &str,
    only_attached: bool,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<ManagedPolicy>> {
    // A plain string prefix: `substr` rather than LIKE, for paths may hold `%` and `_`.
    let rows = query(
        c,
        &format!(
            "SELECT {POLICY_COLUMNS} FROM managed_policies p
             WHERE p.account_id = $1 AND substr(p.path, 1, length($2::text)) = $2::text
               AND (NOT $3::boolean OR p.attachment_count > 0) AND p.policy_name_lower > $4
             ORDER BY p.policy_name_lower LIMIT $5"
        ),
        &[
            &account_id,
            &path_prefix,
            &only_attached,
            &after.unwrap_or(""),
            &limit_of(limit),
        ],
    )
    .await?;
    rows.iter().map(policy_from).collect()
}

/// Under the policy's row lock, which attaching takes too: a policy being attached is
/// either counted here or not found there.
pub(crate) async fn delete_policy<C: GenericClient>(
    tx: &C,
    account_id: &str,
    policy_name: &str,
) -> Result<()> {
    let policy = lock_policy(tx, account_id, policy_name).await?;
    if policy.attachment_count > 0 {
        return Err(StoreError::PolicyAttached.into());
    }
    // Setting a boundary locks the policy's row too, so this sees every one committed.
    if crate::boundaries::in_use(tx, &policy.policy_id).await? {
        return Err(StoreError::PolicyInUseAsBoundary.into());
    }
    let others: bool = query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM policy_versions WHERE policy_id = $1 AND version_id <> $2)",
        &[&policy.policy_id, &policy.default_version_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(false);
    if others {
        return Err(StoreError::PolicyHasVersions.into());
    }
    execute(
        tx,
        "DELETE FROM policy_versions WHERE policy_id = $1",
        &[&policy.policy_id],
    )
    .await?;
    tags::delete_tags(tx, TaggedKind::Policy, &policy.policy_id).await?;
    execute(
        tx,
        "DELETE FROM managed_policies WHERE policy_id = $1",
        &[&policy.policy_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn create_policy_version<C: GenericClient>(
    tx: &C,
    account_id: &str,
    policy_name: &str,
    document: &str,
    set_as_default: bool,
    max_versions: u32,
    now: OffsetDateTime,
) -> Result<PolicyVersion> {
    let policy = lock_policy(tx, account_id, policy_name).await?;
    // A new statement, so a new snapshot at READ COMMITTED: it sees the versions committed
    // by whoever held the lock before us.
    let count: i64 = query_opt(
        tx,
        "SELECT count(*) FROM policy_versions WHERE policy_id = $1",
        &[&policy.policy_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    if count >= i64::from(max_versions) {
        return Err(StoreError::PolicyVersionsExceeded.into());
    }
    let number = policy.highest_version + 1;
    let created = now.unix_timestamp();
    insert_version(tx, &policy.policy_id, number, document, created).await?;
    if set_as_default {
        execute(
            tx,
            "UPDATE managed_policies
             SET highest_version = $1, default_version_id = $2, update_date = $3
             WHERE policy_id = $4",
            &[&number, &version_id(number), &created, &policy.policy_id],
        )
        .await?;
    } else {
        execute(
            tx,
            "UPDATE managed_policies SET highest_version = $1 WHERE policy_id = $2",
            &[&number, &policy.policy_id],
        )
        .await?;
    }
    Ok(PolicyVersion {
        version_id: version_id(number),
        document: document.to_owned(),
        is_default: set_as_default,
        create_date: time_of(created)?,
    })
}

/// A version selected as `default_version_id, version_id, document, create_date` (the
/// last three NULL when a `LEFT JOIN` found no version).
fn version_from(row: &Row) -> Result<Option<PolicyVersion>> {
    let default_version: String = row.try_get(0)?;
    let Some(version_id) = row.try_get::<_, Option<String>>(1)? else {
        return Ok(None);
    };
    Ok(Some(PolicyVersion {
        is_default: version_id == default_version,
        version_id,
        document: row.try_get(2)?,
        create_date: time_of(row.try_get(3)?)?,
    }))
}

pub(crate) async fn get_policy_version<C: GenericClient>(
    c: &C,
    account_id: &str,
    policy_name: &str,
    version_id: &str,
) -> Result<Option<PolicyVersion>> {
    let row = query_opt(
        c,
        "SELECT p.default_version_id, v.version_id, v.document, v.create_date
         FROM managed_policies p
             LEFT JOIN policy_versions v ON v.policy_id = p.policy_id AND v.version_id = $3
         WHERE p.account_id = $1 AND p.policy_name_lower = $2",
        &[&account_id, &policy_name.to_lowercase(), &version_id],
    )
    .await?
    .ok_or(StoreError::NoSuchPolicy)?;
    version_from(&row)
}

pub(crate) async fn list_policy_versions<C: GenericClient>(
    c: &C,
    account_id: &str,
    policy_name: &str,
) -> Result<Vec<PolicyVersion>> {
    let rows = query(
        c,
        "SELECT p.default_version_id, v.version_id, v.document, v.create_date
         FROM managed_policies p LEFT JOIN policy_versions v ON v.policy_id = p.policy_id
         WHERE p.account_id = $1 AND p.policy_name_lower = $2
         ORDER BY v.version_number DESC",
        &[&account_id, &policy_name.to_lowercase()],
    )
    .await?;
    if rows.is_empty() {
        return Err(StoreError::NoSuchPolicy.into());
    }
    let mut versions = Vec::with_capacity(rows.len());
    for row in &rows {
        versions.extend(version_from(row)?);
    }
    Ok(versions)
}

async fn version_exists<C: GenericClient>(
    tx: &C,
    policy_id: &str,
    version_id: &str,
) -> Result<bool> {
    Ok(query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM policy_versions WHERE policy_id = $1 AND version_id = $2)",
        &[&policy_id, &version_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(false))
}

pub(crate) async fn set_default_policy_version<C: GenericClient>(
    tx: &C,
    account_id: &str,
    policy_name: &str,
    version_id: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let policy = lock_policy(tx, account_id, policy_name).await?;
    if !version_exists(tx, &policy.policy_id, version_id).await? {
        return Err(StoreError::NoSuchPolicyVersion.into());
    }
    execute(
        tx,
        "UPDATE managed_policies SET default_version_id = $1, update_date = $2 WHERE policy_id = $3",
        &[&version_id, &now.unix_timestamp(), &policy.policy_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete_policy_version<C: GenericClient>(
    tx: &C,
    account_id: &str,
    policy_name: &str,
    version_id: &str,
) -> Result<()> {
    let policy = lock_policy(tx, account_id, policy_name).await?;
    if !version_exists(tx, &policy.policy_id, version_id).await? {
        return Err(StoreError::NoSuchPolicyVersion.into());
    }
    if version_id == policy.default_version_id {
        return Err(StoreError::DefaultPolicyVersion.into());
    }
    execute(
        tx,
        "DELETE FROM policy_versions WHERE policy_id = $1 AND version_id = $2",
        &[&policy.policy_id, &version_id],
    )
    .await?;
    Ok(())
}
