//! Instance profiles: case-insensitive names with tags, their roles (AWS's one-role quota,
//! held under concurrent additions), path-prefix listing and paging, the profiles of a role,
//! and the deletes they block (a profile with a role, a role in a profile).

use std::sync::Arc;

use tokio::sync::Barrier;

use super::at;
use super::roles::new_role;
use crate::ids;
use crate::model::{InstanceProfile, Tag, ROLES_PER_INSTANCE_PROFILE};
use crate::store::{Store, StoreError};

pub(super) fn new_profile(account_id: &str, name: &str, path: &str) -> InstanceProfile {
    InstanceProfile {
        account_id: account_id.to_owned(),
        instance_profile_id: ids::instance_profile_id(),
        instance_profile_name: name.to_owned(),
        path: path.to_owned(),
        create_date: at(0),
        tags: Vec::new(),
        roles: Vec::new(),
    }
}

async fn create_profile(
    store: &Arc<dyn Store>,
    account_id: &str,
    name: &str,
    path: &str,
) -> InstanceProfile {
    let profile = new_profile(account_id, name, path);
    store
        .create_instance_profile(&profile)
        .await
        .expect("create_instance_profile");
    profile
}

async fn create_role(store: &Arc<dyn Store>, account_id: &str, name: &str) {
    store
        .create_role(&new_role(account_id, name, "/"))
        .await
        .expect("create_role");
}

async fn get(store: &Arc<dyn Store>, account_id: &str, name: &str) -> InstanceProfile {
    store
        .get_instance_profile(account_id, name)
        .await
        .expect("get_instance_profile")
        .unwrap_or_else(|| panic!("instance profile {name} exists"))
}

fn role_names(profile: &InstanceProfile) -> Vec<&str> {
    profile.roles.iter().map(|r| r.role_name.as_str()).collect()
}

async fn add(
    store: &Arc<dyn Store>,
    account_id: &str,
    profile: &str,
    role: &str,
) -> Result<(), StoreError> {
    store
        .add_role_to_instance_profile(account_id, profile, role, ROLES_PER_INSTANCE_PROFILE)
        .await
}

