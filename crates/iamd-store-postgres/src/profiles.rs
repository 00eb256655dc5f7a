//! The instance-profile operations of `Store` as SQL: profiles, their tags and their
//! roles. Writes run inside the one transaction they are given and lock the profile's row
//! first, then the role's (as `roles` and `holders` do), so that the one-role quota holds
//! between nodes, and a role being deleted and the same role being added to a profile take
//! turns. Reads that need several statements run in one REPEATABLE READ transaction (one
//! snapshot).
//!
//! Same SQL subset as `queries`: no `ON CONFLICT`, no `RETURNING`, plain `FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{InstanceProfile, Tag};
use iamd_store::StoreError;
use tokio_postgres::Row;

use crate::queries::{execute, limit_of, query, query_opt, time_of, Fail, Result};
use crate::roles::{locked_role, role_from, ROLE_COLUMNS, ROLE_COLUMN_COUNT};

/// An `instance_profiles` row as selected by `PROFILE_COLUMNS` (`i` = instance_profiles).
const PROFILE_COLUMNS: &str =
    "i.instance_profile_id, i.account_id, i.instance_profile_name, i.path, i.create_date";

fn profile_from(row: &Row) -> Result<InstanceProfile> {
    Ok(InstanceProfile {
        instance_profile_id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        instance_profile_name: row.try_get(2)?,
        path: row.try_get(3)?,
        create_date: time_of(row.try_get(4)?)?,
        tags: Vec::new(),
        roles: Vec::new(),
    })
}

/// Fills in the roles of `profiles` (one statement for all of them).
async fn with_roles<C: GenericClient>(
    c: &C,
    mut profiles: Vec<InstanceProfile>,
) -> Result<Vec<InstanceProfile>> {
    if profiles.is_empty() {
        return Ok(profiles);
    }
    let ids: Vec<&str> = profiles
        .iter()
        .map(|p| p.instance_profile_id.as_str())
        .collect();
    let rows = query(
        c,
        &format!(
            "SELECT {ROLE_COLUMNS}, p.instance_profile_id
             FROM instance_profile_roles p JOIN roles r ON r.role_id = p.role_id
             WHERE p.instance_profile_id = ANY($1)
             ORDER BY r.role_name_lower"
        ),
        &[&ids],
    )
    .await?;
    for row in &rows {
        let id: String = row.try_get(ROLE_COLUMN_COUNT)?;
        let role = role_from(row)?;
        if let Some(profile) = profiles.iter_mut().find(|p| p.instance_profile_id == id) {
            profile.roles.push(role);
        }
    }
    Ok(profiles)
}

/// Locks the profile named `name` (ignoring case) in the account until the transaction
/// ends, and returns its id.
async fn locked_profile<C: GenericClient>(tx: &C, account_id: &str, name: &str) -> Result<String> {
    let row = query_opt(
        tx,
        "SELECT instance_profile_id FROM instance_profiles
         WHERE account_id = $1 AND instance_profile_name_lower = $2 FOR UPDATE",
        &[&account_id, &name.to_lowercase()],
    )
    .await?
    .ok_or(StoreError::NoSuchInstanceProfile)?;
    Ok(row.try_get(0)?)
}

