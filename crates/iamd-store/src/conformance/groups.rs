//! Groups: names unique per account ignoring case, paths, paging, renames that keep
//! members and policies, delete conflicts (members, attached and inline policies), a
//! user's groups, the per-account, per-user and per-group quotas (also under concurrent
//! calls), DeleteUser refusing a member, and the group policies that apply to a member.

use std::sync::Arc;

use tokio::sync::Barrier;

use super::{account, at, create};
use crate::ids;
use crate::model::{Group, ManagedPolicy, PolicyHolder, UserPolicies};
use crate::store::{Store, StoreError};

const QUOTA: usize = 5120;

pub(super) fn new_group(account_id: &str, name: &str, path: &str) -> Group {
    Group {
        account_id: account_id.to_owned(),
        group_id: ids::group_id(),
        group_name: name.to_owned(),
        path: path.to_owned(),
        create_date: at(0),
    }
}

async fn create_group(store: &Arc<dyn Store>, account_id: &str, name: &str, path: &str) -> Group {
    let group = new_group(account_id, name, path);
    store
        .create_group(&group, usize::MAX)
        .await
        .expect("create_group");
    group
}

fn doc(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

async fn create_policy(store: &Arc<dyn Store>, account_id: &str, name: &str) -> ManagedPolicy {
    let policy = ManagedPolicy {
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
    };
    store
        .create_policy(&policy, &doc(&format!("iam:{name}")))
        .await
        .expect("create_policy");
    policy
}

async fn group_names(
    store: &Arc<dyn Store>,
    account_id: &str,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Vec<String> {
    store
        .list_groups(account_id, prefix, after, limit)
        .await
        .expect("list_groups")
        .into_iter()
        .map(|g| g.group_name)
        .collect()
}

async fn member_names(store: &Arc<dyn Store>, account_id: &str, group: &str) -> Vec<String> {
    store
        .get_group_members(account_id, group, None, 1000)
        .await
        .expect("get_group_members")
        .expect("the group exists")
        .1
        .into_iter()
        .map(|u| u.user_name)
        .collect()
}

async fn groups_of(store: &Arc<dyn Store>, account_id: &str, user: &str) -> Vec<String> {
    store
        .list_groups_for_user(account_id, user, None, 1000)
        .await
        .expect("list_groups_for_user")
        .into_iter()
        .map(|g| g.group_name)
        .collect()
}

async fn add(store: &Arc<dyn Store>, account_id: &str, group: &str, user: &str) {
    store
        .add_user_to_group(account_id, group, user, 10)
        .await
        .unwrap_or_else(|e| panic!("add {user} to {group}: {e:?}"));
}

pub async fn groups_are_found_ignoring_case_listed_and_paged(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let other_account = ids::account_id();
    let admins = create_group(&store, &account_id, "Admins", "/ops/").await;
    create_group(&store, &account_id, "beta", "/").await;
    create_group(&store, &account_id, "Gamma", "/ops/x/").await;
    create_group(&store, &account_id, "delta%", "/o%/").await;
    assert_err!(
        store
            .create_group(&new_group(&account_id, "ADMINS", "/"), usize::MAX)
            .await,
        StoreError::AlreadyExists
    );
    let found = store
        .get_group(&account_id, "admins")
        .await
        .expect("get_group")
        .expect("found ignoring case");
    assert_eq!(found, admins, "stored as given");
    assert_eq!(
        store
            .get_group(&other_account, "admins")
            .await
            .expect("get_group"),
        None,
        "groups belong to their account"
    );
    assert_eq!(
        store.get_group(&account_id, "nope").await.expect("get"),
        None
    );

    assert_eq!(
        group_names(&store, &account_id, "/", None, 100).await,
        ["Admins", "beta", "delta%", "Gamma"],
        "lower-cased name order"
    );
    assert_eq!(
        group_names(&store, &account_id, "/ops/", None, 100).await,
        ["Admins", "Gamma"]
    );
    assert_eq!(
        group_names(&store, &account_id, "/o%", None, 100).await,
        ["delta%"],
        "a plain prefix, not a pattern"
    );
    assert_eq!(
        group_names(&store, &account_id, "/", None, 2).await,
        ["Admins", "beta"]
    );
    assert_eq!(
        group_names(&store, &account_id, "/", Some("beta"), 2).await,
        ["delta%", "Gamma"]
    );
    assert!(group_names(&store, &account_id, "/", Some("gamma"), 2)
        .await
        .is_empty());
}

pub async fn update_group_renames_and_moves_keeping_members_and_policies(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let devs = create_group(&store, &account_id, "devs", "/").await;
    create_group(&store, &account_id, "ops", "/").await;
    create(&store, &account_id, "alice", "/").await;
    add(&store, &account_id, "devs", "alice").await;
    create_policy(&store, &account_id, "pol").await;
    store
        .attach_policy(&account_id, PolicyHolder::group("devs"), "pol", 10)
        .await
        .expect("attach");
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::group("devs"),
            "inline",
            &doc("s3:*"),
            10,
            QUOTA,
        )
        .await
        .expect("put");

    assert_err!(
        store
            .update_group(&account_id, "DEVS", Some("OPS"), None)
            .await,
        StoreError::AlreadyExists
    );
    assert_err!(
        store
            .update_group(&account_id, "nope", Some("x"), None)
            .await,
        StoreError::NoSuchGroup
    );
    store
        .update_group(&account_id, "DEVS", Some("Devs"), None)
        .await
        .expect("a change of casing alone");
    store
        .update_group(&account_id, "devs", Some("Builders"), Some("/eng/"))
        .await
        .expect("rename and move");
    assert_eq!(
        store.get_group(&account_id, "devs").await.expect("get"),
        None
    );
    let renamed = store
        .get_group(&account_id, "builders")
        .await
        .expect("get")
        .expect("renamed");
    assert_eq!(
        (
            renamed.group_id.as_str(),
            renamed.group_name.as_str(),
            renamed.path.as_str()
        ),
        (devs.group_id.as_str(), "Builders", "/eng/")
    );
    store
        .update_group(&account_id, "builders", None, Some("/x/"))
        .await
        .expect("move only");
    assert_eq!(
        store
            .get_group(&account_id, "Builders")
            .await
            .expect("get")
            .expect("found")
            .path,
        "/x/"
    );
    assert_eq!(
        member_names(&store, &account_id, "Builders").await,
        ["alice"]
    );
    assert_eq!(groups_of(&store, &account_id, "alice").await, ["Builders"]);
    let policies = store
        .get_holder_policies(crate::model::HolderKind::Group, &devs.group_id)
        .await
        .expect("policies");
    assert_eq!(policies.inline.len(), 1);
    assert_eq!(policies.managed.len(), 1);
    // The old name is free again.
    create_group(&store, &account_id, "devs", "/").await;
}

pub async fn delete_group_requires_no_members_or_policies(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create_group(&store, &account_id, "Crew", "/").await;
    create(&store, &account_id, "bob", "/").await;
    create_policy(&store, &account_id, "pol").await;
    add(&store, &account_id, "crew", "bob").await;
    store
        .attach_policy(&account_id, PolicyHolder::group("crew"), "pol", 10)
        .await
        .expect("attach");
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::group("crew"),
            "inline",
            &doc("s3:*"),
            10,
            QUOTA,
        )
        .await
        .expect("put");
    assert_err!(
        store.delete_group(&account_id, "nope").await,
        StoreError::NoSuchGroup
    );
    assert_err!(
        store.delete_group(&account_id, "crew").await,
        StoreError::GroupHasMembers
    );
    store
        .remove_user_from_group(&account_id, "CREW", "BOB")
        .await
        .expect("remove");
    assert_err!(
        store.delete_group(&account_id, "crew").await,
        StoreError::GroupHasAttachedPolicies
    );
    store
        .detach_policy(&account_id, PolicyHolder::group("crew"), "pol")
        .await
        .expect("detach");
    assert_err!(
        store.delete_group(&account_id, "crew").await,
        StoreError::GroupHasInlinePolicies
    );
    store
        .delete_inline_policy(&account_id, PolicyHolder::group("crew"), "inline")
        .await
        .expect("delete inline");
    assert!(store
        .get_group(&account_id, "crew")
        .await
        .expect("get")
        .is_some());
    store
        .delete_group(&account_id, "crew")
        .await
        .expect("delete an empty group");
    assert_eq!(
        store.get_group(&account_id, "crew").await.expect("get"),
        None
    );
    assert_err!(
        store.delete_group(&account_id, "crew").await,
        StoreError::NoSuchGroup
    );
    assert_eq!(
        store
            .get_policy(&account_id, "pol")
            .await
            .expect("get_policy")
            .expect("exists")
            .attachment_count,
        0
    );
    // The name can be taken again, and the user is in no group.
    create_group(&store, &account_id, "crew", "/").await;
    assert!(groups_of(&store, &account_id, "bob").await.is_empty());
}

