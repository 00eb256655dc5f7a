//! Re-sealing stored secrets (`Store::reseal_secrets`): one transaction per batch of rows,
//! read by id and written back each only if its secret is still the one read.

use deadpool_postgres::GenericClient;
use iamd_store::secret::{Keyring, SealedSecret};
use iamd_store::Reseal;

use crate::queries::{execute, limit_of, query, Fail, Result};

/// A table holding secrets: its name, id column, secret column, and what a row is called.
#[derive(Clone, Copy)]
pub(crate) struct SecretTable {
    table: &'static str,
    id: &'static str,
    secret: &'static str,
    what: &'static str,
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

/// One batch: up to `limit` rows after id `after` whose secret has `prefix` (or lacks it,
/// if not `having`), re-sealed. Returns the last id read (`None`: no row was left) and how
/// many rows were written.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn reseal_batch<C: GenericClient>(
    tx: &C,
    t: SecretTable,
    keyring: &Keyring,
    after: &str,
    prefix: &str,
    having: bool,
    limit: usize,
) -> Result<(Option<String>, u64)> {
    let select = format!(
        "SELECT {id}, {secret} FROM {table}
         WHERE {id} > $1 AND (substr({secret}, 1, $2) = $3) = $4
         ORDER BY {id} LIMIT $5",
        id = t.id,
        secret = t.secret,
        table = t.table
    );
    let prefix_len = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
    let rows = query(
        tx,
        &select,
        &[&after, &prefix_len, &prefix, &having, &limit_of(limit)],
    )
    .await?;
    let update = format!(
        "UPDATE {table} SET {secret} = $1 WHERE {id} = $2 AND {secret} = $3",
        id = t.id,
        secret = t.secret,
        table = t.table
    );
    let mut last = None;
    let mut written = 0;
    for row in &rows {
        let id: String = row.try_get(0)?;
        let old = SealedSecret::from_stored(row.try_get(1)?);
        let what = format!("{} {id}", t.what);
        if let Some(new) = Reseal::reseal(&old, keyring, &what).map_err(Fail::Store)? {
            written += execute(tx, &update, &[&new.as_stored(), &id, &old.as_stored()]).await?;
        }
        last = Some(id);
    }
    Ok((last, written))
}
