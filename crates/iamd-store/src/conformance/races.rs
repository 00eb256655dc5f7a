//! Invariants under concurrency: real tasks racing on a multi-threaded runtime, released
//! together by a barrier.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::Barrier;

use super::{account, at, create, key_ids, new_key, owner_of};
use crate::model::ACCESS_KEYS_PER_USER;
use crate::store::{Store, StoreError};

pub async fn concurrent_key_creation_respects_the_quota(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let user = create(&store, &account_id, "busy", "/").await;
    let owner = owner_of(&user);
    let start = Arc::new(Barrier::new(24));
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let (store, start, key) = (
                Arc::clone(&store),
                Arc::clone(&start),
                new_key(&account_id, &owner, at(1)),
            );
            tokio::spawn(async move {
                start.wait().await;
                store.create_access_key(&key, ACCESS_KEYS_PER_USER).await
            })
        })
        .collect();
    let mut created = HashSet::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(key) => {
                created.insert(key.access_key_id);
            }
            Err(StoreError::KeyQuotaExceeded) => refused += 1,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!((created.len(), refused), (2, 22));
    let listed: HashSet<String> = key_ids(&store, &account_id, &owner)
        .await
        .into_iter()
        .collect();
    assert_eq!(listed, created);
}

pub async fn deleting_a_user_races_key_creation_safely(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    for round in 0..20 {
        let name = format!("racer{round}");
        let user = create(&store, &account_id, &name, "/").await;
        let owner = owner_of(&user);
        let key = new_key(&account_id, &owner, at(round));
        let start = Arc::new(Barrier::new(2));
        let deleting = {
            let (store, start, account_id, name) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                name.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                store.delete_user(&account_id, &name).await
            })
        };
        let creating = {
            let (store, start, key) = (Arc::clone(&store), Arc::clone(&start), key.clone());
            tokio::spawn(async move {
                start.wait().await;
                store.create_access_key(&key, ACCESS_KEYS_PER_USER).await
            })
        };
        let deleted = deleting.await.expect("delete task");
        let created = creating.await.expect("create task");
        let credential = store
            .get_credential(&key.access_key_id)
            .await
            .expect("get_credential");
        let remaining = store.get_user(&account_id, &name).await.expect("get_user");
        match (deleted, created) {
            (Ok(()), Err(StoreError::NoSuchUser)) => {
                assert!(remaining.is_none(), "round {round}: the user was deleted");
                assert!(
                    credential.is_none(),
                    "round {round}: no key outlives its user"
                );
            }
            (Err(StoreError::UserHasAccessKeys), Ok(_)) => {
                assert_eq!(
                    remaining.map(|u| u.user_id),
                    Some(user.user_id.clone()),
                    "round {round}"
                );
                let credential = credential.expect("the key exists");
                assert_eq!(
                    credential.user.map(|u| u.user_id),
                    Some(user.user_id.clone())
                );
            }
            (deleted, created) => {
                panic!("round {round}: inconsistent outcome: {deleted:?} / {created:?}")
            }
        }
        assert_eq!(
            key_ids(&store, &account_id, &owner).await.len(),
            usize::from(
                store
                    .get_user(&account_id, &name)
                    .await
                    .expect("get_user")
                    .is_some()
            )
        );
    }
}
