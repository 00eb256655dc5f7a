//! The managed-policy operations of `Store` as SQL (managed policies and their versions;
//! holders' inline policies and attachments are in `holders`), each run inside the one
//! transaction it is given. Writes run on the single writer (`BEGIN IMMEDIATE`), so a check
//! and the write it guards cannot be interleaved with another write.

use iamd_store::model::{ManagedPolicy, PolicyVersion, TaggedKind};
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension, Row};
use time::OffsetDateTime;

use crate::queries::{limit_of, query_one, time_of, Fail, Result};
use crate::tags;

/// A `managed_policies` row as selected by `POLICY_COLUMNS` (`p` = managed_policies).
pub(crate) const POLICY_COLUMNS: &str =
    "p.policy_id, p.account_id, p.policy_name, p.path, p.description,
     p.default_version_id, p.attachment_count, p.create_date, p.update_date,
     (SELECT count(*) FROM users bu WHERE bu.permissions_boundary = p.policy_id)
       + (SELECT count(*) FROM roles br WHERE br.permissions_boundary = p.policy_id)";

type PolicyRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    i64,
    i64,
);

pub(crate) fn policy_of(r: &Row<'_>) -> rusqlite::Result<PolicyRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

pub(crate) fn policy_from(
    (
        policy_id,
        account_id,
        policy_name,
        path,
        description,
        default_version_id,
        attachment_count,
        created,
        updated,
        boundary_uses,
    ): PolicyRow,
) -> Result<ManagedPolicy> {
    Ok(ManagedPolicy {
        account_id,
        policy_id,
        policy_name,
        path,
        description,
        default_version_id,
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
        create_date: time_of(created)?,
        update_date: time_of(updated)?,
        tags: Vec::new(),
    })
}

/// The id and default version of the policy named `policy_name` (ignoring case) in the
/// account; `NoSuchPolicy` if there is none.
pub(crate) fn policy_by_name(
    tx: &Connection,
    account_id: &str,
    policy_name: &str,
) -> Result<(String, String)> {
    let row = query_one(
        tx,
        "SELECT policy_id, default_version_id FROM managed_policies
         WHERE account_id = ?1 AND policy_name_lower = ?2",
        params![account_id, policy_name.to_lowercase()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?;
    Ok(row.ok_or(StoreError::NoSuchPolicy)?)
}

fn version_id(number: i64) -> String {
    format!("v{number}")
}

pub(crate) fn create_policy(tx: &Connection, policy: &ManagedPolicy, document: &str) -> Result<()> {
    // UNIQUE (account_id, policy_name_lower) turns a taken name into AlreadyExists.
    tx.prepare_cached(
        "INSERT INTO managed_policies (policy_id, account_id, policy_name, policy_name_lower,
             path, description, default_version_id, highest_version, attachment_count,
             create_date, update_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10)",
    )?
    .execute(params![
        policy.policy_id,
        policy.account_id,
        policy.policy_name,
        policy.policy_name.to_lowercase(),
        policy.path,
        policy.description,
        version_id(1),
        i64::from(policy.attachment_count),
        policy.create_date.unix_timestamp(),
        policy.update_date.unix_timestamp(),
    ])?;
    tags::insert_tags(tx, TaggedKind::Policy, &policy.policy_id, &policy.tags)?;
    insert_version(
        tx,
        &policy.policy_id,
        1,
        document,
        policy.create_date.unix_timestamp(),
    )
}

fn insert_version(
    tx: &Connection,
    policy_id: &str,
    number: i64,
    document: &str,
    created: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO policy_versions (policy_id, version_id, version_number, document, create_date)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        policy_id,
        version_id(number),
        number,
        document,
        created
    ])?;
    Ok(())
}

pub(crate) fn get_policy(
    tx: &Connection,
    account_id: &str,
    policy_name: &str,
) -> Result<Option<ManagedPolicy>> {
    query_one(
        tx,
        &format!(
            "SELECT {POLICY_COLUMNS} FROM managed_policies p
             WHERE p.account_id = ?1 AND p.policy_name_lower = ?2"
        ),
        params![account_id, policy_name.to_lowercase()],
        policy_of,
    )
    .optional()?
    .map(|row| {
        let mut policy = policy_from(row)?;
        policy.tags = tags::tags_of(tx, TaggedKind::Policy, &policy.policy_id)?;
        Ok(policy)
    })
    .transpose()
}

pub(crate) fn list_policies(
    tx: &Connection,
    account_id: &str,
    path_prefix: &str,
    only_attached: bool,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<ManagedPolicy>> {
    // A plain string prefix: `substr` rather than LIKE, for paths may hold `%` and `_`.
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {POLICY_COLUMNS} FROM managed_policies p
         WHERE p.account_id = ?1 AND substr(p.path, 1, length(?2)) = ?2
           AND (NOT ?3 OR p.attachment_count > 0) AND p.policy_name_lower > ?4
         ORDER BY p.policy_name_lower LIMIT ?5"
    ))?;
    let rows = stmt
        .query_map(
            params![
                account_id,
                path_prefix,
                only_attached,
                after.unwrap_or(""),
                limit_of(limit)
            ],
            policy_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(policy_from).collect()
}

