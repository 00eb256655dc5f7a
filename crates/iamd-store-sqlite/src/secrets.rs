//! Re-sealing stored secrets (`Store::reseal_secrets`): rows are read in batches by id
//! on a reader, re-sealed here (no cryptography on the writer thread), and written back
//! one batch per write, each row only if its secret is still the one read.

use iamd_store::secret::SealedSecret;
use rusqlite::{params, Connection};

use crate::queries::Result;

/// A table holding secrets: its name, id column, secret column, and what a row is called.
#[derive(Clone, Copy)]
pub(crate) struct SecretTable {
    pub(crate) table: &'static str,
    pub(crate) id: &'static str,
    pub(crate) secret: &'static str,
    pub(crate) what: &'static str,
}

pub(crate) const TABLES: [SecretTable; 5] = [
    SecretTable {
        table: "access_keys",
        id: "access_key_id",
        secret: "secret",
        what: "access key",
    },
    SecretTable {
        table: "roles",
        id: "role_id",
        secret: "session_secret",
        what: "role",
    },
    SecretTable {
        table: "mfa_devices",
        id: "serial_number",
        secret: "seed",
        what: "MFA device",
    },
    SecretTable {
        table: "service_credentials",
        id: "credential_id",
        secret: "password",
        what: "service-specific credential",
    },
    SecretTable {
        table: "server_certificates",
        id: "server_certificate_id",
        secret: "private_key",
        what: "server certificate",
    },
];

/// Up to `limit` rows after id `after`, in id order, whose secret has `prefix` (or lacks
/// it, if not `having`).
pub(crate) fn select(
    tx: &Connection,
    t: SecretTable,
    after: &str,
    prefix: &str,
    having: bool,
    limit: usize,
) -> Result<Vec<(String, SealedSecret)>> {
    let sql = format!(
        "SELECT {id}, {secret} FROM {table}
         WHERE {id} > ?1 AND (substr({secret}, 1, ?2) = ?3) = ?4
         ORDER BY {id} LIMIT ?5",
        id = t.id,
        secret = t.secret,
        table = t.table
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            after,
            prefix.len() as i64,
            prefix,
            having,
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
        |r| Ok((r.get::<_, String>(0)?, SealedSecret::from_stored(r.get(1)?))),
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes each (id, old, new) whose row still holds `old`; returns how many were written.
pub(crate) fn update(
    tx: &Connection,
    t: SecretTable,
    rows: &[(String, SealedSecret, SealedSecret)],
) -> Result<u64> {
    let sql = format!(
        "UPDATE {table} SET {secret} = ?1 WHERE {id} = ?2 AND {secret} = ?3",
        id = t.id,
        secret = t.secret,
        table = t.table
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut n = 0;
    for (id, old, new) in rows {
        n += stmt.execute(params![new.as_stored(), id, old.as_stored()])? as u64;
    }
    Ok(n)
}
