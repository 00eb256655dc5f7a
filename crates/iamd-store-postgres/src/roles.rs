//! The role operations of `Store` as SQL: roles and their tags (their policies are in
//! `holders`). Writes run inside the one transaction they are given and lock the role's
//! row first (as `holders` does), so deleting a role and adding policies to it take turns.
//! Reads are single statements (one snapshot each).
//!
//! Same SQL subset as `queries`: no `ON CONFLICT`, no `RETURNING`, plain `FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{DeletionStatus, DeletionTask, Role, RoleUsage, Tag};
use iamd_store::secret::SealedSecret;
use iamd_store::StoreError;
use tokio_postgres::Row;

use crate::queries::{execute, limit_of, query, query_opt, time_of, Fail, Result};

/// A `roles` row as selected by `ROLE_COLUMNS` (`r` = roles).
pub(crate) const ROLE_COLUMNS: &str = "r.role_id, r.account_id, r.role_name, r.path, r.description,
     r.assume_role_policy_document, r.max_session_duration, r.create_date, r.session_secret,
     r.linked_service";

/// How many columns `ROLE_COLUMNS` selects: what a join selects after them starts here.
pub(crate) const ROLE_COLUMN_COUNT: usize = 10;

pub(crate) fn role_from(row: &Row) -> Result<Role> {
    let max_session_duration: i64 = row.try_get(6)?;
    Ok(Role {
        role_id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        role_name: row.try_get(2)?,
        path: row.try_get(3)?,
        description: row.try_get(4)?,
        assume_role_policy_document: row.try_get(5)?,
        max_session_duration: u32::try_from(max_session_duration).map_err(|_| {
            Fail::Data(format!(
                "stored maximum session duration {max_session_duration} is out of range"
            ))
        })?,
        create_date: time_of(row.try_get(7)?)?,
        tags: Vec::new(),
        session_secret: SealedSecret::from_stored(row.try_get::<_, String>(8)?),
        linked_service: row.try_get(9)?,
    })
}

/// A role from rows of `ROLE_COLUMNS, t.key, t.value` (one per tag, in tag order; one with
/// NULL tag columns when it has none).
fn role_with_tags(rows: &[Row]) -> Result<Option<Role>> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut role = role_from(first)?;
    for row in rows {
        let key: Option<String> = row.try_get(ROLE_COLUMN_COUNT)?;
        let value: Option<String> = row.try_get(ROLE_COLUMN_COUNT + 1)?;
        if let (Some(key), Some(value)) = (key, value) {
            role.tags.push(Tag { key, value });
        }
    }
    Ok(Some(role))
}

/// Locks the role named `role_name` (ignoring case) in the account until the transaction
/// ends, and returns its id: deleting a role and adding policies to it take turns.
pub(crate) async fn locked_role<C: GenericClient>(
    tx: &C,
    account_id: &str,
    role_name: &str,
) -> Result<String> {
    let row = query_opt(
        tx,
        "SELECT role_id FROM roles WHERE account_id = $1 AND role_name_lower = $2 FOR UPDATE",
        &[&account_id, &role_name.to_lowercase()],
    )
    .await?
    .ok_or(StoreError::NoSuchRole)?;
    Ok(row.try_get(0)?)
}

/// UNIQUE (account_id, role_name_lower) turns a taken name into AlreadyExists, also when
/// another node creates the same name (in any casing) at the same moment.
pub(crate) async fn create_role<C: GenericClient>(tx: &C, role: &Role) -> Result<()> {
    execute(
        tx,
        "INSERT INTO roles (role_id, account_id, role_name, role_name_lower, path, description,
             assume_role_policy_document, max_session_duration, create_date, session_secret,
             linked_service)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &role.role_id,
            &role.account_id,
            &role.role_name,
            &role.role_name.to_lowercase(),
            &role.path,
            &role.description,
            &role.assume_role_policy_document,
            &i64::from(role.max_session_duration),
            &role.create_date.unix_timestamp(),
            &role.session_secret.as_stored(),
            &role.linked_service,
        ],
    )
    .await?;
    for (position, tag) in role.tags.iter().enumerate() {
        let position = i32::try_from(position)
            .map_err(|_| Fail::Data(format!("tag position {position} is out of range")))?;
        execute(
            tx,
            "INSERT INTO role_tags (role_id, position, key, value) VALUES ($1, $2, $3, $4)",
            &[&role.role_id, &position, &tag.key, &tag.value],
        )
        .await?;
    }
    Ok(())
}

