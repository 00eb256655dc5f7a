//! Inline policies and managed-policy attachments of any policy holder (users, roles,
//! groups), each run inside the one transaction it is given. Each kind keeps its own
//! tables (with real foreign keys to its holders); `tables` chooses them, in one place: a
//! new kind of holder is a migration creating its two tables and one arm there.

use iamd_store::model::{HolderKind, ManagedPolicy, PolicyEntity, PolicyHolder, UserPolicies};
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

use crate::policies::{policy_by_name, policy_from, policy_of, POLICY_COLUMNS};
use crate::queries::{limit_of, query_one, Fail, Result};

/// The tables and columns of one kind of holder.
pub(crate) struct Tables {
    /// The holders' own table, its id column and its lower-cased name column.
    pub holders: &'static str,
    pub id: &'static str,
    pub name_lower: &'static str,
    /// Inline policies: (`id`, policy_name, document, size).
    pub inline: &'static str,
    /// Attachments: (`id`, policy_id).
    pub attachments: &'static str,
    /// Attachments of AWS managed policies: (`id`, account_id, policy_arn).
    pub aws_attachments: &'static str,
}

pub(crate) fn tables(kind: HolderKind) -> &'static Tables {
    const USER: Tables = Tables {
        holders: "users",
        id: "user_id",
        name_lower: "user_name_lower",
        inline: "user_policies",
        attachments: "user_policy_attachments",
        aws_attachments: "user_aws_policy_attachments",
    };
    const ROLE: Tables = Tables {
        holders: "roles",
        id: "role_id",
        name_lower: "role_name_lower",
        inline: "role_policies",
        attachments: "role_policy_attachments",
        aws_attachments: "role_aws_policy_attachments",
    };
    const GROUP: Tables = Tables {
        holders: "groups",
        id: "group_id",
        name_lower: "group_name_lower",
        inline: "group_policies",
        attachments: "group_policy_attachments",
        aws_attachments: "group_aws_policy_attachments",
    };
    match kind {
        HolderKind::User => &USER,
        HolderKind::Role => &ROLE,
        HolderKind::Group => &GROUP,
    }
}

/// A quota as SQLite counts: `usize::MAX` (no quota) is past any count.
pub(crate) fn limit_of_count(max: usize) -> i64 {
    i64::try_from(max).unwrap_or(i64::MAX)
}

/// The id of the holder (found ignoring case); `NoSuchUser` / `NoSuchRole` / `NoSuchGroup`.
pub(crate) fn holder_id(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
) -> Result<String> {
    let t = tables(holder.kind);
    let id: Option<String> = query_one(
        tx,
        &format!(
            "SELECT {id} FROM {holders} WHERE account_id = ?1 AND {name_lower} = ?2",
            id = t.id,
            holders = t.holders,
            name_lower = t.name_lower
        ),
        params![account_id, holder.name.to_lowercase()],
        |r| r.get(0),
    )
    .optional()?;
    Ok(id.ok_or(holder.kind.missing())?)
}

pub(crate) fn size_of(size: usize) -> Result<i64> {
    i64::try_from(size).map_err(|_| Fail::Data(format!("policy size {size} is out of range")))
}

pub(crate) fn put_inline_policy(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
    document: &str,
    size: usize,
    max_total: usize,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = holder_id(tx, account_id, holder)?;
    let size = size_of(size)?;
    let others: i64 = query_one(
        tx,
        &format!(
            "SELECT coalesce(sum(size), 0) FROM {inline} WHERE {id} = ?1 AND policy_name <> ?2",
            inline = t.inline,
            id = t.id
        ),
        params![id, policy_name],
        |r| r.get(0),
    )?;
    if i128::from(others) + i128::from(size) > max_total as i128 {
        return Err(iamd_store::StoreError::PolicySizeExceeded.into());
    }
    tx.prepare_cached(&format!(
        "INSERT INTO {inline} ({id}, policy_name, document, size) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT ({id}, policy_name) DO UPDATE SET document = excluded.document,
                                                       size = excluded.size",
        inline = t.inline,
        id = t.id
    ))?
    .execute(params![id, policy_name, document, size])?;
    Ok(())
}

