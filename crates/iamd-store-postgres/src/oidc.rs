//! OpenID Connect providers as SQL: one row per (account, url), lists and tags as JSON
//! arrays. A create locks the account's row (so the per-account quota's count and the
//! insert take turns); a change locks the provider's row while it reads and writes it.

use deadpool_postgres::GenericClient;
use iamd_store::model::{self, OidcProvider, OidcProviderChange};
use iamd_store::StoreError;
use tokio_postgres::Row;

use crate::queries::{execute, query, query_opt, time_of, Fail, Result};

const COLUMNS: &str = "account_id, url, client_ids, thumbprints, tags, create_date, \
                       context_provider, identity_center_instance_arn";

fn provider_from(row: &Row) -> Result<OidcProvider> {
    let url: String = row.try_get(1)?;
    let bad = || Fail::Data(format!("stored OIDC provider {url:?} has unreadable lists"));
    let (client_ids, thumbprints, tags): (String, String, String) =
        (row.try_get(2)?, row.try_get(3)?, row.try_get(4)?);
    Ok(OidcProvider {
        account_id: row.try_get(0)?,
        client_ids: model::decode_strings(&client_ids).ok_or_else(bad)?,
        thumbprints: model::decode_strings(&thumbprints).ok_or_else(bad)?,
        tags: model::decode_tags(&tags).ok_or_else(bad)?,
        create_date: time_of(row.try_get(5)?)?,
        context_provider: row.try_get(6)?,
        identity_center_instance_arn: row.try_get(7)?,
        url,
    })
}

pub(crate) async fn create<C: GenericClient>(
    tx: &C,
    p: &OidcProvider,
    max_per_account: usize,
) -> Result<()> {
    query_opt(
        tx,
        "SELECT account_id FROM accounts WHERE account_id = $1 FOR UPDATE",
        &[&p.account_id],
    )
    .await?;
    if get(tx, &p.account_id, &p.url, false).await?.is_some() {
        return Err(StoreError::AlreadyExists.into());
    }
    let count: i64 = query_opt(
        tx,
        "SELECT count(*) FROM oidc_providers WHERE account_id = $1",
        &[&p.account_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    if count >= i64::try_from(max_per_account).unwrap_or(i64::MAX) {
        return Err(StoreError::OidcProviderQuotaExceeded.into());
    }
    execute(
        tx,
        "INSERT INTO oidc_providers (account_id, url, client_ids, thumbprints, tags, create_date,
                                     context_provider, identity_center_instance_arn)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &p.account_id,
            &p.url,
            &model::encode_strings(&p.client_ids),
            &model::encode_strings(&p.thumbprints),
            &model::encode_tags(&p.tags),
            &p.create_date.unix_timestamp(),
            &p.context_provider,
            &p.identity_center_instance_arn,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get<C: GenericClient>(
    c: &C,
    account_id: &str,
    url: &str,
    for_update: bool,
) -> Result<Option<OidcProvider>> {
    let sql = if for_update {
        format!(
            "SELECT {COLUMNS} FROM oidc_providers WHERE account_id = $1 AND url = $2 FOR UPDATE"
        )
    } else {
        format!("SELECT {COLUMNS} FROM oidc_providers WHERE account_id = $1 AND url = $2")
    };
    query_opt(c, &sql, &[&account_id, &url])
        .await?
        .as_ref()
        .map(provider_from)
        .transpose()
}

pub(crate) async fn list<C: GenericClient>(c: &C, account_id: &str) -> Result<Vec<OidcProvider>> {
    query(
        c,
        &format!("SELECT {COLUMNS} FROM oidc_providers WHERE account_id = $1 ORDER BY url"),
        &[&account_id],
    )
    .await?
    .iter()
    .map(provider_from)
    .collect()
}

pub(crate) async fn delete<C: GenericClient>(tx: &C, account_id: &str, url: &str) -> Result<()> {
    let deleted = execute(
        tx,
        "DELETE FROM oidc_providers WHERE account_id = $1 AND url = $2",
        &[&account_id, &url],
    )
    .await?;
    if deleted == 0 {
        return Err(StoreError::NoSuchOidcProvider.into());
    }
    Ok(())
}

pub(crate) async fn change<C: GenericClient>(
    tx: &C,
    account_id: &str,
    url: &str,
    change: &OidcProviderChange,
) -> Result<OidcProvider> {
    let mut p = get(tx, account_id, url, true)
        .await?
        .ok_or(StoreError::NoSuchOidcProvider)?;
    p.apply(change)?;
    execute(
        tx,
        "UPDATE oidc_providers SET client_ids = $3, thumbprints = $4, tags = $5,
                context_provider = $6, identity_center_instance_arn = $7
         WHERE account_id = $1 AND url = $2",
        &[
            &account_id,
            &url,
            &model::encode_strings(&p.client_ids),
            &model::encode_strings(&p.thumbprints),
            &model::encode_tags(&p.tags),
            &p.context_provider,
            &p.identity_center_instance_arn,
        ],
    )
    .await?;
    Ok(p)
}
