//! Login profiles, password uses and password policies as SQL. Writes run on the one
//! writer (`BEGIN IMMEDIATE`), so a check and the write it guards cannot be interleaved
//! with another write. Only hashes are stored; this module never sees a password.

use iamd_store::model::{LoginProfile, NewPassword, PasswordPolicy};
use iamd_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;

use crate::queries::{query_one, time_of, user_id_by_name, Fail, Result};

/// Earlier hashes as stored: newest first, one per line.
fn join_hashes(hashes: &[String]) -> String {
    hashes.join("\n")
}

fn split_hashes(stored: &str) -> Vec<String> {
    stored
        .split('\n')
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect()
}

fn count(n: Option<i64>, what: &str) -> Result<Option<u32>> {
    n.map(|n| {
        u32::try_from(n).map_err(|_| Fail::Data(format!("stored {what} {n} is out of range")))
    })
    .transpose()
}

pub(crate) fn create_login_profile(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    p: &LoginProfile,
) -> Result<()> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    // The primary key refuses a second profile: `AlreadyExists`.
    tx.prepare_cached(
        "INSERT INTO login_profiles (user_id, create_date, password_reset_required,
                                     password_hash, password_set, previous_hashes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        user_id,
        p.create_date.unix_timestamp(),
        p.password_reset_required,
        p.password_hash,
        p.password_set.unix_timestamp(),
        join_hashes(&p.previous_hashes),
    ])?;
    Ok(())
}

fn profile_of(tx: &Connection, user_id: &str) -> Result<Option<LoginProfile>> {
    let row: Option<(i64, bool, String, i64, String)> = query_one(
        tx,
        "SELECT create_date, password_reset_required, password_hash, password_set,
                previous_hashes
         FROM login_profiles WHERE user_id = ?1",
        [user_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )
    .optional()?;
    let Some((create, reset, hash, set, previous)) = row else {
        return Ok(None);
    };
    Ok(Some(LoginProfile {
        create_date: time_of(create)?,
        password_reset_required: reset,
        password_hash: hash,
        password_set: time_of(set)?,
        previous_hashes: split_hashes(&previous),
    }))
}

pub(crate) fn get_login_profile(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
) -> Result<Option<LoginProfile>> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    profile_of(tx, &user_id)
}

pub(crate) fn update_login_profile(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
    password: Option<&NewPassword>,
    reset: Option<bool>,
) -> Result<()> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    let profile = profile_of(tx, &user_id)?.ok_or(StoreError::NoSuchLoginProfile)?;
    if let Some(new) = password {
        let mut previous = profile.previous_hashes;
        previous.insert(0, profile.password_hash);
        previous.truncate(new.keep_previous);
        tx.prepare_cached(
            "UPDATE login_profiles SET password_hash = ?2, password_set = ?3,
                                       previous_hashes = ?4
             WHERE user_id = ?1",
        )?
        .execute(params![
            user_id,
            new.hash,
            new.at.unix_timestamp(),
            join_hashes(&previous)
        ])?;
    }
    if let Some(reset) = reset {
        tx.prepare_cached(
            "UPDATE login_profiles SET password_reset_required = ?2 WHERE user_id = ?1",
        )?
        .execute(params![user_id, reset])?;
    }
    Ok(())
}

pub(crate) fn delete_login_profile(
    tx: &Connection,
    account_id: &str,
    user_name: &str,
) -> Result<()> {
    let user_id = user_id_by_name(tx, account_id, user_name)?.ok_or(StoreError::NoSuchUser)?;
    let deleted = tx
        .prepare_cached("DELETE FROM login_profiles WHERE user_id = ?1")?
        .execute([&user_id])?;
    if deleted == 0 {
        return Err(StoreError::NoSuchLoginProfile.into());
    }
    Ok(())
}

