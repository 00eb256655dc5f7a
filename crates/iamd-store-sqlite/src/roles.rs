//! The role operations of `Store` as SQL (roles and their tags; their policies are in
//! `holders`), each run inside the one transaction it is given. Writes run on the single
//! writer (`BEGIN IMMEDIATE`), so a check and the write it guards cannot be interleaved
//! with another write.

use iamd_store::model::{DeletionStatus, DeletionTask, Role, RoleUsage, Tag};
use iamd_store::secret::SealedSecret;
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::queries::{limit_of, query_one, time_of, Fail, Result};

/// A `roles` row as selected by `ROLE_COLUMNS`.
const ROLE_COLUMNS: &str = "role_id, account_id, role_name, path, description,
     assume_role_policy_document, max_session_duration, create_date, session_secret,
     linked_service";

/// `ROLE_COLUMNS` of `roles r`, for joins.
pub(crate) const ROLE_COLUMNS_OF_R: &str = "r.role_id, r.account_id, r.role_name, r.path,
     r.description, r.assume_role_policy_document, r.max_session_duration, r.create_date,
     r.session_secret, r.linked_service";

pub(crate) type RoleRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    String,
    Option<String>,
);

pub(crate) fn role_of(r: &Row<'_>) -> rusqlite::Result<RoleRow> {
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

pub(crate) fn role_from(
    (
        role_id,
        account_id,
        role_name,
        path,
        description,
        assume_role_policy_document,
        max_session_duration,
        created,
        session_secret,
        linked_service,
    ): RoleRow,
) -> Result<Role> {
    Ok(Role {
        account_id,
        role_id,
        role_name,
        path,
        description,
        assume_role_policy_document,
        max_session_duration: u32::try_from(max_session_duration).map_err(|_| {
            Fail::Data(format!(
                "stored maximum session duration {max_session_duration} is out of range"
            ))
        })?,
        create_date: time_of(created)?,
        tags: Vec::new(),
        session_secret: SealedSecret::from_stored(session_secret),
        linked_service,
    })
}

/// The id of the role named `role_name` (ignoring case) in the account; `NoSuchRole`.
pub(crate) fn role_id_of(tx: &Connection, account_id: &str, role_name: &str) -> Result<String> {
    let id: Option<String> = query_one(
        tx,
        "SELECT role_id FROM roles WHERE account_id = ?1 AND role_name_lower = ?2",
        params![account_id, role_name.to_lowercase()],
        |r| r.get(0),
    )
    .optional()?;
    Ok(id.ok_or(StoreError::NoSuchRole)?)
}

fn with_tags(tx: &Connection, row: Option<RoleRow>) -> Result<Option<Role>> {
    let Some(row) = row else {
        return Ok(None);
    };
    let mut role = role_from(row)?;
    let mut tags =
        tx.prepare_cached("SELECT key, value FROM role_tags WHERE role_id = ?1 ORDER BY position")?;
    role.tags = tags
        .query_map([&role.role_id], |r| {
            Ok(Tag {
                key: r.get(0)?,
                value: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(role))
}

pub(crate) fn create_role(tx: &Connection, role: &Role) -> Result<()> {
    // UNIQUE (account_id, role_name_lower) turns a taken name into AlreadyExists.
    tx.prepare_cached(
        "INSERT INTO roles (role_id, account_id, role_name, role_name_lower, path, description,
             assume_role_policy_document, max_session_duration, create_date, session_secret,
             linked_service)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        role.role_id,
        role.account_id,
        role.role_name,
        role.role_name.to_lowercase(),
        role.path,
        role.description,
        role.assume_role_policy_document,
        i64::from(role.max_session_duration),
        role.create_date.unix_timestamp(),
        role.session_secret.as_stored(),
        role.linked_service,
    ])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO role_tags (role_id, position, key, value) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (position, tag) in role.tags.iter().enumerate() {
        insert.execute(params![role.role_id, position as i64, tag.key, tag.value])?;
    }
    Ok(())
}

pub(crate) fn get_role(tx: &Connection, account_id: &str, role_name: &str) -> Result<Option<Role>> {
    let row = query_one(
        tx,
        &format!("SELECT {ROLE_COLUMNS} FROM roles WHERE account_id = ?1 AND role_name_lower = ?2"),
        params![account_id, role_name.to_lowercase()],
        role_of,
    )
    .optional()?;
    with_tags(tx, row)
}

pub(crate) fn get_role_by_id(tx: &Connection, role_id: &str) -> Result<Option<Role>> {
    let row = query_one(
        tx,
        &format!("SELECT {ROLE_COLUMNS} FROM roles WHERE role_id = ?1"),
        [role_id],
        role_of,
    )
    .optional()?;
    with_tags(tx, row)
}

pub(crate) fn list_roles(
    tx: &Connection,
    account_id: &str,
    path_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Role>> {
    // A plain string prefix: `substr` rather than LIKE, for paths may hold `%` and `_`.
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {ROLE_COLUMNS} FROM roles
         WHERE account_id = ?1 AND substr(path, 1, length(?2)) = ?2 AND role_name_lower > ?3
         ORDER BY role_name_lower LIMIT ?4"
    ))?;
    let rows = stmt
        .query_map(
            params![
                account_id,
                path_prefix,
                after.unwrap_or(""),
                limit_of(limit)
            ],
            role_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(role_from).collect()
}

pub(crate) fn update_role(
    tx: &Connection,
    account_id: &str,
    role_name: &str,
    description: Option<&str>,
    max_session_duration: Option<u32>,
) -> Result<()> {
    let changed = tx
        .prepare_cached(
            "UPDATE roles SET description = coalesce(?3, description),
                              max_session_duration = coalesce(?4, max_session_duration)
             WHERE account_id = ?1 AND role_name_lower = ?2",
        )?
        .execute(params![
            account_id,
            role_name.to_lowercase(),
            description,
            max_session_duration.map(i64::from),
        ])?;
    if changed == 0 {
        return Err(StoreError::NoSuchRole.into());
    }
    Ok(())
}

pub(crate) fn update_assume_role_policy(
    tx: &Connection,
    account_id: &str,
    role_name: &str,
    document: &str,
) -> Result<()> {
    let changed = tx
        .prepare_cached(
            "UPDATE roles SET assume_role_policy_document = ?3
             WHERE account_id = ?1 AND role_name_lower = ?2",
        )?
        .execute(params![account_id, role_name.to_lowercase(), document])?;
    if changed == 0 {
        return Err(StoreError::NoSuchRole.into());
    }
    Ok(())
}

pub(crate) fn delete_role(tx: &Connection, account_id: &str, role_name: &str) -> Result<()> {
    let role_id = role_id_of(tx, account_id, role_name)?;
    delete_role_by_id(tx, &role_id)
}

/// Deletes the role unless an instance profile or a policy still refers to it.
fn delete_role_by_id(tx: &Connection, role_id: &str) -> Result<()> {
    let (in_profile, has_attached, has_inline): (bool, bool, bool) = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM instance_profile_roles WHERE role_id = ?1),
                EXISTS (SELECT 1 FROM role_policy_attachments WHERE role_id = ?1)
                    OR EXISTS (SELECT 1 FROM role_aws_policy_attachments WHERE role_id = ?1),
                EXISTS (SELECT 1 FROM role_policies WHERE role_id = ?1)",
        [role_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if in_profile {
        return Err(StoreError::RoleInInstanceProfile.into());
    }
    if has_attached {
        return Err(StoreError::RoleHasAttachedPolicies.into());
    }
    if has_inline {
        return Err(StoreError::RoleHasInlinePolicies.into());
    }
    tx.prepare_cached("DELETE FROM role_tags WHERE role_id = ?1")?
        .execute([role_id])?;
    tx.prepare_cached("DELETE FROM roles WHERE role_id = ?1")?
        .execute([role_id])?;
    Ok(())
}

/// Each role keeps its newest use; a role deleted meanwhile matches no row.
pub(crate) fn record_role_usage(tx: &Connection, usage: &[RoleUsage]) -> Result<()> {
    let mut update = tx.prepare_cached(
        "UPDATE roles SET last_used_date = ?1, last_used_region = ?2
         WHERE role_id = ?3 AND (last_used_date IS NULL OR last_used_date <= ?1)",
    )?;
    for u in usage {
        update.execute(params![u.when.unix_timestamp(), u.region, u.role_id])?;
    }
    Ok(())
}

pub(crate) fn get_role_last_used(tx: &Connection, role_id: &str) -> Result<Option<RoleUsage>> {
    let row: Option<(Option<i64>, Option<String>)> = query_one(
        tx,
        "SELECT last_used_date, last_used_region FROM roles WHERE role_id = ?1",
        [role_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?;
    let Some((Some(secs), region)) = row else {
        return Ok(None);
    };
    Ok(Some(RoleUsage {
        role_id: role_id.to_owned(),
        when: time_of(secs)?,
        region: region.unwrap_or_default(),
    }))
}

/// Deletes a service-linked role as `delete_role` does and records its deletion task, in
/// the same transaction. A role that is not service-linked is `NoSuchRole`.
pub(crate) fn delete_service_linked_role(
    tx: &Connection,
    account_id: &str,
    role_name: &str,
    task: &DeletionTask,
) -> Result<()> {
    let role_id: Option<String> = query_one(
        tx,
        "SELECT role_id FROM roles
         WHERE account_id = ?1 AND role_name_lower = ?2 AND linked_service IS NOT NULL",
        params![account_id, role_name.to_lowercase()],
        |r| r.get(0),
    )
    .optional()?;
    let role_id = role_id.ok_or(StoreError::NoSuchRole)?;
    delete_role_by_id(tx, &role_id)?;
    tx.prepare_cached(
        "INSERT INTO role_deletion_tasks (account_id, deletion_task_id, status, create_date)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        task.account_id,
        task.deletion_task_id,
        task.status.as_str(),
        task.create_date.unix_timestamp(),
    ])?;
    Ok(())
}

pub(crate) fn get_deletion_task(
    tx: &Connection,
    account_id: &str,
    deletion_task_id: &str,
) -> Result<Option<DeletionTask>> {
    let row: Option<(String, i64)> = query_one(
        tx,
        "SELECT status, create_date FROM role_deletion_tasks
         WHERE account_id = ?1 AND deletion_task_id = ?2",
        params![account_id, deletion_task_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?;
    row.map(|(status, created)| {
        Ok(DeletionTask {
            account_id: account_id.to_owned(),
            deletion_task_id: deletion_task_id.to_owned(),
            status: DeletionStatus::parse(&status)
                .ok_or_else(|| Fail::Data(format!("stored deletion status {status} is unknown")))?,
            create_date: time_of(created)?,
        })
    })
    .transpose()
}
