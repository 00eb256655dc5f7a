//! The group operations of `Store` as SQL: groups and their members (their policies are in
//! `holders`), each run inside the one transaction it is given. Writes run on the single
//! writer (`BEGIN IMMEDIATE`), so a check (a quota, a conflict) and the write it guards
//! cannot be interleaved with another write.

use iamd_store::model::{Group, User};
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::holders::{self, limit_of_count};
use crate::queries::{limit_of, query_one, time_of, user_id_by_name, Result};

/// A `groups` row as selected by `GROUP_COLUMNS` (`g` = groups).
const GROUP_COLUMNS: &str = "g.group_id, g.account_id, g.group_name, g.path, g.create_date";

type GroupRow = (String, String, String, String, i64);

fn group_of(r: &Row<'_>) -> rusqlite::Result<GroupRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn group_from((group_id, account_id, group_name, path, created): GroupRow) -> Result<Group> {
    Ok(Group {
        account_id,
        group_id,
        group_name,
        path,
        create_date: time_of(created)?,
    })
}

/// The id of the group named `group_name` (ignoring case) in the account; `NoSuchGroup`.
fn group_id_of(tx: &Connection, account_id: &str, group_name: &str) -> Result<String> {
    let id: Option<String> = query_one(
        tx,
        "SELECT group_id FROM groups WHERE account_id = ?1 AND group_name_lower = ?2",
        params![account_id, group_name.to_lowercase()],
        |r| r.get(0),
    )
    .optional()?;
    Ok(id.ok_or(StoreError::NoSuchGroup)?)
}

pub(crate) fn create_group(tx: &Connection, group: &Group, max_groups: usize) -> Result<()> {
    let count: i64 = query_one(
        tx,
        "SELECT count(*) FROM groups WHERE account_id = ?1",
        [&group.account_id],
        |r| r.get(0),
    )?;
    if count >= limit_of_count(max_groups) {
        return Err(StoreError::GroupQuotaExceeded.into());
    }
    // UNIQUE (account_id, group_name_lower) turns a taken name into AlreadyExists.
    tx.prepare_cached(
        "INSERT INTO groups (group_id, account_id, group_name, group_name_lower, path,
             create_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        group.group_id,
        group.account_id,
        group.group_name,
        group.group_name.to_lowercase(),
        group.path,
        group.create_date.unix_timestamp(),
    ])?;
    Ok(())
}

pub(crate) fn get_group(
    tx: &Connection,
    account_id: &str,
    group_name: &str,
) -> Result<Option<Group>> {
    let row = query_one(
        tx,
        &format!(
            "SELECT {GROUP_COLUMNS} FROM groups g
             WHERE g.account_id = ?1 AND g.group_name_lower = ?2"
        ),
        params![account_id, group_name.to_lowercase()],
        group_of,
    )
    .optional()?;
    row.map(group_from).transpose()
}

pub(crate) fn list_groups(
    tx: &Connection,
    account_id: &str,
    path_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Group>> {
    // A plain string prefix: `substr` rather than LIKE, for paths may hold `%` and `_`.
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {GROUP_COLUMNS} FROM groups g
         WHERE g.account_id = ?1 AND substr(g.path, 1, length(?2)) = ?2
           AND g.group_name_lower > ?3
         ORDER BY g.group_name_lower LIMIT ?4"
    ))?;
    let rows = stmt
        .query_map(
            params![
                account_id,
                path_prefix,
                after.unwrap_or(""),
                limit_of(limit)
            ],
            group_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(group_from).collect()
}

pub(crate) fn update_group(
    tx: &Connection,
    account_id: &str,
    group_name: &str,
    new_name: Option<&str>,
    new_path: Option<&str>,
) -> Result<()> {
    let group_id = group_id_of(tx, account_id, group_name)?;
    // A name taken by another group violates UNIQUE (account_id, group_name_lower):
    // AlreadyExists. The same group in another casing is the same row.
    tx.prepare_cached(
        "UPDATE groups SET group_name = coalesce(?2, group_name),
                           group_name_lower = coalesce(?3, group_name_lower),
                           path = coalesce(?4, path)
         WHERE group_id = ?1",
    )?
    .execute(params![
        group_id,
        new_name,
        new_name.map(str::to_lowercase),
        new_path
    ])?;
    Ok(())
}

