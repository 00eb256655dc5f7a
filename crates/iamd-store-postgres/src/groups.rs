//! The group operations of `Store` as SQL: groups and their members (their policies are in
//! `holders`). Writes run inside the one transaction they are given and lock the rows
//! they depend on first, always in the same order: the account's row (creating a group,
//! for the per-account quota), the group's row, then the user's row. So adding a user to
//! a group and deleting the group (or the user) take turns, two additions for one user
//! count its groups one after another, and deleting the group sees a member or policy or
//! wins the race. Reads are single statements (one snapshot each); those that must tell a
//! missing group or user from an empty answer start from its row with a `LEFT JOIN`.
//!
//! Same SQL subset as `queries`: no `ON CONFLICT`, no `RETURNING`, plain `FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{Group, User, UserPolicies};
use iamd_store::StoreError;
use tokio_postgres::Row;

use crate::holders::limit_at_least_one;
use crate::queries::{execute, limit_of, lock_user_by_name, query, query_opt, time_of, Result};

/// A `groups` row as selected by `GROUP_COLUMNS` (`g` = groups).
const GROUP_COLUMNS: &str = "g.group_id, g.account_id, g.group_name, g.path, g.create_date";

fn group_from(row: &Row) -> Result<Group> {
    Ok(Group {
        group_id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        group_name: row.try_get(2)?,
        path: row.try_get(3)?,
        create_date: time_of(row.try_get(4)?)?,
    })
}

/// A count compared with a quota (`usize::MAX`: none).
fn over(count: i64, max: usize) -> bool {
    usize::try_from(count).is_ok_and(|n| n >= max)
}

/// Locks the group named `group_name` (ignoring case) in the account until the
/// transaction ends, and returns its id; `NoSuchGroup`.
async fn locked_group<C: GenericClient>(
    tx: &C,
    account_id: &str,
    group_name: &str,
) -> Result<String> {
    let row = query_opt(
        tx,
        "SELECT group_id FROM groups WHERE account_id = $1 AND group_name_lower = $2 FOR UPDATE",
        &[&account_id, &group_name.to_lowercase()],
    )
    .await?
    .ok_or(StoreError::NoSuchGroup)?;
    Ok(row.try_get(0)?)
}

