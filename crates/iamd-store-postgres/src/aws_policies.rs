//! AWS managed policies' attachments and boundaries as SQL (migration 7): the
//! `{user,role,group}_aws_policy_attachments` tables and the `aws_permissions_boundary`
//! column of `users` and `roles`, each naming the policy by ARN (the policies themselves
//! are the domain's catalog). Writes lock the holder's row first, as every other write to a
//! holder's policies does, so the attachment quota and DeleteUser/DeleteRole/DeleteGroup's
//! checks hold between nodes. Same SQL subset as `queries`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{AwsPolicyUsage, HolderKind, PolicyEntity, PolicyHolder, Role, User};
use iamd_store::StoreError;

use crate::holders::{limit_at_least_one, locked_holder, tables};
use crate::queries::{execute, query, query_opt, Result};

/// How many policies (customer and AWS managed) the holder with this id has attached.
pub(crate) async fn attached_count<C: GenericClient>(
    tx: &C,
    kind: HolderKind,
    id: &str,
) -> Result<i64> {
    let t = tables(kind);
    let row = query_opt(
        tx,
        &format!(
            "SELECT (SELECT count(*) FROM {attachments} WHERE {id} = $1)
                  + (SELECT count(*) FROM {aws} WHERE {id} = $1)",
            attachments = t.attachments,
            aws = t.aws_attachments,
            id = t.id
        ),
        &[&id],
    )
    .await?;
    Ok(match row {
        Some(r) => r.try_get(0)?,
        None => 0,
    })
}

pub(crate) async fn attach<C: GenericClient>(
    tx: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    arn: &str,
    max_attached: usize,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = locked_holder(tx, account_id, holder).await?;
    let attached: bool = match query_opt(
        tx,
        &format!(
            "SELECT EXISTS (SELECT 1 FROM {aws} WHERE {id} = $1 AND policy_arn = $2)",
            aws = t.aws_attachments,
            id = t.id
        ),
        &[&id, &arn],
    )
    .await?
    {
        Some(r) => r.try_get(0)?,
        None => false,
    };
    if attached {
        return Ok(());
    }
    let count = attached_count(tx, holder.kind, &id).await?;
    if usize::try_from(count).is_ok_and(|n| n >= max_attached) {
        return Err(StoreError::AttachmentQuotaExceeded.into());
    }
    execute(
        tx,
        &format!(
            "INSERT INTO {aws} ({id}, account_id, policy_arn) VALUES ($1, $2, $3)",
            aws = t.aws_attachments,
            id = t.id
        ),
        &[&id, &account_id, &arn],
    )
    .await?;
    Ok(())
}

pub(crate) async fn detach<C: GenericClient>(
    tx: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    arn: &str,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = locked_holder(tx, account_id, holder).await?;
    let deleted = execute(
        tx,
        &format!(
            "DELETE FROM {aws} WHERE {id} = $1 AND policy_arn = $2",
            aws = t.aws_attachments,
            id = t.id
        ),
        &[&id, &arn],
    )
    .await?;
    if deleted == 0 {
        return Err(StoreError::PolicyNotAttached.into());
    }
    Ok(())
}

/// One statement: the holder (a row even without attachments, so that a missing holder is
/// told apart) and its AWS attachments, in ARN order.
pub(crate) async fn list<C: GenericClient>(
    c: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
) -> Result<Vec<String>> {
    let t = tables(holder.kind);
    let rows = query(
        c,
        &format!(
            "SELECT a.policy_arn FROM {holders} h LEFT JOIN {aws} a ON a.{id} = h.{id}
             WHERE h.account_id = $1 AND h.{name_lower} = $2
             ORDER BY a.policy_arn",
            holders = t.holders,
            aws = t.aws_attachments,
            id = t.id,
            name_lower = t.name_lower
        ),
        &[&account_id, &holder.name.to_lowercase()],
    )
    .await?;
    if rows.is_empty() {
        return Err(holder.kind.missing().into());
    }
    let mut arns = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(arn) = row.try_get::<_, Option<String>>(0)? {
            arns.push(arn);
        }
    }
    Ok(arns)
}

