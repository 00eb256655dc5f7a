//! The virtual MFA device operations of `Store` as SQL, each run inside the one transaction
//! it is given. Writes run on the single writer (`BEGIN IMMEDIATE`), so the per-user quota's
//! count and the assignment it guards, and the single use of a code (`last_step` only
//! grows), cannot be interleaved with another write.

use iamd_store::model::{MfaDevice, MfaSecret, TaggedKind};
use iamd_store::secret::SealedSecret;
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;

use crate::queries::{limit_of, query_one, time_of, user_from, user_id_by_name, Result};
use crate::tags;

/// A device's columns (`d`) and its user's (`u`, NULL while unassigned), in `device_of`'s
/// order.
const DEVICE_COLUMNS: &str = "d.serial_number, d.account_id, d.device_name, d.path,
     d.create_date, d.enable_date, u.user_id, u.account_id, u.user_name, u.path,
     u.create_date, d.seed, d.last_step";

struct Row {
    device: MfaDevice,
    seed: String,
    last_step: Option<i64>,
}

type UserRow = (String, String, String, String, i64);

fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Row>> {
    let user: Option<String> = r.get(6)?;
    let user_row: Option<UserRow> = match user {
        Some(user_id) => Some((user_id, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?)),
        None => None,
    };
    let created: i64 = r.get(4)?;
    let enabled: Option<i64> = r.get(5)?;
    let (serial_number, account_id, device_name, path) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
    let (seed, last_step) = (r.get(11)?, r.get(12)?);
    Ok((|| {
        Ok(Row {
            device: MfaDevice {
                account_id,
                serial_number,
                device_name,
                path,
                create_date: time_of(created)?,
                enable_date: enabled.map(time_of).transpose()?,
                user: user_row.map(user_from).transpose()?,
                tags: Vec::new(),
            },
            seed,
            last_step,
        })
    })())
}

fn get_row(tx: &Connection, account_id: &str, serial_number: &str) -> Result<Option<Row>> {
    let row = query_one(
        tx,
        &format!(
            "SELECT {DEVICE_COLUMNS} FROM mfa_devices d LEFT JOIN users u ON u.user_id = d.user_id
             WHERE d.account_id = ?1 AND d.serial_number_lower = ?2"
        ),
        params![account_id, serial_number.to_lowercase()],
        row_of,
    )
    .optional()?;
    row.transpose()
}

pub(crate) fn create_mfa_device(
    tx: &Connection,
    device: &MfaDevice,
    seed: &SealedSecret,
) -> Result<()> {
    // UNIQUE (account_id, serial_number_lower) turns a taken name into AlreadyExists.
    tx.prepare_cached(
        "INSERT INTO mfa_devices (serial_number, account_id, serial_number_lower, device_name,
             path, create_date, seed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        device.serial_number,
        device.account_id,
        device.serial_number.to_lowercase(),
        device.device_name,
        device.path,
        device.create_date.unix_timestamp(),
        seed.as_stored(),
    ])?;
    tags::insert_tags(
        tx,
        TaggedKind::MfaDevice,
        &device.serial_number,
        &device.tags,
    )
}

pub(crate) fn get_mfa_device(
    tx: &Connection,
    account_id: &str,
    serial_number: &str,
) -> Result<Option<MfaDevice>> {
    let Some(row) = get_row(tx, account_id, serial_number)? else {
        return Ok(None);
    };
    let mut device = row.device;
    device.tags = tags::tags_of(tx, TaggedKind::MfaDevice, &device.serial_number)?;
    Ok(Some(device))
}

pub(crate) fn get_mfa_secret(
    tx: &Connection,
    account_id: &str,
    serial_number: &str,
) -> Result<Option<MfaSecret>> {
    Ok(
        get_row(tx, account_id, serial_number)?.map(|row| MfaSecret {
            device: row.device,
            seed: SealedSecret::from_stored(row.seed),
            last_step: row.last_step,
        }),
    )
}

