//! Permissions boundaries of users and roles as SQL: the `permissions_boundary` column of
//! `users` and `roles` (migration 6), a managed policy's id.
//!
//! A write locks the holder's row, then the policy's (`lock_policy`), the order attachments
//! use; `delete_policy` holds the policy's row lock while it looks for boundaries, so either
//! it sees a boundary set concurrently (and refuses) or the write finds no policy
//! (`NoSuchPolicy`). The foreign key backs this up. Same SQL subset as `queries`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{HolderKind, PolicyHolder, Role, User};

use crate::holders::{locked_holder, tables};
use crate::policies::lock_policy;
use crate::queries::{execute, query_opt, Result};

/// Users and roles have boundaries; groups do not (naming one is `NoSuchGroup`).
fn bounded(holder: PolicyHolder<'_>) -> Result<()> {
    match holder.kind {
        HolderKind::User | HolderKind::Role => Ok(()),
        HolderKind::Group => Err(HolderKind::Group.missing().into()),
    }
}

async fn set<C: GenericClient>(
    tx: &C,
    kind: HolderKind,
    id: &str,
    policy_id: Option<&str>,
) -> Result<()> {
    let t = tables(kind);
    execute(
        tx,
        &format!(
            "UPDATE {holders} SET permissions_boundary = $1, aws_permissions_boundary = NULL
             WHERE {id} = $2",
            holders = t.holders,
            id = t.id
        ),
        &[&policy_id, &id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn put<C: GenericClient>(
    tx: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
    policy_name: &str,
) -> Result<()> {
    bounded(holder)?;
    let id = locked_holder(tx, account_id, holder).await?;
    let policy = lock_policy(tx, account_id, policy_name).await?;
    set(tx, holder.kind, &id, Some(&policy.policy_id)).await
}

pub(crate) async fn delete<C: GenericClient>(
    tx: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
) -> Result<()> {
    bounded(holder)?;
    let id = locked_holder(tx, account_id, holder).await?;
    set(tx, holder.kind, &id, None).await
}

pub(crate) async fn create_user<C: GenericClient>(
    tx: &C,
    user: &User,
    boundary: &str,
) -> Result<()> {
    let policy = lock_policy(tx, &user.account_id, boundary).await?;
    crate::queries::create_user(tx, user).await?;
    set(tx, HolderKind::User, &user.user_id, Some(&policy.policy_id)).await
}

pub(crate) async fn create_role<C: GenericClient>(
    tx: &C,
    role: &Role,
    boundary: &str,
) -> Result<()> {
    let policy = lock_policy(tx, &role.account_id, boundary).await?;
    crate::roles::create_role(tx, role).await?;
    set(tx, HolderKind::Role, &role.role_id, Some(&policy.policy_id)).await
}

/// The boundary's ARN; the holder found ignoring case. One statement.
pub(crate) async fn get<C: GenericClient>(
    c: &C,
    account_id: &str,
    holder: PolicyHolder<'_>,
) -> Result<Option<String>> {
    bounded(holder)?;
    let t = tables(holder.kind);
    let row = query_opt(
        c,
        &format!(
            "SELECT p.account_id, p.path, p.policy_name, h.aws_permissions_boundary
             FROM {holders} h
                 LEFT JOIN managed_policies p ON p.policy_id = h.permissions_boundary
             WHERE h.account_id = $1 AND h.{name_lower} = $2",
            holders = t.holders,
            name_lower = t.name_lower
        ),
        &[&account_id, &holder.name.to_lowercase()],
    )
    .await?
    .ok_or(holder.kind.missing())?;
    let account: Option<String> = row.try_get(0)?;
    let Some(account) = account else {
        // No customer managed boundary: an AWS managed one, or none.
        return Ok(row.try_get(3)?);
    };
    let path: String = row.try_get(1)?;
    let name: String = row.try_get(2)?;
    Ok(Some(format!("arn:aws:iam::{account}:policy{path}{name}")))
}

/// The branch of `holders::get_holder_policies`' statement that reads the boundary's
/// default version (kind 2), for users and roles; groups have none.
pub(crate) fn document_branch(kind: HolderKind) -> String {
    if kind == HolderKind::Group {
        return String::new();
    }
    let t = tables(kind);
    format!(
        "UNION ALL
         SELECT 2, p.policy_name_lower, p.policy_name, v.document,
                p.account_id, p.path, p.default_version_id
         FROM {holders} h
             JOIN managed_policies p ON p.policy_id = h.permissions_boundary
             JOIN policy_versions v
                 ON v.policy_id = p.policy_id AND v.version_id = p.default_version_id
         WHERE h.{id} = $1",
        holders = t.holders,
        id = t.id
    )
}

/// Whether the policy is some user's or role's boundary.
pub(crate) async fn in_use<C: GenericClient>(tx: &C, policy_id: &str) -> Result<bool> {
    let row = query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM users WHERE permissions_boundary = $1)
             OR EXISTS (SELECT 1 FROM roles WHERE permissions_boundary = $1)",
        &[&policy_id],
    )
    .await?;
    Ok(match row {
        Some(row) => row.try_get(0)?,
        None => false,
    })
}
