//! The `Store` conformance suite: the behaviour every storage backend must show, written
//! once against `Arc<dyn Store>`. Each check is a `pub async fn` taking a fresh, empty
//! store and panicking on the first deviation; a backend runs them all with
//! [`conformance_tests!`](crate::conformance_tests), one `#[tokio::test]` per check:
//!
//! ```text
//! async fn fresh_store() -> std::sync::Arc<dyn iamd_store::Store> { /* an empty store */ }
//! iamd_store::conformance_tests!(fresh_store);
//! ```
//!
//! The checks need a multi-threaded runtime (the concurrency checks race real tasks), and
//! the crate invoking the macro needs `tokio` (with `macros` and `rt-multi-thread`) as a
//! (dev-)dependency.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::ids;
use crate::model::{AccessKey, KeyOwner, KeyStatus, NewAccessKey, User, ACCESS_KEYS_PER_USER};
use crate::secret::Keyring;
use crate::store::{After, Store};

/// The master key the checks seal secrets with, in its text form.
fn ring_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| crate::secret::MasterKey::generate().1.to_string())
}

/// A ring of that key alone.
fn ring() -> &'static Keyring {
    static RING: std::sync::OnceLock<Keyring> = std::sync::OnceLock::new();
    RING.get_or_init(|| {
        Keyring::new(crate::secret::MasterKey::from_base64(ring_text()).expect("a valid key"))
    })
}

/// Defines one `#[tokio::test]` per conformance check, each on a fresh store made by
/// `$factory`: a path to (or expression for) a function `() -> impl Future<Output =
/// Arc<dyn Store>>`.
#[macro_export]
macro_rules! conformance_tests {
    (@holders $factory:expr; $($check:ident),+ $(,)?) => {
        $(
            /// One test per kind of policy holder.
            mod $check {
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn users() {
                    let store: ::std::sync::Arc<dyn $crate::Store> = ($factory)().await;
                    $crate::conformance::$check(store, $crate::model::HolderKind::User).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn roles() {
                    let store: ::std::sync::Arc<dyn $crate::Store> = ($factory)().await;
                    $crate::conformance::$check(store, $crate::model::HolderKind::Role).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn groups() {
                    let store: ::std::sync::Arc<dyn $crate::Store> = ($factory)().await;
                    $crate::conformance::$check(store, $crate::model::HolderKind::Group).await;
                }
            }
        )+
    };
    (@each $factory:expr; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                let store: ::std::sync::Arc<dyn $crate::Store> = ($factory)().await;
                $crate::conformance::$check(store).await;
            }
        )+
    };
    ($factory:expr) => {
        $crate::conformance_tests!(@each $factory;
            bootstrap_creates_the_account_once,
            account_aliases_are_replaced_unique_and_deleted,
            concurrent_alias_changes_leave_one_alias,
            service_linked_roles_are_deleted_with_a_task,
            account_counts_cover_every_kind,
            reset_keeps_only_the_account_and_its_root_keys,
            sts_preferences_are_set_replaced_and_kept_per_account,
            users_are_found_ignoring_case,
            list_users_filters_by_plain_path_prefix,
            list_users_orders_by_lowercased_name,
            list_users_pages_survive_changes_between_pages,
            update_user_renames_and_moves_with_its_keys,
            delete_user_requires_no_keys,
            access_key_quota_is_per_owner,
            access_keys_belong_to_their_owner,
            access_keys_list_in_creation_order_with_keyset_paging,
            a_user_is_read_with_its_keys_in_listing_order,
            a_user_read_with_its_keys_follows_every_change,
            concurrent_key_creation_respects_the_quota,
            deleting_a_user_races_key_creation_safely,
            credentials_carry_the_sealed_secret,
            key_usage_keeps_the_newest,
            managed_policies_are_named_ignoring_case,
            list_policies_filters_orders_and_pages,
            policy_versions_are_numbered_limited_and_never_reused,
            delete_policy_requires_no_attachments_or_other_versions,
            policy_changes_race_deletes_safely,
            delete_user_requires_no_policies,
            renamed_users_keep_their_policies,
            roles_are_found_ignoring_case_with_tags_and_secret,
            list_roles_filters_orders_and_pages,
            update_role_changes_only_given_fields,
            delete_role_requires_no_policies,
            concurrent_role_and_user_attachments_keep_the_count_exact,
            role_changes_race_safely,
            role_usage_keeps_the_newest,
            login_profiles_are_created_read_updated_and_deleted,
            password_uses_keep_the_newest_and_outlive_the_profile,
            password_policies_are_set_replaced_and_deleted,
            login_profile_creation_races_user_deletion_safely,
            instance_profiles_are_found_ignoring_case_with_tags_and_roles,
            instance_profiles_hold_one_role_and_block_deletes,
            list_instance_profiles_filters_orders_and_pages,
            concurrent_role_additions_respect_the_quota,
            tags_are_merged_removed_and_listed_for_every_kind,
            policies_keep_their_tags_from_creation,
            user_tag_changes_are_seen_by_every_read,
            concurrent_tagging_respects_the_quota,
            secrets_are_resealed_in_batches,
            groups_are_found_ignoring_case_listed_and_paged,
            update_group_renames_and_moves_keeping_members_and_policies,
            delete_group_requires_no_members_or_policies,
            memberships_are_idempotent_listed_and_paged,
            groups_per_account_and_per_user_are_limited,
            delete_user_requires_no_groups,
            group_policies_apply_to_their_members,
            group_attachments_respect_the_quota,
            concurrent_memberships_respect_the_quota_and_deletes,
            boundaries_are_set_read_replaced_and_removed,
            users_and_roles_are_created_with_a_boundary,
            delete_policy_refuses_a_boundary_in_use,
            boundary_writes_race_policy_deletes_safely,
            group_aws_policies_apply_to_members,
            aws_boundaries_are_set_replaced_counted_and_created_with,
            mfa_devices_are_created_enabled_listed_and_deleted,
            mfa_codes_are_used_once_and_the_quota_holds,
            concurrent_uses_of_one_code_let_one_win,
            mfa_seeds_are_resealed,
            service_credentials_are_kept_per_user_and_service,
            oidc_providers_are_created_changed_listed_and_deleted,
            concurrent_client_id_additions_are_all_kept,
            saml_providers_are_created_updated_listed_and_deleted,
            concurrent_saml_tag_changes_are_all_kept,
            public_credentials_are_kept_per_user_with_quotas,
            server_certificates_are_named_listed_renamed_and_deleted,
            server_certificate_keys_are_resealed,
        );
        $crate::conformance_tests!(@holders $factory;
            inline_policies_are_put_replaced_listed_and_deleted,
            inline_policies_respect_the_aggregate_size,
            attachments_are_idempotent_and_counted,
            concurrent_attachments_keep_the_count_exact,
            holder_policies_gather_inline_and_default_versions,
            policy_entities_are_listed_by_kind,
            aws_attachments_are_idempotent_listed_and_counted,
        );
    };
}

