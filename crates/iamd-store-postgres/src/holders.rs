//! Inline policies and managed-policy attachments of any policy holder (users, roles,
//! groups) as SQL. Each kind keeps its own tables (with real foreign keys to its
//! holders); `tables` chooses them, in one place: a new kind of holder is a migration
//! creating its two tables and one arm there.
//!
//! Writes run inside the one transaction they are given and lock the rows they depend on
//! first, always in the same order: the holder's row, then the policy's row. So puts for
//! one holder (on any node) sum sizes one after another, attaching and detaching for one
//! holder take turns (an attachment is inserted once), as do those for one policy,
//! whoever holds it (its count stays exact), and deleting the holder or the policy sees
//! the policy or attachment or wins the race. Reads are single statements (one snapshot
//! each); those that must tell a missing holder from an empty answer start from the
//! holder's row with a `LEFT JOIN`.
//!
//! Same SQL subset as `queries`: no `ON CONFLICT`, no `RETURNING`, plain `FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{HolderKind, ManagedPolicy, PolicyEntity, PolicyHolder, UserPolicies};
use iamd_store::StoreError;

use crate::policies::{lock_policy, policy_from, POLICY_COLUMNS};
use crate::queries::{execute, limit_of, query, query_opt, Fail, Result};

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

/// Locks the holder's row (found ignoring case) until the transaction ends and returns its
/// id; `NoSuchUser` / `NoSuchRole` / `NoSuchGroup`.
pub(crate) async fn locked_holder<C: GenericClient>(
    tx: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
) -> Result<String> {
    let t = tables(holder.kind);
    let row = query_opt(
        tx,
        &format!(
            "SELECT {id} FROM {holders} WHERE account_id = $1 AND {name_lower} = $2 FOR UPDATE",
            id = t.id,
            holders = t.holders,
            name_lower = t.name_lower
        ),
        &[&account_id, &holder.name.to_lowercase()],
    )
    .await?
    .ok_or(holder.kind.missing())?;
    Ok(row.try_get(0)?)
}

pub(crate) fn size_of(size: usize) -> Result<i64> {
    i64::try_from(size).map_err(|_| Fail::Data(format!("policy size {size} is out of range")))
}

/// At least one row, so that a listing starting from the holder's row (a `LEFT JOIN`) can
/// tell a holder with nothing to list from a missing holder even when `limit` is 0.
pub(crate) fn limit_at_least_one(limit: usize) -> i64 {
    limit_of(limit.max(1))
}

