//! SAML providers as SQL: one row per (account, name), tags as a JSON array. A create
//! locks the account's row (so the per-account quota's count and the insert take turns);
//! a change locks the provider's row while it reads and writes it.

use deadpool_postgres::GenericClient;
use iamd_store::model::{self, SamlProvider, SamlProviderChange};
use iamd_store::StoreError;
use tokio_postgres::Row;

use crate::queries::{execute, query, query_opt, time_of, Fail, Result};

const COLUMNS: &str =
    "account_id, name, uuid, metadata, valid_until, assertion_encryption_mode, tags, create_date";

fn provider_from(row: &Row) -> Result<SamlProvider> {
    let name: String = row.try_get(1)?;
    let tags: String = row.try_get(6)?;
    let tags = model::decode_tags(&tags)
        .ok_or_else(|| Fail::Data(format!("stored SAML provider {name:?} has unreadable tags")))?;
    Ok(SamlProvider {
        account_id: row.try_get(0)?,
        uuid: row.try_get(2)?,
        metadata: row.try_get(3)?,
        valid_until: time_of(row.try_get(4)?)?,
        assertion_encryption_mode: row.try_get(5)?,
        create_date: time_of(row.try_get(7)?)?,
        name,
        tags,
    })
}

pub(crate) async fn create<C: GenericClient>(
    tx: &C,
    p: &SamlProvider,
    max_per_account: usize,
) -> Result<()> {
    query_opt(
        tx,
        "SELECT account_id FROM accounts WHERE account_id = $1 FOR UPDATE",
        &[&p.account_id],
    )
    .await?;
    if get(tx, &p.account_id, &p.name, false).await?.is_some() {
        return Err(StoreError::AlreadyExists.into());
    }
    let count: i64 = query_opt(
        tx,
        "SELECT count(*) FROM saml_providers WHERE account_id = $1",
        &[&p.account_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    if count >= i64::try_from(max_per_account).unwrap_or(i64::MAX) {
        return Err(StoreError::SamlProviderQuotaExceeded.into());
    }
    execute(
        tx,
        &format!("INSERT INTO saml_providers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        &[
            &p.account_id,
            &p.name,
            &p.uuid,
            &p.metadata,
            &p.valid_until.unix_timestamp(),
            &p.assertion_encryption_mode,
            &model::encode_tags(&p.tags),
            &p.create_date.unix_timestamp(),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get<C: GenericClient>(
    c: &C,
    account_id: &str,
    name: &str,
    for_update: bool,
) -> Result<Option<SamlProvider>> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    let sql =
        format!("SELECT {COLUMNS} FROM saml_providers WHERE account_id = $1 AND name = $2{lock}");
    query_opt(c, &sql, &[&account_id, &name])
        .await?
        .as_ref()
        .map(provider_from)
        .transpose()
}

pub(crate) async fn list<C: GenericClient>(c: &C, account_id: &str) -> Result<Vec<SamlProvider>> {
    query(
        c,
        &format!("SELECT {COLUMNS} FROM saml_providers WHERE account_id = $1 ORDER BY name"),
        &[&account_id],
    )
    .await?
    .iter()
    .map(provider_from)
    .collect()
}

pub(crate) async fn delete<C: GenericClient>(tx: &C, account_id: &str, name: &str) -> Result<()> {
    let deleted = execute(
        tx,
        "DELETE FROM saml_providers WHERE account_id = $1 AND name = $2",
        &[&account_id, &name],
    )
    .await?;
    if deleted == 0 {
        return Err(StoreError::NoSuchSamlProvider.into());
    }
    Ok(())
}

pub(crate) async fn change<C: GenericClient>(
    tx: &C,
    account_id: &str,
    name: &str,
    change: &SamlProviderChange,
) -> Result<SamlProvider> {
    let mut p = get(tx, account_id, name, true)
        .await?
        .ok_or(StoreError::NoSuchSamlProvider)?;
    p.apply(change)?;
    execute(
        tx,
        "UPDATE saml_providers SET metadata = $3, valid_until = $4,
             assertion_encryption_mode = $5, tags = $6
         WHERE account_id = $1 AND name = $2",
        &[
            &account_id,
            &name,
            &p.metadata,
            &p.valid_until.unix_timestamp(),
            &p.assertion_encryption_mode,
            &model::encode_tags(&p.tags),
        ],
    )
    .await?;
    Ok(p)
}