async fn exists<C: GenericClient>(
    tx: &C,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<bool> {
    Ok(query_opt(tx, sql, params)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(false))
}

async fn count<C: GenericClient>(
    tx: &C,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<i64> {
    Ok(query_opt(tx, sql, params)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0))
}

/// Locks the account's row while it counts, so that nodes creating groups at once stay
/// within the quota; the unique index decides between equal names.
pub(crate) async fn create_group<C: GenericClient>(
    tx: &C,
    group: &Group,
    max_groups: usize,
) -> Result<()> {
    query_opt(
        tx,
        "SELECT account_id FROM accounts WHERE account_id = $1 FOR UPDATE",
        &[&group.account_id],
    )
    .await?;
    let groups = count(
        tx,
        "SELECT count(*) FROM groups WHERE account_id = $1",
        &[&group.account_id],
    )
    .await?;
    if over(groups, max_groups) {
        return Err(StoreError::GroupQuotaExceeded.into());
    }
    execute(
        tx,
        "INSERT INTO groups (group_id, account_id, group_name, group_name_lower, path,
             create_date)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &group.group_id,
            &group.account_id,
            &group.group_name,
            &group.group_name.to_lowercase(),
            &group.path,
            &group.create_date.unix_timestamp(),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get_group<C: GenericClient>(
    c: &C,
    account_id: &str,
    group_name: &str,
) -> Result<Option<Group>> {
    query_opt(
        c,
        &format!(
            "SELECT {GROUP_COLUMNS} FROM groups g
             WHERE g.account_id = $1 AND g.group_name_lower = $2"
        ),
        &[&account_id, &group_name.to_lowercase()],
    )
    .await?
    .as_ref()
    .map(group_from)
    .transpose()
}

pub(crate) async fn list_groups<C: GenericClient>(
    c: &C,
    account_id: &str,
    path_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Group>> {
    // A plain string prefix: `substr` rather than LIKE, for paths may hold `%` and `_`.
    let rows = query(
        c,
        &format!(
            "SELECT {GROUP_COLUMNS} FROM groups g
             WHERE g.account_id = $1 AND substr(g.path, 1, length($2::text)) = $2::text
               AND g.group_name_lower > $3
             ORDER BY g.group_name_lower LIMIT $4"
        ),
        &[
            &account_id,
            &path_prefix,
            &after.unwrap_or(""),
            &limit_of(limit),
        ],
    )
    .await?;
    rows.iter().map(group_from).collect()
}

pub(crate) async fn update_group<C: GenericClient>(
    tx: &C,
    account_id: &str,
    group_name: &str,
    new_name: Option<&str>,
    new_path: Option<&str>,
) -> Result<()> {
    let group_id = locked_group(tx, account_id, group_name).await?;
    let new_lower = new_name.map(str::to_lowercase);
    if let Some(lower) = &new_lower {
        let taken = exists(
            tx,
            "SELECT EXISTS (SELECT 1 FROM groups
                            WHERE account_id = $1 AND group_name_lower = $2 AND group_id <> $3)",
            &[&account_id, lower, &group_id],
        )
        .await?;
        if taken {
            return Err(StoreError::AlreadyExists.into());
        }
    }
    // A rename racing another node's create of the same name: the unique index decides.
    execute(
        tx,
        "UPDATE groups SET group_name = COALESCE($2::text, group_name),
                           group_name_lower = COALESCE($3::text, group_name_lower),
                           path = COALESCE($4::text, path)
         WHERE group_id = $1",
        &[&group_id, &new_name, &new_lower, &new_path],
    )
    .await?;
    Ok(())
}

/// Holds the group's row lock while it checks, so that a member being added or a policy
/// being put or attached (which take the same lock) is either seen here or finds no group.
pub(crate) async fn delete_group<C: GenericClient>(
    tx: &C,
    account_id: &str,
    group_name: &str,
) -> Result<()> {
    let group_id = locked_group(tx, account_id, group_name).await?;
    let row = query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1),
                EXISTS (SELECT 1 FROM group_policy_attachments WHERE group_id = $1)
                    OR EXISTS (SELECT 1 FROM group_aws_policy_attachments WHERE group_id = $1),
                EXISTS (SELECT 1 FROM group_policies WHERE group_id = $1)",
        &[&group_id],
    )
    .await?;
    let (has_members, has_attached, has_inline): (bool, bool, bool) = match row {
        Some(r) => (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?),
        None => (false, false, false),
    };
    if has_members {
        return Err(StoreError::GroupHasMembers.into());
    }
    if has_attached {
        return Err(StoreError::GroupHasAttachedPolicies.into());
    }
    if has_inline {
        return Err(StoreError::GroupHasInlinePolicies.into());
    }
    execute(tx, "DELETE FROM groups WHERE group_id = $1", &[&group_id]).await?;
    Ok(())
}

/// One statement (one snapshot): the group's row, with its members after `after` joined
/// (NULL when it has none to list).
pub(crate) async fn get_group_members<C: GenericClient>(
    c: &C,
    account_id: &str,
    group_name: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Option<(Group, Vec<User>)>> {
    let rows = query(
        c,
        &format!(
            "SELECT {GROUP_COLUMNS},
                    u.user_id, u.account_id, u.user_name, u.path, u.create_date
             FROM groups g
                 LEFT JOIN (group_members m
                     JOIN users u ON u.user_id = m.user_id AND u.user_name_lower > $3)
                 ON m.group_id = g.group_id
             WHERE g.account_id = $1 AND g.group_name_lower = $2
             ORDER BY u.user_name_lower LIMIT $4"
        ),
        &[
            &account_id,
            &group_name.to_lowercase(),
            &after.unwrap_or(""),
            &limit_at_least_one(limit),
        ],
    )
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let group = group_from(first)?;
    let mut users = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(user_id) = row.try_get::<_, Option<String>>(5)? else {
            continue;
        };
        users.push(User {
            user_id,
            account_id: row.try_get(6)?,
            user_name: row.try_get(7)?,
            path: row.try_get(8)?,
            create_date: time_of(row.try_get(9)?)?,
            tags: Vec::new(),
        });
    }
    users.truncate(limit);
    Ok(Some((group, users)))
}

/// Locks the group's row, then the user's: deleting either waits, and two additions for
/// one user count its groups one after the other.
pub(crate) async fn add_user_to_group<C: GenericClient>(
    tx: &C,
    account_id: &str,
    group_name: &str,
    user_name: &str,
    max_groups_per_user: usize,
) -> Result<()> {
    let group_id = locked_group(tx, account_id, group_name).await?;
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    let member = exists(
        tx,
        "SELECT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2)",
        &[&group_id, &user_id],
    )
    .await?;
    if member {
        return Ok(());
    }
    let groups = count(
        tx,
        "SELECT count(*) FROM group_members WHERE user_id = $1",
        &[&user_id],
    )
    .await?;
    if over(groups, max_groups_per_user) {
        return Err(StoreError::GroupsPerUserExceeded.into());
    }
    execute(
        tx,
        "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)",
        &[&group_id, &user_id],
    )
    .await?;
    Ok(())
}

