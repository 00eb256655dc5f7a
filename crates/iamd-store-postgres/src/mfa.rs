//! The virtual MFA device operations of `Store` as SQL. Writes run inside the one
//! transaction they are given and lock the user's row first (as deleting the user does),
//! then the device's, so that the per-user quota holds between nodes and a user being
//! deleted and a device being enabled for it take turns. A code's single use is one
//! conditional `UPDATE` (`last_step` only grows): of two nodes using one code at the same
//! moment, the second waits for the first's row lock and then matches no row.
//!
//! Same SQL subset as `queries`: no `ON CONFLICT`, no `RETURNING`, plain `FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{MfaDevice, MfaSecret, TaggedKind};
use iamd_store::secret::SealedSecret;
use iamd_store::StoreError;
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::queries::{
    execute, limit_of, lock_user_by_name, query, query_opt, time_of, Result, USER_COLUMNS,
};
use crate::tags;

/// A device's columns (`d`), then its seed and last step, then its user's (`u`, NULL while
/// unassigned), in `row_of`'s order.
fn columns() -> String {
    format!(
        "d.serial_number, d.account_id, d.device_name, d.path, d.create_date, d.enable_date,
         d.seed, d.last_step, {USER_COLUMNS}"
    )
}

struct DeviceRow {
    device: MfaDevice,
    seed: String,
    last_step: Option<i64>,
}

fn row_of(row: &Row) -> Result<DeviceRow> {
    let user_id: Option<String> = row.try_get(8)?;
    let user = match user_id {
        Some(_) => {
            // `user_from` reads from column 0: read the user's five columns by hand.
            Some(iamd_store::model::User {
                user_id: row.try_get(8)?,
                account_id: row.try_get(9)?,
                user_name: row.try_get(10)?,
                path: row.try_get(11)?,
                create_date: time_of(row.try_get(12)?)?,
                tags: Vec::new(),
            })
        }
        None => None,
    };
    let enabled: Option<i64> = row.try_get(5)?;
    Ok(DeviceRow {
        device: MfaDevice {
            serial_number: row.try_get(0)?,
            account_id: row.try_get(1)?,
            device_name: row.try_get(2)?,
            path: row.try_get(3)?,
            create_date: time_of(row.try_get(4)?)?,
            enable_date: enabled.map(time_of).transpose()?,
            user,
            tags: Vec::new(),
        },
        seed: row.try_get(6)?,
        last_step: row.try_get(7)?,
    })
}

async fn get_row<C: GenericClient>(
    c: &C,
    account_id: &str,
    serial_number: &str,
    lock: bool,
) -> Result<Option<DeviceRow>> {
    let row = query_opt(
        c,
        &format!(
            "SELECT {} FROM mfa_devices d LEFT JOIN users u ON u.user_id = d.user_id
             WHERE d.account_id = $1 AND d.serial_number_lower = $2{}",
            columns(),
            if lock { " FOR UPDATE OF d" } else { "" }
        ),
        &[&account_id, &serial_number.to_lowercase()],
    )
    .await?;
    row.as_ref().map(row_of).transpose()
}

pub(crate) async fn create_mfa_device<C: GenericClient>(
    tx: &C,
    device: &MfaDevice,
    seed: &SealedSecret,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO mfa_devices (serial_number, account_id, serial_number_lower, device_name,
             path, create_date, seed)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &device.serial_number,
            &device.account_id,
            &device.serial_number.to_lowercase(),
            &device.device_name,
            &device.path,
            &device.create_date.unix_timestamp(),
            &seed.as_stored(),
        ],
    )
    .await?;
    tags::insert_tags(
        tx,
        TaggedKind::MfaDevice,
        &device.serial_number,
        &device.tags,
    )
    .await
}

pub(crate) async fn get_mfa_device<C: GenericClient>(
    tx: &C,
    account_id: &str,
    serial_number: &str,
) -> Result<Option<MfaDevice>> {
    let Some(row) = get_row(tx, account_id, serial_number, false).await? else {
        return Ok(None);
    };
    let mut device = row.device;
    device.tags = tags::tags_of(tx, TaggedKind::MfaDevice, &device.serial_number).await?;
    Ok(Some(device))
}

pub(crate) async fn get_mfa_secret<C: GenericClient>(
    c: &C,
    account_id: &str,
    serial_number: &str,
) -> Result<Option<MfaSecret>> {
    Ok(get_row(c, account_id, serial_number, false)
        .await?
        .map(|row| MfaSecret {
            device: row.device,
            seed: SealedSecret::from_stored(row.seed),
            last_step: row.last_step,
        }))
}