/// UNIQUE (account_id, instance_profile_name_lower) turns a taken name into AlreadyExists,
/// also when another node creates the same name (in any casing) at the same moment.
pub(crate) async fn create_instance_profile<C: GenericClient>(
    tx: &C,
    profile: &InstanceProfile,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO instance_profiles (instance_profile_id, account_id, instance_profile_name,
             instance_profile_name_lower, path, create_date)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &profile.instance_profile_id,
            &profile.account_id,
            &profile.instance_profile_name,
            &profile.instance_profile_name.to_lowercase(),
            &profile.path,
            &profile.create_date.unix_timestamp(),
        ],
    )
    .await?;
    for (position, tag) in profile.tags.iter().enumerate() {
        let position = i32::try_from(position)
            .map_err(|_| Fail::Data(format!("tag position {position} is out of range")))?;
        execute(
            tx,
            "INSERT INTO instance_profile_tags (instance_profile_id, position, key, value)
             VALUES ($1, $2, $3, $4)",
            &[
                &profile.instance_profile_id,
                &position,
                &tag.key,
                &tag.value,
            ],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn get_instance_profile<C: GenericClient>(
    tx: &C,
    account_id: &str,
    name: &str,
) -> Result<Option<InstanceProfile>> {
    let Some(row) = query_opt(
        tx,
        &format!(
            "SELECT {PROFILE_COLUMNS} FROM instance_profiles i
             WHERE i.account_id = $1 AND i.instance_profile_name_lower = $2"
        ),
        &[&account_id, &name.to_lowercase()],
    )
    .await?
    else {
        return Ok(None);
    };
    let mut profile = profile_from(&row)?;
    let tags = query(
        tx,
        "SELECT key, value FROM instance_profile_tags WHERE instance_profile_id = $1
         ORDER BY position",
        &[&profile.instance_profile_id],
    )
    .await?;
    for row in &tags {
        profile.tags.push(Tag {
            key: row.try_get(0)?,
            value: row.try_get(1)?,
        });
    }
    Ok(with_roles(tx, vec![profile]).await?.pop())
}

pub(crate) async fn list_instance_profiles<C: GenericClient>(
    tx: &C,
    account_id: &str,
    path_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<InstanceProfile>> {
    // A plain string prefix: `substr` rather than LIKE, for paths may hold `%` and `_`.
    let rows = query(
        tx,
        &format!(
            "SELECT {PROFILE_COLUMNS} FROM instance_profiles i
             WHERE i.account_id = $1 AND substr(i.path, 1, length($2::text)) = $2::text
               AND i.instance_profile_name_lower > $3
             ORDER BY i.instance_profile_name_lower LIMIT $4"
        ),
        &[
            &account_id,
            &path_prefix,
            &after.unwrap_or(""),
            &limit_of(limit),
        ],
    )
    .await?;
    let profiles = rows.iter().map(profile_from).collect::<Result<Vec<_>>>()?;
    with_roles(tx, profiles).await
}

pub(crate) async fn list_instance_profiles_for_role<C: GenericClient>(
    tx: &C,
    account_id: &str,
    role_name: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<InstanceProfile>> {
    let role_id: String = query_opt(
        tx,
        "SELECT role_id FROM roles WHERE account_id = $1 AND role_name_lower = $2",
        &[&account_id, &role_name.to_lowercase()],
    )
    .await?
    .ok_or(StoreError::NoSuchRole)?
    .try_get(0)?;
    let rows = query(
        tx,
        &format!(
            "SELECT {PROFILE_COLUMNS} FROM instance_profile_roles p
             JOIN instance_profiles i ON i.instance_profile_id = p.instance_profile_id
             WHERE p.role_id = $1 AND i.instance_profile_name_lower > $2
             ORDER BY i.instance_profile_name_lower LIMIT $3"
        ),
        &[&role_id, &after.unwrap_or(""), &limit_of(limit)],
    )
    .await?;
    let profiles = rows.iter().map(profile_from).collect::<Result<Vec<_>>>()?;
    with_roles(tx, profiles).await
}

/// Holds the profile's row lock while it checks for roles, so that a role being added
/// (which takes the same lock) is either seen here or finds no profile there.
pub(crate) async fn delete_instance_profile<C: GenericClient>(
    tx: &C,
    account_id: &str,
    name: &str,
) -> Result<()> {
    let id = locked_profile(tx, account_id, name).await?;
    let has_roles = !query(
        tx,
        "SELECT 1 FROM instance_profile_roles WHERE instance_profile_id = $1 LIMIT 1",
        &[&id],
    )
    .await?
    .is_empty();
    if has_roles {
        return Err(StoreError::InstanceProfileHasRoles.into());
    }
    execute(
        tx,
        "DELETE FROM instance_profile_tags WHERE instance_profile_id = $1",
        &[&id],
    )
    .await?;
    execute(
        tx,
        "DELETE FROM instance_profiles WHERE instance_profile_id = $1",
        &[&id],
    )
    .await?;
    Ok(())
}

/// Locks the profile, then the role: two nodes adding roles to one profile take turns, so
/// the count below is exact when the row is inserted.
pub(crate) async fn add_role_to_instance_profile<C: GenericClient>(
    tx: &C,
    account_id: &str,
    name: &str,
    role_name: &str,
    max_roles: u32,
) -> Result<()> {
    let id = locked_profile(tx, account_id, name).await?;
    let role_id = locked_role(tx, account_id, role_name).await?;
    let rows = query(
        tx,
        "SELECT role_id FROM instance_profile_roles WHERE instance_profile_id = $1",
        &[&id],
    )
    .await?;
    let mut count = 0u32;
    for row in &rows {
        let r: String = row.try_get(0)?;
        if r == role_id {
            return Err(StoreError::AlreadyExists.into());
        }
        count += 1;
    }
    if count >= max_roles {
        return Err(StoreError::InstanceProfileRolesExceeded.into());
    }
    execute(
        tx,
        "INSERT INTO instance_profile_roles (instance_profile_id, role_id) VALUES ($1, $2)",
        &[&id, &role_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn remove_role_from_instance_profile<C: GenericClient>(
    tx: &C,
    account_id: &str,
    name: &str,
    role_name: &str,
) -> Result<()> {
    let id = locked_profile(tx, account_id, name).await?;
    let role_id = locked_role(tx, account_id, role_name).await?;
    let removed = execute(
        tx,
        "DELETE FROM instance_profile_roles WHERE instance_profile_id = $1 AND role_id = $2",
        &[&id, &role_id],
    )
    .await?;
    if removed == 0 {
        return Err(StoreError::RoleNotInInstanceProfile.into());
    }
    Ok(())
}
