//! Service-specific credentials as SQL. Writes run inside the one transaction they are
//! given and lock the owner's row first (as DeleteUser does), so the per-service quota's
//! count and the insert it guards, or a credential and its user's deletion, take turns.

use deadpool_postgres::GenericClient;
use iamd_store::model::{KeyStatus, ServiceCredential};
use iamd_store::secret::SealedSecret;
use iamd_store::StoreError;
use tokio_postgres::Row;

use crate::queries::{execute, lock_user_by_name, query, query_opt, time_of, Fail, Result};

/// A credential's columns (`c`) and its owner's current name (`u`).
const COLUMNS: &str = "c.credential_id, c.account_id, u.user_name, c.service_name,
     c.service_user_name, c.password, c.status, c.create_date";

fn credential_from(row: &Row) -> Result<ServiceCredential> {
    let status: String = row.try_get(6)?;
    Ok(ServiceCredential {
        credential_id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        user_name: row.try_get(2)?,
        service_name: row.try_get(3)?,
        service_user_name: row.try_get(4)?,
        password: SealedSecret::from_stored(row.try_get(5)?),
        status: KeyStatus::parse(&status)
            .ok_or_else(|| Fail::Data(format!("credential status {status:?}")))?,
        create_date: time_of(row.try_get(7)?)?,
    })
}

pub(crate) async fn create<C: GenericClient>(
    tx: &C,
    c: &ServiceCredential,
    max_per_service: usize,
) -> Result<()> {
    let user_id = lock_user_by_name(tx, &c.account_id, &c.user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    let count: i64 = query_opt(
        tx,
        "SELECT count(*) FROM service_credentials WHERE user_id = $1 AND service_name = $2",
        &[&user_id, &c.service_name],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    if count >= i64::try_from(max_per_service).unwrap_or(i64::MAX) {
        return Err(StoreError::ServiceCredentialQuotaExceeded.into());
    }
    execute(
        tx,
        "INSERT INTO service_credentials (credential_id, account_id, user_id, service_name,
             service_user_name, password, status, create_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &c.credential_id,
            &c.account_id,
            &user_id,
            &c.service_name,
            &c.service_user_name,
            &c.password.as_stored(),
            &c.status.as_str(),
            &c.create_date.unix_timestamp(),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn list<C: GenericClient>(
    c: &C,
    account_id: &str,
    user_name: Option<&str>,
    service_name: Option<&str>,
) -> Result<Vec<ServiceCredential>> {
    let user_id: Option<String> = match user_name {
        Some(name) => {
            let row = query_opt(
                c,
                "SELECT user_id FROM users WHERE account_id = $1 AND user_name_lower = $2",
                &[&account_id, &name.to_lowercase()],
            )
            .await?
            .ok_or(StoreError::NoSuchUser)?;
            Some(row.try_get(0)?)
        }
        None => None,
    };
    let rows = query(
        c,
        &format!(
            "SELECT {COLUMNS} FROM service_credentials c JOIN users u ON u.user_id = c.user_id
             WHERE c.account_id = $1 AND ($2::TEXT IS NULL OR c.user_id = $2)
               AND ($3::TEXT IS NULL OR c.service_name = $3)
             ORDER BY c.create_date, c.credential_id"
        ),
        &[&account_id, &user_id, &service_name],
    )
    .await?;
    rows.iter().map(credential_from).collect()
}

/// The user's credential by exact id, the user locked: `NoSuchUser`, then
/// `NoSuchServiceCredential`.
async fn locked<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    credential_id: &str,
) -> Result<ServiceCredential> {
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    let row = query_opt(
        tx,
        &format!(
            "SELECT {COLUMNS} FROM service_credentials c JOIN users u ON u.user_id = c.user_id
             WHERE c.user_id = $1 AND c.credential_id = $2"
        ),
        &[&user_id, &credential_id],
    )
    .await?
    .ok_or(StoreError::NoSuchServiceCredential)?;
    credential_from(&row)
}

pub(crate) async fn update<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    credential_id: &str,
    status: KeyStatus,
) -> Result<()> {
    locked(tx, account_id, user_name, credential_id).await?;
    execute(
        tx,
        "UPDATE service_credentials SET status = $1 WHERE credential_id = $2",
        &[&status.as_str(), &credential_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn reset<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    credential_id: &str,
    password: &SealedSecret,
) -> Result<ServiceCredential> {
    let mut c = locked(tx, account_id, user_name, credential_id).await?;
    execute(
        tx,
        "UPDATE service_credentials SET password = $1 WHERE credential_id = $2",
        &[&password.as_stored(), &credential_id],
    )
    .await?;
    c.password = password.clone();
    Ok(c)
}

pub(crate) async fn delete<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    credential_id: &str,
) -> Result<()> {
    locked(tx, account_id, user_name, credential_id).await?;
    execute(
        tx,
        "DELETE FROM service_credentials WHERE credential_id = $1",
        &[&credential_id],
    )
    .await?;
    Ok(())
}

/// Whether the user with that id has any credential (DeleteUser, under the user's lock).
pub(crate) async fn user_has_any<C: GenericClient>(tx: &C, user_id: &str) -> Result<bool> {
    Ok(query_opt(
        tx,
        "SELECT EXISTS (SELECT 1 FROM service_credentials WHERE user_id = $1)",
        &[&user_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(false))
}
