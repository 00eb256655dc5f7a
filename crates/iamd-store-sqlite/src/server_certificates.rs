//! Server certificates as SQL, each run inside the one transaction it is given. Writes run
//! on the single writer (`BEGIN IMMEDIATE`), so the account's quota count and the insert it
//! guards cannot be interleaved with another write.

use iamd_store::model::{ServerCertificate, TaggedKind};
use iamd_store::secret::SealedSecret;
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

use crate::queries::{query_one, time_of, Result};
use crate::tags;

const COLUMNS: &str = "server_certificate_id, account_id, name, path, body, chain, private_key,
     upload_date, expiration";

type Row = (ServerCertificate, i64, i64);

fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        ServerCertificate {
            server_certificate_id: r.get(0)?,
            account_id: r.get(1)?,
            name: r.get(2)?,
            path: r.get(3)?,
            body: r.get(4)?,
            chain: r.get(5)?,
            private_key: SealedSecret::from_stored(r.get(6)?),
            upload_date: time::OffsetDateTime::UNIX_EPOCH,
            expiration: time::OffsetDateTime::UNIX_EPOCH,
            tags: Vec::new(),
        },
        r.get(7)?,
        r.get(8)?,
    ))
}

fn finish((mut c, uploaded, expires): Row) -> Result<ServerCertificate> {
    c.upload_date = time_of(uploaded)?;
    c.expiration = time_of(expires)?;
    Ok(c)
}

pub(crate) fn create(tx: &Connection, c: &ServerCertificate, quota: usize) -> Result<()> {
    let count: i64 = query_one(
        tx,
        "SELECT count(*) FROM server_certificates WHERE account_id = ?1",
        [&c.account_id],
        |r| r.get(0),
    )?;
    let taken: bool = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM server_certificates
                        WHERE account_id = ?1 AND name_lower = ?2)",
        params![c.account_id, c.name.to_lowercase()],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::AlreadyExists.into());
    }
    if count >= i64::try_from(quota).unwrap_or(i64::MAX) {
        return Err(StoreError::ServerCertificateQuotaExceeded.into());
    }
    tx.execute(
        "INSERT INTO server_certificates (server_certificate_id, account_id, name, name_lower,
             path, body, chain, private_key, upload_date, expiration)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            c.server_certificate_id,
            c.account_id,
            c.name,
            c.name.to_lowercase(),
            c.path,
            c.body,
            c.chain,
            c.private_key.as_stored(),
            c.upload_date.unix_timestamp(),
            c.expiration.unix_timestamp()
        ],
    )?;
    tags::insert_tags(
        tx,
        TaggedKind::ServerCertificate,
        &c.server_certificate_id,
        &c.tags,
    )
}

pub(crate) fn get(
    tx: &Connection,
    account_id: &str,
    name: &str,
) -> Result<Option<ServerCertificate>> {
    let row = query_one(
        tx,
        &format!(
            "SELECT {COLUMNS} FROM server_certificates WHERE account_id = ?1 AND name_lower = ?2"
        ),
        params![account_id, name.to_lowercase()],
        row_of,
    )
    .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut c = finish(row)?;
    c.tags = tags::tags_of(tx, TaggedKind::ServerCertificate, &c.server_certificate_id)?;
    Ok(Some(c))
}

pub(crate) fn list(
    tx: &Connection,
    account_id: &str,
    path_prefix: &str,
) -> Result<Vec<ServerCertificate>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM server_certificates
         WHERE account_id = ?1 AND substr(path, 1, length(?2)) = ?2
         ORDER BY name_lower"
    ))?;
    let rows = stmt.query_map(params![account_id, path_prefix], row_of)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(finish(row?)?);
    }
    Ok(out)
}

pub(crate) fn update(
    tx: &Connection,
    account_id: &str,
    name: &str,
    new_name: Option<&str>,
    new_path: Option<&str>,
) -> Result<()> {
    let c = get(tx, account_id, name)?.ok_or(StoreError::NoSuchServerCertificate)?;
    let (name, path) = (new_name.unwrap_or(&c.name), new_path.unwrap_or(&c.path));
    // A name taken already violates the unique key: `AlreadyExists`.
    tx.execute(
        "UPDATE server_certificates SET name = ?1, name_lower = ?2, path = ?3
         WHERE server_certificate_id = ?4",
        params![name, name.to_lowercase(), path, c.server_certificate_id],
    )?;
    Ok(())
}

pub(crate) fn delete(tx: &Connection, account_id: &str, name: &str) -> Result<()> {
    let c = get(tx, account_id, name)?.ok_or(StoreError::NoSuchServerCertificate)?;
    tags::delete_tags(tx, TaggedKind::ServerCertificate, &c.server_certificate_id)?;
    tx.execute(
        "DELETE FROM server_certificates WHERE server_certificate_id = ?1",
        [&c.server_certificate_id],
    )?;
    Ok(())
}
