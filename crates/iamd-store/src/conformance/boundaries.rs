//! Permissions boundaries of users and roles: set, read, replaced and removed; created
//! with the user or role in one write; counted on their policy, which cannot be deleted
//! while in use; returned with the holder's documents; and racing policy deletes safely.

use std::sync::Arc;

use tokio::sync::Barrier;

use super::policies::new_policy;
use super::roles::new_role;
use super::{account, at, create, new_user};
use crate::model::{HolderKind, ManagedPolicy, PolicyHolder};
use crate::store::{Store, StoreError};

fn doc(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

async fn policy(store: &Arc<dyn Store>, account_id: &str, name: &str) -> ManagedPolicy {
    let policy = new_policy(account_id, name, "/b/", 0);
    store
        .create_policy(&policy, &doc(&format!("iam:{name}")))
        .await
        .expect("create_policy");
    policy
}

async fn uses(store: &Arc<dyn Store>, account_id: &str, name: &str) -> u32 {
    store
        .get_policy(account_id, name)
        .await
        .expect("get_policy")
        .expect("the policy exists")
        .permissions_boundary_usage_count
}

pub async fn boundaries_are_set_read_replaced_and_removed(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let fence = policy(&store, &account_id, "Fence").await;
    let wall = policy(&store, &account_id, "Wall").await;
    let alice = create(&store, &account_id, "Alice", "/").await;
    let role = new_role(&account_id, "Runner", "/");
    store.create_role(&role).await.expect("create_role");
    assert_eq!(uses(&store, &account_id, "fence").await, 0);

    for holder in [PolicyHolder::user("ALICE"), PolicyHolder::role("runner")] {
        let none = store
            .get_permissions_boundary(&account_id, holder)
            .await
            .expect("get");
        assert_eq!(none, None, "no boundary at first");
        store
            .delete_permissions_boundary(&account_id, holder)
            .await
            .expect("removing no boundary changes nothing");
        assert_err!(
            store
                .put_permissions_boundary(&account_id, holder, "NoSuchPolicy")
                .await,
            StoreError::NoSuchPolicy
        );
        store
            .put_permissions_boundary(&account_id, holder, "FENCE")
            .await
            .expect("put, the policy found ignoring case");
        let got = store
            .get_permissions_boundary(&account_id, holder)
            .await
            .expect("get");
        assert_eq!(got, Some(fence.arn()));
    }
    assert_eq!(uses(&store, &account_id, "Fence").await, 2);
    let listed = store
        .list_policies(&account_id, "/", false, None, 100)
        .await
        .expect("list_policies");
    let counts: Vec<(String, u32)> = listed
        .iter()
        .map(|p| (p.policy_name.clone(), p.permissions_boundary_usage_count))
        .collect();
    assert_eq!(
        counts,
        vec![("Fence".to_owned(), 2), ("Wall".to_owned(), 0)],
        "listings count too"
    );

    // The holders' documents carry the boundary's default version, and follow it.
    for (kind, id) in [
        (HolderKind::User, &alice.user_id),
        (HolderKind::Role, &role.role_id),
    ] {
        let got = store.get_holder_policies(kind, id).await.expect("policies");
        assert_eq!(
            got.boundary,
            Some((fence.arn(), "v1".to_owned(), doc("iam:Fence")))
        );
        assert!(got.inline.is_empty() && got.managed.is_empty());
    }
    store
        .create_policy_version(&account_id, "Fence", &doc("iam:Fence2"), true, 5, at(1))
        .await
        .expect("new default version");
    let got = store
        .get_holder_policies(HolderKind::User, &alice.user_id)
        .await
        .expect("policies");
    assert_eq!(
        got.boundary,
        Some((fence.arn(), "v2".to_owned(), doc("iam:Fence2")))
    );

    // Replacing moves the count; removing takes it away.
    store
        .put_permissions_boundary(&account_id, PolicyHolder::user("alice"), "Wall")
        .await
        .expect("replace");
    assert_eq!(
        store
            .get_permissions_boundary(&account_id, PolicyHolder::user("alice"))
            .await
            .expect("get"),
        Some(wall.arn())
    );
    assert_eq!(uses(&store, &account_id, "Fence").await, 1);
    assert_eq!(uses(&store, &account_id, "Wall").await, 1);
    store
        .delete_permissions_boundary(&account_id, PolicyHolder::role("Runner"))
        .await
        .expect("delete");
    assert_eq!(uses(&store, &account_id, "Fence").await, 0);
    let got = store
        .get_holder_policies(HolderKind::Role, &role.role_id)
        .await
        .expect("policies");
    assert_eq!(got.boundary, None);

    // Missing holders, and groups, which have no boundary.
    assert_err!(
        store
            .put_permissions_boundary(&account_id, PolicyHolder::user("nobody"), "Wall")
            .await,
        StoreError::NoSuchUser
    );
    assert_err!(
        store
            .get_permissions_boundary(&account_id, PolicyHolder::role("nobody"))
            .await,
        StoreError::NoSuchRole
    );
    assert_err!(
        store
            .delete_permissions_boundary(&account_id, PolicyHolder::group("nobody"))
            .await,
        StoreError::NoSuchGroup
    );

    // Deleting a bounded user takes its boundary with it.
    store
        .delete_user(&account_id, "Alice")
        .await
        .expect("a boundary does not block DeleteUser");
    assert_eq!(uses(&store, &account_id, "Wall").await, 0);
}

pub async fn users_and_roles_are_created_with_a_boundary(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let fence = policy(&store, &account_id, "Fence").await;
    let bob = new_user(&account_id, "Bob", "/");
    assert_err!(
        store.create_user_with_boundary(&bob, "Missing").await,
        StoreError::NoSuchPolicy
    );
    assert_eq!(
        store.get_user(&account_id, "bob").await.expect("get_user"),
        None,
        "no user without its boundary"
    );
    store
        .create_user_with_boundary(&bob, "fence")
        .await
        .expect("create with a boundary");
    assert_eq!(
        store.get_user(&account_id, "Bob").await.expect("get_user"),
        Some(bob.clone())
    );
    assert_eq!(
        store
            .get_permissions_boundary(&account_id, PolicyHolder::user("bob"))
            .await
            .expect("get"),
        Some(fence.arn())
    );
    assert_err!(
        store
            .create_user_with_boundary(&new_user(&account_id, "BOB", "/"), "Fence")
            .await,
        StoreError::AlreadyExists
    );

    let role = new_role(&account_id, "Worker", "/");
    assert_err!(
        store.create_role_with_boundary(&role, "Missing").await,
        StoreError::NoSuchPolicy
    );
    assert_eq!(
        store
            .get_role(&account_id, "Worker")
            .await
            .expect("get_role"),
        None
    );
    store
        .create_role_with_boundary(&role, "Fence")
        .await
        .expect("create with a boundary");
    assert_eq!(
        store
            .get_permissions_boundary(&account_id, PolicyHolder::role("worker"))
            .await
            .expect("get"),
        Some(fence.arn())
    );
    assert_eq!(uses(&store, &account_id, "Fence").await, 2);
}

pub async fn delete_policy_refuses_a_boundary_in_use(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    policy(&store, &account_id, "Fence").await;
    create(&store, &account_id, "carol", "/").await;
    let role = new_role(&account_id, "Runner", "/");
    store.create_role(&role).await.expect("create_role");
    for holder in [PolicyHolder::user("carol"), PolicyHolder::role("Runner")] {
        store
            .put_permissions_boundary(&account_id, holder, "Fence")
            .await
            .expect("put");
    }
    for holder in [PolicyHolder::user("carol"), PolicyHolder::role("Runner")] {
        assert_err!(
            store.delete_policy(&account_id, "Fence").await,
            StoreError::PolicyInUseAsBoundary
        );
        store
            .delete_permissions_boundary(&account_id, holder)
            .await
            .expect("delete");
    }
    store
        .delete_policy(&account_id, "Fence")
        .await
        .expect("a policy no longer in use is deleted");
}

pub async fn boundary_writes_race_policy_deletes_safely(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create(&store, &account_id, "dave", "/").await;
    let role = new_role(&account_id, "Runner", "/");
    store.create_role(&role).await.expect("create_role");
    for round in 0..8 {
        let name = format!("P{round}");
        policy(&store, &account_id, &name).await;
        let holder_name = if round % 2 == 0 { "dave" } else { "Runner" };
        let kind = if round % 2 == 0 {
            HolderKind::User
        } else {
            HolderKind::Role
        };
        let barrier = Arc::new(Barrier::new(2));
        let put = {
            let (store, account_id, name, barrier) = (
                store.clone(),
                account_id.clone(),
                name.clone(),
                barrier.clone(),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .put_permissions_boundary(
                        &account_id,
                        PolicyHolder::new(kind, holder_name),
                        &name,
                    )
                    .await
            })
        };
        let delete = {
            let (store, account_id, name, barrier) = (
                store.clone(),
                account_id.clone(),
                name.clone(),
                barrier.clone(),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                store.delete_policy(&account_id, &name).await
            })
        };
        let (put, delete) = (
            put.await.expect("put task"),
            delete.await.expect("delete task"),
        );
        let boundary = store
            .get_permissions_boundary(&account_id, PolicyHolder::new(kind, holder_name))
            .await
            .expect("get");
        match (put, delete) {
            (Ok(()), Err(StoreError::PolicyInUseAsBoundary)) => {
                assert!(boundary.is_some_and(|arn| arn.ends_with(&format!("/{name}"))));
                store
                    .delete_permissions_boundary(&account_id, PolicyHolder::new(kind, holder_name))
                    .await
                    .expect("delete boundary");
            }
            (Err(StoreError::NoSuchPolicy), Ok(())) => {
                assert!(
                    boundary
                        .as_deref()
                        .is_none_or(|arn| !arn.ends_with(&format!("/{name}"))),
                    "no boundary on a deleted policy"
                );
            }
            other => panic!("round {round}: unexpected outcome {other:?}"),
        }
    }
}