pub(crate) fn delete_group(tx: &Connection, account_id: &str, group_name: &str) -> Result<()> {
    let group_id = group_id_of(tx, account_id, group_name)?;
    let (has_members, has_attached, has_inline): (bool, bool, bool) = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM group_members WHERE group_id = ?1),
                EXISTS (SELECT 1 FROM group_policy_attachments WHERE group_id = ?1)
                    OR EXISTS (SELECT 1 FROM group_aws_policy_attachments WHERE group_id = ?1),
                EXISTS (SELECT 1 FROM group_policies WHERE group_id = ?1)",
        [&group_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if has_members {
        return Err(StoreError::GroupHasMembers.into());
    }
    if has_attached {
        return Err(StoreError::GroupHasAttachedPolicies.into());
    }
    if has_inline {
        return Err(StoreError::GroupHasInlinePolicies.into());
    }
    tx.prepare_cached("DELETE FROM groups WHERE group_id = ?1")?
        .execute([&group_id])?;
    Ok(())
}

/// Runs in one read transaction: the group and the page of its members are one snapshot.
pub(crate) fn get_group_members(
    tx: &Connection,
    account_id: &str,
    group_name: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Option<(Group, Vec<User>)>> {
    let Some(group) = get_group(tx, account_id, group_name)? else {
        return Ok(None);
    };
    let mut stmt = tx.prepare_cached(
        "SELECT u.user_id, u.account_id, u.user_name, u.path, u.create_date
         FROM group_members m JOIN users u ON u.user_id = m.user_id
         WHERE m.group_id = ?1 AND u.user_name_lower > ?2
         ORDER BY u.user_name_lower LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(
            params![group.group_id, after.unwrap_or(""), limit_of(limit)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let users = rows
        .into_iter()
        .map(|(user_id, account_id, user_name, path, created)| {
            Ok(User {
                account_id,
                user_id,
                user_name,
                path,
                create_date: time_of(created)?,
                tags: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some((group, users)))
}

pub(crate) fn add_user_to_group(
    tx: &Connection,
    account_id: &str,
    group_name: &str,
    user_name: &str,
    max_groups_per_user: usize,
) -> Result<()> {
    let group_id = group_id_of(tx, account_id, group_name)?;
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    let (member, count): (bool, i64) = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2),
                (SELECT count(*) FROM group_members WHERE user_id = ?2)",
        params![group_id, user_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if member {
        return Ok(());
    }
    if count >= limit_of_count(max_groups_per_user) {
        return Err(StoreError::GroupsPerUserExceeded.into());
    }
    tx.prepare_cached("INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2)")?
        .execute(params![group_id, user_id])?;
    Ok(())
}

pub(crate) fn remove_user_from_group(
    tx: &Connection,
    account_id: &str,
    group_name: &str,
    user_name: &str,
) -> Result<()> {
    let group_id = group_id_of(tx, account_id, group_name)?;
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    let deleted = tx
        .prepare_cached("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2")?
        .execute(params![group_id, user_id])?;
    if deleted == 0 {
        return Err(StoreError::NotInGroup.into());
    }
    Ok(())
}

pub(crate) fn list_groups_for_user(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Group>> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {GROUP_COLUMNS} FROM group_members m JOIN groups g ON g.group_id = m.group_id
         WHERE m.user_id = ?1 AND g.group_name_lower > ?2
         ORDER BY g.group_name_lower LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(
            params![user_id, after.unwrap_or(""), limit_of(limit)],
            group_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(group_from).collect()
}

/// Runs in one read transaction: every group's documents come from one snapshot.
pub(crate) fn get_user_group_policies(
    tx: &Connection,
    user_id: &str,
) -> Result<Vec<(String, iamd_store::model::UserPolicies)>> {
    let mut stmt = tx.prepare_cached(
        "SELECT g.group_id, g.group_name FROM group_members m
             JOIN groups g ON g.group_id = m.group_id
         WHERE m.user_id = ?1 ORDER BY g.group_name_lower",
    )?;
    let groups = stmt
        .query_map([user_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(groups.len());
    for (id, name) in groups {
        let policies = holders::get_holder_policies(tx, iamd_store::model::HolderKind::Group, &id)?;
        if !policies.is_empty() {
            out.push((name, policies));
        }
    }
    Ok(out)
}
