//! `Store::count_account`: every kind of entity GetAccountSummary reports, counted for
//! the account asked about.

use std::sync::Arc;

use super::groups::new_group;
use super::profiles::new_profile;
use super::roles::new_role;
use super::{account, at, create, new_key};
use crate::ids;
use crate::model::{
    AccountCounts, KeyOwner, ManagedPolicy, PolicyHolder, ACCESS_KEYS_PER_USER, GROUPS_PER_ACCOUNT,
    POLICY_VERSIONS_MAX,
};
use crate::store::Store;

fn policy(account_id: &str, name: &str) -> ManagedPolicy {
    ManagedPolicy {
        account_id: account_id.to_owned(),
        policy_id: ids::policy_id(),
        policy_name: name.to_owned(),
        path: "/".to_owned(),
        description: None,
        default_version_id: "v1".into(),
        attachment_count: 0,
        permissions_boundary_usage_count: 0,
        create_date: at(0),
        update_date: at(0),
        tags: Vec::new(),
    }
}

const DOC: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

pub async fn account_counts_cover_every_kind(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    // The bootstrap's root key is the account's one entity at first.
    assert_eq!(
        store.count_account(&account_id).await.expect("count"),
        AccountCounts {
            root_access_keys: 1,
            ..AccountCounts::default()
        }
    );
    let alice = create(&store, &account_id, "alice", "/").await;
    create(&store, &account_id, "bob", "/").await;
    store
        .create_access_key(
            &new_key(
                &account_id,
                &KeyOwner::User {
                    user_id: alice.user_id.clone(),
                },
                at(1),
            ),
            ACCESS_KEYS_PER_USER,
        )
        .await
        .expect("a user's key is not the root's");
    store
        .create_access_key(
            &new_key(&account_id, &KeyOwner::Root, at(2)),
            ACCESS_KEYS_PER_USER,
        )
        .await
        .expect("a second root key");
    store
        .create_group(&new_group(&account_id, "devs", "/"), GROUPS_PER_ACCOUNT)
        .await
        .expect("create_group");
    store
        .create_role(&new_role(&account_id, "worker", "/"))
        .await
        .expect("create_role");
    store
        .create_instance_profile(&new_profile(&account_id, "web", "/"))
        .await
        .expect("create_instance_profile");
    for name in ["attached", "loose"] {
        store
            .create_policy(&policy(&account_id, name), DOC)
            .await
            .expect("create_policy");
    }
    store
        .create_policy_version(
            &account_id,
            "attached",
            DOC,
            false,
            POLICY_VERSIONS_MAX,
            at(3),
        )
        .await
        .expect("a second version");
    store
        .create_policy_version(&account_id, "loose", DOC, false, POLICY_VERSIONS_MAX, at(3))
        .await
        .expect("a second version of an unattached policy");
    store
        .attach_policy(
            &account_id,
            PolicyHolder::user("alice"),
            "attached",
            usize::MAX,
        )
        .await
        .expect("attach");

    assert_eq!(
        store.count_account(&account_id).await.expect("count"),
        AccountCounts {
            users: 2,
            groups: 1,
            roles: 1,
            policies: 2,
            instance_profiles: 1,
            root_access_keys: 2,
            // Both versions of the attached policy; none of the loose one.
            policy_versions_in_use: 2,
            ..AccountCounts::default()
        }
    );
    // Another account id counts nothing (a store holds one account; the ids scope it).
    assert_eq!(
        store.count_account("000000000000").await.expect("count"),
        AccountCounts::default()
    );
}

/// `Store::reset` (the emulator's reset): every entity goes, the account and its root keys
/// stay, and the freed names can be taken again at once.
pub async fn reset_keeps_only_the_account_and_its_root_keys(store: Arc<dyn Store>) {
    let (account_id, root_key) = account(&store).await;
    let alice = create(&store, &account_id, "alice", "/").await;
    let alice_key = new_key(
        &account_id,
        &KeyOwner::User {
            user_id: alice.user_id.clone(),
        },
        at(1),
    );
    store
        .create_access_key(&alice_key, ACCESS_KEYS_PER_USER)
        .await
        .expect("alice's key");
    store
        .create_group(&new_group(&account_id, "devs", "/"), GROUPS_PER_ACCOUNT)
        .await
        .expect("create_group");
    store
        .add_user_to_group(&account_id, "devs", "alice", usize::MAX)
        .await
        .expect("add_user_to_group");
    store
        .create_role(&new_role(&account_id, "worker", "/"))
        .await
        .expect("create_role");
    store
        .create_instance_profile(&new_profile(&account_id, "web", "/"))
        .await
        .expect("create_instance_profile");
    store
        .create_policy(&policy(&account_id, "attached"), DOC)
        .await
        .expect("create_policy");
    store
        .attach_policy(
            &account_id,
            PolicyHolder::user("alice"),
            "attached",
            usize::MAX,
        )
        .await
        .expect("attach");
    store
        .create_account_alias(&account_id, "my-alias")
        .await
        .expect("alias");
    store
        .set_global_endpoint_token_version(&account_id, 2)
        .await
        .expect("sts preference");

    store.reset().await.expect("reset");

    assert_eq!(
        store.count_account(&account_id).await.expect("count"),
        AccountCounts {
            root_access_keys: 1,
            ..AccountCounts::default()
        }
    );
    assert!(store
        .get_account(&account_id)
        .await
        .expect("get_account")
        .is_some());
    assert!(store
        .get_credential(&root_key.access_key_id)
        .await
        .expect("root credential")
        .is_some());
    assert!(store
        .get_credential(&alice_key.access_key_id)
        .await
        .expect("alice's credential")
        .is_none());
    assert!(store
        .get_user(&account_id, "alice")
        .await
        .expect("get_user")
        .is_none());
    assert!(store
        .list_account_aliases(&account_id)
        .await
        .expect("aliases")
        .is_empty());
    assert_eq!(
        store
            .get_global_endpoint_token_version(&account_id)
            .await
            .expect("sts preference"),
        None
    );
    // Everything can be made again under the same names.
    create(&store, &account_id, "alice", "/").await;
    store
        .create_role(&new_role(&account_id, "worker", "/"))
        .await
        .expect("the role's name is free");
    store
        .create_policy(&policy(&account_id, "attached"), DOC)
        .await
        .expect("the policy's name is free");
    // A reset of an empty store is fine too.
    store.reset().await.expect("reset again");
    store.reset().await.expect("and again");
}

/// SetSecurityTokenServicePreferences: unset until set, replaced by the next setting, and
/// kept per account (another account id reads none).
pub async fn sts_preferences_are_set_replaced_and_kept_per_account(store: Arc<dyn Store>) {
    let (a, _) = account(&store).await;
    let b = ids::account_id();
    let get = |id: String| {
        let store = store.clone();
        async move {
            store
                .get_global_endpoint_token_version(&id)
                .await
                .expect("get_global_endpoint_token_version")
        }
    };
    assert_eq!(get(a.clone()).await, None);
    store
        .set_global_endpoint_token_version(&a, 2)
        .await
        .expect("set 2");
    assert_eq!(get(a.clone()).await, Some(2));
    assert_eq!(get(b.clone()).await, None);
    store
        .set_global_endpoint_token_version(&a, 1)
        .await
        .expect("set 1");
    assert_eq!(get(a.clone()).await, Some(1));
}
