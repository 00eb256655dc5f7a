//! The role operations of `Store` as SQL: roles and their tags (their policies are in
//! `holders`). Writes run inside the one transaction they are given and lock the role's
//! row first (as `holders` does), so deleting a role and adding policies to it take turns.
//! Reads are single statements (one snapshot each).
//!
//! Same SQL subset as `queries`: no `ON CONFLICT`, no `RETURNING`, plain `FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{Role, Tag};
use iamd_store::secret::SealedSecret;
use iamd_store::StoreError;
use tokio_postgres::Row;

use crate::queries::{execute, limit_of, query, query_opt, time_of, Fail, Result};

/// A `roles` row as selected by `ROLE_COLUMNS` (`r` = roles).
pub(crate) const ROLE_COLUMNS: &str = "r.role_id, r.account_id, r.role_name, r.path, r.description,
     r.assume_role_policy_document, r.max_session_duration, r.create_date, r.session_secret";

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
        let key: Option<String> = row.try_get(9)?;
        let value: Option<String> = row.try_get(10)?;
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
             assume_role_policy_document, max_session_duration, create_date, session_secret)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
    let (in_profile, has_attached, has_inline): (bool, bool, bool) = query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM instance_profile_roles WHERE role_id = $1),
                EXISTS (SELECT 1 FROM role_policy_attachments WHERE role_id = $1)
                    OR EXISTS (SELECT 1 FROM role_aws_policy_attachments WHERE role_id = $1),
                EXISTS (SELECT 1 FROM role_policies WHERE role_id = $1)",
        &[&role_id],
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
    execute(tx, "DELETE FROM role_tags WHERE role_id = $1", &[&role_id]).await?;
    execute(tx, "DELETE FROM roles WHERE role_id = $1", &[&role_id]).await?;
    Ok(())
}