/// Locks in the order `add_user_to_group` does.
pub(crate) async fn remove_user_from_group<C: GenericClient>(
    tx: &C,
    account_id: &str,
    group_name: &str,
    user_name: &str,
) -> Result<()> {
    let group_id = locked_group(tx, account_id, group_name).await?;
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    let deleted = execute(
        tx,
        "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2",
        &[&group_id, &user_id],
    )
    .await?;
    if deleted == 0 {
        return Err(StoreError::NotInGroup.into());
    }
    Ok(())
}

/// One statement: the user's row, with its groups after `after` joined.
pub(crate) async fn list_groups_for_user<C: GenericClient>(
    c: &C,
    account_id: &str,
    user_name: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Group>> {
    let rows = query(
        c,
        &format!(
            "SELECT {GROUP_COLUMNS} FROM users u
                 LEFT JOIN (group_members m
                     JOIN groups g ON g.group_id = m.group_id AND g.group_name_lower > $3)
                 ON m.user_id = u.user_id
             WHERE u.account_id = $1 AND u.user_name_lower = $2
             ORDER BY g.group_name_lower LIMIT $4"
        ),
        &[
            &account_id,
            &user_name.to_lowercase(),
            &after.unwrap_or(""),
            &limit_at_least_one(limit),
        ],
    )
    .await?;
    if rows.is_empty() {
        return Err(StoreError::NoSuchUser.into());
    }
    let mut groups = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<_, Option<String>>(0)?.is_some() {
            groups.push(group_from(row)?);
        }
    }
    groups.truncate(limit);
    Ok(groups)
}

/// One statement, so one snapshot: for each of the user's groups (in lower-cased-name
/// order), its inline documents (kind 0, in name order) and the default version of each
/// policy attached to it (kind 1, in lower-cased-name order).
pub(crate) async fn get_user_group_policies<C: GenericClient>(
    c: &C,
    user_id: &str,
) -> Result<Vec<(String, UserPolicies)>> {
    let rows = query(
        c,
        "SELECT g.group_name_lower, g.group_name, 0 AS kind, i.policy_name AS sort,
                i.policy_name, i.document, NULL AS account_id, NULL AS path,
                NULL AS version_id
         FROM group_members m
             JOIN groups g ON g.group_id = m.group_id
             JOIN group_policies i ON i.group_id = g.group_id
         WHERE m.user_id = $1
         UNION ALL
         SELECT g.group_name_lower, g.group_name, 1, p.policy_name_lower, p.policy_name,
                v.document, p.account_id, p.path, p.default_version_id
         FROM group_members m
             JOIN groups g ON g.group_id = m.group_id
             JOIN group_policy_attachments a ON a.group_id = g.group_id
             JOIN managed_policies p ON p.policy_id = a.policy_id
             JOIN policy_versions v
                 ON v.policy_id = p.policy_id AND v.version_id = p.default_version_id
         WHERE m.user_id = $1
         UNION ALL
         SELECT g.group_name_lower, g.group_name, 3, a.policy_arn, a.policy_arn, '', NULL,
                NULL, NULL
         FROM group_members m
             JOIN groups g ON g.group_id = m.group_id
             JOIN group_aws_policy_attachments a ON a.group_id = g.group_id
         WHERE m.user_id = $1
         ORDER BY 1, 3, 4",
        &[&user_id],
    )
    .await?;
    let mut out: Vec<(String, UserPolicies)> = Vec::new();
    for row in &rows {
        let group: String = row.try_get(1)?;
        if out.last().map(|(g, _)| g != &group).unwrap_or(true) {
            out.push((group, UserPolicies::default()));
        }
        let Some((_, policies)) = out.last_mut() else {
            continue;
        };
        let kind: i32 = row.try_get(2)?;
        let name: String = row.try_get(4)?;
        let document: String = row.try_get(5)?;
        if kind == 0 {
            policies.inline.push((name, document));
        } else if kind == 3 {
            policies.aws_managed.push(name);
        } else {
            let account_id: String = row.try_get(6)?;
            let path: String = row.try_get(7)?;
            let version_id: String = row.try_get(8)?;
            policies.managed.push((
                format!("arn:aws:iam::{account_id}:policy{path}{name}"),
                version_id,
                document,
            ));
        }
    }
    // ARNs in byte order, as the other backends list them.
    for (_, policies) in &mut out {
        policies.aws_managed.sort();
    }
    Ok(out)
}