pub(crate) fn get_inline_policy(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
) -> Result<Option<String>> {
    let t = tables(holder.kind);
    let id = holder_id(tx, account_id, holder)?;
    Ok(query_one(
        tx,
        &format!(
            "SELECT document FROM {inline} WHERE {id} = ?1 AND policy_name = ?2",
            inline = t.inline,
            id = t.id
        ),
        params![id, policy_name],
        |r| r.get(0),
    )
    .optional()?)
}

pub(crate) fn list_inline_policies(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>> {
    let t = tables(holder.kind);
    let id = holder_id(tx, account_id, holder)?;
    // Names are never empty, so "" is before the first.
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT policy_name FROM {inline} WHERE {id} = ?1 AND policy_name > ?2
         ORDER BY policy_name LIMIT ?3",
        inline = t.inline,
        id = t.id
    ))?;
    let names = stmt
        .query_map(params![id, after.unwrap_or(""), limit_of(limit)], |r| {
            r.get(0)
        })?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(names)
}

pub(crate) fn delete_inline_policy(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = holder_id(tx, account_id, holder)?;
    let deleted = tx
        .prepare_cached(&format!(
            "DELETE FROM {inline} WHERE {id} = ?1 AND policy_name = ?2",
            inline = t.inline,
            id = t.id
        ))?
        .execute(params![id, policy_name])?;
    if deleted == 0 {
        return Err(iamd_store::StoreError::NoSuchPolicy.into());
    }
    Ok(())
}

pub(crate) fn attach_policy(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
    max_attached: usize,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = holder_id(tx, account_id, holder)?;
    let (policy_id, _) = policy_by_name(tx, account_id, policy_name)?;
    let attached: bool = query_one(
        tx,
        &format!(
            "SELECT EXISTS (SELECT 1 FROM {attachments} WHERE {id} = ?1 AND policy_id = ?2)",
            attachments = t.attachments,
            id = t.id
        ),
        params![id, policy_id],
        |r| r.get(0),
    )?;
    if attached {
        return Ok(());
    }
    // AWS managed policies count towards the quota too.
    if crate::aws_policies::attached_count(tx, holder.kind, &id)? >= limit_of_count(max_attached) {
        return Err(iamd_store::StoreError::AttachmentQuotaExceeded.into());
    }
    let inserted = tx
        .prepare_cached(&format!(
            "INSERT INTO {attachments} ({id}, policy_id) VALUES (?1, ?2)
             ON CONFLICT ({id}, policy_id) DO NOTHING",
            attachments = t.attachments,
            id = t.id
        ))?
        .execute(params![id, policy_id])?;
    if inserted > 0 {
        tx.prepare_cached(
            "UPDATE managed_policies SET attachment_count = attachment_count + 1
             WHERE policy_id = ?1",
        )?
        .execute([&policy_id])?;
    }
    Ok(())
}

pub(crate) fn detach_policy(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = holder_id(tx, account_id, holder)?;
    let (policy_id, _) = policy_by_name(tx, account_id, policy_name)?;
    let deleted = tx
        .prepare_cached(&format!(
            "DELETE FROM {attachments} WHERE {id} = ?1 AND policy_id = ?2",
            attachments = t.attachments,
            id = t.id
        ))?
        .execute(params![id, policy_id])?;
    if deleted == 0 {
        return Err(iamd_store::StoreError::PolicyNotAttached.into());
    }
    tx.prepare_cached(
        "UPDATE managed_policies SET attachment_count = attachment_count - 1 WHERE policy_id = ?1",
    )?
    .execute([&policy_id])?;
    Ok(())
}

pub(crate) fn list_attached_policies(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    path_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<ManagedPolicy>> {
    let t = tables(holder.kind);
    let id = holder_id(tx, account_id, holder)?;
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {POLICY_COLUMNS} FROM {attachments} a
             JOIN managed_policies p ON p.policy_id = a.policy_id
         WHERE a.{id} = ?1 AND substr(p.path, 1, length(?2)) = ?2 AND p.policy_name_lower > ?3
         ORDER BY p.policy_name_lower LIMIT ?4",
        attachments = t.attachments,
        id = t.id
    ))?;
    let rows = stmt
        .query_map(
            params![id, path_prefix, after.unwrap_or(""), limit_of(limit)],
            policy_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(policy_from).collect()
}

