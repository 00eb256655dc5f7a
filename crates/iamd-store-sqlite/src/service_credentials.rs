//! Service-specific credentials as SQL, each run inside the one transaction it is given.
//! Writes run on the single writer (`BEGIN IMMEDIATE`), so the per-service quota's count
//! and the insert it guards cannot be interleaved with another write.

use iamd_store::model::{KeyStatus, ServiceCredential};
use iamd_store::secret::SealedSecret;
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

use crate::queries::{query_one, time_of, user_id_by_name, Fail, Result};

/// A credential's columns (`c`) and its owner's current name (`u`).
const COLUMNS: &str = "c.credential_id, c.account_id, u.user_name, c.service_name,
     c.service_user_name, c.password, c.status, c.create_date";

fn credential_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<(ServiceCredential, i64, String)> {
    let created: i64 = r.get(7)?;
    let status: String = r.get(6)?;
    Ok((
        ServiceCredential {
            credential_id: r.get(0)?,
            account_id: r.get(1)?,
            user_name: r.get(2)?,
            service_name: r.get(3)?,
            service_user_name: r.get(4)?,
            password: SealedSecret::from_stored(r.get(5)?),
            status: KeyStatus::Active,
            create_date: time::OffsetDateTime::UNIX_EPOCH,
        },
        created,
        status,
    ))
}

fn finish((mut c, created, status): (ServiceCredential, i64, String)) -> Result<ServiceCredential> {
    c.create_date = time_of(created)?;
    c.status = KeyStatus::parse(&status)
        .ok_or_else(|| Fail::Data(format!("credential status {status:?}")))?;
    Ok(c)
}

pub(crate) fn create(tx: &Connection, c: &ServiceCredential, max_per_service: usize) -> Result<()> {
    let user_id =
        user_id_by_name(tx, &c.account_id, &c.user_name)?.ok_or(StoreError::NoSuchUser)?;
    let count: i64 = query_one(
        tx,
        "SELECT count(*) FROM service_credentials WHERE user_id = ?1 AND service_name = ?2",
        params![user_id, c.service_name],
        |r| r.get(0),
    )?;
    if count >= i64::try_from(max_per_service).unwrap_or(i64::MAX) {
        return Err(StoreError::ServiceCredentialQuotaExceeded.into());
    }
    tx.execute(
        "INSERT INTO service_credentials (credential_id, account_id, user_id, service_name,
             service_user_name, password, status, create_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            c.credential_id,
            c.account_id,
            user_id,
            c.service_name,
            c.service_user_name,
            c.password.as_stored(),
            c.status.as_str(),
            c.create_date.unix_timestamp()
        ],
    )?;
    Ok(())
}

pub(crate) fn list(
    tx: &Connection,
    account_id: &str,
    user_name: Option<&str>,
    service_name: Option<&str>,
) -> Result<Vec<ServiceCredential>> {
    let user_id = match user_name {
        Some(name) => Some(user_id_by_name(tx, account_id, name)?.ok_or(StoreError::NoSuchUser)?),
        None => None,
    };
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM service_credentials c JOIN users u ON u.user_id = c.user_id
         WHERE c.account_id = ?1 AND (?2 IS NULL OR c.user_id = ?2)
           AND (?3 IS NULL OR c.service_name = ?3)
         ORDER BY c.create_date, c.credential_id"
    ))?;
    let rows = stmt.query_map(params![account_id, user_id, service_name], credential_of)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(finish(row?)?);
    }
    Ok(out)
}

/// The user's credential, by exact id: `NoSuchUser`, then `NoSuchServiceCredential`.
fn get(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    credential_id: &str,
) -> Result<ServiceCredential> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    let row = query_one(
        tx,
        &format!(
            "SELECT {COLUMNS} FROM service_credentials c JOIN users u ON u.user_id = c.user_id
             WHERE c.user_id = ?1 AND c.credential_id = ?2"
        ),
        params![user_id, credential_id],
        credential_of,
    )
    .optional()?
    .ok_or(StoreError::NoSuchServiceCredential)?;
    finish(row)
}

pub(crate) fn update(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    credential_id: &str,
    status: KeyStatus,
) -> Result<()> {
    get(tx, account_id, user_name, credential_id)?;
    tx.execute(
        "UPDATE service_credentials SET status = ?1 WHERE credential_id = ?2",
        params![status.as_str(), credential_id],
    )?;
    Ok(())
}

pub(crate) fn reset(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    credential_id: &str,
    password: &SealedSecret,
) -> Result<ServiceCredential> {
    let mut c = get(tx, account_id, user_name, credential_id)?;
    tx.execute(
        "UPDATE service_credentials SET password = ?1 WHERE credential_id = ?2",
        params![password.as_stored(), credential_id],
    )?;
    c.password = password.clone();
    Ok(c)
}

pub(crate) fn delete(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    credential_id: &str,
) -> Result<()> {
    get(tx, account_id, user_name, credential_id)?;
    tx.execute(
        "DELETE FROM service_credentials WHERE credential_id = ?1",
        [credential_id],
    )?;
    Ok(())
}

/// Whether the user with that id has any credential (DeleteUser refuses then).
pub(crate) fn user_has_any(tx: &Connection, user_id: &str) -> Result<bool> {
    Ok(query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM service_credentials WHERE user_id = ?1)",
        [user_id],
        |r| r.get(0),
    )?)
}
