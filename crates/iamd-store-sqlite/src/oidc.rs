//! OpenID Connect providers as SQL: one row per (account, url), lists and tags as JSON
//! arrays. Writes run on the single writer, so a change's read and write cannot be
//! interleaved with another write.

use iamd_store::model::{self, OidcProvider, OidcProviderChange};
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

use crate::queries::{query_one, time_of, Fail, Result};

const COLUMNS: &str = "account_id, url, client_ids, thumbprints, tags, create_date, \
                       context_provider, identity_center_instance_arn";

type RawRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
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

fn provider_of(row: RawRow) -> Result<OidcProvider> {
    let (
        account_id,
        url,
        client_ids,
        thumbprints,
        tags,
        created,
        context_provider,
        identity_center_instance_arn,
    ) = row;
    let bad = || Fail::Data(format!("stored OIDC provider {url:?} has unreadable lists"));
    Ok(OidcProvider {
        client_ids: model::decode_strings(&client_ids).ok_or_else(bad)?,
        thumbprints: model::decode_strings(&thumbprints).ok_or_else(bad)?,
        tags: model::decode_tags(&tags).ok_or_else(bad)?,
        create_date: time_of(created)?,
        context_provider,
        identity_center_instance_arn,
        account_id,
        url,
    })
}

pub(crate) fn create(tx: &Connection, p: &OidcProvider, max_per_account: usize) -> Result<()> {
    if get(tx, &p.account_id, &p.url)?.is_some() {
        return Err(StoreError::AlreadyExists.into());
    }
    let count: i64 = query_one(
        tx,
        "SELECT COUNT(*) FROM oidc_providers WHERE account_id = ?1",
        [&p.account_id],
        |r| r.get(0),
    )?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= max_per_account {
        return Err(StoreError::OidcProviderQuotaExceeded.into());
    }
    insert(tx, p)
}

fn insert(tx: &Connection, p: &OidcProvider) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO oidc_providers (account_id, url, client_ids, thumbprints, tags, create_date,
                                     context_provider, identity_center_instance_arn)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        p.account_id,
        p.url,
        model::encode_strings(&p.client_ids),
        model::encode_strings(&p.thumbprints),
        model::encode_tags(&p.tags),
        p.create_date.unix_timestamp(),
        p.context_provider,
        p.identity_center_instance_arn,
    ])?;
    Ok(())
}

pub(crate) fn get(tx: &Connection, account_id: &str, url: &str) -> Result<Option<OidcProvider>> {
    let row = query_one(
        tx,
        &format!("SELECT {COLUMNS} FROM oidc_providers WHERE account_id = ?1 AND url = ?2"),
        params![account_id, url],
        raw,
    )
    .optional()?;
    row.map(provider_of).transpose()
}

pub(crate) fn list(tx: &Connection, account_id: &str) -> Result<Vec<OidcProvider>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM oidc_providers WHERE account_id = ?1 ORDER BY url"
    ))?;
    let rows = stmt
        .query_map([account_id], raw)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(provider_of).collect()
}

pub(crate) fn delete(tx: &Connection, account_id: &str, url: &str) -> Result<()> {
    let deleted = tx
        .prepare_cached("DELETE FROM oidc_providers WHERE account_id = ?1 AND url = ?2")?
        .execute(params![account_id, url])?;
    if deleted == 0 {
        return Err(StoreError::NoSuchOidcProvider.into());
    }
    Ok(())
}

pub(crate) fn change(
    tx: &Connection,
    account_id: &str,
    url: &str,
    change: &OidcProviderChange,
) -> Result<OidcProvider> {
    let mut p = get(tx, account_id, url)?.ok_or(StoreError::NoSuchOidcProvider)?;
    p.apply(change)?;
    tx.prepare_cached(
        "UPDATE oidc_providers SET client_ids = ?3, thumbprints = ?4, tags = ?5,
                context_provider = ?6, identity_center_instance_arn = ?7
         WHERE account_id = ?1 AND url = ?2",
    )?
    .execute(params![
        account_id,
        url,
        model::encode_strings(&p.client_ids),
        model::encode_strings(&p.thumbprints),
        model::encode_tags(&p.tags),
        p.context_provider,
        p.identity_center_instance_arn,
    ])?;
    Ok(p)
}