/// One statement: the policy (a row even when it is attached to nothing, so that a missing
/// policy is told apart) and the holders of `kind` it is attached to.
#[allow(clippy::too_many_arguments)]
pub(crate) fn list_policy_entities(
    tx: &Connection,
    account_id: &str,
    policy_name: &str,
    kind: HolderKind,
    as_boundary: bool,
    path_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<PolicyEntity>> {
    let t = tables(kind);
    // Groups have no permissions boundary.
    if as_boundary && kind == HolderKind::Group {
        return Ok(Vec::new());
    }
    let filter = format!(
        "substr(h.path, 1, length(?3)) = ?3 AND h.{name_lower} > ?4",
        name_lower = t.name_lower
    );
    // Attachments, or the holders whose permissions boundary the policy is.
    let join = if as_boundary {
        format!(
            "{holders} h ON h.permissions_boundary = p.policy_id AND {filter}",
            holders = t.holders
        )
    } else {
        format!(
            "({attachments} a JOIN {holders} h ON h.{id} = a.{id} AND {filter})
                 ON a.policy_id = p.policy_id",
            attachments = t.attachments,
            holders = t.holders,
            id = t.id
        )
    };
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT h.{name}, h.{id} FROM managed_policies p LEFT JOIN {join}
         WHERE p.account_id = ?1 AND p.policy_name_lower = ?2
         ORDER BY h.{name_lower} LIMIT ?5",
        name = t.name_lower.trim_end_matches("_lower"),
        id = t.id,
        name_lower = t.name_lower,
    ))?;
    let rows = stmt
        .query_map(
            params![
                account_id,
                policy_name.to_lowercase(),
                path_prefix,
                after.unwrap_or(""),
                // One row more, for the policy's own when it has no attachment.
                limit_of(limit.saturating_add(1))
            ],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if rows.is_empty() {
        return Err(StoreError::NoSuchPolicy.into());
    }
    let mut entities: Vec<PolicyEntity> = rows
        .into_iter()
        .filter_map(|(name, id)| {
            Some(PolicyEntity {
                kind,
                name: name?,
                id: id?,
            })
        })
        .collect();
    entities.truncate(limit);
    Ok(entities)
}

/// Runs in one read transaction, so both statements see the same snapshot.
pub(crate) fn get_holder_policies(
    tx: &Connection,
    kind: HolderKind,
    holder_id: &str,
) -> Result<UserPolicies> {
    let t = tables(kind);
    let mut inline = tx.prepare_cached(&format!(
        "SELECT policy_name, document FROM {inline} WHERE {id} = ?1 ORDER BY policy_name",
        inline = t.inline,
        id = t.id
    ))?;
    let inline = inline
        .query_map([holder_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
    let mut managed = tx.prepare_cached(&format!(
        "SELECT p.account_id, p.path, p.policy_name, p.default_version_id, v.document
         FROM {attachments} a
             JOIN managed_policies p ON p.policy_id = a.policy_id
             JOIN policy_versions v
                 ON v.policy_id = p.policy_id AND v.version_id = p.default_version_id
         WHERE a.{id} = ?1
         ORDER BY p.policy_name_lower",
        attachments = t.attachments,
        id = t.id
    ))?;
    let managed = managed
        .query_map([holder_id], |r| {
            let (account_id, path, name): (String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            Ok((
                format!("arn:aws:iam::{account_id}:policy{path}{name}"),
                r.get(3)?,
                r.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<(String, String, String)>>>()?;
    let boundary = crate::boundaries::boundary_document(tx, kind, holder_id)?;
    Ok(UserPolicies {
        inline,
        managed,
        boundary,
        aws_managed: crate::aws_policies::attached_arns(tx, kind, holder_id)?,
        aws_boundary: crate::aws_policies::boundary_arn(tx, kind, holder_id)?,
    })
}
