//! SSH public keys and signing certificates as SQL. Writes run inside the one transaction
//! they are given and lock the owner's row first (as DeleteUser does), so a user's quota
//! count and the insert it guards, or a key and its user's deletion, take turns. Two users
//! of one account uploading the same certificate at once lock different rows: the primary
//! key (account, kind, id), the id derived from the certificate, refuses the second.

use deadpool_postgres::GenericClient;
use iamd_store::model::{KeyStatus, PublicCredential, PublicCredentialKind};
use iamd_store::StoreError;
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

use crate::queries::{execute, lock_user_by_name, query, query_opt, time_of, Fail, Result};

/// A credential's columns (`c`) and its owner's current name (`u`).
const COLUMNS: &str = "c.credential_id, c.account_id, u.user_name, c.body, c.fingerprint,
     c.status, c.upload_date";

fn credential_from(kind: PublicCredentialKind, row: &Row) -> Result<PublicCredential> {
    let status: String = row.try_get(5)?;
    Ok(PublicCredential {
        credential_id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        kind,
        user_name: row.try_get(2)?,
        body: row.try_get(3)?,
        fingerprint: row.try_get(4)?,
        status: KeyStatus::parse(&status)
            .ok_or_else(|| Fail::Data(format!("public credential status {status:?}")))?,
        upload_date: time_of(row.try_get(6)?)?,
    })
}

async fn exists<C: GenericClient>(
    tx: &C,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<bool> {
    Ok(query_opt(tx, sql, params)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(false))
}

pub(crate) async fn upload<C: GenericClient>(
    tx: &C,
    c: &PublicCredential,
    quota: usize,
) -> Result<()> {
    let user_id = lock_user_by_name(tx, &c.account_id, &c.user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    let kind = c.kind.as_str();
    // A certificate is the account's once (DuplicateCertificate: "associated with an IAM
    // user in the account"); an SSH key is its user's once.
    let duplicate = if c.kind == PublicCredentialKind::SigningCertificate {
        exists(
            tx,
            "SELECT EXISTS (SELECT 1 FROM public_credentials
                            WHERE account_id = $1 AND kind = $2 AND fingerprint = $3)",
            &[&c.account_id, &kind, &c.fingerprint],
        )
        .await?
    } else {
        exists(
            tx,
            "SELECT EXISTS (SELECT 1 FROM public_credentials
                            WHERE user_id = $1 AND kind = $2 AND fingerprint = $3)",
            &[&user_id, &kind, &c.fingerprint],
        )
        .await?
    };
    if duplicate {
        return Err(StoreError::DuplicatePublicCredential.into());
    }
    let count: i64 = query_opt(
        tx,
        "SELECT count(*) FROM public_credentials WHERE user_id = $1 AND kind = $2",
        &[&user_id, &kind],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    if count >= i64::try_from(quota).unwrap_or(i64::MAX) {
        return Err(StoreError::PublicCredentialQuotaExceeded.into());
    }
    let inserted = execute(
        tx,
        "INSERT INTO public_credentials (credential_id, kind, account_id, user_id, body,
             fingerprint, status, upload_date, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                 (SELECT coalesce(max(seq), 0) + 1 FROM public_credentials WHERE user_id = $4))",
        &[
            &c.credential_id,
            &kind,
            &c.account_id,
            &user_id,
            &c.body,
            &c.fingerprint,
            &c.status.as_str(),
            &c.upload_date.unix_timestamp(),
        ],
    )
    .await;
    match inserted {
        Err(Fail::Db(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Err(StoreError::DuplicatePublicCredential.into())
        }
        other => other.map(|_| ()),
    }
}

pub(crate) async fn list<C: GenericClient>(
    c: &C,
    account_id: &str,
    user_name: Option<&str>,
    kind: PublicCredentialKind,
) -> Result<Vec<PublicCredential>> {
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
            "SELECT {COLUMNS} FROM public_credentials c JOIN users u ON u.user_id = c.user_id
             WHERE c.account_id = $1 AND c.kind = $2 AND ($3::TEXT IS NULL OR c.user_id = $3)
             ORDER BY c.upload_date, c.seq, c.credential_id"
        ),
        &[&account_id, &kind.as_str(), &user_id],
    )
    .await?;
    rows.iter().map(|r| credential_from(kind, r)).collect()
}

/// The user's id (the user locked), if the user has the credential (exact id):
/// `NoSuchUser`, then `NoSuchPublicCredential`.
async fn owner<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    kind: PublicCredentialKind,
    credential_id: &str,
) -> Result<String> {
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    let found = exists(
        tx,
        "SELECT EXISTS (SELECT 1 FROM public_credentials
                        WHERE user_id = $1 AND kind = $2 AND credential_id = $3)",
        &[&user_id, &kind.as_str(), &credential_id],
    )
    .await?;
    if !found {
        return Err(StoreError::NoSuchPublicCredential.into());
    }
    Ok(user_id)
}

pub(crate) async fn update<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    kind: PublicCredentialKind,
    credential_id: &str,
    status: KeyStatus,
) -> Result<()> {
    let user_id = owner(tx, account_id, user_name, kind, credential_id).await?;
    execute(
        tx,
        "UPDATE public_credentials SET status = $1
         WHERE user_id = $2 AND kind = $3 AND credential_id = $4",
        &[&status.as_str(), &user_id, &kind.as_str(), &credential_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    kind: PublicCredentialKind,
    credential_id: &str,
) -> Result<()> {
    let user_id = owner(tx, account_id, user_name, kind, credential_id).await?;
    execute(
        tx,
        "DELETE FROM public_credentials
         WHERE user_id = $1 AND kind = $2 AND credential_id = $3",
        &[&user_id, &kind.as_str(), &credential_id],
    )
    .await?;
    Ok(())
}

/// The first kind of public credential the user with that id still has (DeleteUser, under
/// the user's lock): signing certificates, then SSH keys.
pub(crate) async fn user_has_any<C: GenericClient>(
    tx: &C,
    user_id: &str,
) -> Result<Option<PublicCredentialKind>> {
    for kind in [
        PublicCredentialKind::SigningCertificate,
        PublicCredentialKind::SshPublicKey,
    ] {
        let has = exists(
            tx,
            "SELECT EXISTS (SELECT 1 FROM public_credentials WHERE user_id = $1 AND kind = $2)",
            &[&user_id, &kind.as_str()],
        )
        .await?;
        if has {
            return Ok(Some(kind));
        }
    }
    Ok(None)
}
