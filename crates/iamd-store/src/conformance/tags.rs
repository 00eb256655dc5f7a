//! Tags of every taggable kind (users, roles, customer managed policies, instance
//! profiles): added with case-insensitive replacement in place, removed ignoring case,
//! listed in order, the 50-tag quota (also under concurrent tagging), the missing entity's
//! error, a policy's tags given at creation, and a user's tag changes seen by every read of
//! the user (the SQLite user directory, the caching front).

use std::sync::Arc;

use tokio::sync::Barrier;

use super::policies::{doc, new_policy};
use super::profiles::new_profile;
use super::roles::new_role;
use super::{account, add_key, create};
use crate::model::{KeyOwner, Tag, Tagged, TaggedKind, TAGS_PER_ENTITY};
use crate::store::{Store, StoreError};

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

/// Creates an untagged entity of `kind` named `name`.
async fn create_entity(store: &Arc<dyn Store>, account_id: &str, kind: TaggedKind, name: &str) {
    match kind {
        TaggedKind::User => {
            create(store, account_id, name, "/").await;
        }
        TaggedKind::Role => store
            .create_role(&new_role(account_id, name, "/"))
            .await
            .expect("create_role"),
        TaggedKind::Policy => store
            .create_policy(&new_policy(account_id, name, "/", 0), &doc("iam:Get*"))
            .await
            .expect("create_policy"),
        TaggedKind::InstanceProfile => store
            .create_instance_profile(&new_profile(account_id, name, "/"))
            .await
            .expect("create_instance_profile"),
        // A device is named by its serial number; the store does not read its form.
        TaggedKind::MfaDevice => store
            .create_mfa_device(
                &crate::model::MfaDevice {
                    account_id: account_id.to_owned(),
                    serial_number: name.to_owned(),
                    device_name: name.to_owned(),
                    path: "/".to_owned(),
                    create_date: super::at(0),
                    enable_date: None,
                    user: None,
                    tags: Vec::new(),
                },
                &crate::ids::secret_access_key().seal(super::ring()),
            )
            .await
            .expect("create_mfa_device"),
        TaggedKind::ServerCertificate => store
            .create_server_certificate(
                &super::server_certificates::new_certificate(account_id, name, "/"),
                20,
            )
            .await
            .expect("create_server_certificate"),
    }
}

async fn tags_of(store: &Arc<dyn Store>, account_id: &str, entity: Tagged<'_>) -> Vec<Tag> {
    store
        .list_entity_tags(account_id, entity)
        .await
        .expect("list_entity_tags")
}

pub async fn tags_are_merged_removed_and_listed_for_every_kind(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    for kind in TaggedKind::ALL {
        let name = format!("{kind:?}-Tagged");
        create_entity(&store, &account_id, kind, &name).await;
        let lower = name.to_lowercase();
        let entity = Tagged::new(kind, &lower);
        assert!(tags_of(&store, &account_id, entity).await.is_empty());

        store
            .tag_entity(
                &account_id,
                entity,
                &[tag("Team", "web"), tag("env", "prod"), tag("empty", "")],
                TAGS_PER_ENTITY,
            )
            .await
            .expect("tag_entity");
        // A key that differs only in case replaces that tag where it stands.
        store
            .tag_entity(
                &account_id,
                entity,
                &[tag("ENV", "dev"), tag("new", "1")],
                TAGS_PER_ENTITY,
            )
            .await
            .expect("tag_entity");
        assert_eq!(
            tags_of(&store, &account_id, entity).await,
            [
                tag("Team", "web"),
                tag("ENV", "dev"),
                tag("empty", ""),
                tag("new", "1")
            ],
            "{kind:?}"
        );

        // Removing ignores case and keys the entity does not have.
        store
            .untag_entity(
                &account_id,
                entity,
                &["team".to_owned(), "missing".to_owned(), "EMPTY".to_owned()],
            )
            .await
            .expect("untag_entity");
        assert_eq!(
            tags_of(&store, &account_id, entity).await,
            [tag("ENV", "dev"), tag("new", "1")],
            "{kind:?}"
        );

        // The quota counts the tags after the change: replacing keeps the count.
        let many: Vec<Tag> = (0..TAGS_PER_ENTITY - 2)
            .map(|i| tag(&format!("k{i}"), "v"))
            .collect();
        store
            .tag_entity(&account_id, entity, &many, TAGS_PER_ENTITY)
            .await
            .expect("exactly at the quota");
        store
            .tag_entity(&account_id, entity, &[tag("env", "x")], TAGS_PER_ENTITY)
            .await
            .expect("replacing at the quota");
        assert_err!(
            store
                .tag_entity(&account_id, entity, &[tag("one-more", "")], TAGS_PER_ENTITY)
                .await,
            StoreError::TagQuotaExceeded
        );
        let stored = tags_of(&store, &account_id, entity).await;
        assert_eq!(stored.len(), TAGS_PER_ENTITY, "{kind:?}");
        assert_eq!(stored[0], tag("env", "x"));

        // A missing entity: its kind's error.
        let missing = Tagged::new(kind, "nobody");
        let expected = kind.missing().to_string();
        let listed = store.list_entity_tags(&account_id, missing).await;
        assert_eq!(listed.map_err(|e| e.to_string()), Err(expected.clone()));
        let tagged = store
            .tag_entity(&account_id, missing, &[tag("a", "b")], TAGS_PER_ENTITY)
            .await;
        assert_eq!(tagged.map_err(|e| e.to_string()), Err(expected.clone()));
        let untagged = store
            .untag_entity(&account_id, missing, &["a".to_owned()])
            .await;
        assert_eq!(untagged.map_err(|e| e.to_string()), Err(expected));
    }
}

