//! Account aliases as SQL: at most one row per account in `account_aliases`, whose unique
//! alias column keeps each alias to one account. Writes run on the single writer, so the
//! check and the replacement cannot be interleaved with another write.

use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

use crate::queries::{query_one, Result};

/// Replaces the account's alias; `AlreadyExists` when any account holds `alias`.
pub(crate) fn create_account_alias(tx: &Connection, account_id: &str, alias: &str) -> Result<()> {
    let taken: Option<String> = query_one(
        tx,
        "SELECT account_id FROM account_aliases WHERE account_alias = ?1",
        [alias],
        |r| r.get(0),
    )
    .optional()?;
    if taken.is_some() {
        return Err(StoreError::AlreadyExists.into());
    }
    tx.prepare_cached("DELETE FROM account_aliases WHERE account_id = ?1")?
        .execute([account_id])?;
    tx.prepare_cached("INSERT INTO account_aliases (account_id, account_alias) VALUES (?1, ?2)")?
        .execute(params![account_id, alias])?;
    Ok(())
}

pub(crate) fn delete_account_alias(tx: &Connection, account_id: &str, alias: &str) -> Result<()> {
    let deleted = tx
        .prepare_cached("DELETE FROM account_aliases WHERE account_id = ?1 AND account_alias = ?2")?
        .execute(params![account_id, alias])?;
    if deleted == 0 {
        return Err(StoreError::NoSuchAccountAlias.into());
    }
    Ok(())
}

/// SetSecurityTokenServicePreferences: replaces the account's setting.
pub(crate) fn set_global_endpoint_token_version(
    tx: &Connection,
    account_id: &str,
    version: u8,
) -> Result<()> {
    tx.prepare_cached("DELETE FROM sts_preferences WHERE account_id = ?1")?
        .execute([account_id])?;
    tx.prepare_cached(
        "INSERT INTO sts_preferences (account_id, global_endpoint_token_version) VALUES (?1, ?2)",
    )?
    .execute(params![account_id, version])?;
    Ok(())
}

/// The account's global endpoint token version; `None` when never set.
pub(crate) fn get_global_endpoint_token_version(
    tx: &Connection,
    account_id: &str,
) -> Result<Option<u8>> {
    Ok(query_one(
        tx,
        "SELECT global_endpoint_token_version FROM sts_preferences WHERE account_id = ?1",
        [account_id],
        |r| r.get(0),
    )
    .optional()?)
}

pub(crate) fn list_account_aliases(tx: &Connection, account_id: &str) -> Result<Vec<String>> {
    let mut stmt =
        tx.prepare_cached("SELECT account_alias FROM account_aliases WHERE account_id = ?1")?;
    let aliases = stmt
        .query_map([account_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(aliases)
}
