//! AWS managed policies' attachments and boundaries as SQL (schema version 9): the
//! `{user,role,group}_aws_policy_attachments` tables and the `aws_permissions_boundary`
//! column of `users` and `roles`, each naming the policy by ARN. The policies themselves are
//! the domain's catalog. Each function runs inside the one transaction it is given.

use iamd_store::model::{AwsPolicyUsage, HolderKind, PolicyEntity, PolicyHolder, Role, User};
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

use crate::holders::{holder_id, limit_of_count, tables};
use crate::queries::{limit_of, query_one, Result};

/// How many policies (customer and AWS managed) the holder with this id has attached.
pub(crate) fn attached_count(tx: &Connection, kind: HolderKind, id: &str) -> Result<i64> {
    let t = tables(kind);
    Ok(query_one(
        tx,
        &format!(
            "SELECT (SELECT count(*) FROM {attachments} WHERE {id} = ?1)
                  + (SELECT count(*) FROM {aws} WHERE {id} = ?1)",
            attachments = t.attachments,
            aws = t.aws_attachments,
            id = t.id
        ),
        [id],
        |r| r.get(0),
    )?)
}

pub(crate) fn attach(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    arn: &str,
    max_attached: usize,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = holder_id(tx, account_id, holder)?;
    let attached: bool = query_one(
        tx,
        &format!(
            "SELECT EXISTS (SELECT 1 FROM {aws} WHERE {id} = ?1 AND policy_arn = ?2)",
            aws = t.aws_attachments,
            id = t.id
        ),
        params![id, arn],
        |r| r.get(0),
    )?;
    if attached {
        return Ok(());
    }
    if attached_count(tx, holder.kind, &id)? >= limit_of_count(max_attached) {
        return Err(StoreError::AttachmentQuotaExceeded.into());
    }
    tx.prepare_cached(&format!(
        "INSERT INTO {aws} ({id}, account_id, policy_arn) VALUES (?1, ?2, ?3)",
        aws = t.aws_attachments,
        id = t.id
    ))?
    .execute(params![id, account_id, arn])?;
    Ok(())
}

pub(crate) fn detach(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    arn: &str,
) -> Result<()> {
    let t = tables(holder.kind);
    let id = holder_id(tx, account_id, holder)?;
    let deleted = tx
        .prepare_cached(&format!(
            "DELETE FROM {aws} WHERE {id} = ?1 AND policy_arn = ?2",
            aws = t.aws_attachments,
            id = t.id
        ))?
        .execute(params![id, arn])?;
    if deleted == 0 {
        return Err(StoreError::PolicyNotAttached.into());
    }
    Ok(())
}

/// The ARNs attached to the holder with this id, in ARN order.
pub(crate) fn attached_arns(tx: &Connection, kind: HolderKind, id: &str) -> Result<Vec<String>> {
    let t = tables(kind);
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT policy_arn FROM {aws} WHERE {id} = ?1 ORDER BY policy_arn",
        aws = t.aws_attachments,
        id = t.id
    ))?;
    let arns = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(arns)
}

pub(crate) fn list(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
) -> Result<Vec<String>> {
    let id = holder_id(tx, account_id, holder)?;
    attached_arns(tx, holder.kind, &id)
}

/// Sets (or, with `None`, clears) the AWS boundary of the user or role with this id.
pub(crate) fn set_boundary(
    tx: &Connection,
    kind: HolderKind,
    id: &str,
    arn: Option<&str>,
) -> Result<()> {
    let t = tables(kind);
    tx.prepare_cached(&format!(
        "UPDATE {holders} SET aws_permissions_boundary = ?1, permissions_boundary = NULL
         WHERE {id} = ?2",
        holders = t.holders,
        id = t.id
    ))?
    .execute(params![arn, id])?;
    Ok(())
}

pub(crate) fn put_boundary(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    arn: &str,
) -> Result<()> {
    if holder.kind == HolderKind::Group {
        return Err(HolderKind::Group.missing().into());
    }
    let id = holder_id(tx, account_id, holder)?;
    set_boundary(tx, holder.kind, &id, Some(arn))
}