/// The role and its tags in one statement (one snapshot).
pub(crate) async fn get_role<C: GenericClient>(
    c: &C,
    account_id: &str,
    role_name: &str,
) -> Result<Option<Role>> {
    let rows = query(
        c,
        &format!(
            "SELECT {ROLE_COLUMNS}, t.key, t.value
             FROM roles r LEFT JOIN role_tags t ON t.role_id = r.role_id
             WHERE r.account_id = $1 AND r.role_name_lower = $2
             ORDER BY t.position"
        ),
        &[&account_id, &role_name.to_lowercase()],
    )
    .await?;
    role_with_tags(&rows)
}

pub(crate) async fn get_role_by_id<C: GenericClient>(c: &C, role_id: &str) -> Result<Option<Role>> {
    let rows = query(
        c,
        &format!(
            "SELECT {ROLE_COLUMNS}, t.key, t.value
             FROM roles r LEFT JOIN role_tags t ON t.role_id = r.role_id
             WHERE r.role_id = $1
             ORDER BY t.position"
        ),
        &[&role_id],
    )
    .await?;
    role_with_tags(&rows)
}

pub(crate) async fn list_roles<C: GenericClient>(
    c: &C,
    account_id: &str,
    path_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Role>> {
    // A plain string prefix: `substr` rather than LIKE, for paths may hold `%` and `_`.
    let rows = query(
        c,
        &format!(
            "SELECT {ROLE_COLUMNS} FROM roles r
             WHERE r.account_id = $1 AND substr(r.path, 1, length($2::text)) = $2::text
               AND r.role_name_lower > $3
             ORDER BY r.role_name_lower LIMIT $4"
        ),
        &[
            &account_id,
            &path_prefix,
            &after.unwrap_or(""),
            &limit_of(limit),
        ],
    )
    .await?;
    rows.iter().map(role_from).collect()
}

/// One statement: it locks the row it changes, and the absent fields keep their values.
pub(crate) async fn update_role<C: GenericClient>(
    tx: &C,
    account_id: &str,
    role_name: &str,
    description: Option<&str>,
    max_session_duration: Option<u32>,
) -> Result<()> {
    let changed = execute(
        tx,
        "UPDATE roles SET description = COALESCE($3::text, description),
                          max_session_duration = COALESCE($4::bigint, max_session_duration)
         WHERE account_id = $1 AND role_name_lower = $2",
        &[
            &account_id,
            &role_name.to_lowercase(),
            &description,
            &max_session_duration.map(i64::from),
        ],
    )
    .await?;
    if changed == 0 {
        return Err(StoreError::NoSuchRole.into());
    }
    Ok(())
}

pub(crate) async fn update_assume_role_policy<C: GenericClient>(
    tx: &C,
    account_id: &str,
    role_name: &str,
    document: &str,
) -> Result<()> {
    let changed = execute(
        tx,
        "UPDATE roles SET assume_role_policy_document = $3
         WHERE account_id = $1 AND role_name_lower = $2",
        &[&account_id, &role_name.to_lowercase(), &document],
    )
    .await?;
    if changed == 0 {
        return Err(StoreError::NoSuchRole.into());
    }
    Ok(())
}

/// Holds the role's row lock while it checks for instance profiles and policies, so that a
/// policy being attached or put, or the role being added to a profile (which take the same
/// lock), is either seen here or finds no role there.
pub(crate) async fn delete_role<C: GenericClient>(
    tx: &C,
    account_id: &str,
    role_name: &str,
) -> Result<()> {
    let role_id = locked_role(tx, account_id, role_name).await?;
    delete_locked_role(tx, &role_id).await
}

/// Deletes the role whose row lock the transaction holds, unless an instance profile or a
/// policy still refers to it.
async fn delete_locked_role<C: GenericClient>(tx: &C, role_id: &String) -> Result<()> {
    let (in_profile, has_attached, has_inline): (bool, bool, bool) = query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM instance_profile_roles WHERE role_id = $1),
                EXISTS (SELECT 1 FROM role_policy_attachments WHERE role_id = $1)
                    OR EXISTS (SELECT 1 FROM role_aws_policy_attachments WHERE role_id = $1),
                EXISTS (SELECT 1 FROM role_policies WHERE role_id = $1)",
        &[role_id],
    )
    .await?
    .map(|r| Ok::<_, Fail>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .transpose()?
    .unwrap_or((false, false, false));
    if in_profile {
        return Err(StoreError::RoleInInstanceProfile.into());
    }
    if has_attached {
        return Err(StoreError::RoleHasAttachedPolicies.into());
    }
    if has_inline {
        return Err(StoreError::RoleHasInlinePolicies.into());
    }
    execute(tx, "DELETE FROM role_tags WHERE role_id = $1", &[role_id]).await?;
    execute(tx, "DELETE FROM roles WHERE role_id = $1", &[role_id]).await?;
    Ok(())
}

