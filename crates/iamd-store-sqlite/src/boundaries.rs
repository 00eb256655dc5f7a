//! Permissions boundaries of users and roles as SQL: the `permissions_boundary` column of
//! `users` and `roles` (schema version 8), a managed policy's id. Each function runs inside
//! the one transaction it is given; writes run on the single writer, so the policy a write
//! finds cannot be deleted before it commits (and the foreign key would refuse it).

use iamd_store::model::{HolderKind, PolicyHolder, Role, User};
use rusqlite::{params, Connection, OptionalExtension};

use crate::holders::{holder_id, tables};
use crate::policies::policy_by_name;
use crate::queries::{query_one, Result};

/// Users and roles have boundaries; groups do not (naming one is `NoSuchGroup`).
fn bounded(holder: PolicyHolder<'_>) -> Result<()> {
    match holder.kind {
        HolderKind::User | HolderKind::Role => Ok(()),
        HolderKind::Group => Err(HolderKind::Group.missing().into()),
    }
}

fn set(tx: &Connection, kind: HolderKind, id: &str, policy_id: Option<&str>) -> Result<()> {
    let t = tables(kind);
    tx.prepare_cached(&format!(
        "UPDATE {holders} SET permissions_boundary = ?1, aws_permissions_boundary = NULL
         WHERE {id} = ?2",
        holders = t.holders,
        id = t.id
    ))?
    .execute(params![policy_id, id])?;
    Ok(())
}

pub(crate) fn put(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
) -> Result<()> {
    bounded(holder)?;
    let id = holder_id(tx, account_id, holder)?;
    let (policy_id, _) = policy_by_name(tx, account_id, policy_name)?;
    set(tx, holder.kind, &id, Some(&policy_id))
}

pub(crate) fn delete(tx: &Connection, account_id: &str, holder: PolicyHolder<'_>) -> Result<()> {
    bounded(holder)?;
    let id = holder_id(tx, account_id, holder)?;
    set(tx, holder.kind, &id, None)
}

pub(crate) fn create_user(tx: &Connection, user: &User, boundary: &str) -> Result<()> {
    let (policy_id, _) = policy_by_name(tx, &user.account_id, boundary)?;
    crate::queries::create_user(tx, user)?;
    set(tx, HolderKind::User, &user.user_id, Some(&policy_id))
}

pub(crate) fn create_role(tx: &Connection, role: &Role, boundary: &str) -> Result<()> {
    let (policy_id, _) = policy_by_name(tx, &role.account_id, boundary)?;
    crate::roles::create_role(tx, role)?;
    set(tx, HolderKind::Role, &role.role_id, Some(&policy_id))
}

/// A customer managed policy's account, path and name.
type PolicyPath = (String, String, String);

/// The boundary's ARN (a customer or an AWS managed policy's); the holder found ignoring
/// case.
pub(crate) fn get(
    tx: &Connection,
    account_id: &str,
    holder: PolicyHolder<'_>,
) -> Result<Option<String>> {
    bounded(holder)?;
    let t = tables(holder.kind);
    let row: Option<(Option<PolicyPath>, Option<String>)> = query_one(
        tx,
        &format!(
            "SELECT p.account_id, p.path, p.policy_name, h.aws_permissions_boundary
             FROM {holders} h
                 LEFT JOIN managed_policies p ON p.policy_id = h.permissions_boundary
             WHERE h.account_id = ?1 AND h.{name_lower} = ?2",
            holders = t.holders,
            name_lower = t.name_lower
        ),
        params![account_id, holder.name.to_lowercase()],
        |r| {
            let account: Option<String> = r.get(0)?;
            let customer = match account {
                Some(account) => Some((account, r.get(1)?, r.get(2)?)),
                None => None,
            };
            Ok((customer, r.get(3)?))
        },
    )
    .optional()?;
    let (customer, aws) = row.ok_or(holder.kind.missing())?;
    Ok(customer
        .map(|(account, path, name)| format!("arn:aws:iam::{account}:policy{path}{name}"))
        .or(aws))
}

/// The default version of the boundary of the holder with this id: (ARN, version id,
/// document). Groups have none.
pub(crate) fn boundary_document(
    tx: &Connection,
    kind: HolderKind,
    holder_id: &str,
) -> Result<Option<(String, String, String)>> {
    if kind == HolderKind::Group {
        return Ok(None);
    }
    let t = tables(kind);
    Ok(query_one(
        tx,
        &format!(
            "SELECT p.account_id, p.path, p.policy_name, p.default_version_id, v.document
             FROM {holders} h
                 JOIN managed_policies p ON p.policy_id = h.permissions_boundary
                 JOIN policy_versions v
                     ON v.policy_id = p.policy_id AND v.version_id = p.default_version_id
             WHERE h.{id} = ?1",
            holders = t.holders,
            id = t.id
        ),
        [holder_id],
        |r| {
            let (account, path, name): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            Ok((
                format!("arn:aws:iam::{account}:policy{path}{name}"),
                r.get(3)?,
                r.get(4)?,
            ))
        },
    )
    .optional()?)
}

/// Whether the policy is some user's or role's boundary.
pub(crate) fn in_use(tx: &Connection, policy_id: &str) -> Result<bool> {
    Ok(query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM users WHERE permissions_boundary = ?1)
             OR EXISTS (SELECT 1 FROM roles WHERE permissions_boundary = ?1)",
        [policy_id],
        |r| r.get(0),
    )?)
}