pub async fn policies_keep_their_tags_from_creation(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let mut policy = new_policy(&account_id, "Tagged", "/", 0);
    policy.tags = vec![tag("team", "web"), tag("a", "")];
    store
        .create_policy(&policy, &doc("iam:Get*"))
        .await
        .expect("create_policy");
    let found = store
        .get_policy(&account_id, "TAGGED")
        .await
        .expect("get_policy")
        .expect("the policy exists");
    assert_eq!(found, policy);
    // Listings leave tags out.
    let listed = store
        .list_policies(&account_id, "/", false, None, 100)
        .await
        .expect("list_policies");
    assert!(listed.iter().all(|p| p.tags.is_empty()));
    // Deleting the policy deletes its tags: a new one of that name has none.
    store
        .delete_policy(&account_id, "tagged")
        .await
        .expect("delete_policy");
    let again = new_policy(&account_id, "Tagged", "/", 1);
    store
        .create_policy(&again, &doc("iam:Get*"))
        .await
        .expect("create_policy");
    assert!(tags_of(
        &store,
        &account_id,
        Tagged::new(TaggedKind::Policy, "tagged")
    )
    .await
    .is_empty());
}

pub async fn user_tag_changes_are_seen_by_every_read(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let user = create(&store, &account_id, "Alice", "/").await;
    let key = add_key(
        &store,
        &account_id,
        &KeyOwner::User {
            user_id: user.user_id.clone(),
        },
        super::at(1),
    )
    .await;
    // Warm whatever caches the store has.
    for _ in 0..2 {
        store
            .get_user(&account_id, "alice")
            .await
            .expect("get_user");
        store
            .get_credential(&key.access_key_id)
            .await
            .expect("get_credential");
    }
    let alice = Tagged::new(TaggedKind::User, "ALICE");
    store
        .tag_entity(&account_id, alice, &[tag("team", "web")], TAGS_PER_ENTITY)
        .await
        .expect("tag_entity");
    let read = store
        .get_user(&account_id, "alice")
        .await
        .expect("get_user")
        .expect("the user exists");
    assert_eq!(read.tags, [tag("team", "web")]);
    let (with_keys, _) = store
        .get_user_with_keys(&account_id, "Alice")
        .await
        .expect("get_user_with_keys")
        .expect("the user exists");
    assert_eq!(with_keys.tags, [tag("team", "web")]);

    store
        .untag_entity(&account_id, alice, &["TEAM".to_owned()])
        .await
        .expect("untag_entity");
    let read = store
        .get_user(&account_id, "alice")
        .await
        .expect("get_user")
        .expect("the user exists");
    assert!(read.tags.is_empty());
    // Credentials (which carry no tags) still work after the changes.
    let credential = store
        .get_credential(&key.access_key_id)
        .await
        .expect("get_credential")
        .expect("the key exists");
    assert_eq!(credential.user.expect("a user's key").user_name, "Alice");
}

/// Tasks adding distinct tags to one entity at once: the quota holds, and every tag that
/// was accepted is there.
pub async fn concurrent_tagging_respects_the_quota(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    for kind in [TaggedKind::User, TaggedKind::Policy] {
        create_entity(&store, &account_id, kind, "busy").await;
        let tasks_n = 8;
        let per_task = 10;
        let start = Arc::new(Barrier::new(tasks_n));
        let tasks: Vec<_> = (0..tasks_n)
            .map(|t| {
                let (store, start, account_id) =
                    (Arc::clone(&store), Arc::clone(&start), account_id.clone());
                tokio::spawn(async move {
                    let tags: Vec<Tag> = (0..per_task)
                        .map(|i| tag(&format!("t{t}-{i}"), "v"))
                        .collect();
                    start.wait().await;
                    store
                        .tag_entity(
                            &account_id,
                            Tagged::new(kind, "busy"),
                            &tags,
                            TAGS_PER_ENTITY,
                        )
                        .await
                })
            })
            .collect();
        let mut accepted = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(()) => accepted += 1,
                Err(StoreError::TagQuotaExceeded) => {}
                Err(e) => panic!("unexpected error: {e:?}"),
            }
        }
        assert_eq!(accepted, TAGS_PER_ENTITY / per_task, "{kind:?}");
        let stored = tags_of(&store, &account_id, Tagged::new(kind, "busy")).await;
        assert_eq!(stored.len(), TAGS_PER_ENTITY, "{kind:?}");
    }
}
