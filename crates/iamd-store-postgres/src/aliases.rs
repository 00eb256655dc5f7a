//! Account aliases as SQL: at most one row per account in `account_aliases`, whose unique
//! alias column keeps each alias to one account whichever nodes create it (SQLSTATE 23505
//! is `AlreadyExists`). A replacement locks the account's row first, so two replacements
//! of one account's alias take turns.
//!
//! Same SQL subset as `queries`: no `ON CONFLICT`, no `RETURNING`, plain `FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::StoreError;

use crate::queries::{execute, query, query_opt, Result};

/// Replaces the account's alias; `AlreadyExists` when any account holds `alias`.
pub(crate) async fn create_account_alias<C: GenericClient>(
    tx: &C,
    account_id: &str,
    alias: &str,
) -> Result<()> {
    query_opt(
        tx,
        "SELECT account_id FROM accounts WHERE account_id = $1 FOR UPDATE",
        &[&account_id],
    )
    .await?;
    let taken = query_opt(
        tx,
        "SELECT account_id FROM account_aliases WHERE account_alias = $1",
        &[&alias],
    )
    .await?;
    if taken.is_some() {
        return Err(StoreError::AlreadyExists.into());
    }
    execute(
        tx,
        "DELETE FROM account_aliases WHERE account_id = $1",
        &[&account_id],
    )
    .await?;
    execute(
        tx,
        "INSERT INTO account_aliases (account_id, account_alias) VALUES ($1, $2)",
        &[&account_id, &alias],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete_account_alias<C: GenericClient>(
    tx: &C,
    account_id: &str,
    alias: &str,
) -> Result<()> {
    let deleted = execute(
        tx,
        "DELETE FROM account_aliases WHERE account_id = $1 AND account_alias = $2",
        &[&account_id, &alias],
    )
    .await?;
    if deleted == 0 {
        return Err(StoreError::NoSuchAccountAlias.into());
    }
    Ok(())
}

/// SetSecurityTokenServicePreferences: replaces the account's setting, the account's row
/// locked first so that two writers take turns.
pub(crate) async fn set_global_endpoint_token_version<C: GenericClient>(
    tx: &C,
    account_id: &str,
    version: u8,
) -> Result<()> {
    query_opt(
        tx,
        "SELECT 1 FROM accounts WHERE account_id = $1 FOR UPDATE",
        &[&account_id],
    )
    .await?;
    execute(
        tx,
        "DELETE FROM sts_preferences WHERE account_id = $1",
        &[&account_id],
    )
    .await?;
    execute(
        tx,
        "INSERT INTO sts_preferences (account_id, global_endpoint_token_version) VALUES ($1, $2)",
        &[&account_id, &i16::from(version)],
    )
    .await?;
    Ok(())
}

/// The account's global endpoint token version; `None` when never set.
pub(crate) async fn get_global_endpoint_token_version<C: GenericClient>(
    c: &C,
    account_id: &str,
) -> Result<Option<u8>> {
    let row = query_opt(
        c,
        "SELECT global_endpoint_token_version FROM sts_preferences WHERE account_id = $1",
        &[&account_id],
    )
    .await?;
    Ok(match row {
        Some(row) => {
            let v: i16 = row.try_get(0)?;
            Some(u8::try_from(v).unwrap_or(1))
        }
        None => None,
    })
}

pub(crate) async fn list_account_aliases<C: GenericClient>(
    c: &C,
    account_id: &str,
) -> Result<Vec<String>> {
    let rows = query(
        c,
        "SELECT account_alias FROM account_aliases WHERE account_id = $1",
        &[&account_id],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?)
}
