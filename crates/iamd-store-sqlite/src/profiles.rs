//! The instance-profile operations of `Store` as SQL: profiles, their tags and their roles,
//! each run inside the one transaction it is given. Writes run on the single writer
//! (`BEGIN IMMEDIATE`), so the one-role quota's count and the insert it guards cannot be
//! interleaved with another write.

use iamd_store::model::{InstanceProfile, TaggedKind};
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

use crate::queries::{limit_of, query_one, time_of, Result};
use crate::roles::{role_from, role_id_of, role_of, ROLE_COLUMNS_OF_R};
use crate::tags;

const PROFILE_COLUMNS: &str = "instance_profile_id, account_id, instance_profile_name, path,
     create_date";

type ProfileRow = (String, String, String, String, i64);

fn profile_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProfileRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

/// The profile of a row, with its roles (and, when asked, its tags) read in `tx`.
fn profile_from(tx: &Connection, row: ProfileRow, with_tags: bool) -> Result<InstanceProfile> {
    let (instance_profile_id, account_id, instance_profile_name, path, created) = row;
    let mut roles = tx.prepare_cached(&format!(
        "SELECT {ROLE_COLUMNS_OF_R} FROM instance_profile_roles p
         JOIN roles r ON r.role_id = p.role_id
         WHERE p.instance_profile_id = ?1 ORDER BY r.role_name_lower"
    ))?;
    let roles = roles
        .query_map([&instance_profile_id], role_of)?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(role_from)
        .collect::<Result<Vec<_>>>()?;
    let tags = if with_tags {
        tags::tags_of(tx, TaggedKind::InstanceProfile, &instance_profile_id)?
    } else {
        Vec::new()
    };
    Ok(InstanceProfile {
        account_id,
        instance_profile_id,
        instance_profile_name,
        path,
        create_date: time_of(created)?,
        tags,
        roles,
    })
}

/// The id of the profile named `name` (ignoring case) in the account; `NoSuchInstanceProfile`.
pub(crate) fn profile_id_of(tx: &Connection, account_id: &str, name: &str) -> Result<String> {
    let id: Option<String> = query_one(
        tx,
        "SELECT instance_profile_id FROM instance_profiles
         WHERE account_id = ?1 AND instance_profile_name_lower = ?2",
        params![account_id, name.to_lowercase()],
        |r| r.get(0),
    )
    .optional()?;
    Ok(id.ok_or(StoreError::NoSuchInstanceProfile)?)
}

pub(crate) fn create_instance_profile(tx: &Connection, profile: &InstanceProfile) -> Result<()> {
    // UNIQUE (account_id, instance_profile_name_lower) turns a taken name into AlreadyExists.
    tx.prepare_cached(
        "INSERT INTO instance_profiles (instance_profile_id, account_id, instance_profile_name,
             instance_profile_name_lower, path, create_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        profile.instance_profile_id,
        profile.account_id,
        profile.instance_profile_name,
        profile.instance_profile_name.to_lowercase(),
        profile.path,
        profile.create_date.unix_timestamp(),
    ])?;
    tags::insert_tags(
        tx,
        TaggedKind::InstanceProfile,
        &profile.instance_profile_id,
        &profile.tags,
    )
}

pub(crate) fn get_instance_profile(
    tx: &Connection,
    account_id: &str,
    name: &str,
) -> Result<Option<InstanceProfile>> {
    let row = query_one(
        tx,
        &format!(
            "SELECT {PROFILE_COLUMNS} FROM instance_profiles
             WHERE account_id = ?1 AND instance_profile_name_lower = ?2"
        ),
        params![account_id, name.to_lowercase()],
        profile_of,
    )
    .optional()?;
    row.map(|row| profile_from(tx, row, true)).transpose()
}

pub(crate) fn list_instance_profiles(
    tx: &Connection,
    account_id: &str,
    path_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<InstanceProfile>> {
    // A plain string prefix: `substr` rather than LIKE, for paths may hold `%` and `_`.
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {PROFILE_COLUMNS} FROM instance_profiles
         WHERE account_id = ?1 AND substr(path, 1, length(?2)) = ?2
           AND instance_profile_name_lower > ?3
         ORDER BY instance_profile_name_lower LIMIT ?4"
    ))?;
    let rows = stmt
        .query_map(
            params![
                account_id,
                path_prefix,
                after.unwrap_or(""),
                limit_of(limit)
            ],
            profile_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|row| profile_from(tx, row, false))
        .collect()
}

pub(crate) fn list_instance_profiles_for_role(
    tx: &Connection,
    account_id: &str,
    role_name: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<InstanceProfile>> {
    let role_id = role_id_of(tx, account_id, role_name)?;
    let mut stmt = tx.prepare_cached(
        "SELECT i.instance_profile_id, i.account_id, i.instance_profile_name, i.path,
                i.create_date
         FROM instance_profile_roles p
         JOIN instance_profiles i ON i.instance_profile_id = p.instance_profile_id
         WHERE p.role_id = ?1 AND i.instance_profile_name_lower > ?2
         ORDER BY i.instance_profile_name_lower LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(
            params![role_id, after.unwrap_or(""), limit_of(limit)],
            profile_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|row| profile_from(tx, row, false))
        .collect()
}

pub(crate) fn delete_instance_profile(tx: &Connection, account_id: &str, name: &str) -> Result<()> {
    let id = profile_id_of(tx, account_id, name)?;
    let has_roles: bool = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM instance_profile_roles WHERE instance_profile_id = ?1)",
        [&id],
        |r| r.get(0),
    )?;
    if has_roles {
        return Err(StoreError::InstanceProfileHasRoles.into());
    }
    tags::delete_tags(tx, TaggedKind::InstanceProfile, &id)?;
    tx.prepare_cached("DELETE FROM instance_profiles WHERE instance_profile_id = ?1")?
        .execute([&id])?;
    Ok(())
}

pub(crate) fn add_role_to_instance_profile(
    tx: &Connection,
    account_id: &str,
    name: &str,
    role_name: &str,
    max_roles: u32,
) -> Result<()> {
    let id = profile_id_of(tx, account_id, name)?;
    let role_id = role_id_of(tx, account_id, role_name)?;
    let (already, count): (bool, i64) = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM instance_profile_roles
                        WHERE instance_profile_id = ?1 AND role_id = ?2),
                (SELECT count(*) FROM instance_profile_roles WHERE instance_profile_id = ?1)",
        params![id, role_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if already {
        return Err(StoreError::AlreadyExists.into());
    }
    if count >= i64::from(max_roles) {
        return Err(StoreError::InstanceProfileRolesExceeded.into());
    }
    tx.prepare_cached(
        "INSERT INTO instance_profile_roles (instance_profile_id, role_id) VALUES (?1, ?2)",
    )?
    .execute(params![id, role_id])?;
    Ok(())
}

pub(crate) fn remove_role_from_instance_profile(
    tx: &Connection,
    account_id: &str,
    name: &str,
    role_name: &str,
) -> Result<()> {
    let id = profile_id_of(tx, account_id, name)?;
    let role_id = role_id_of(tx, account_id, role_name)?;
    let removed = tx
        .prepare_cached(
            "DELETE FROM instance_profile_roles WHERE instance_profile_id = ?1 AND role_id = ?2",
        )?
        .execute(params![id, role_id])?;
    if removed == 0 {
        return Err(StoreError::RoleNotInInstanceProfile.into());
    }
    Ok(())
}
