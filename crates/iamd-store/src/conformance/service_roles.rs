//! Account aliases (one per account, replaced by the next, unique, deleted by name) and
//! service-linked roles (stored with their service, deleted only as such, each deletion
//! recorded as a task that outlives the role).

use std::sync::Arc;

use tokio::sync::Barrier;

use super::roles::new_role;
use super::{account, at};
use crate::model::{DeletionStatus, DeletionTask, PolicyHolder, Role};
use crate::store::{Store, StoreError};

async fn aliases(store: &Arc<dyn Store>, account_id: &str) -> Vec<String> {
    store
        .list_account_aliases(account_id)
        .await
        .expect("list_account_aliases")
}

pub async fn account_aliases_are_replaced_unique_and_deleted(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    assert!(aliases(&store, &account_id).await.is_empty());

    store
        .create_account_alias(&account_id, "first-alias")
        .await
        .expect("create_account_alias");
    assert_eq!(aliases(&store, &account_id).await, ["first-alias"]);
    // The alias is taken, by this very account.
    assert_err!(
        store.create_account_alias(&account_id, "first-alias").await,
        StoreError::AlreadyExists
    );
    // A second alias replaces the first.
    store
        .create_account_alias(&account_id, "second-alias")
        .await
        .expect("create_account_alias");
    assert_eq!(aliases(&store, &account_id).await, ["second-alias"]);

    // Deleting names the alias: another one is not there.
    assert_err!(
        store.delete_account_alias(&account_id, "first-alias").await,
        StoreError::NoSuchAccountAlias
    );
    assert_eq!(aliases(&store, &account_id).await, ["second-alias"]);
    store
        .delete_account_alias(&account_id, "second-alias")
        .await
        .expect("delete_account_alias");
    assert!(aliases(&store, &account_id).await.is_empty());
    assert_err!(
        store
            .delete_account_alias(&account_id, "second-alias")
            .await,
        StoreError::NoSuchAccountAlias
    );
    // A deleted alias is free again.
    store
        .create_account_alias(&account_id, "first-alias")
        .await
        .expect("create_account_alias");
    assert_eq!(aliases(&store, &account_id).await, ["first-alias"]);
}

/// Replacements racing each other leave exactly one alias, one of those asked for; racing
/// creations of one alias succeed once.
pub async fn concurrent_alias_changes_leave_one_alias(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    const N: usize = 8;
    let barrier = Arc::new(Barrier::new(N));
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let (store, barrier, account_id) = (store.clone(), barrier.clone(), account_id.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .create_account_alias(&account_id, &format!("alias-{i}"))
                    .await
            })
        })
        .collect();
    for task in tasks {
        // Each replaces whatever the others left; none may fail.
        task.await.expect("task").expect("create_account_alias");
    }
    let left = aliases(&store, &account_id).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with("alias-"), "{left:?}");

    store
        .delete_account_alias(&account_id, &left[0])
        .await
        .expect("delete_account_alias");
    let barrier = Arc::new(Barrier::new(N));
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let (store, barrier, account_id) = (store.clone(), barrier.clone(), account_id.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.create_account_alias(&account_id, "contended").await
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => created += 1,
            Err(StoreError::AlreadyExists) => {}
            Err(e) => panic!("create_account_alias: {e}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(aliases(&store, &account_id).await, ["contended"]);
}

fn service_linked(account_id: &str, name: &str, service: &str) -> Role {
    Role {
        linked_service: Some(service.to_owned()),
        ..new_role(account_id, name, &format!("/aws-service-role/{service}/"))
    }
}

fn task(account_id: &str, id: &str) -> DeletionTask {
    DeletionTask {
        account_id: account_id.to_owned(),
        deletion_task_id: id.to_owned(),
        status: DeletionStatus::Succeeded,
        create_date: at(7),
    }
}

async fn task_of(store: &Arc<dyn Store>, account_id: &str, id: &str) -> Option<DeletionTask> {
    store
        .get_deletion_task(account_id, id)
        .await
        .expect("get_deletion_task")
}

pub async fn service_linked_roles_are_deleted_with_a_task(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let linked = service_linked(&account_id, "AWSServiceRoleForECS", "ecs.amazonaws.com");
    store.create_role(&linked).await.expect("create_role");
    let plain = new_role(&account_id, "plain", "/");
    store.create_role(&plain).await.expect("create_role");

    // The service is stored with the role and read back by every read of it.
    let found = store
        .get_role(&account_id, "awsserviceroleforecs")
        .await
        .expect("get_role")
        .expect("the role");
    assert_eq!(found, linked);
    let by_id = store
        .get_role_by_id(&linked.role_id)
        .await
        .expect("get_role_by_id")
        .expect("the role");
    assert_eq!(by_id.linked_service.as_deref(), Some("ecs.amazonaws.com"));
    let listed = store
        .list_roles(&account_id, "/", None, 10)
        .await
        .expect("list_roles");
    let services: Vec<_> = listed
        .iter()
        .map(|r| (r.role_name.as_str(), r.linked_service.as_deref()))
        .collect();
    assert_eq!(
        services,
        [
            ("AWSServiceRoleForECS", Some("ecs.amazonaws.com")),
            ("plain", None)
        ]
    );

    let id = "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/1";
    // Only a service-linked role is deleted this way.
    assert_err!(
        store
            .delete_service_linked_role(&account_id, "plain", &task(&account_id, "t-plain"))
            .await,
        StoreError::NoSuchRole
    );
    assert_err!(
        store
            .delete_service_linked_role(&account_id, "missing", &task(&account_id, "t-missing"))
            .await,
        StoreError::NoSuchRole
    );
    assert!(store
        .get_role(&account_id, "plain")
        .await
        .expect("get_role")
        .is_some());
    assert_eq!(task_of(&store, &account_id, "t-plain").await, None);

    // What blocks DeleteRole blocks it too, and then no task is recorded.
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::role("AWSServiceRoleForECS"),
            "p",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            10,
            10240,
        )
        .await
        .expect("put_inline_policy");
    assert_err!(
        store
            .delete_service_linked_role(&account_id, "AWSServiceRoleForECS", &task(&account_id, id))
            .await,
        StoreError::RoleHasInlinePolicies
    );
    assert_eq!(task_of(&store, &account_id, id).await, None);
    store
        .delete_inline_policy(&account_id, PolicyHolder::role("AWSServiceRoleForECS"), "p")
        .await
        .expect("delete_inline_policy");

    // Found ignoring case, like every role.
    store
        .delete_service_linked_role(&account_id, "awsserviceroleforecs", &task(&account_id, id))
        .await
        .expect("delete_service_linked_role");
    assert!(store
        .get_role(&account_id, "AWSServiceRoleForECS")
        .await
        .expect("get_role")
        .is_none());
    assert_eq!(
        task_of(&store, &account_id, id).await,
        Some(task(&account_id, id))
    );
    // Task ids are matched exactly.
    assert_eq!(task_of(&store, &account_id, &id.to_uppercase()).await, None);
    assert_eq!(task_of(&store, &account_id, "unknown").await, None);

    // The name is free again, and a second deletion is a second task.
    store.create_role(&linked).await.expect("create_role again");
    let second = "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/2";
    store
        .delete_service_linked_role(
            &account_id,
            "AWSServiceRoleForECS",
            &task(&account_id, second),
        )
        .await
        .expect("delete_service_linked_role");
    assert!(task_of(&store, &account_id, id).await.is_some());
    assert!(task_of(&store, &account_id, second).await.is_some());
    // DeleteRole still deletes ordinary roles.
    store
        .delete_role(&account_id, "plain")
        .await
        .expect("delete_role");
}
