//! Login profiles (one per user, hashes only, the earlier hashes kept as asked, a user
//! with one cannot be deleted), password uses (the newest kept, surviving the profile)
//! and the account's password policy (set, replaced, read, deleted).

use std::sync::Arc;

use tokio::sync::Barrier;

use super::{account, at, create};
use crate::model::{LoginProfile, NewPassword, PasswordPolicy};
use crate::store::{Store, StoreError};

fn profile(hash: &str) -> LoginProfile {
    LoginProfile {
        create_date: at(1),
        password_reset_required: true,
        password_hash: hash.to_owned(),
        password_set: at(1),
        previous_hashes: Vec::new(),
    }
}

fn new_password(hash: &str, secs: i64, keep_previous: usize) -> NewPassword {
    NewPassword {
        hash: hash.to_owned(),
        at: at(secs),
        keep_previous,
    }
}

pub async fn login_profiles_are_created_read_updated_and_deleted(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create(&store, &account_id, "Alice", "/").await;
    assert_eq!(
        store
            .get_login_profile(&account_id, "alice")
            .await
            .expect("get"),
        None,
        "no profile yet"
    );
    assert!(matches!(
        store.get_login_profile(&account_id, "nobody").await,
        Err(StoreError::NoSuchUser)
    ));
    assert!(matches!(
        store
            .create_login_profile(&account_id, "nobody", &profile("h0"))
            .await,
        Err(StoreError::NoSuchUser)
    ));
    store
        .create_login_profile(&account_id, "ALICE", &profile("h0"))
        .await
        .expect("create");
    assert!(matches!(
        store
            .create_login_profile(&account_id, "alice", &profile("h9"))
            .await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store
            .get_login_profile(&account_id, "Alice")
            .await
            .expect("get"),
        Some(profile("h0"))
    );

    // Only the flag.
    store
        .update_login_profile(&account_id, "alice", None, Some(false))
        .await
        .expect("update flag");
    let p = store
        .get_login_profile(&account_id, "alice")
        .await
        .expect("get")
        .expect("profile");
    assert!(!p.password_reset_required);
    assert_eq!(p.password_hash, "h0");

    // New passwords push the current hash onto the earlier ones, keeping as many as asked.
    store
        .update_login_profile(&account_id, "alice", Some(&new_password("h1", 5, 2)), None)
        .await
        .expect("h1");
    store
        .update_login_profile(&account_id, "alice", Some(&new_password("h2", 6, 2)), None)
        .await
        .expect("h2");
    store
        .update_login_profile(&account_id, "alice", Some(&new_password("h3", 7, 2)), None)
        .await
        .expect("h3");
    let p = store
        .get_login_profile(&account_id, "alice")
        .await
        .expect("get")
        .expect("profile");
    assert_eq!(p.password_hash, "h3");
    assert_eq!(p.password_set, at(7));
    assert_eq!(p.create_date, at(1), "the creation date stays");
    assert_eq!(p.previous_hashes, vec!["h2".to_owned(), "h1".to_owned()]);
    assert!(!p.password_reset_required, "the flag is left as it was");
    store
        .update_login_profile(
            &account_id,
            "alice",
            Some(&new_password("h4", 8, 0)),
            Some(true),
        )
        .await
        .expect("h4");
    let p = store
        .get_login_profile(&account_id, "alice")
        .await
        .expect("get")
        .expect("profile");
    assert!(p.previous_hashes.is_empty(), "none kept when none asked");
    assert!(p.password_reset_required);

    // The user cannot go while it has a profile.
    assert!(matches!(
        store.delete_user(&account_id, "alice").await,
        Err(StoreError::UserHasLoginProfile)
    ));
    store
        .delete_login_profile(&account_id, "alice")
        .await
        .expect("delete");
    assert!(matches!(
        store.delete_login_profile(&account_id, "alice").await,
        Err(StoreError::NoSuchLoginProfile)
    ));
    assert!(matches!(
        store
            .update_login_profile(&account_id, "alice", None, Some(true))
            .await,
        Err(StoreError::NoSuchLoginProfile)
    ));
    assert!(matches!(
        store.delete_login_profile(&account_id, "nobody").await,
        Err(StoreError::NoSuchUser)
    ));
    store
        .delete_user(&account_id, "alice")
        .await
        .expect("delete user");
}

pub async fn password_uses_keep_the_newest_and_outlive_the_profile(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let user = create(&store, &account_id, "bob", "/").await;
    let ids = vec![user.user_id.clone(), "AIDANOSUCHUSER".to_owned()];
    assert_eq!(store.get_password_uses(&ids).await.expect("read"), vec![]);
    store
        .create_login_profile(&account_id, "bob", &profile("h"))
        .await
        .expect("create");
    store
        .record_password_use(&user.user_id, at(10))
        .await
        .expect("use");
    store
        .record_password_use(&user.user_id, at(5))
        .await
        .expect("older use");
    assert_eq!(
        store.get_password_uses(&ids).await.expect("read"),
        vec![(user.user_id.clone(), at(10))]
    );
    store
        .delete_login_profile(&account_id, "bob")
        .await
        .expect("delete profile");
    assert_eq!(
        store.get_password_uses(&ids).await.expect("read"),
        vec![(user.user_id.clone(), at(10))],
        "kept after the profile goes"
    );
    store
        .record_password_use("AIDANOSUCHUSER", at(10))
        .await
        .expect("an unknown user is ignored");
    store
        .delete_user(&account_id, "bob")
        .await
        .expect("delete user");
}

pub async fn password_policies_are_set_replaced_and_deleted(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    assert_eq!(
        store.get_password_policy(&account_id).await.expect("get"),
        None
    );
    assert!(!store
        .delete_password_policy(&account_id)
        .await
        .expect("delete"));
    let mut policy = PasswordPolicy {
        minimum_password_length: 12,
        require_symbols: true,
        require_numbers: false,
        require_uppercase_characters: true,
        require_lowercase_characters: false,
        allow_users_to_change_password: true,
        max_password_age: Some(90),
        password_reuse_prevention: Some(5),
        hard_expiry: true,
    };
    store
        .put_password_policy(&account_id, &policy)
        .await
        .expect("put");
    assert_eq!(
        store.get_password_policy(&account_id).await.expect("get"),
        Some(policy.clone())
    );
    policy.max_password_age = None;
    policy.password_reuse_prevention = None;
    policy.require_symbols = false;
    store
        .put_password_policy(&account_id, &policy)
        .await
        .expect("replace");
    assert_eq!(
        store.get_password_policy(&account_id).await.expect("get"),
        Some(policy)
    );
    assert!(store
        .delete_password_policy(&account_id)
        .await
        .expect("delete"));
    assert_eq!(
        store.get_password_policy(&account_id).await.expect("get"),
        None
    );
}

/// A profile created while the user is deleted: either the profile is refused
/// (`NoSuchUser`) or the delete is (`UserHasLoginProfile`); never a profile without its user.
pub async fn login_profile_creation_races_user_deletion_safely(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    for round in 0..20 {
        let name = format!("racer{round}");
        create(&store, &account_id, &name, "/").await;
        let barrier = Arc::new(Barrier::new(2));
        let (s1, a1, n1, b1) = (
            store.clone(),
            account_id.clone(),
            name.clone(),
            barrier.clone(),
        );
        let creating = tokio::spawn(async move {
            b1.wait().await;
            s1.create_login_profile(&a1, &n1, &profile("h")).await
        });
        let (s2, a2, n2, b2) = (store.clone(), account_id.clone(), name.clone(), barrier);
        let deleting = tokio::spawn(async move {
            b2.wait().await;
            s2.delete_user(&a2, &n2).await
        });
        let created = creating.await.expect("join");
        let deleted = deleting.await.expect("join");
        match (&created, &deleted) {
            (Ok(()), Err(StoreError::UserHasLoginProfile)) => {
                assert!(store
                    .get_login_profile(&account_id, &name)
                    .await
                    .expect("get")
                    .is_some());
            }
            (Err(StoreError::NoSuchUser), Ok(())) => {
                assert!(store
                    .get_user(&account_id, &name)
                    .await
                    .expect("get")
                    .is_none());
            }
            other => panic!("round {round}: unexpected outcome {other:?}"),
        }
    }
}