pub(crate) fn create_user(tx: &Connection, user: &User, arn: &str) -> Result<()> {
    crate::queries::create_user(tx, user)?;
    set_boundary(tx, HolderKind::User, &user.user_id, Some(arn))
}

pub(crate) fn create_role(tx: &Connection, role: &Role, arn: &str) -> Result<()> {
    crate::roles::create_role(tx, role)?;
    set_boundary(tx, HolderKind::Role, &role.role_id, Some(arn))
}

/// The AWS boundary of the user or role with this id.
pub(crate) fn boundary_arn(tx: &Connection, kind: HolderKind, id: &str) -> Result<Option<String>> {
    if kind == HolderKind::Group {
        return Ok(None);
    }
    let t = tables(kind);
    Ok(query_one(
        tx,
        &format!(
            "SELECT aws_permissions_boundary FROM {holders} WHERE {id} = ?1",
            holders = t.holders,
            id = t.id
        ),
        [id],
        |r| r.get::<_, Option<String>>(0),
    )
    .optional()?
    .flatten())
}

/// One statement, so the counts are of one snapshot.
pub(crate) fn usage(
    tx: &Connection,
    account_id: &str,
    arn: Option<&str>,
) -> Result<Vec<AwsPolicyUsage>> {
    let mut stmt = tx.prepare_cached(
        "SELECT arn, sum(a), sum(b) FROM (
             SELECT policy_arn AS arn, 1 AS a, 0 AS b FROM user_aws_policy_attachments
                 WHERE account_id = ?1 AND (?2 IS NULL OR policy_arn = ?2)
             UNION ALL
             SELECT policy_arn, 1, 0 FROM role_aws_policy_attachments
                 WHERE account_id = ?1 AND (?2 IS NULL OR policy_arn = ?2)
             UNION ALL
             SELECT policy_arn, 1, 0 FROM group_aws_policy_attachments
                 WHERE account_id = ?1 AND (?2 IS NULL OR policy_arn = ?2)
             UNION ALL
             SELECT aws_permissions_boundary, 0, 1 FROM users
                 WHERE account_id = ?1 AND aws_permissions_boundary IS NOT NULL
                     AND (?2 IS NULL OR aws_permissions_boundary = ?2)
             UNION ALL
             SELECT aws_permissions_boundary, 0, 1 FROM roles
                 WHERE account_id = ?1 AND aws_permissions_boundary IS NOT NULL
                     AND (?2 IS NULL OR aws_permissions_boundary = ?2)
         ) GROUP BY arn ORDER BY arn",
    )?;
    let rows = stmt
        .query_map(params![account_id, arn], |r| {
            Ok(AwsPolicyUsage {
                arn: r.get(0)?,
                attachments: u32::try_from(r.get::<_, i64>(1)?).unwrap_or(u32::MAX),
                boundaries: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(u32::MAX),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn list_entities(
    tx: &Connection,
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
            "{holders} h WHERE h.account_id = ?1 AND h.aws_permissions_boundary = ?2",
            holders = t.holders
        )
    } else {
        format!(
            "{aws} a JOIN {holders} h ON h.{id} = a.{id}
             WHERE a.account_id = ?1 AND a.policy_arn = ?2",
            aws = t.aws_attachments,
            holders = t.holders,
            id = t.id
        )
    };
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT h.{name}, h.{id} FROM {from}
             AND substr(h.path, 1, length(?3)) = ?3 AND h.{name_lower} > ?4
         ORDER BY h.{name_lower} LIMIT ?5",
        name = t.name_lower.trim_end_matches("_lower"),
        id = t.id,
        name_lower = t.name_lower,
    ))?;
    let rows = stmt
        .query_map(
            params![
                account_id,
                arn,
                path_prefix,
                after.unwrap_or(""),
                limit_of(limit)
            ],
            |r| {
                Ok(PolicyEntity {
                    kind,
                    name: r.get(0)?,
                    id: r.get(1)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