/// Each role keeps its newest use; a role deleted meanwhile matches no row. Rows are
/// updated in id order, so that two nodes flushing overlapping batches cannot deadlock.
pub(crate) async fn record_role_usage<C: GenericClient>(tx: &C, usage: &[RoleUsage]) -> Result<()> {
    let mut ordered: Vec<&RoleUsage> = usage.iter().collect();
    ordered.sort_by(|a, b| a.role_id.cmp(&b.role_id));
    for u in ordered {
        execute(
            tx,
            "UPDATE roles SET last_used_date = $1, last_used_region = $2
             WHERE role_id = $3 AND (last_used_date IS NULL OR last_used_date <= $1)",
            &[&u.when.unix_timestamp(), &u.region, &u.role_id],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn get_role_last_used<C: GenericClient>(
    c: &C,
    role_id: &str,
) -> Result<Option<RoleUsage>> {
    let row = query_opt(
        c,
        "SELECT last_used_date, last_used_region FROM roles WHERE role_id = $1",
        &[&role_id],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let secs: Option<i64> = row.try_get(0)?;
    let region: Option<String> = row.try_get(1)?;
    secs.map(|secs| {
        Ok(RoleUsage {
            role_id: role_id.to_owned(),
            when: time_of(secs)?,
            region: region.unwrap_or_default(),
        })
    })
    .transpose()
}

/// Deletes a service-linked role as `delete_role` does (under its row lock) and records its
/// deletion task in the same transaction. A role that is not service-linked is `NoSuchRole`.
pub(crate) async fn delete_service_linked_role<C: GenericClient>(
    tx: &C,
    account_id: &str,
    role_name: &str,
    task: &DeletionTask,
) -> Result<()> {
    let row = query_opt(
        tx,
        "SELECT role_id FROM roles
         WHERE account_id = $1 AND role_name_lower = $2 AND linked_service IS NOT NULL
         FOR UPDATE",
        &[&account_id, &role_name.to_lowercase()],
    )
    .await?
    .ok_or(StoreError::NoSuchRole)?;
    let role_id: String = row.try_get(0)?;
    delete_locked_role(tx, &role_id).await?;
    execute(
        tx,
        "INSERT INTO role_deletion_tasks (account_id, deletion_task_id, status, create_date)
         VALUES ($1, $2, $3, $4)",
        &[
            &task.account_id,
            &task.deletion_task_id,
            &task.status.as_str(),
            &task.create_date.unix_timestamp(),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get_deletion_task<C: GenericClient>(
    c: &C,
    account_id: &str,
    deletion_task_id: &str,
) -> Result<Option<DeletionTask>> {
    let Some(row) = query_opt(
        c,
        "SELECT status, create_date FROM role_deletion_tasks
         WHERE account_id = $1 AND deletion_task_id = $2",
        &[&account_id, &deletion_task_id],
    )
    .await?
    else {
        return Ok(None);
    };
    let status: String = row.try_get(0)?;
    Ok(Some(DeletionTask {
        account_id: account_id.to_owned(),
        deletion_task_id: deletion_task_id.to_owned(),
        status: DeletionStatus::parse(&status)
            .ok_or_else(|| Fail::Data(format!("stored deletion status {status} is unknown")))?,
        create_date: time_of(row.try_get(1)?)?,
    }))
}
