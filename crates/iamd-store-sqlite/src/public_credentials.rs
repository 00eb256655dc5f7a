//! SSH public keys and signing certificates as SQL, each run inside the one transaction it
//! is given. Writes run on the single writer (`BEGIN IMMEDIATE`), so the quota's count, the
//! duplicate check and the insert they guard cannot be interleaved with another write.

use iamd_store::model::{KeyStatus, PublicCredential, PublicCredentialKind};
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

use crate::queries::{query_one, time_of, user_id_by_name, Fail, Result};

/// A credential's columns (`c`) and its owner's current name (`u`).
const COLUMNS: &str = "c.credential_id, c.account_id, u.user_name, c.body, c.fingerprint,
     c.status, c.upload_date";

type Row = (PublicCredential, String, i64);

fn row_of(kind: PublicCredentialKind) -> impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    move |r| {
        Ok((
            PublicCredential {
                credential_id: r.get(0)?,
                account_id: r.get(1)?,
                kind,
                user_name: r.get(2)?,
                body: r.get(3)?,
                fingerprint: r.get(4)?,
                status: KeyStatus::Active,
                upload_date: time::OffsetDateTime::UNIX_EPOCH,
            },
            r.get(5)?,
            r.get(6)?,
        ))
    }
}

fn finish((mut c, status, uploaded): Row) -> Result<PublicCredential> {
    c.upload_date = time_of(uploaded)?;
    c.status = KeyStatus::parse(&status)
        .ok_or_else(|| Fail::Data(format!("public credential status {status:?}")))?;
    Ok(c)
}

pub(crate) fn upload(tx: &Connection, c: &PublicCredential, quota: usize) -> Result<()> {
    let user_id =
        user_id_by_name(tx, &c.account_id, &c.user_name)?.ok_or(StoreError::NoSuchUser)?;
    let kind = c.kind.as_str();
    let (count, duplicate): (i64, bool) = query_one(
        tx,
        "SELECT count(*), coalesce(sum(fingerprint = ?3), 0) > 0
         FROM public_credentials WHERE user_id = ?1 AND kind = ?2",
        params![user_id, kind, c.fingerprint],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    // A certificate is the account's once (DuplicateCertificate: "associated with an IAM
    // user in the account"); an SSH key is its user's once.
    let duplicate = duplicate
        || (c.kind == PublicCredentialKind::SigningCertificate
            && query_one(
                tx,
                "SELECT EXISTS (SELECT 1 FROM public_credentials
                                WHERE account_id = ?1 AND kind = ?2 AND fingerprint = ?3)",
                params![c.account_id, kind, c.fingerprint],
                |r| r.get(0),
            )?);
    if duplicate {
        return Err(StoreError::DuplicatePublicCredential.into());
    }
    if count >= i64::try_from(quota).unwrap_or(i64::MAX) {
        return Err(StoreError::PublicCredentialQuotaExceeded.into());
    }
    tx.execute(
        "INSERT INTO public_credentials (credential_id, kind, account_id, user_id, body,
             fingerprint, status, upload_date, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
                 (SELECT coalesce(max(seq), 0) + 1 FROM public_credentials WHERE user_id = ?4))",
        params![
            c.credential_id,
            kind,
            c.account_id,
            user_id,
            c.body,
            c.fingerprint,
            c.status.as_str(),
            c.upload_date.unix_timestamp()
        ],
    )?;
    Ok(())
}

pub(crate) fn list(
    tx: &Connection,
    account_id: &str,
    user_name: Option<&str>,
    kind: PublicCredentialKind,
) -> Result<Vec<PublicCredential>> {
    let user_id = match user_name {
        Some(name) => Some(user_id_by_name(tx, account_id, name)?.ok_or(StoreError::NoSuchUser)?),
        None => None,
    };
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM public_credentials c JOIN users u ON u.user_id = c.user_id
         WHERE c.account_id = ?1 AND c.kind = ?2 AND (?3 IS NULL OR c.user_id = ?3)
         ORDER BY c.upload_date, c.seq, c.credential_id"
    ))?;
    let rows = stmt.query_map(params![account_id, kind.as_str(), user_id], row_of(kind))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(finish(row?)?);
    }
    Ok(out)
}

/// The user's id, if the user has the credential (exact id): `NoSuchUser`, then
/// `NoSuchPublicCredential`.
fn owner(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    kind: PublicCredentialKind,
    credential_id: &str,
) -> Result<String> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    query_one(
        tx,
        "SELECT 1 FROM public_credentials
         WHERE user_id = ?1 AND kind = ?2 AND credential_id = ?3",
        params![user_id, kind.as_str(), credential_id],
        |_| Ok(()),
    )
    .optional()?
    .ok_or(StoreError::NoSuchPublicCredential)?;
    Ok(user_id)
}

pub(crate) fn update(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    kind: PublicCredentialKind,
    credential_id: &str,
    status: KeyStatus,
) -> Result<()> {
    let user_id = owner(tx, account_id, user_name, kind, credential_id)?;
    tx.execute(
        "UPDATE public_credentials SET status = ?1
         WHERE user_id = ?2 AND kind = ?3 AND credential_id = ?4",
        params![status.as_str(), user_id, kind.as_str(), credential_id],
    )?;
    Ok(())
}

pub(crate) fn delete(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    kind: PublicCredentialKind,
    credential_id: &str,
) -> Result<()> {
    let user_id = owner(tx, account_id, user_name, kind, credential_id)?;
    tx.execute(
        "DELETE FROM public_credentials
         WHERE user_id = ?1 AND kind = ?2 AND credential_id = ?3",
        params![user_id, kind.as_str(), credential_id],
    )?;
    Ok(())
}

/// The first kind of public credential the user with that id still has (DeleteUser
/// refuses then): signing certificates, then SSH keys.
pub(crate) fn user_has_any(tx: &Connection, user_id: &str) -> Result<Option<PublicCredentialKind>> {
    for kind in [
        PublicCredentialKind::SigningCertificate,
        PublicCredentialKind::SshPublicKey,
    ] {
        let has: bool = query_one(
            tx,
            "SELECT EXISTS (SELECT 1 FROM public_credentials WHERE user_id = ?1 AND kind = ?2)",
            params![user_id, kind.as_str()],
            |r| r.get(0),
        )?;
        if has {
            return Ok(Some(kind));
        }
    }
    Ok(None)
}