pub(crate) fn delete_policy(tx: &Connection, account_id: &str, policy_name: &str) -> Result<()> {
    let row: Option<(String, String, i64)> = query_one(
        tx,
        "SELECT policy_id, default_version_id, attachment_count FROM managed_policies
         WHERE account_id = ?1 AND policy_name_lower = ?2",
        params![account_id, policy_name.to_lowercase()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()?;
    let (policy_id, default_version, attachments) = row.ok_or(StoreError::NoSuchPolicy)?;
    if attachments > 0 {
        return Err(StoreError::PolicyAttached.into());
    }
    if crate::boundaries::in_use(tx, &policy_id)? {
        return Err(StoreError::PolicyInUseAsBoundary.into());
    }
    let others: bool = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM policy_versions WHERE policy_id = ?1 AND version_id <> ?2)",
        params![policy_id, default_version],
        |r| r.get(0),
    )?;
    if others {
        return Err(StoreError::PolicyHasVersions.into());
    }
    tx.prepare_cached("DELETE FROM policy_versions WHERE policy_id = ?1")?
        .execute([&policy_id])?;
    tags::delete_tags(tx, TaggedKind::Policy, &policy_id)?;
    tx.prepare_cached("DELETE FROM managed_policies WHERE policy_id = ?1")?
        .execute([&policy_id])?;
    Ok(())
}

pub(crate) fn create_policy_version(
    tx: &Connection,
    account_id: &str,
    policy_name: &str,
    document: &str,
    set_as_default: bool,
    max_versions: u32,
    now: OffsetDateTime,
) -> Result<PolicyVersion> {
    let (policy_id, _) = policy_by_name(tx, account_id, policy_name)?;
    let (count, highest): (i64, i64) = query_one(
        tx,
        "SELECT (SELECT count(*) FROM policy_versions WHERE policy_id = ?1),
                highest_version
         FROM managed_policies WHERE policy_id = ?1",
        [&policy_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if count >= i64::from(max_versions) {
        return Err(StoreError::PolicyVersionsExceeded.into());
    }
    let number = highest + 1;
    let created = now.unix_timestamp();
    insert_version(tx, &policy_id, number, document, created)?;
    if set_as_default {
        tx.prepare_cached(
            "UPDATE managed_policies
             SET highest_version = ?1, default_version_id = ?2, update_date = ?3
             WHERE policy_id = ?4",
        )?
        .execute(params![number, version_id(number), created, policy_id])?;
    } else {
        tx.prepare_cached("UPDATE managed_policies SET highest_version = ?1 WHERE policy_id = ?2")?
            .execute(params![number, policy_id])?;
    }
    Ok(PolicyVersion {
        version_id: version_id(number),
        document: document.to_owned(),
        is_default: set_as_default,
        create_date: time_of(created)?,
    })
}

type VersionRow = (String, String, i64);

fn version_from(
    default_version: &str,
    (version_id, document, created): VersionRow,
) -> Result<PolicyVersion> {
    Ok(PolicyVersion {
        is_default: version_id == default_version,
        version_id,
        document,
        create_date: time_of(created)?,
    })
}

pub(crate) fn get_policy_version(
    tx: &Connection,
    account_id: &str,
    policy_name: &str,
    version_id: &str,
) -> Result<Option<PolicyVersion>> {
    let (policy_id, default_version) = policy_by_name(tx, account_id, policy_name)?;
    query_one(
        tx,
        "SELECT version_id, document, create_date FROM policy_versions
         WHERE policy_id = ?1 AND version_id = ?2",
        params![policy_id, version_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()?
    .map(|row| version_from(&default_version, row))
    .transpose()
}

pub(crate) fn list_policy_versions(
    tx: &Connection,
    account_id: &str,
    policy_name: &str,
) -> Result<Vec<PolicyVersion>> {
    let (policy_id, default_version) = policy_by_name(tx, account_id, policy_name)?;
    let mut stmt = tx.prepare_cached(
        "SELECT version_id, document, create_date FROM policy_versions
         WHERE policy_id = ?1 ORDER BY version_number DESC",
    )?;
    let rows = stmt
        .query_map([&policy_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<VersionRow>>>()?;
    rows.into_iter()
        .map(|row| version_from(&default_version, row))
        .collect()
}

fn version_exists(tx: &Connection, policy_id: &str, version_id: &str) -> Result<bool> {
    Ok(query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM policy_versions WHERE policy_id = ?1 AND version_id = ?2)",
        params![policy_id, version_id],
        |r| r.get(0),
    )?)
}

pub(crate) fn set_default_policy_version(
    tx: &Connection,
    account_id: &str,
    policy_name: &str,
    version_id: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let (policy_id, _) = policy_by_name(tx, account_id, policy_name)?;
    if !version_exists(tx, &policy_id, version_id)? {
        return Err(StoreError::NoSuchPolicyVersion.into());
    }
    tx.prepare_cached(
        "UPDATE managed_policies SET default_version_id = ?1, update_date = ?2 WHERE policy_id = ?3",
    )?
    .execute(params![version_id, now.unix_timestamp(), policy_id])?;
    Ok(())
}

pub(crate) fn delete_policy_version(
    tx: &Connection,
    account_id: &str,
    policy_name: &str,
    version_id: &str,
) -> Result<()> {
    let (policy_id, default_version) = policy_by_name(tx, account_id, policy_name)?;
    if !version_exists(tx, &policy_id, version_id)? {
        return Err(StoreError::NoSuchPolicyVersion.into());
    }
    if version_id == default_version {
        return Err(StoreError::DefaultPolicyVersion.into());
    }
    tx.prepare_cached("DELETE FROM policy_versions WHERE policy_id = ?1 AND version_id = ?2")?
        .execute(params![policy_id, version_id])?;
    Ok(())
}