pub(crate) async fn enable_mfa_device<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    serial_number: &str,
    step: i64,
    now: OffsetDateTime,
    max_per_user: usize,
) -> Result<()> {
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    let row = get_row(tx, account_id, serial_number, true)
        .await?
        .ok_or(StoreError::NoSuchMfaDevice)?;
    if row.device.user.is_some() || row.last_step.is_some_and(|last| last >= step) {
        return Err(StoreError::MfaDeviceInUse.into());
    }
    let count: i64 = query_opt(
        tx,
        "SELECT count(*) FROM mfa_devices WHERE user_id = $1",
        &[&user_id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    if count as usize >= max_per_user {
        return Err(StoreError::MfaDeviceQuotaExceeded.into());
    }
    execute(
        tx,
        "UPDATE mfa_devices SET user_id = $1, enable_date = $2, last_step = $3
         WHERE serial_number = $4",
        &[
            &user_id,
            &now.unix_timestamp(),
            &step,
            &row.device.serial_number,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn use_mfa_step<C: GenericClient>(
    tx: &C,
    account_id: &str,
    serial_number: &str,
    step: i64,
) -> Result<bool> {
    let serial_lower = serial_number.to_lowercase();
    let changed = execute(
        tx,
        "UPDATE mfa_devices SET last_step = $3
         WHERE account_id = $1 AND serial_number_lower = $2
           AND (last_step IS NULL OR last_step < $3)",
        &[&account_id, &serial_lower, &step],
    )
    .await?;
    if changed == 1 {
        return Ok(true);
    }
    let exists = query_opt(
        tx,
        "SELECT 1 FROM mfa_devices WHERE account_id = $1 AND serial_number_lower = $2",
        &[&account_id, &serial_lower],
    )
    .await?
    .is_some();
    if exists {
        Ok(false)
    } else {
        Err(StoreError::NoSuchMfaDevice.into())
    }
}

pub(crate) async fn deactivate_mfa_device<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    serial_number: &str,
) -> Result<()> {
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    let changed = execute(
        tx,
        "UPDATE mfa_devices SET user_id = NULL, enable_date = NULL
         WHERE account_id = $1 AND serial_number_lower = $2 AND user_id = $3",
        &[&account_id, &serial_number.to_lowercase(), &user_id],
    )
    .await?;
    if changed == 0 {
        return Err(StoreError::NoSuchMfaDevice.into());
    }
    Ok(())
}

pub(crate) async fn delete_mfa_device<C: GenericClient>(
    tx: &C,
    account_id: &str,
    serial_number: &str,
) -> Result<()> {
    let row = get_row(tx, account_id, serial_number, true)
        .await?
        .ok_or(StoreError::NoSuchMfaDevice)?;
    if row.device.user.is_some() {
        return Err(StoreError::MfaDeviceInUse.into());
    }
    tags::delete_tags(tx, TaggedKind::MfaDevice, &row.device.serial_number).await?;
    execute(
        tx,
        "DELETE FROM mfa_devices WHERE serial_number = $1",
        &[&row.device.serial_number],
    )
    .await?;
    Ok(())
}

pub(crate) async fn list_user_mfa_devices<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<MfaDevice>> {
    let user = query_opt(
        tx,
        "SELECT user_id FROM users WHERE account_id = $1 AND user_name_lower = $2",
        &[&account_id, &user_name.to_lowercase()],
    )
    .await?
    .ok_or(StoreError::NoSuchUser)?;
    let user_id: String = user.try_get(0)?;
    let rows = query(
        tx,
        &format!(
            "SELECT {} FROM mfa_devices d JOIN users u ON u.user_id = d.user_id
             WHERE d.user_id = $1 AND d.serial_number_lower > $2
             ORDER BY d.serial_number_lower LIMIT $3",
            columns()
        ),
        &[&user_id, &after.unwrap_or(""), &limit_of(limit)],
    )
    .await?;
    rows.iter().map(|r| Ok(row_of(r)?.device)).collect()
}

pub(crate) async fn list_mfa_devices<C: GenericClient>(
    c: &C,
    account_id: &str,
    assigned: Option<bool>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<MfaDevice>> {
    let rows = query(
        c,
        &format!(
            "SELECT {} FROM mfa_devices d LEFT JOIN users u ON u.user_id = d.user_id
             WHERE d.account_id = $1
               AND ($2::BOOLEAN IS NULL OR (d.user_id IS NOT NULL) = $2::BOOLEAN)
               AND d.serial_number_lower > $3
             ORDER BY d.serial_number_lower LIMIT $4",
            columns()
        ),
        &[
            &account_id,
            &assigned,
            &after.unwrap_or(""),
            &limit_of(limit),
        ],
    )
    .await?;
    rows.iter().map(|r| Ok(row_of(r)?.device)).collect()
}