/// Asserts that `$result` is `Err($pattern)`.
macro_rules! assert_err {
    ($result:expr, $pattern:pat) => {
        match $result {
            Err($pattern) => {}
            other => panic!("expected Err({}), got {:?}", stringify!($pattern), other),
        }
    };
}

mod access_keys;
mod account;
mod aws_policies;
mod boundaries;
mod groups;
mod holders;
mod mfa;
mod oidc;
mod passwords;
mod policies;
mod profiles;
mod public_credentials;
mod races;
mod roles;
mod saml;
mod secrets;
mod server_certificates;
mod service_credentials;
mod service_roles;
mod tags;
mod users;

pub use access_keys::{
    a_user_is_read_with_its_keys_in_listing_order, a_user_read_with_its_keys_follows_every_change,
    access_key_quota_is_per_owner, access_keys_belong_to_their_owner,
    access_keys_list_in_creation_order_with_keyset_paging, credentials_carry_the_sealed_secret,
    key_usage_keeps_the_newest,
};
pub use account::{
    account_counts_cover_every_kind, reset_keeps_only_the_account_and_its_root_keys,
    sts_preferences_are_set_replaced_and_kept_per_account,
};
pub use aws_policies::{
    aws_attachments_are_idempotent_listed_and_counted,
    aws_boundaries_are_set_replaced_counted_and_created_with, group_aws_policies_apply_to_members,
};
pub use boundaries::{
    boundaries_are_set_read_replaced_and_removed, boundary_writes_race_policy_deletes_safely,
    delete_policy_refuses_a_boundary_in_use, users_and_roles_are_created_with_a_boundary,
};
pub use groups::{
    concurrent_memberships_respect_the_quota_and_deletes,
    delete_group_requires_no_members_or_policies, delete_user_requires_no_groups,
    group_attachments_respect_the_quota, group_policies_apply_to_their_members,
    groups_are_found_ignoring_case_listed_and_paged, groups_per_account_and_per_user_are_limited,
    memberships_are_idempotent_listed_and_paged,
    update_group_renames_and_moves_keeping_members_and_policies,
};
pub use holders::{
    attachments_are_idempotent_and_counted, concurrent_attachments_keep_the_count_exact,
    holder_policies_gather_inline_and_default_versions,
    inline_policies_are_put_replaced_listed_and_deleted,
    inline_policies_respect_the_aggregate_size, policy_entities_are_listed_by_kind,
};
pub use mfa::{
    concurrent_uses_of_one_code_let_one_win, mfa_codes_are_used_once_and_the_quota_holds,
    mfa_devices_are_created_enabled_listed_and_deleted, mfa_seeds_are_resealed,
};
pub use oidc::{
    concurrent_client_id_additions_are_all_kept,
    oidc_providers_are_created_changed_listed_and_deleted,
};
pub use passwords::{
    login_profile_creation_races_user_deletion_safely,
    login_profiles_are_created_read_updated_and_deleted,
    password_policies_are_set_replaced_and_deleted,
    password_uses_keep_the_newest_and_outlive_the_profile,
};
pub use policies::{
    delete_policy_requires_no_attachments_or_other_versions, delete_user_requires_no_policies,
    list_policies_filters_orders_and_pages, managed_policies_are_named_ignoring_case,
    policy_changes_race_deletes_safely, policy_versions_are_numbered_limited_and_never_reused,
    renamed_users_keep_their_policies,
};
pub use profiles::{
    concurrent_role_additions_respect_the_quota,
    instance_profiles_are_found_ignoring_case_with_tags_and_roles,
    instance_profiles_hold_one_role_and_block_deletes,
    list_instance_profiles_filters_orders_and_pages,
};
pub use public_credentials::public_credentials_are_kept_per_user_with_quotas;
pub use races::{
    concurrent_key_creation_respects_the_quota, deleting_a_user_races_key_creation_safely,
};
pub use roles::{
    concurrent_role_and_user_attachments_keep_the_count_exact, delete_role_requires_no_policies,
    list_roles_filters_orders_and_pages, role_changes_race_safely, role_usage_keeps_the_newest,
    roles_are_found_ignoring_case_with_tags_and_secret, update_role_changes_only_given_fields,
};
pub use saml::{
    concurrent_saml_tag_changes_are_all_kept, saml_providers_are_created_updated_listed_and_deleted,
};
pub use secrets::secrets_are_resealed_in_batches;
pub use server_certificates::{
    server_certificate_keys_are_resealed, server_certificates_are_named_listed_renamed_and_deleted,
};
pub use service_credentials::service_credentials_are_kept_per_user_and_service;
pub use service_roles::{
    account_aliases_are_replaced_unique_and_deleted, concurrent_alias_changes_leave_one_alias,
    service_linked_roles_are_deleted_with_a_task,
};
pub use tags::{
    concurrent_tagging_respects_the_quota, policies_keep_their_tags_from_creation,
    tags_are_merged_removed_and_listed_for_every_kind, user_tag_changes_are_seen_by_every_read,
};
pub use users::{
    delete_user_requires_no_keys, list_users_filters_by_plain_path_prefix,
    list_users_orders_by_lowercased_name, list_users_pages_survive_changes_between_pages,
    update_user_renames_and_moves_with_its_keys, users_are_found_ignoring_case,
};