/// Sets (or, with `None`, clears) the AWS boundary of the user or role with this id,
/// clearing a customer managed one.
async fn set_boundary<C: GenericClient>(
    tx: &C,
    kind: HolderKind,
    id: &str,
    arn: Option<&str>,
) -> Result<()> {
    let t = tables(kind);
    execute(
        tx,
        &format!(
            "UPDATE {holders} SET aws_permissions_boundary = $1, permissions_boundary = NULL
             WHERE {id} = $2",
            holders = t.holders,
            id = t.id
        ),
        &[&arn, &id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn put_boundary<C: GenericClient>(
    tx: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    arn: &str,
) -> Result<()> {
    if holder.kind == HolderKind::Group {
        return Err(HolderKind::Group.missing().into());
    }
    let id = locked_holder(tx, account_id, holder).await?;
    set_boundary(tx, holder.kind, &id, Some(arn)).await
}

pub(crate) async fn create_user<C: GenericClient>(tx: &C, user: &User, arn: &str) -> Result<()> {
    crate::queries::create_user(tx, user).await?;
    set_boundary(tx, HolderKind::User, &user.user_id, Some(arn)).await
}

pub(crate) async fn create_role<C: GenericClient>(tx: &C, role: &Role, arn: &str) -> Result<()> {
    crate::roles::create_role(tx, role).await?;
    set_boundary(tx, HolderKind::Role, &role.role_id, Some(arn)).await
}

/// The branches of `holders::get_holder_policies`' statement that read the holder's AWS
/// attachments (kind 3) and AWS boundary (kind 4), each ARN in the name column.
pub(crate) fn branches(kind: HolderKind) -> String {
    let t = tables(kind);
    let attachments = format!(
        "UNION ALL
         SELECT 3, a.policy_arn, a.policy_arn, '', NULL, NULL, NULL
         FROM {aws} a WHERE a.{id} = $1",
        aws = t.aws_attachments,
        id = t.id
    );
    if kind == HolderKind::Group {
        return attachments;
    }
    format!(
        "{attachments}
         UNION ALL
         SELECT 4, h.aws_permissions_boundary, h.aws_permissions_boundary, '', NULL, NULL, NULL
         FROM {holders} h WHERE h.{id} = $1 AND h.aws_permissions_boundary IS NOT NULL",
        holders = t.holders,
        id = t.id
    )
}

/// One statement, so the counts are of one snapshot.
pub(crate) async fn usage<C: GenericClient>(
    c: &C,
    account_id: &str,
    arn: Option<&str>,
) -> Result<Vec<AwsPolicyUsage>> {
    let rows = query(
        c,
        "SELECT arn, sum(a)::bigint, sum(b)::bigint FROM (
             SELECT policy_arn AS arn, 1 AS a, 0 AS b FROM user_aws_policy_attachments
                 WHERE account_id = $1 AND ($2::text IS NULL OR policy_arn = $2::text)
             UNION ALL
             SELECT policy_arn, 1, 0 FROM role_aws_policy_attachments
                 WHERE account_id = $1 AND ($2::text IS NULL OR policy_arn = $2::text)
             UNION ALL
             SELECT policy_arn, 1, 0 FROM group_aws_policy_attachments
                 WHERE account_id = $1 AND ($2::text IS NULL OR policy_arn = $2::text)
             UNION ALL
             SELECT aws_permissions_boundary, 0, 1 FROM users
                 WHERE account_id = $1 AND aws_permissions_boundary IS NOT NULL
                     AND ($2::text IS NULL OR aws_permissions_boundary = $2::text)
             UNION ALL
             SELECT aws_permissions_boundary, 0, 1 FROM roles
                 WHERE account_id = $1 AND aws_permissions_boundary IS NOT NULL
                     AND ($2::text IS NULL OR aws_permissions_boundary = $2::text)
         ) u GROUP BY arn ORDER BY arn",
        &[&account_id, &arn],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(AwsPolicyUsage {
            arn: row.try_get(0)?,
            attachments: u32::try_from(row.try_get::<_, i64>(1)?).unwrap_or(u32::MAX),
            boundaries: u32::try_from(row.try_get::<_, i64>(2)?).unwrap_or(u32::MAX),
        });
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn list_entities<C: GenericClient>(
    c: &C,
    account_id: &str,
    arn: &str,
    kind: HolderKind,
    as_boundary: bool,
    path_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<PolicyEntity>> {
    if as_boundary && kind == HolderKind::Group {
        return Ok(Vec::new());
    }
    let t = tables(kind);
    let from = if as_boundary {
        format!(
            "{holders} h WHERE h.account_id = $1 AND h.aws_permissions_boundary = $2",
            holders = t.holders
        )
    } else {
        format!(
            "{aws} a JOIN {holders} h ON h.{id} = a.{id}
             WHERE a.account_id = $1 AND a.policy_arn = $2",
            aws = t.aws_attachments,
            holders = t.holders,
            id = t.id
        )
    };
    let rows = query(
        c,
        &format!(
            "SELECT h.{name}, h.{id} FROM {from}
                 AND substr(h.path, 1, length($3::text)) = $3::text AND h.{name_lower} > $4
             ORDER BY h.{name_lower} LIMIT $5",
            name = t.name_lower.trim_end_matches("_lower"),
            id = t.id,
            name_lower = t.name_lower,
        ),
        &[
            &account_id,
            &arn,
            &path_prefix,
            &after.unwrap_or(""),
            &limit_at_least_one(limit),
        ],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(PolicyEntity {
            kind,
            name: row.try_get(0)?,
            id: row.try_get(1)?,
        });
    }
    out.truncate(limit);
    Ok(out)
}