pub(crate) fn enable_mfa_device(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    serial_number: &str,
    step: i64,
    now: OffsetDateTime,
    max_per_user: usize,
) -> Result<()> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    let row = get_row(tx, account_id, serial_number)?.ok_or(StoreError::NoSuchMfaDevice)?;
    if row.device.user.is_some() || row.last_step.is_some_and(|last| last >= step) {
        return Err(StoreError::MfaDeviceInUse.into());
    }
    let count: i64 = query_one(
        tx,
        "SELECT count(*) FROM mfa_devices WHERE user_id = ?1",
        [&user_id],
        |r| r.get(0),
    )?;
    if count as usize >= max_per_user {
        return Err(StoreError::MfaDeviceQuotaExceeded.into());
    }
    tx.prepare_cached(
        "UPDATE mfa_devices SET user_id = ?1, enable_date = ?2, last_step = ?3
         WHERE serial_number = ?4",
    )?
    .execute(params![
        user_id,
        now.unix_timestamp(),
        step,
        row.device.serial_number
    ])?;
    Ok(())
}

pub(crate) fn use_mfa_step(
    tx: &Connection,
    account_id: &str,
    serial_number: &str,
    step: i64,
) -> Result<bool> {
    let changed = tx
        .prepare_cached(
            "UPDATE mfa_devices SET last_step = ?3
             WHERE account_id = ?1 AND serial_number_lower = ?2
               AND (last_step IS NULL OR last_step < ?3)",
        )?
        .execute(params![account_id, serial_number.to_lowercase(), step])?;
    if changed == 1 {
        return Ok(true);
    }
    let exists: bool = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM mfa_devices WHERE account_id = ?1 AND serial_number_lower = ?2)",
        params![account_id, serial_number.to_lowercase()],
        |r| r.get(0),
    )?;
    if exists {
        Ok(false)
    } else {
        Err(StoreError::NoSuchMfaDevice.into())
    }
}

pub(crate) fn deactivate_mfa_device(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    serial_number: &str,
) -> Result<()> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    let changed = tx
        .prepare_cached(
            "UPDATE mfa_devices SET user_id = NULL, enable_date = NULL
             WHERE account_id = ?1 AND serial_number_lower = ?2 AND user_id = ?3",
        )?
        .execute(params![account_id, serial_number.to_lowercase(), user_id])?;
    if changed == 0 {
        return Err(StoreError::NoSuchMfaDevice.into());
    }
    Ok(())
}

pub(crate) fn delete_mfa_device(
    tx: &Connection,
    account_id: &str,
    serial_number: &str,
) -> Result<()> {
    let row = get_row(tx, account_id, serial_number)?.ok_or(StoreError::NoSuchMfaDevice)?;
    if row.device.user.is_some() {
        return Err(StoreError::MfaDeviceInUse.into());
    }
    tags::delete_tags(tx, TaggedKind::MfaDevice, &row.device.serial_number)?;
    tx.execute(
        "DELETE FROM mfa_devices WHERE serial_number = ?1",
        [&row.device.serial_number],
    )?;
    Ok(())
}

fn collect(rows: Vec<Result<Row>>) -> Result<Vec<MfaDevice>> {
    rows.into_iter().map(|r| r.map(|r| r.device)).collect()
}

pub(crate) fn list_user_mfa_devices(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<MfaDevice>> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM mfa_devices d JOIN users u ON u.user_id = d.user_id
         WHERE d.user_id = ?1 AND d.serial_number_lower > ?2
         ORDER BY d.serial_number_lower LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(
            params![user_id, after.unwrap_or(""), limit_of(limit)],
            row_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    collect(rows)
}

pub(crate) fn list_mfa_devices(
    tx: &Connection,
    account_id: &str,
    assigned: Option<bool>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<MfaDevice>> {
    // ?2: NULL for any device, else whether it must be assigned.
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM mfa_devices d LEFT JOIN users u ON u.user_id = d.user_id
         WHERE d.account_id = ?1 AND (?2 IS NULL OR (d.user_id IS NOT NULL) = ?2)
           AND d.serial_number_lower > ?3
         ORDER BY d.serial_number_lower LIMIT ?4"
    ))?;
    let rows = stmt
        .query_map(
            params![account_id, assigned, after.unwrap_or(""), limit_of(limit)],
            row_of,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    collect(rows)
}