/// A whole-second instant `secs` after an arbitrary origin (stores keep seconds).
fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).expect("valid timestamp")
}

fn new_key(account_id: &str, owner: &KeyOwner, created: OffsetDateTime) -> NewAccessKey {
    NewAccessKey {
        access_key_id: ids::access_key_id(account_id),
        account_id: account_id.to_owned(),
        owner: owner.clone(),
        secret: ids::secret_access_key().seal(ring()),
        create_date: created,
    }
}

fn new_user(account_id: &str, name: &str, path: &str) -> User {
    User {
        account_id: account_id.to_owned(),
        user_id: ids::user_id(),
        user_name: name.to_owned(),
        path: path.to_owned(),
        create_date: at(0),
        tags: Vec::new(),
    }
}

fn owner_of(user: &User) -> KeyOwner {
    KeyOwner::User {
        user_id: user.user_id.clone(),
    }
}

/// Bootstraps a fresh account; returns its id and root key.
async fn account(store: &Arc<dyn Store>) -> (String, NewAccessKey) {
    let account_id = ids::account_id();
    let root_key = new_key(&account_id, &KeyOwner::Root, at(0));
    let (created_id, created) = store
        .bootstrap_account(&account_id, root_key.clone())
        .await
        .expect("bootstrap_account");
    assert!(created, "bootstrap on an empty store creates the account");
    assert_eq!(created_id, account_id);
    (account_id, root_key)
}