pub async fn memberships_are_idempotent_listed_and_paged(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let team = create_group(&store, &account_id, "Team", "/t/").await;
    create_group(&store, &account_id, "alpha", "/").await;
    create_group(&store, &account_id, "Zulu", "/").await;
    for name in ["dave", "Carol", "erin", "bob"] {
        create(&store, &account_id, name, "/").await;
    }
    for name in ["dave", "CAROL", "erin", "bob", "Dave"] {
        add(&store, &account_id, "team", name).await;
    }
    add(&store, &account_id, "Zulu", "bob").await;
    add(&store, &account_id, "ALPHA", "bob").await;

    assert_err!(
        store
            .add_user_to_group(&account_id, "nope", "bob", 10)
            .await,
        StoreError::NoSuchGroup
    );
    assert_err!(
        store
            .add_user_to_group(&account_id, "team", "nope", 10)
            .await,
        StoreError::NoSuchUser
    );
    assert_err!(
        store
            .add_user_to_group(&account_id, "nope", "nope", 10)
            .await,
        StoreError::NoSuchGroup
    );

    let (group, members) = store
        .get_group_members(&account_id, "TEAM", None, 100)
        .await
        .expect("get_group_members")
        .expect("found");
    assert_eq!(group, team);
    let names: Vec<_> = members.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(
        names,
        ["bob", "Carol", "dave", "erin"],
        "each once, by name"
    );
    let page = |after: Option<&'static str>, limit| {
        let (store, account_id) = (Arc::clone(&store), account_id.clone());
        async move {
            store
                .get_group_members(&account_id, "team", after, limit)
                .await
                .expect("page")
                .expect("found")
                .1
                .into_iter()
                .map(|u| u.user_name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(page(None, 2).await, ["bob", "Carol"]);
    assert_eq!(page(Some("carol"), 2).await, ["dave", "erin"]);
    assert!(page(Some("erin"), 2).await.is_empty());
    assert!(page(None, 0).await.is_empty());
    assert_eq!(
        store
            .get_group_members(&account_id, "nope", None, 10)
            .await
            .expect("get_group_members"),
        None
    );
    let empty = store
        .get_group_members(&account_id, "alpha", Some("bob"), 10)
        .await
        .expect("get_group_members")
        .expect("found");
    assert!(empty.1.is_empty(), "nothing after the last member");

    assert_eq!(
        groups_of(&store, &account_id, "BOB").await,
        ["alpha", "Team", "Zulu"]
    );
    let after_team = store
        .list_groups_for_user(&account_id, "bob", Some("team"), 10)
        .await
        .expect("list_groups_for_user");
    assert_eq!(after_team.len(), 1);
    assert_eq!(after_team[0].group_name, "Zulu");
    assert_eq!(
        store
            .list_groups_for_user(&account_id, "bob", None, 1)
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(groups_of(&store, &account_id, "erin").await, ["Team"]);
    assert_err!(
        store
            .list_groups_for_user(&account_id, "nope", None, 10)
            .await,
        StoreError::NoSuchUser
    );

    store
        .remove_user_from_group(&account_id, "team", "Erin")
        .await
        .expect("remove");
    assert_err!(
        store
            .remove_user_from_group(&account_id, "team", "erin")
            .await,
        StoreError::NotInGroup
    );
    assert_err!(
        store
            .remove_user_from_group(&account_id, "nope", "erin")
            .await,
        StoreError::NoSuchGroup
    );
    assert_err!(
        store
            .remove_user_from_group(&account_id, "team", "nope")
            .await,
        StoreError::NoSuchUser
    );
    assert_eq!(
        member_names(&store, &account_id, "team").await,
        ["bob", "Carol", "dave"]
    );
    assert!(groups_of(&store, &account_id, "erin").await.is_empty());

    // A renamed user stays a member under its new name.
    store
        .update_user(&account_id, "dave", Some("Aaron"), None)
        .await
        .expect("rename");
    assert_eq!(
        member_names(&store, &account_id, "team").await,
        ["Aaron", "bob", "Carol"]
    );
}

pub async fn groups_per_account_and_per_user_are_limited(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    for i in 0..3 {
        store
            .create_group(&new_group(&account_id, &format!("g{i}"), "/"), 3)
            .await
            .expect("within the quota");
    }
    assert_err!(
        store
            .create_group(&new_group(&account_id, "g3", "/"), 3)
            .await,
        StoreError::GroupQuotaExceeded
    );
    assert_eq!(store.get_group(&account_id, "g3").await.expect("get"), None);
    store.delete_group(&account_id, "g2").await.expect("delete");
    store
        .create_group(&new_group(&account_id, "g3", "/"), 3)
        .await
        .expect("room freed by the delete");

    create(&store, &account_id, "ivan", "/").await;
    store
        .add_user_to_group(&account_id, "g0", "ivan", 2)
        .await
        .expect("1 of 2");
    store
        .add_user_to_group(&account_id, "g1", "ivan", 2)
        .await
        .expect("2 of 2");
    assert_err!(
        store.add_user_to_group(&account_id, "g3", "ivan", 2).await,
        StoreError::GroupsPerUserExceeded
    );
    store
        .add_user_to_group(&account_id, "G1", "IVAN", 2)
        .await
        .expect("adding a member again is not a new membership");
    assert_eq!(groups_of(&store, &account_id, "ivan").await, ["g0", "g1"]);
    store
        .remove_user_from_group(&account_id, "g0", "ivan")
        .await
        .expect("remove");
    store
        .add_user_to_group(&account_id, "g3", "ivan", 2)
        .await
        .expect("room freed by the removal");
}

pub async fn delete_user_requires_no_groups(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create(&store, &account_id, "judy", "/").await;
    create_group(&store, &account_id, "g", "/").await;
    add(&store, &account_id, "g", "judy").await;
    assert_err!(
        store.delete_user(&account_id, "judy").await,
        StoreError::UserInGroups
    );
    // Policies are reported before groups.
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::user("judy"),
            "p",
            &doc("s3:*"),
            10,
            QUOTA,
        )
        .await
        .expect("put");
    assert_err!(
        store.delete_user(&account_id, "judy").await,
        StoreError::UserHasInlinePolicies
    );
    store
        .delete_inline_policy(&account_id, PolicyHolder::user("judy"), "p")
        .await
        .expect("delete");
    store
        .remove_user_from_group(&account_id, "g", "judy")
        .await
        .expect("remove");
    store
        .delete_user(&account_id, "judy")
        .await
        .expect("delete a user in no group");
    assert!(member_names(&store, &account_id, "g").await.is_empty());
}

pub async fn group_policies_apply_to_their_members(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let kim = create(&store, &account_id, "kim", "/").await;
    let lee = create(&store, &account_id, "lee", "/").await;
    assert!(store
        .get_user_group_policies(&kim.user_id)
        .await
        .expect("none yet")
        .is_empty());
    assert!(store
        .get_user_group_policies(&ids::user_id())
        .await
        .expect("an unknown user")
        .is_empty());
    create_group(&store, &account_id, "Readers", "/").await;
    create_group(&store, &account_id, "admins", "/").await;
    create_group(&store, &account_id, "empty", "/").await;
    let pol = create_policy(&store, &account_id, "Managed").await;
    store
        .create_policy_version(&account_id, "managed", &doc("iam:v2"), true, 5, at(1))
        .await
        .expect("v2");
    for (group, name, action) in [
        ("readers", "b", "b:*"),
        ("readers", "a", "a:*"),
        ("admins", "all", "*"),
    ] {
        store
            .put_inline_policy(
                &account_id,
                PolicyHolder::group(group),
                name,
                &doc(action),
                10,
                QUOTA,
            )
            .await
            .expect("put");
    }
    store
        .attach_policy(&account_id, PolicyHolder::group("readers"), "managed", 10)
        .await
        .expect("attach");
    for group in ["readers", "admins", "empty"] {
        add(&store, &account_id, group, "kim").await;
    }
    add(&store, &account_id, "readers", "lee").await;

    let kim_policies = store
        .get_user_group_policies(&kim.user_id)
        .await
        .expect("kim's groups");
    assert_eq!(
        kim_policies,
        vec![
            (
                "admins".to_owned(),
                UserPolicies {
                    inline: vec![("all".to_owned(), doc("*"))],
                    managed: vec![],
                    boundary: None,
                    ..Default::default()
                }
            ),
            (
                "Readers".to_owned(),
                UserPolicies {
                    inline: vec![("a".to_owned(), doc("a:*")), ("b".to_owned(), doc("b:*"))],
                    managed: vec![(pol.arn(), "v2".to_owned(), doc("iam:v2"))],
                    boundary: None,
                    ..Default::default()
                }
            ),
        ],
        "in group-name order, groups without policies left out, default versions"
    );
    // The user's own policies are not among them.
    assert_eq!(
        store
            .get_holder_policies(crate::model::HolderKind::User, &kim.user_id)
            .await
            .expect("own"),
        UserPolicies::default()
    );
    let lee_policies = store
        .get_user_group_policies(&lee.user_id)
        .await
        .expect("lee's groups");
    assert_eq!(lee_policies.len(), 1);
    assert_eq!(lee_policies[0].0, "Readers");

    store
        .remove_user_from_group(&account_id, "readers", "kim")
        .await
        .expect("remove");
    let kim_policies = store
        .get_user_group_policies(&kim.user_id)
        .await
        .expect("kim's groups");
    assert_eq!(kim_policies.len(), 1);
    assert_eq!(kim_policies[0].0, "admins");
}

pub async fn group_attachments_respect_the_quota(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create_group(&store, &account_id, "g", "/").await;
    for name in ["p1", "p2", "p3"] {
        create_policy(&store, &account_id, name).await;
    }
    for name in ["p1", "p2"] {
        store
            .attach_policy(&account_id, PolicyHolder::group("g"), name, 2)
            .await
            .expect("within the quota");
    }
    store
        .attach_policy(&account_id, PolicyHolder::group("g"), "P1", 2)
        .await
        .expect("attaching again is not a new attachment");
    assert_err!(
        store
            .attach_policy(&account_id, PolicyHolder::group("g"), "p3", 2)
            .await,
        StoreError::AttachmentQuotaExceeded
    );
    assert_eq!(
        store
            .get_policy(&account_id, "p3")
            .await
            .expect("get")
            .expect("exists")
            .attachment_count,
        0
    );
    assert_err!(
        store
            .attach_policy(&account_id, PolicyHolder::group("g"), "nope", 2)
            .await,
        StoreError::NoSuchPolicy
    );
    store
        .detach_policy(&account_id, PolicyHolder::group("g"), "p1")
        .await
        .expect("detach");
    store
        .attach_policy(&account_id, PolicyHolder::group("g"), "p3", 2)
        .await
        .expect("room freed");
}

pub async fn concurrent_memberships_respect_the_quota_and_deletes(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create(&store, &account_id, "mallory", "/").await;
    for i in 0..12 {
        create_group(&store, &account_id, &format!("g{i:02}"), "/").await;
    }
    // 12 additions of one user at once, with a quota of 10: exactly 10 succeed.
    let start = Arc::new(Barrier::new(12));
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let (store, start, account_id) =
                (Arc::clone(&store), Arc::clone(&start), account_id.clone());
            tokio::spawn(async move {
                start.wait().await;
                store
                    .add_user_to_group(&account_id, &format!("g{i:02}"), "mallory", 10)
                    .await
            })
        })
        .collect();
    let mut added = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => added += 1,
            Err(StoreError::GroupsPerUserExceeded) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(added, 10);
    assert_eq!(groups_of(&store, &account_id, "mallory").await.len(), 10);

    // Deleting a group races adding a user to it: either the delete sees the member, or
    // the addition finds no group; never a membership of a deleted group.
    for round in 0..10 {
        let group = format!("race{round}");
        let user = format!("racer{round}");
        create_group(&store, &account_id, &group, "/").await;
        create(&store, &account_id, &user, "/").await;
        let start = Arc::new(Barrier::new(2));
        let adding = {
            let (store, start, account_id, group, user) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                group.clone(),
                user.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                store
                    .add_user_to_group(&account_id, &group, &user, 10)
                    .await
            })
        };
        let deleting = {
            let (store, start, account_id, group) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                group.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                store.delete_group(&account_id, &group).await
            })
        };
        let (added, deleted) = (adding.await.expect("task"), deleting.await.expect("task"));
        match (added, deleted) {
            (Ok(()), Err(StoreError::GroupHasMembers)) => {
                assert_eq!(member_names(&store, &account_id, &group).await, [user]);
            }
            (Err(StoreError::NoSuchGroup), Ok(())) => {
                assert!(groups_of(&store, &account_id, &user).await.is_empty());
            }
            other => panic!("round {round}: unexpected {other:?}"),
        }
    }
}
