//! Login profiles, password uses and password policies as SQL. Writes lock the user's row
//! first (as `delete_user` does), so a profile cannot be created for a user being deleted,
//! nor a user deleted past its new profile; a policy write locks the account's row. Only
//! hashes are stored; this module never sees a password.
//!
//! Same SQL subset as `queries`: no `ON CONFLICT`, no `RETURNING`, plain `FOR UPDATE`.

use deadpool_postgres::GenericClient;
use iamd_store::model::{LoginProfile, NewPassword, PasswordPolicy};
use iamd_store::StoreError;
use time::OffsetDateTime;

use crate::queries::{execute, lock_user_by_name, query, query_opt, time_of, Fail, Result};

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

fn count(n: Option<i32>, what: &str) -> Result<Option<u32>> {
    n.map(|n| {
        u32::try_from(n).map_err(|_| Fail::Data(format!("stored {what} {n} is out of range")))
    })
    .transpose()
}

fn int(n: Option<u32>) -> Option<i32> {
    n.map(|n| i32::try_from(n).unwrap_or(i32::MAX))
}

pub(crate) async fn create_login_profile<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    p: &LoginProfile,
) -> Result<()> {
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    if profile_of(tx, &user_id).await?.is_some() {
        return Err(StoreError::AlreadyExists.into());
    }
    execute(
        tx,
        "INSERT INTO login_profiles (user_id, create_date, password_reset_required,
                                     password_hash, password_set, previous_hashes)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &user_id,
            &p.create_date.unix_timestamp(),
            &p.password_reset_required,
            &p.password_hash,
            &p.password_set.unix_timestamp(),
            &join_hashes(&p.previous_hashes),
        ],
    )
    .await?;
    Ok(())
}

async fn profile_of<C: GenericClient>(c: &C, user_id: &str) -> Result<Option<LoginProfile>> {
    let Some(row) = query_opt(
        c,
        "SELECT create_date, password_reset_required, password_hash, password_set,
                previous_hashes
         FROM login_profiles WHERE user_id = $1",
        &[&user_id],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(LoginProfile {
        create_date: time_of(row.try_get(0)?)?,
        password_reset_required: row.try_get(1)?,
        password_hash: row.try_get(2)?,
        password_set: time_of(row.try_get(3)?)?,
        previous_hashes: split_hashes(&row.try_get::<_, String>(4)?),
    }))
}

/// The user and its profile in one statement (one snapshot).
pub(crate) async fn get_login_profile<C: GenericClient>(
    c: &C,
    account_id: &str,
    user_name: &str,
) -> Result<Option<LoginProfile>> {
    let Some(row) = query_opt(
        c,
        "SELECT p.create_date, p.password_reset_required, p.password_hash, p.password_set,
                p.previous_hashes
         FROM users u LEFT JOIN login_profiles p ON p.user_id = u.user_id
         WHERE u.account_id = $1 AND u.user_name_lower = $2",
        &[&account_id, &user_name.to_lowercase()],
    )
    .await?
    else {
        return Err(StoreError::NoSuchUser.into());
    };
    let Some(create) = row.try_get::<_, Option<i64>>(0)? else {
        return Ok(None);
    };
    Ok(Some(LoginProfile {
        create_date: time_of(create)?,
        password_reset_required: row.try_get(1)?,
        password_hash: row.try_get(2)?,
        password_set: time_of(row.try_get(3)?)?,
        previous_hashes: split_hashes(&row.try_get::<_, String>(4)?),
    }))
}