/// Whether the user has a login profile (`delete_user`'s first check).
pub(crate) fn has_login_profile(tx: &Connection, user_id: &str) -> Result<bool> {
    Ok(query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM login_profiles WHERE user_id = ?1)",
        [user_id],
        |r| r.get(0),
    )?)
}

pub(crate) fn record_password_use(
    tx: &Connection,
    user_id: &str,
    when: OffsetDateTime,
) -> Result<()> {
    let exists: bool = query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM users WHERE user_id = ?1)",
        [user_id],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(());
    }
    let secs = when.unix_timestamp();
    let updated = tx
        .prepare_cached(
            "UPDATE password_uses SET last_used = ?2 WHERE user_id = ?1 AND last_used < ?2",
        )?
        .execute(params![user_id, secs])?;
    if updated == 0 {
        tx.prepare_cached(
            "INSERT INTO password_uses (user_id, last_used)
             SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM password_uses WHERE user_id = ?1)",
        )?
        .execute(params![user_id, secs])?;
    }
    Ok(())
}

/// One primary-key probe per user, on one snapshot.
pub(crate) fn get_password_uses(
    tx: &Connection,
    user_ids: &[String],
) -> Result<Vec<(String, OffsetDateTime)>> {
    let mut select = tx.prepare_cached("SELECT last_used FROM password_uses WHERE user_id = ?1")?;
    let mut uses = Vec::new();
    for id in user_ids {
        let secs: Option<i64> = select.query_row([id], |r| r.get(0)).optional()?;
        if let Some(secs) = secs {
            uses.push((id.clone(), time_of(secs)?));
        }
    }
    Ok(uses)
}

pub(crate) fn put_password_policy(
    tx: &Connection,
    account_id: &str,
    p: &PasswordPolicy,
) -> Result<()> {
    tx.prepare_cached("DELETE FROM password_policies WHERE account_id = ?1")?
        .execute([account_id])?;
    tx.prepare_cached(
        "INSERT INTO password_policies (account_id, minimum_password_length, require_symbols,
             require_numbers, require_uppercase_characters, require_lowercase_characters,
             allow_users_to_change_password, max_password_age, password_reuse_prevention,
             hard_expiry)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        account_id,
        p.minimum_password_length,
        p.require_symbols,
        p.require_numbers,
        p.require_uppercase_characters,
        p.require_lowercase_characters,
        p.allow_users_to_change_password,
        p.max_password_age,
        p.password_reuse_prevention,
        p.hard_expiry,
    ])?;
    Ok(())
}

type PolicyRow = (
    i64,
    bool,
    bool,
    bool,
    bool,
    bool,
    Option<i64>,
    Option<i64>,
    bool,
);

pub(crate) fn get_password_policy(
    tx: &Connection,
    account_id: &str,
) -> Result<Option<PasswordPolicy>> {
    let row: Option<PolicyRow> = query_one(
        tx,
        "SELECT minimum_password_length, require_symbols, require_numbers,
                require_uppercase_characters, require_lowercase_characters,
                allow_users_to_change_password, max_password_age, password_reuse_prevention,
                hard_expiry
         FROM password_policies WHERE account_id = ?1",
        [account_id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        },
    )
    .optional()?;
    let Some((min, symbols, numbers, upper, lower, change, age, reuse, hard)) = row else {
        return Ok(None);
    };
    Ok(Some(PasswordPolicy {
        minimum_password_length: count(Some(min), "minimum password length")?.unwrap_or(0),
        require_symbols: symbols,
        require_numbers: numbers,
        require_uppercase_characters: upper,
        require_lowercase_characters: lower,
        allow_users_to_change_password: change,
        max_password_age: count(age, "maximum password age")?,
        password_reuse_prevention: count(reuse, "password reuse prevention")?,
        hard_expiry: hard,
    }))
}

pub(crate) fn delete_password_policy(tx: &Connection, account_id: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("DELETE FROM password_policies WHERE account_id = ?1")?
        .execute([account_id])?
        > 0)
}
