//! SAML providers as SQL: one row per (account, name), tags as a JSON array. Writes run
//! on the single writer, so a change's read and write cannot be interleaved with another
//! write.

use iamd_store::model::{self, SamlProvider, SamlProviderChange};
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

use crate::queries::{query_one, time_of, Fail, Result};

const COLUMNS: &str =
    "account_id, name, uuid, metadata, valid_until, assertion_encryption_mode, tags, create_date";

type RawRow = (
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    i64,
);

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn provider_of(row: RawRow) -> Result<SamlProvider> {
    let (account_id, name, uuid, metadata, valid_until, mode, tags, created) = row;
    let tags = model::decode_tags(&tags)
        .ok_or_else(|| Fail::Data(format!("stored SAML provider {name:?} has unreadable tags")))?;
    Ok(SamlProvider {
        valid_until: time_of(valid_until)?,
        create_date: time_of(created)?,
        assertion_encryption_mode: mode,
        account_id,
        name,
        uuid,
        metadata,
        tags,
    })
}

pub(crate) fn create(tx: &Connection, p: &SamlProvider, max_per_account: usize) -> Result<()> {
    if get(tx, &p.account_id, &p.name)?.is_some() {
        return Err(StoreError::AlreadyExists.into());
    }
    let count: i64 = query_one(
        tx,
        "SELECT COUNT(*) FROM saml_providers WHERE account_id = ?1",
        [&p.account_id],
        |r| r.get(0),
    )?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= max_per_account {
        return Err(StoreError::SamlProviderQuotaExceeded.into());
    }
    tx.prepare_cached(&format!(
        "INSERT INTO saml_providers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))?
    .execute(params![
        p.account_id,
        p.name,
        p.uuid,
        p.metadata,
        p.valid_until.unix_timestamp(),
        p.assertion_encryption_mode,
        model::encode_tags(&p.tags),
        p.create_date.unix_timestamp(),
    ])?;
    Ok(())
}

pub(crate) fn get(tx: &Connection, account_id: &str, name: &str) -> Result<Option<SamlProvider>> {
    let row = query_one(
        tx,
        &format!("SELECT {COLUMNS} FROM saml_providers WHERE account_id = ?1 AND name = ?2"),
        params![account_id, name],
        raw,
    )
    .optional()?;
    row.map(provider_of).transpose()
}

pub(crate) fn list(tx: &Connection, account_id: &str) -> Result<Vec<SamlProvider>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM saml_providers WHERE account_id = ?1 ORDER BY name"
    ))?;
    let rows = stmt
        .query_map([account_id], raw)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(provider_of).collect()
}

pub(crate) fn delete(tx: &Connection, account_id: &str, name: &str) -> Result<()> {
    let deleted = tx
        .prepare_cached("DELETE FROM saml_providers WHERE account_id = ?1 AND name = ?2")?
        .execute(params![account_id, name])?;
    if deleted == 0 {
        return Err(StoreError::NoSuchSamlProvider.into());
    }
    Ok(())
}

pub(crate) fn change(
    tx: &Connection,
    account_id: &str,
    name: &str,
    change: &SamlProviderChange,
) -> Result<SamlProvider> {
    let mut p = get(tx, account_id, name)?.ok_or(StoreError::NoSuchSamlProvider)?;
    p.apply(change)?;
    tx.prepare_cached(
        "UPDATE saml_providers SET metadata = ?3, valid_until = ?4,
             assertion_encryption_mode = ?5, tags = ?6
         WHERE account_id = ?1 AND name = ?2",
    )?
    .execute(params![
        account_id,
        name,
        p.metadata,
        p.valid_until.unix_timestamp(),
        p.assertion_encryption_mode,
        model::encode_tags(&p.tags),
    ])?;
    Ok(p)
}
