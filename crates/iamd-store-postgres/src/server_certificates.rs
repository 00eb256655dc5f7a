//! Server certificates as SQL. Writes run inside the one transaction they are given; a
//! create locks the account's row first (as CreateGroup does), so the account's quota count
//! and the insert it guards take turns across nodes. A name clash violates the unique key
//! (`AlreadyExists`).

use deadpool_postgres::GenericClient;
use iamd_store::model::{ServerCertificate, TaggedKind};
use iamd_store::secret::SealedSecret;
use iamd_store::StoreError;
use tokio_postgres::Row;

use crate::queries::{execute, query, query_opt, time_of, Result};
use crate::tags;

const COLUMNS: &str = "server_certificate_id, account_id, name, path, body, chain, private_key,
     upload_date, expiration";

fn certificate_from(row: &Row) -> Result<ServerCertificate> {
    Ok(ServerCertificate {
        server_certificate_id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        name: row.try_get(2)?,
        path: row.try_get(3)?,
        body: row.try_get(4)?,
        chain: row.try_get(5)?,
        private_key: SealedSecret::from_stored(row.try_get(6)?),
        upload_date: time_of(row.try_get(7)?)?,
        expiration: time_of(row.try_get(8)?)?,
        tags: Vec::new(),
    })
}

pub(crate) async fn create<C: GenericClient>(
    tx: &C,
    c: &ServerCertificate,
    quota: usize,
) -> Result<()> {
    query_opt(
        tx,
        "SELECT account_id FROM accounts WHERE account_id = $1 FOR UPDATE",
        &[&c.account_id],
    )
    .await?;
    let taken = query_opt(
        tx,
        "SELECT 1 FROM server_certificates WHERE account_id = $1 AND name_lower = $2",
        &[&c.account_id, &c.name.to_lowercase()],
    )
    .await?
    .is_some();
    if taken {
        return Err(StoreError::AlreadyExists.into());
    }
    let count: i64 = query_opt(
        tx,
        "SELECT count(*) FROM server_certificates WHERE account_id = $1",
        &[&c.account_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    if count >= i64::try_from(quota).unwrap_or(i64::MAX) {
        return Err(StoreError::ServerCertificateQuotaExceeded.into());
    }
    execute(
        tx,
        "INSERT INTO server_certificates (server_certificate_id, account_id, name, name_lower,
             path, body, chain, private_key, upload_date, expiration)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &c.server_certificate_id,
            &c.account_id,
            &c.name,
            &c.name.to_lowercase(),
            &c.path,
            &c.body,
            &c.chain,
            &c.private_key.as_stored(),
            &c.upload_date.unix_timestamp(),
            &c.expiration.unix_timestamp(),
        ],
    )
    .await?;
    tags::insert_tags(
        tx,
        TaggedKind::ServerCertificate,
        &c.server_certificate_id,
        &c.tags,
    )
    .await
}

pub(crate) async fn get<C: GenericClient>(
    c: &C,
    account_id: &str,
    name: &str,
) -> Result<Option<ServerCertificate>> {
    let Some(row) = query_opt(
        c,
        &format!(
            "SELECT {COLUMNS} FROM server_certificates WHERE account_id = $1 AND name_lower = $2"
        ),
        &[&account_id, &name.to_lowercase()],
    )
    .await?
    else {
        return Ok(None);
    };
    let mut cert = certificate_from(&row)?;
    cert.tags = tags::tags_of(
        c,
        TaggedKind::ServerCertificate,
        &cert.server_certificate_id,
    )
    .await?;
    Ok(Some(cert))
}

pub(crate) async fn list<C: GenericClient>(
    c: &C,
    account_id: &str,
    path_prefix: &str,
) -> Result<Vec<ServerCertificate>> {
    let rows = query(
        c,
        &format!(
            "SELECT {COLUMNS} FROM server_certificates
             WHERE account_id = $1 AND left(path, length($2)) = $2
             ORDER BY name_lower"
        ),
        &[&account_id, &path_prefix],
    )
    .await?;
    rows.iter().map(certificate_from).collect()
}

pub(crate) async fn update<C: GenericClient>(
    tx: &C,
    account_id: &str,
    name: &str,
    new_name: Option<&str>,
    new_path: Option<&str>,
) -> Result<()> {
    let c = get(tx, account_id, name)
        .await?
        .ok_or(StoreError::NoSuchServerCertificate)?;
    let (name, path) = (new_name.unwrap_or(&c.name), new_path.unwrap_or(&c.path));
    execute(
        tx,
        "UPDATE server_certificates SET name = $1, name_lower = $2, path = $3
         WHERE server_certificate_id = $4",
        &[&name, &name.to_lowercase(), &path, &c.server_certificate_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete<C: GenericClient>(tx: &C, account_id: &str, name: &str) -> Result<()> {
    let c = get(tx, account_id, name)
        .await?
        .ok_or(StoreError::NoSuchServerCertificate)?;
    tags::delete_tags(tx, TaggedKind::ServerCertificate, &c.server_certificate_id).await?;
    execute(
        tx,
        "DELETE FROM server_certificates WHERE server_certificate_id = $1",
        &[&c.server_certificate_id],
    )
    .await?;
    Ok(())
}