async fn create(store: &Arc<dyn Store>, account_id: &str, name: &str, path: &str) -> User {
    let user = new_user(account_id, name, path);
    store.create_user(&user).await.expect("create_user");
    user
}

async fn add_key(
    store: &Arc<dyn Store>,
    account_id: &str,
    owner: &KeyOwner,
    created: OffsetDateTime,
) -> AccessKey {
    store
        .create_access_key(&new_key(account_id, owner, created), ACCESS_KEYS_PER_USER)
        .await
        .expect("create_access_key")
}

async fn names(store: &Arc<dyn Store>, account_id: &str, prefix: &str) -> Vec<String> {
    store
        .list_users(account_id, prefix, &After::Start, 1000)
        .await
        .expect("list_users")
        .into_iter()
        .map(|u| u.user_name)
        .collect()
}

async fn key_ids(store: &Arc<dyn Store>, account_id: &str, owner: &KeyOwner) -> Vec<String> {
    store
        .list_access_keys(account_id, owner, &After::Start, 1000)
        .await
        .expect("list_access_keys")
        .into_iter()
        .map(|k| k.access_key_id)
        .collect()
}

pub async fn bootstrap_creates_the_account_once(store: Arc<dyn Store>) {
    let first_id = ids::account_id();
    assert_eq!(
        store.get_account(&first_id).await.expect("get_account"),
        None
    );
    assert_eq!(
        store.served_account().await.expect("served_account"),
        None,
        "a new store serves no account"
    );

    let root_key = new_key(&first_id, &KeyOwner::Root, at(5));
    let (id, created) = store
        .bootstrap_account(&first_id, root_key.clone())
        .await
        .expect("bootstrap");
    assert_eq!((id.as_str(), created), (first_id.as_str(), true));
    let account = store
        .get_account(&first_id)
        .await
        .expect("get_account")
        .expect("account exists");
    assert_eq!(account.account_id, first_id);
    assert_eq!(
        account.create_date,
        at(5),
        "the account is as old as its root key"
    );

    // A second bootstrap (another node, a restart) finds the account and adds nothing.
    let second_id = std::iter::repeat_with(ids::account_id)
        .find(|id| *id != first_id)
        .expect("a second account id");
    let other_key = new_key(&second_id, &KeyOwner::Root, at(9));
    let (id, created) = store
        .bootstrap_account(&second_id, other_key.clone())
        .await
        .expect("bootstrap");
    assert_eq!((id.as_str(), created), (first_id.as_str(), false));
    assert_eq!(
        store.get_account(&second_id).await.expect("get_account"),
        None
    );
    assert_eq!(
        store.served_account().await.expect("served_account"),
        Some(account.clone()),
        "the account served is the first one, which bootstrap created"
    );
    assert!(store
        .get_credential(&other_key.access_key_id)
        .await
        .expect("get_credential")
        .is_none());

    let root = store
        .get_credential(&root_key.access_key_id)
        .await
        .expect("get_credential")
        .expect("the root key exists");
    assert_eq!(root.key.owner, KeyOwner::Root);
    assert_eq!(root.key.account_id, first_id);
    assert_eq!(root.key.status, KeyStatus::Active);
    assert!(root.user.is_none());
    assert_eq!(root.secret, root_key.secret);

    let keys = store
        .list_access_keys(&first_id, &KeyOwner::Root, &After::Start, 100)
        .await
        .expect("list_access_keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].access_key_id, root_key.access_key_id);
    assert_eq!(keys[0].user_name, None);
    assert_eq!(keys[0].create_date, at(5));
}