async fn listed(
    store: &Arc<dyn Store>,
    account_id: &str,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Vec<String> {
    store
        .list_instance_profiles(account_id, prefix, after, limit)
        .await
        .expect("list_instance_profiles")
        .into_iter()
        .map(|p| p.instance_profile_name)
        .collect()
}

pub async fn instance_profiles_are_found_ignoring_case_with_tags_and_roles(store: Arc<dyn Store>) {
    let (account_id, _) = super::account(&store).await;
    let mut web = new_profile(&account_id, "WebServer", "/app/");
    web.create_date = at(42);
    web.tags = vec![
        Tag {
            key: "team".into(),
            value: "web".into(),
        },
        Tag {
            key: "Env".into(),
            value: String::new(),
        },
    ];
    store
        .create_instance_profile(&web)
        .await
        .expect("create_instance_profile");
    for name in ["WebServer", "webserver", "WEBSERVER"] {
        assert_eq!(get(&store, &account_id, name).await, web, "{name}");
    }
    assert_eq!(
        store
            .get_instance_profile(&account_id, "nope")
            .await
            .expect("get_instance_profile"),
        None
    );
    // Names are unique ignoring case, whatever the path.
    let clash = new_profile(&account_id, "WEBserver", "/other/");
    assert_err!(
        store.create_instance_profile(&clash).await,
        StoreError::AlreadyExists
    );
    create_role(&store, &account_id, "Reader").await;
    add(&store, &account_id, "webSERVER", "READER")
        .await
        .expect("add_role_to_instance_profile");
    let found = get(&store, &account_id, "WebServer").await;
    assert_eq!(role_names(&found), ["Reader"]);
    assert_eq!(found.tags, web.tags, "tags are kept in order");
    assert!(found.roles[0].tags.is_empty(), "roles come without tags");
}

pub async fn instance_profiles_hold_one_role_and_block_deletes(store: Arc<dyn Store>) {
    let (account_id, _) = super::account(&store).await;
    create_profile(&store, &account_id, "web", "/").await;
    create_role(&store, &account_id, "first").await;
    create_role(&store, &account_id, "second").await;

    assert_err!(
        add(&store, &account_id, "missing", "first").await,
        StoreError::NoSuchInstanceProfile
    );
    assert_err!(
        add(&store, &account_id, "web", "missing").await,
        StoreError::NoSuchRole
    );
    add(&store, &account_id, "web", "first").await.expect("add");
    assert_err!(
        add(&store, &account_id, "web", "FIRST").await,
        StoreError::AlreadyExists
    );
    assert_err!(
        add(&store, &account_id, "web", "second").await,
        StoreError::InstanceProfileRolesExceeded
    );
    assert_eq!(
        role_names(&get(&store, &account_id, "web").await),
        ["first"]
    );

    // Neither the profile nor its role can go while they are associated.
    assert_err!(
        store.delete_instance_profile(&account_id, "WEB").await,
        StoreError::InstanceProfileHasRoles
    );
    assert_err!(
        store.delete_role(&account_id, "first").await,
        StoreError::RoleInInstanceProfile
    );

    assert_err!(
        store
            .remove_role_from_instance_profile(&account_id, "missing", "first")
            .await,
        StoreError::NoSuchInstanceProfile
    );
    assert_err!(
        store
            .remove_role_from_instance_profile(&account_id, "web", "missing")
            .await,
        StoreError::NoSuchRole
    );
    assert_err!(
        store
            .remove_role_from_instance_profile(&account_id, "web", "second")
            .await,
        StoreError::RoleNotInInstanceProfile
    );
    store
        .remove_role_from_instance_profile(&account_id, "Web", "First")
        .await
        .expect("remove_role_from_instance_profile");
    assert!(get(&store, &account_id, "web").await.roles.is_empty());

    // Now the other role fits, and the first can be deleted.
    add(&store, &account_id, "web", "second")
        .await
        .expect("add");
    store
        .delete_role(&account_id, "first")
        .await
        .expect("delete_role");
    store
        .remove_role_from_instance_profile(&account_id, "web", "second")
        .await
        .expect("remove");
    store
        .delete_instance_profile(&account_id, "web")
        .await
        .expect("delete_instance_profile");
    assert_eq!(
        store
            .get_instance_profile(&account_id, "web")
            .await
            .expect("get_instance_profile"),
        None
    );
    assert_err!(
        store.delete_instance_profile(&account_id, "web").await,
        StoreError::NoSuchInstanceProfile
    );
    // The name is free again, with no tags left behind.
    let again = create_profile(&store, &account_id, "WEB", "/").await;
    assert_eq!(get(&store, &account_id, "web").await, again);
}

pub async fn list_instance_profiles_filters_orders_and_pages(store: Arc<dyn Store>) {
    let (account_id, _) = super::account(&store).await;
    for (name, path) in [
        ("b", "/app/"),
        ("A", "/app/web/"),
        ("c", "/"),
        ("D", "/app_x/"),
        ("e", "/app%/"),
    ] {
        create_profile(&store, &account_id, name, path).await;
    }
    assert_eq!(
        listed(&store, &account_id, "/", None, 100).await,
        ["A", "b", "c", "D", "e"]
    );
    // A plain prefix: `_` and `%` are not wildcards.
    assert_eq!(
        listed(&store, &account_id, "/app/", None, 100).await,
        ["A", "b"]
    );
    assert_eq!(listed(&store, &account_id, "/app%", None, 100).await, ["e"]);
    assert_eq!(
        listed(&store, &account_id, "/", Some("b"), 2).await,
        ["c", "D"]
    );
    assert!(listed(&store, &account_id, "/", Some("e"), 2)
        .await
        .is_empty());

    // Profiles of a role: in name order, paged the same way, with their roles.
    create_role(&store, &account_id, "shared").await;
    create_role(&store, &account_id, "lonely").await;
    for name in ["c", "A", "e"] {
        add(&store, &account_id, name, "Shared").await.expect("add");
    }
    let of_role = |after: Option<&'static str>, limit: usize| {
        let store = Arc::clone(&store);
        let account_id = account_id.clone();
        async move {
            store
                .list_instance_profiles_for_role(&account_id, "SHARED", after, limit)
                .await
                .expect("list_instance_profiles_for_role")
        }
    };
    let all = of_role(None, 100).await;
    assert_eq!(
        all.iter()
            .map(|p| p.instance_profile_name.as_str())
            .collect::<Vec<_>>(),
        ["A", "c", "e"]
    );
    assert!(all.iter().all(|p| role_names(p) == ["shared"]));
    let page = of_role(Some("a"), 1).await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].instance_profile_name, "c");
    assert!(store
        .list_instance_profiles_for_role(&account_id, "lonely", None, 100)
        .await
        .expect("list_instance_profiles_for_role")
        .is_empty());
    assert_err!(
        store
            .list_instance_profiles_for_role(&account_id, "missing", None, 100)
            .await,
        StoreError::NoSuchRole
    );
    // Listings carry roles too.
    let listed_all = store
        .list_instance_profiles(&account_id, "/", None, 100)
        .await
        .expect("list_instance_profiles");
    let with_roles: Vec<_> = listed_all
        .iter()
        .filter(|p| !p.roles.is_empty())
        .map(|p| p.instance_profile_name.as_str())
        .collect();
    assert_eq!(with_roles, ["A", "c", "e"]);
}

/// Many roles added to one profile at once: exactly one gets in; and a role being deleted
/// while it is added to a profile either is deleted (and the addition finds no role) or
/// stays in the profile.
pub async fn concurrent_role_additions_respect_the_quota(store: Arc<dyn Store>) {
    let (account_id, _) = super::account(&store).await;
    create_profile(&store, &account_id, "web", "/").await;
    let names: Vec<String> = (0..8).map(|i| format!("role{i}")).collect();
    for name in &names {
        create_role(&store, &account_id, name).await;
    }
    let start = Arc::new(Barrier::new(names.len()));
    let tasks: Vec<_> = names
        .iter()
        .map(|name| {
            let (store, start, account_id, name) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                name.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                add(&store, &account_id, "web", &name).await
            })
        })
        .collect();
    let mut added = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => added += 1,
            Err(StoreError::InstanceProfileRolesExceeded) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!(added, 1);
    assert_eq!(get(&store, &account_id, "web").await.roles.len(), 1);

    for round in 0..5 {
        let profile = format!("p{round}");
        let role = format!("r{round}");
        create_profile(&store, &account_id, &profile, "/").await;
        create_role(&store, &account_id, &role).await;
        let start = Arc::new(Barrier::new(2));
        let adding = {
            let (store, start, account_id, profile, role) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                profile.clone(),
                role.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                add(&store, &account_id, &profile, &role).await
            })
        };
        let deleting = {
            let (store, start, account_id, role) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                role.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                store.delete_role(&account_id, &role).await
            })
        };
        let (added, deleted) = (adding.await.expect("task"), deleting.await.expect("task"));
        let found = get(&store, &account_id, &profile).await;
        match (added, deleted) {
            (Ok(()), Err(StoreError::RoleInInstanceProfile)) => {
                assert_eq!(role_names(&found), [role.as_str()]);
            }
            (Err(StoreError::NoSuchRole), Ok(())) => assert!(found.roles.is_empty()),
            other => panic!("unexpected outcome: {other:?}"),
        }
    }
}