pub(crate) async fn put_inline_policy<C: GenericClient>(
    tx: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
    document: &str,
    size: usize,
    max_total: usize,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = locked_holder(tx, account_id, holder).await?;
    let size = size_of(size)?;
    let others: i64 = query_opt(
        tx,
        &format!(
            "SELECT coalesce(sum(size), 0)::bigint FROM {inline}
             WHERE {id} = $1 AND policy_name <> $2",
            inline = t.inline,
            id = t.id
        ),
        &[&id, &policy_name],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    if i128::from(others) + i128::from(size) > max_total as i128 {
        return Err(StoreError::PolicySizeExceeded.into());
    }
    let replaced = execute(
        tx,
        &format!(
            "UPDATE {inline} SET document = $3, size = $4 WHERE {id} = $1 AND policy_name = $2",
            inline = t.inline,
            id = t.id
        ),
        &[&id, &policy_name, &document, &size],
    )
    .await?;
    if replaced == 0 {
        execute(
            tx,
            &format!(
                "INSERT INTO {inline} ({id}, policy_name, document, size)
                 VALUES ($1, $2, $3, $4)",
                inline = t.inline,
                id = t.id
            ),
            &[&id, &policy_name, &document, &size],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn get_inline_policy<C: GenericClient>(
    c: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
) -> Result<Option<String>> {
    let t = tables(holder.kind);
    let row = query_opt(
        c,
        &format!(
            "SELECT p.document FROM {holders} h
                 LEFT JOIN {inline} p ON p.{id} = h.{id} AND p.policy_name = $3
             WHERE h.account_id = $1 AND h.{name_lower} = $2",
            holders = t.holders,
            inline = t.inline,
            id = t.id,
            name_lower = t.name_lower
        ),
        &[&account_id, &holder.name.to_lowercase(), &policy_name],
    )
    .await?
    .ok_or(holder.kind.missing())?;
    Ok(row.try_get(0)?)
}

pub(crate) async fn list_inline_policies<C: GenericClient>(
    c: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>> {
    let t = tables(holder.kind);
    // Names are never empty, so "" is before the first.
    let rows = query(
        c,
        &format!(
            "SELECT p.policy_name FROM {holders} h
                 LEFT JOIN {inline} p ON p.{id} = h.{id} AND p.policy_name > $3
             WHERE h.account_id = $1 AND h.{name_lower} = $2
             ORDER BY p.policy_name LIMIT $4",
            holders = t.holders,
            inline = t.inline,
            id = t.id,
            name_lower = t.name_lower
        ),
        &[
            &account_id,
            &holder.name.to_lowercase(),
            &after.unwrap_or(""),
            &limit_at_least_one(limit),
        ],
    )
    .await?;
    if rows.is_empty() {
        return Err(holder.kind.missing().into());
    }
    let mut names = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(name) = row.try_get::<_, Option<String>>(0)? {
            names.push(name);
        }
    }
    names.truncate(limit);
    Ok(names)
}

pub(crate) async fn delete_inline_policy<C: GenericClient>(
    tx: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = locked_holder(tx, account_id, holder).await?;
    let deleted = execute(
        tx,
        &format!(
            "DELETE FROM {inline} WHERE {id} = $1 AND policy_name = $2",
            inline = t.inline,
            id = t.id
        ),
        &[&id, &policy_name],
    )
    .await?;
    if deleted == 0 {
        return Err(StoreError::NoSuchPolicy.into());
    }
    Ok(())
}

/// Locks the holder's row, then the policy's.
pub(crate) async fn attach_policy<C: GenericClient>(
    tx: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
    max_attached: usize,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = locked_holder(tx, account_id, holder).await?;
    let policy = lock_policy(tx, account_id, policy_name).await?;
    let attached: bool = query_opt(
        tx,
        &format!(
            "SELECT EXISTS (SELECT 1 FROM {attachments} WHERE {id} = $1 AND policy_id = $2)",
            attachments = t.attachments,
            id = t.id
        ),
        &[&id, &policy.policy_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(false);
    if attached {
        return Ok(());
    }
    // AWS managed policies count towards the quota too.
    let count = crate::aws_policies::attached_count(tx, holder.kind, &id).await?;
    if usize::try_from(count).is_ok_and(|n| n >= max_attached) {
        return Err(StoreError::AttachmentQuotaExceeded.into());
    }
    execute(
        tx,
        &format!(
            "INSERT INTO {attachments} ({id}, policy_id) VALUES ($1, $2)",
            attachments = t.attachments,
            id = t.id
        ),
        &[&id, &policy.policy_id],
    )
    .await?;
    execute(
        tx,
        "UPDATE managed_policies SET attachment_count = attachment_count + 1 WHERE policy_id = $1",
        &[&policy.policy_id],
    )
    .await?;
    Ok(())
}

/// Locks the holder's row, then the policy's.
pub(crate) async fn detach_policy<C: GenericClient>(
    tx: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = locked_holder(tx, account_id, holder).await?;
    let policy = lock_policy(tx, account_id, policy_name).await?;
    let deleted = execute(
        tx,
        &format!(
            "DELETE FROM {attachments} WHERE {id} = $1 AND policy_id = $2",
            attachments = t.attachments,
            id = t.id
        ),
        &[&id, &policy.policy_id],
    )
    .await?;
    if deleted == 0 {
        return Err(StoreError::PolicyNotAttached.into());
    }
    execute(
        tx,
        "UPDATE managed_policies SET attachment_count = attachment_count - 1 WHERE policy_id = $1",
        &[&policy.policy_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn list_attached_policies<C: GenericClient>(
    c: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    path_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<ManagedPolicy>> {
    let t = tables(holder.kind);
    let rows = query(
        c,
        &format!(
            "SELECT {POLICY_COLUMNS} FROM {holders} h
                 LEFT JOIN ({attachments} a
                     JOIN managed_policies p ON p.policy_id = a.policy_id
                         AND substr(p.path, 1, length($3::text)) = $3::text
                         AND p.policy_name_lower > $4)
                 ON a.{id} = h.{id}
             WHERE h.account_id = $1 AND h.{name_lower} = $2
             ORDER BY p.policy_name_lower LIMIT $5",
            holders = t.holders,
            attachments = t.attachments,
            id = t.id,
            name_lower = t.name_lower
        ),
        &[
            &account_id,
            &holder.name.to_lowercase(),
            &path_prefix,
            &after.unwrap_or(""),
            &limit_at_least_one(limit),
        ],
    )
    .await?;
    if rows.is_empty() {
        return Err(holder.kind.missing().into());
    }
    let mut policies = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<_, Option<String>>(0)?.is_some() {
            policies.push(policy_from(row)?);
        }
    }
    policies.truncate(limit);
    Ok(policies)
}

/// One statement: the policy (a row even when it is attached to nothing, so that a missing
/// policy is told apart) and the holders of `kind` it is attached to.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn list_policy_entities<C: GenericClient>(
    c: &C,
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
        "substr(h.path, 1, length($3::text)) = $3::text AND h.{name_lower} > $4",
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
    let rows = query(
        c,
        &format!(
            "SELECT h.{name}, h.{id} FROM managed_policies p LEFT JOIN {join}
         WHERE p.account_id = $1 AND p.policy_name_lower = $2
         ORDER BY h.{name_lower} LIMIT $5",
            name = t.name_lower.trim_end_matches("_lower"),
            id = t.id,
            name_lower = t.name_lower,
        ),
        &[
            &account_id,
            &policy_name.to_lowercase(),
            &path_prefix,
            &after.unwrap_or(""),
            // One row more, for the policy's own when it has no attachment.
            &limit_at_least_one(limit.saturating_add(1)),
        ],
    )
    .await?;
    if rows.is_empty() {
        return Err(StoreError::NoSuchPolicy.into());
    }
    let mut entities = Vec::with_capacity(rows.len());
    for row in &rows {
        if let (Some(name), Some(id)) = (
            row.try_get::<_, Option<String>>(0)?,
            row.try_get::<_, Option<String>>(1)?,
        ) {
            entities.push(PolicyEntity { kind, name, id });
        }
    }
    entities.truncate(limit);
    Ok(entities)
}

/// One statement, so one snapshot: the inline documents (kind 0, in name order) and the
/// default version of each attached policy (kind 1, in lower-cased-name order).
pub(crate) async fn get_holder_policies<C: GenericClient>(
    c: &C,
    kind: HolderKind,
    holder_id: &str,
) -> Result<UserPolicies> {
    let t = tables(kind);
    let rows = query(
        c,
        &format!(
            "SELECT 0 AS kind, i.policy_name AS sort, i.policy_name, i.document,
                    NULL AS account_id, NULL AS path, NULL AS version_id
             FROM {inline} i WHERE i.{id} = $1
             UNION ALL
             SELECT 1, p.policy_name_lower, p.policy_name, v.document,
                    p.account_id, p.path, p.default_version_id
             FROM {attachments} a
                 JOIN managed_policies p ON p.policy_id = a.policy_id
                 JOIN policy_versions v
                     ON v.policy_id = p.policy_id AND v.version_id = p.default_version_id
             WHERE a.{id} = $1
             {boundary}
             {aws}
             ORDER BY 1, 2",
            inline = t.inline,
            attachments = t.attachments,
            id = t.id,
            boundary = crate::boundaries::document_branch(kind),
            aws = crate::aws_policies::branches(kind),
        ),
        &[&holder_id],
    )
    .await?;
    let mut out = UserPolicies::default();
    for row in &rows {
        let kind: i32 = row.try_get(0)?;
        let name: String = row.try_get(2)?;
        let document: String = row.try_get(3)?;
        if kind == 0 {
            out.inline.push((name, document));
        } else if kind == 3 {
            out.aws_managed.push(name);
        } else if kind == 4 {
            out.aws_boundary = Some(name);
        } else if kind == 2 {
            let account_id: String = row.try_get(4)?;
            let path: String = row.try_get(5)?;
            let version_id: String = row.try_get(6)?;
            out.boundary = Some((
                format!("arn:aws:iam::{account_id}:policy{path}{name}"),
                version_id,
                document,
            ));
        } else {
            let account_id: String = row.try_get(4)?;
            let path: String = row.try_get(5)?;
            let version_id: String = row.try_get(6)?;
            out.managed.push((
                format!("arn:aws:iam::{account_id}:policy{path}{name}"),
                version_id,
                document,
            ));
        }
    }
    // ARNs in byte order, as the other backends list them.
    out.aws_managed.sort();
    Ok(out)
}