pub(crate) async fn update_login_profile<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
    password: Option<&NewPassword>,
    reset: Option<bool>,
) -> Result<()> {
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    let profile = profile_of(tx, &user_id)
        .await?
        .ok_or(StoreError::NoSuchLoginProfile)?;
    if let Some(new) = password {
        let mut previous = profile.previous_hashes;
        previous.insert(0, profile.password_hash);
        previous.truncate(new.keep_previous);
        execute(
            tx,
            "UPDATE login_profiles SET password_hash = $2, password_set = $3,
                                       previous_hashes = $4
             WHERE user_id = $1",
            &[
                &user_id,
                &new.hash,
                &new.at.unix_timestamp(),
                &join_hashes(&previous),
            ],
        )
        .await?;
    }
    if let Some(reset) = reset {
        execute(
            tx,
            "UPDATE login_profiles SET password_reset_required = $2 WHERE user_id = $1",
            &[&user_id, &reset],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn delete_login_profile<C: GenericClient>(
    tx: &C,
    account_id: &str,
    user_name: &str,
) -> Result<()> {
    let user_id = lock_user_by_name(tx, account_id, user_name)
        .await?
        .ok_or(StoreError::NoSuchUser)?;
    let deleted = execute(
        tx,
        "DELETE FROM login_profiles WHERE user_id = $1",
        &[&user_id],
    )
    .await?;
    if deleted == 0 {
        return Err(StoreError::NoSuchLoginProfile.into());
    }
    Ok(())
}

/// Whether the user (whose row the caller has locked) has a login profile.
pub(crate) async fn has_login_profile<C: GenericClient>(tx: &C, user_id: &str) -> Result<bool> {
    Ok(profile_of(tx, user_id).await?.is_some())
}

pub(crate) async fn record_password_use<C: GenericClient>(
    tx: &C,
    user_id: &str,
    when: OffsetDateTime,
) -> Result<()> {
    // The user's row lock orders this with `delete_user` and with other uses.
    let locked = query_opt(
        tx,
        "SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE",
        &[&user_id],
    )
    .await?;
    if locked.is_none() {
        return Ok(());
    }
    let secs = when.unix_timestamp();
    let updated = execute(
        tx,
        "UPDATE password_uses SET last_used = GREATEST(last_used, $2) WHERE user_id = $1",
        &[&user_id, &secs],
    )
    .await?;
    if updated == 0 {
        execute(
            tx,
            "INSERT INTO password_uses (user_id, last_used) VALUES ($1, $2)",
            &[&user_id, &secs],
        )
        .await?;
    }
    Ok(())
}

/// One statement (one snapshot, one round trip) for the whole page.
pub(crate) async fn get_password_uses<C: GenericClient>(
    c: &C,
    user_ids: &[String],
) -> Result<Vec<(String, OffsetDateTime)>> {
    let ids = user_ids.to_vec();
    let rows = query(
        c,
        "SELECT user_id, last_used FROM password_uses WHERE user_id = ANY($1)",
        &[&ids],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, time_of(r.try_get(1)?)?)))
        .collect()
}

pub(crate) async fn put_password_policy<C: GenericClient>(
    tx: &C,
    account_id: &str,
    p: &PasswordPolicy,
) -> Result<()> {
    query_opt(
        tx,
        "SELECT 1 FROM accounts WHERE account_id = $1 FOR UPDATE",
        &[&account_id],
    )
    .await?;
    execute(
        tx,
        "DELETE FROM password_policies WHERE account_id = $1",
        &[&account_id],
    )
    .await?;
    let min = i32::try_from(p.minimum_password_length).unwrap_or(i32::MAX);
    execute(
        tx,
        "INSERT INTO password_policies (account_id, minimum_password_length, require_symbols,
             require_numbers, require_uppercase_characters, require_lowercase_characters,
             allow_users_to_change_password, max_password_age, password_reuse_prevention,
             hard_expiry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &account_id,
            &min,
            &p.require_symbols,
            &p.require_numbers,
            &p.require_uppercase_characters,
            &p.require_lowercase_characters,
            &p.allow_users_to_change_password,
            &int(p.max_password_age),
            &int(p.password_reuse_prevention),
            &p.hard_expiry,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get_password_policy<C: GenericClient>(
    c: &C,
    account_id: &str,
) -> Result<Option<PasswordPolicy>> {
    let Some(row) = query_opt(
        c,
        "SELECT minimum_password_length, require_symbols, require_numbers,
                require_uppercase_characters, require_lowercase_characters,
                allow_users_to_change_password, max_password_age, password_reuse_prevention,
                hard_expiry
         FROM password_policies WHERE account_id = $1",
        &[&account_id],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(PasswordPolicy {
        minimum_password_length: count(Some(row.try_get(0)?), "minimum password length")?
            .unwrap_or(0),
        require_symbols: row.try_get(1)?,
        require_numbers: row.try_get(2)?,
        require_uppercase_characters: row.try_get(3)?,
        require_lowercase_characters: row.try_get(4)?,
        allow_users_to_change_password: row.try_get(5)?,
        max_password_age: count(row.try_get(6)?, "maximum password age")?,
        password_reuse_prevention: count(row.try_get(7)?, "password reuse prevention")?,
        hard_expiry: row.try_get(8)?,
    }))
}

pub(crate) async fn delete_password_policy<C: GenericClient>(
    tx: &C,
    account_id: &str,
) -> Result<bool> {
    Ok(execute(
        tx,
        "DELETE FROM password_policies WHERE account_id = $1",
        &[&account_id],
    )
    .await?
        > 0)
}
