//! Roles: case-insensitive names with tags and a sealed session secret, path-prefix
//! listing and its paging, partial updates, the trust policy, deleting (only without
//! policies), role and user attachments racing on one policy's count, and races between
//! all of these. Inline policies and attachments, checked for every kind of holder, are in
//! `holders`.

use std::sync::Arc;

use tokio::sync::Barrier;

use super::{account, at, create};
use crate::ids;
use crate::model::{HolderKind, ManagedPolicy, PolicyHolder, Role, RoleUsage, Tag, UserPolicies};
use crate::store::{Store, StoreError};

const QUOTA: usize = 10240;

/// A distinct, valid policy document.
fn doc(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

/// A distinct trust policy.
fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

pub(super) fn new_role(account_id: &str, name: &str, path: &str) -> Role {
    Role {
        account_id: account_id.to_owned(),
        role_id: ids::role_id(),
        role_name: name.to_owned(),
        path: path.to_owned(),
        description: None,
        assume_role_policy_document: trust(&format!("arn:aws:iam::{account_id}:root")),
        max_session_duration: 3600,
        create_date: at(0),
        tags: Vec::new(),
        session_secret: ids::secret_access_key().seal(super::ring()),
        linked_service: None,
    }
}

async fn create_role(store: &Arc<dyn Store>, account_id: &str, name: &str, path: &str) -> Role {
    let role = new_role(account_id, name, path);
    store.create_role(&role).await.expect("create_role");
    role
}

async fn create_policy(
    store: &Arc<dyn Store>,
    account_id: &str,
    name: &str,
    path: &str,
) -> ManagedPolicy {
    let policy = ManagedPolicy {
        account_id: account_id.to_owned(),
        policy_id: ids::policy_id(),
        policy_name: name.to_owned(),
        path: path.to_owned(),
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

async fn get_role(store: &Arc<dyn Store>, account_id: &str, name: &str) -> Role {
    store
        .get_role(account_id, name)
        .await
        .expect("get_role")
        .unwrap_or_else(|| panic!("role {name} exists"))
}

async fn role_names(store: &Arc<dyn Store>, account_id: &str, prefix: &str) -> Vec<String> {
    store
        .list_roles(account_id, prefix, None, 1000)
        .await
        .expect("list_roles")
        .into_iter()
        .map(|r| r.role_name)
        .collect()
}

async fn inline_names(store: &Arc<dyn Store>, account_id: &str, role: &str) -> Vec<String> {
    store
        .list_inline_policies(account_id, PolicyHolder::role(role), None, 1000)
        .await
        .expect("list_inline_policies")
}

async fn attached_names(store: &Arc<dyn Store>, account_id: &str, role: &str) -> Vec<String> {
    store
        .list_attached_policies(account_id, PolicyHolder::role(role), "/", None, 1000)
        .await
        .expect("list_attached_policies")
        .into_iter()
        .map(|p| p.policy_name)
        .collect()
}

async fn attachment_count(store: &Arc<dyn Store>, account_id: &str, policy: &str) -> u32 {
    store
        .get_policy(account_id, policy)
        .await
        .expect("get_policy")
        .expect("the policy exists")
        .attachment_count
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

pub async fn roles_are_found_ignoring_case_with_tags_and_secret(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let secret = ids::secret_access_key();
    let mut ops = new_role(&account_id, "DevOps", "/svc/ops/");
    ops.description = Some("Runs things".into());
    ops.max_session_duration = 7200;
    ops.create_date = at(42);
    ops.tags = vec![tag("team", "infra"), tag("Cost-Center", "42"), tag("a", "")];
    ops.session_secret = secret.seal(super::ring());
    store.create_role(&ops).await.expect("create_role");

    for name in ["DevOps", "devops", "DEVOPS", "dEvOpS"] {
        let found = store.get_role(&account_id, name).await.expect("get_role");
        assert_eq!(
            found.as_ref(),
            Some(&ops),
            "get_role({name}) returns the stored role, tags in order"
        );
    }
    let found = get_role(&store, &account_id, "devops").await;
    assert_eq!(found.role_name, "DevOps", "the stored casing is returned");
    assert_eq!(
        found
            .session_secret
            .open(super::ring())
            .expect("a known sealing scheme")
            .expose(),
        secret.expose(),
        "the session secret round-trips"
    );
    assert_eq!(
        found.arn(),
        format!("arn:aws:iam::{account_id}:role/svc/ops/DevOps")
    );
    assert_eq!(
        store
            .get_role_by_id(&ops.role_id)
            .await
            .expect("get_role_by_id"),
        Some(ops.clone()),
        "found by id, with its tags"
    );
    assert_eq!(
        store
            .get_role_by_id(&ids::role_id())
            .await
            .expect("get_role_by_id"),
        None
    );
    assert_eq!(
        store
            .get_role(&account_id, "devop")
            .await
            .expect("get_role"),
        None
    );
    assert_eq!(
        store
            .get_role("000000000000", "devops")
            .await
            .expect("get_role"),
        None,
        "other account"
    );

    // A name taken in another casing: refused, and the first role is kept as it was.
    let twin = new_role(&account_id, "DEVops", "/other/");
    assert_err!(store.create_role(&twin).await, StoreError::AlreadyExists);
    assert_eq!(get_role(&store, &account_id, "devops").await, ops);
    assert_eq!(
        store
            .get_role_by_id(&twin.role_id)
            .await
            .expect("get_role_by_id"),
        None,
        "nothing of the refused role is stored"
    );

    // Users and roles do not share names.
    create(&store, &account_id, "DevOps", "/").await;
    let plain = create_role(&store, &account_id, "plain", "/").await;
    let found = get_role(&store, &account_id, "PLAIN").await;
    assert_eq!(found, plain);
    assert!(found.tags.is_empty());
    assert_eq!(found.description, None);
    assert_eq!(
        found.session_secret, plain.session_secret,
        "each role keeps its own secret"
    );
    assert_ne!(found.session_secret, ops.session_secret);
}

pub async fn list_roles_filters_orders_and_pages(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    for (name, path) in [
        ("Zed", "/"),
        ("alpha", "/a/"),
        ("Beta", "/a/b/"),
        ("_x", "/a_b/"),
        ("a_y", "/axb/"),
        ("pct", "/a%b/"),
    ] {
        let mut role = new_role(&account_id, name, path);
        role.tags = vec![tag("k", name)];
        store.create_role(&role).await.expect("create_role");
    }
    // A user does not list as a role.
    create(&store, &account_id, "user", "/").await;

    assert_eq!(
        role_names(&store, &account_id, "/").await,
        ["_x", "a_y", "alpha", "Beta", "pct", "Zed"],
        "lower-cased-name (byte) order"
    );
    assert_eq!(
        role_names(&store, &account_id, "/a/").await,
        ["alpha", "Beta"]
    );
    assert_eq!(
        role_names(&store, &account_id, "/a_").await,
        ["_x"],
        "`_` is not a wildcard"
    );
    assert_eq!(
        role_names(&store, &account_id, "/a%").await,
        ["pct"],
        "`%` is not a wildcard"
    );
    assert_eq!(
        role_names(&store, &account_id, "/A/").await,
        Vec::<String>::new()
    );
    assert_eq!(role_names(&store, &account_id, "/a/b/").await, ["Beta"]);
    assert_eq!(
        role_names(&store, "000000000000", "/").await,
        Vec::<String>::new()
    );

    let listed = store
        .list_roles(&account_id, "/", None, 1000)
        .await
        .expect("list_roles");
    assert!(
        listed.iter().all(|r| r.tags.is_empty()),
        "listings carry no tags"
    );
    let mut expected = get_role(&store, &account_id, "beta").await;
    expected.tags.clear();
    assert_eq!(listed[3], expected, "listings carry the other attributes");

    // Keyset paging on the lower-cased name.
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page: Vec<String> = store
            .list_roles(&account_id, "/", after.as_deref(), 4)
            .await
            .expect("list_roles")
            .into_iter()
            .map(|r| r.role_name)
            .collect();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|n| n.to_lowercase());
        pages.push(page);
    }
    assert_eq!(
        pages,
        [vec!["_x", "a_y", "alpha", "Beta"], vec!["pct", "Zed"]]
    );
    let after_beta: Vec<String> = store
        .list_roles(&account_id, "/", Some("beta"), 10)
        .await
        .expect("list_roles")
        .into_iter()
        .map(|r| r.role_name)
        .collect();
    assert_eq!(after_beta, ["pct", "Zed"], "`after` is exclusive");
    assert!(store
        .list_roles(&account_id, "/", None, 0)
        .await
        .expect("limit 0")
        .is_empty());
}

pub async fn update_role_changes_only_given_fields(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let mut ops = new_role(&account_id, "Ops", "/");
    ops.description = Some("first".into());
    ops.tags = vec![tag("k", "v")];
    store.create_role(&ops).await.expect("create_role");
    let other = create_role(&store, &account_id, "Other", "/").await;

    store
        .update_role(&account_id, "ops", None, None)
        .await
        .expect("an empty update");
    assert_eq!(get_role(&store, &account_id, "ops").await, ops);

    store
        .update_role(&account_id, "OPS", Some("second"), None)
        .await
        .expect("update the description");
    ops.description = Some("second".into());
    assert_eq!(get_role(&store, &account_id, "ops").await, ops);

    store
        .update_role(&account_id, "Ops", None, Some(43200))
        .await
        .expect("update the duration");
    ops.max_session_duration = 43200;
    assert_eq!(get_role(&store, &account_id, "ops").await, ops);

    store
        .update_role(&account_id, "ops", Some("third"), Some(7200))
        .await
        .expect("update both");
    ops.description = Some("third".into());
    ops.max_session_duration = 7200;
    assert_eq!(get_role(&store, &account_id, "ops").await, ops);
    assert_eq!(
        store
            .get_role_by_id(&ops.role_id)
            .await
            .expect("get_role_by_id"),
        Some(ops.clone())
    );

    // The trust policy.
    let new_trust = trust("arn:aws:iam::123456789012:user/someone");
    store
        .update_assume_role_policy(&account_id, "oPs", &new_trust)
        .await
        .expect("update_assume_role_policy");
    ops.assume_role_policy_document = new_trust;
    assert_eq!(get_role(&store, &account_id, "ops").await, ops);
    assert_eq!(
        get_role(&store, &account_id, "other").await,
        other,
        "other roles are untouched"
    );

    assert_err!(
        store
            .update_role(&account_id, "ghost", Some("x"), Some(3600))
            .await,
        StoreError::NoSuchRole
    );
    assert_err!(
        store.update_role(&account_id, "ghost", None, None).await,
        StoreError::NoSuchRole
    );
    assert_err!(
        store
            .update_assume_role_policy(&account_id, "ghost", &trust("x"))
            .await,
        StoreError::NoSuchRole
    );
    assert_err!(
        store
            .update_role("000000000000", "ops", Some("x"), None)
            .await,
        StoreError::NoSuchRole
    );
    assert_eq!(get_role(&store, &account_id, "ops").await, ops);
}

pub async fn delete_role_requires_no_policies(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let mut ops = new_role(&account_id, "Ops", "/");
    ops.tags = vec![tag("a", "1"), tag("b", "2")];
    store.create_role(&ops).await.expect("create_role");
    create_policy(&store, &account_id, "Attached", "/").await;
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::role("ops"),
            "inline",
            &doc("s3:*"),
            10,
            QUOTA,
        )
        .await
        .expect("put");
    store
        .attach_policy(
            &account_id,
            PolicyHolder::role("ops"),
            "attached",
            usize::MAX,
        )
        .await
        .expect("attach");

    // Attached policies first, then inline ones.
    assert_err!(
        store.delete_role(&account_id, "OPS").await,
        StoreError::RoleHasAttachedPolicies
    );
    store
        .detach_policy(&account_id, PolicyHolder::role("ops"), "Attached")
        .await
        .expect("detach");
    assert_err!(
        store.delete_role(&account_id, "ops").await,
        StoreError::RoleHasInlinePolicies
    );
    assert_eq!(
        get_role(&store, &account_id, "ops").await,
        ops,
        "a refused delete keeps the role"
    );
    assert_eq!(inline_names(&store, &account_id, "ops").await, ["inline"]);
    store
        .delete_inline_policy(&account_id, PolicyHolder::role("ops"), "inline")
        .await
        .expect("delete inline");
    store
        .delete_role(&account_id, "Ops")
        .await
        .expect("delete_role");
    assert_eq!(
        store.get_role(&account_id, "ops").await.expect("get_role"),
        None
    );
    assert_eq!(
        store
            .get_role_by_id(&ops.role_id)
            .await
            .expect("get_role_by_id"),
        None
    );
    assert_eq!(
        store
            .get_holder_policies(HolderKind::Role, &ops.role_id)
            .await
            .expect("get_holder_policies"),
        UserPolicies::default()
    );
    assert_eq!(
        role_names(&store, &account_id, "/").await,
        Vec::<String>::new()
    );
    assert_err!(
        store.delete_role(&account_id, "ops").await,
        StoreError::NoSuchRole
    );
    assert_eq!(attachment_count(&store, &account_id, "Attached").await, 0);
    store
        .delete_policy(&account_id, "Attached")
        .await
        .expect("the policy is free to go");

    // The name is free again, and the new role starts without the old one's tags.
    let again = create_role(&store, &account_id, "OPS", "/").await;
    assert_eq!(get_role(&store, &account_id, "ops").await, again);

    // Attached policies are reported before inline ones, whatever came first.
    create_role(&store, &account_id, "judy", "/").await;
    create_policy(&store, &account_id, "Other", "/").await;
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::role("judy"),
            "inline",
            &doc("s3:*"),
            10,
            QUOTA,
        )
        .await
        .expect("put");
    assert_err!(
        store.delete_role(&account_id, "judy").await,
        StoreError::RoleHasInlinePolicies
    );
    store
        .attach_policy(&account_id, PolicyHolder::role("judy"), "other", usize::MAX)
        .await
        .expect("attach");
    assert_err!(
        store.delete_role(&account_id, "judy").await,
        StoreError::RoleHasAttachedPolicies
    );
    assert_eq!(attachment_count(&store, &account_id, "other").await, 1);
}

pub async fn concurrent_role_and_user_attachments_keep_the_count_exact(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create_policy(&store, &account_id, "Shared", "/").await;
    create_role(&store, &account_id, "same", "/").await;
    for i in 0..10 {
        create_role(&store, &account_id, &format!("r{i}"), "/").await;
        create(&store, &account_id, &format!("u{i}"), "/").await;
    }
    // (attach?, role?, name)
    type Op = (bool, bool, String);
    let race = |ops: Vec<Op>| {
        let start = Arc::new(Barrier::new(ops.len()));
        let tasks: Vec<_> = ops
            .into_iter()
            .map(|(attach, role, name)| {
                let (store, start, account_id) =
                    (Arc::clone(&store), Arc::clone(&start), account_id.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    let result = match (attach, role) {
                        (true, true) => {
                            store
                                .attach_policy(
                                    &account_id,
                                    PolicyHolder::role(&name),
                                    "shared",
                                    usize::MAX,
                                )
                                .await
                        }
                        (false, true) => {
                            store
                                .detach_policy(&account_id, PolicyHolder::role(&name), "shared")
                                .await
                        }
                        (true, false) => {
                            store
                                .attach_policy(
                                    &account_id,
                                    PolicyHolder::user(&name),
                                    "shared",
                                    usize::MAX,
                                )
                                .await
                        }
                        (false, false) => {
                            store
                                .detach_policy(&account_id, PolicyHolder::user(&name), "shared")
                                .await
                        }
                    };
                    (attach, name, result)
                })
            })
            .collect();
        async move {
            let mut out = Vec::new();
            for task in tasks {
                out.push(task.await.expect("task"));
            }
            out
        }
    };

    // 10 roles and 10 users attaching at once, and 20 attaching to one role.
    let mut ops: Vec<Op> = Vec::new();
    for i in 0..10 {
        ops.push((true, true, format!("r{i}")));
        ops.push((true, false, format!("u{i}")));
    }
    ops.extend((0..20).map(|_| (true, true, "SAME".to_owned())));
    for (_, name, result) in race(ops).await {
        result.unwrap_or_else(|e| panic!("attach to {name}: {e:?}"));
    }
    assert_eq!(attachment_count(&store, &account_id, "Shared").await, 21);

    // Detaching from the even roles and users, attaching (again) to the odd ones, and
    // detaching from the one role 20 times over: only one of those succeeds.
    let mut ops: Vec<Op> = Vec::new();
    for i in 0..10 {
        ops.push((i % 2 == 1, true, format!("r{i}")));
        ops.push((i % 2 == 1, false, format!("u{i}")));
    }
    ops.extend((0..20).map(|_| (false, true, "same".to_owned())));
    let mut detached_same = 0;
    for (attach, name, result) in race(ops).await {
        match (attach, name.as_str(), result) {
            (false, "same", Ok(())) => detached_same += 1,
            (false, "same", Err(StoreError::PolicyNotAttached)) => {}
            (_, _, Ok(())) => {}
            (attach, name, result) => panic!("{name} (attach: {attach}): unexpected {result:?}"),
        }
    }
    assert_eq!(detached_same, 1, "one detach from the same role succeeds");
    assert_eq!(attachment_count(&store, &account_id, "Shared").await, 10);
    let mut holders = 0;
    for i in 0..10 {
        let names = attached_names(&store, &account_id, &format!("r{i}")).await;
        assert_eq!(names.len(), i % 2, "r{i}");
        holders += names.len();
        let names = store
            .list_attached_policies(
                &account_id,
                PolicyHolder::user(&format!("u{i}")),
                "/",
                None,
                10,
            )
            .await
            .expect("list_attached_policies");
        assert_eq!(names.len(), i % 2, "u{i}");
        holders += names.len();
    }
    assert!(attached_names(&store, &account_id, "same").await.is_empty());
    assert_eq!(holders, 10);
    assert_err!(
        store.delete_policy(&account_id, "shared").await,
        StoreError::PolicyAttached
    );
}

pub async fn role_changes_race_safely(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;

    // Creating one name in several casings at once: exactly one wins.
    let start = Arc::new(Barrier::new(6));
    let tasks: Vec<_> = ["Admin", "admin", "ADMIN", "aDmin", "AdMiN", "admiN"]
        .into_iter()
        .map(|name| {
            let (store, start, role) = (
                Arc::clone(&store),
                Arc::clone(&start),
                new_role(&account_id, name, "/"),
            );
            tokio::spawn(async move {
                start.wait().await;
                let result = store.create_role(&role).await;
                (role, result)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            (role, Ok(())) => winners.push(role),
            (_, Err(StoreError::AlreadyExists)) => {}
            (role, Err(e)) => panic!("create_role({}): unexpected {e:?}", role.role_name),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create_role succeeds");
    assert_eq!(get_role(&store, &account_id, "admin").await, winners[0]);
    assert_eq!(role_names(&store, &account_id, "/").await.len(), 1);

    create_policy(&store, &account_id, "keep", "/").await;
    for round in 0..10i64 {
        // Deleting a role while a policy is attached to it or put into it.
        let name = format!("racer{round}");
        let role = create_role(&store, &account_id, &name, "/").await;
        let inline = round % 2 == 0;
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
                store.delete_role(&account_id, &name).await
            })
        };
        let adding = {
            let (store, start, account_id, name) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                name.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                if inline {
                    store
                        .put_inline_policy(
                            &account_id,
                            PolicyHolder::role(&name),
                            "p",
                            &doc("s3:*"),
                            10,
                            QUOTA,
                        )
                        .await
                } else {
                    store
                        .attach_policy(&account_id, PolicyHolder::role(&name), "keep", usize::MAX)
                        .await
                }
            })
        };
        let deleted = deleting.await.expect("delete task");
        let added = adding.await.expect("add task");
        let remaining = store.get_role(&account_id, &name).await.expect("get_role");
        let applied = store
            .get_holder_policies(HolderKind::Role, &role.role_id)
            .await
            .expect("get_holder_policies");
        match (deleted, added) {
            (Ok(()), Err(StoreError::NoSuchRole)) => {
                assert!(remaining.is_none(), "round {round}");
                assert_eq!(applied, UserPolicies::default(), "round {round}");
            }
            (Err(StoreError::RoleHasInlinePolicies), Ok(())) if inline => {
                assert!(remaining.is_some(), "round {round}");
                assert_eq!(applied.inline.len(), 1, "round {round}");
                store
                    .delete_inline_policy(&account_id, PolicyHolder::role(&name), "p")
                    .await
                    .expect("clean up");
            }
            (Err(StoreError::RoleHasAttachedPolicies), Ok(())) if !inline => {
                assert!(remaining.is_some(), "round {round}");
                assert_eq!(applied.managed.len(), 1, "round {round}");
                store
                    .detach_policy(&account_id, PolicyHolder::role(&name), "keep")
                    .await
                    .expect("clean up");
            }
            (deleted, added) => {
                panic!("round {round}: inconsistent outcome: {deleted:?} / {added:?}")
            }
        }
        assert_eq!(attachment_count(&store, &account_id, "keep").await, 0);

        // Deleting a policy while it is being attached to a role.
        let policy = format!("doomed{round}");
        create_policy(&store, &account_id, &policy, "/").await;
        let holder = format!("holder{round}");
        create_role(&store, &account_id, &holder, "/").await;
        let start = Arc::new(Barrier::new(2));
        let deleting = {
            let (store, start, account_id, policy) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                policy.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                store.delete_policy(&account_id, &policy).await
            })
        };
        let attaching = {
            let (store, start, account_id, policy, holder) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                policy.clone(),
                holder.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                store
                    .attach_policy(
                        &account_id,
                        PolicyHolder::role(&holder),
                        &policy,
                        usize::MAX,
                    )
                    .await
            })
        };
        let deleted = deleting.await.expect("delete task");
        let attached = attaching.await.expect("attach task");
        let found = store
            .get_policy(&account_id, &policy)
            .await
            .expect("get_policy");
        let holder_has = attached_names(&store, &account_id, &holder).await;
        match (deleted, attached) {
            (Ok(()), Err(StoreError::NoSuchPolicy)) => {
                assert!(found.is_none(), "round {round}");
                assert!(holder_has.is_empty(), "round {round}");
            }
            (Err(StoreError::PolicyAttached), Ok(())) => {
                assert_eq!(found.map(|p| p.attachment_count), Some(1), "round {round}");
                assert_eq!(holder_has, [policy.as_str()], "round {round}");
            }
            (deleted, attached) => {
                panic!("round {round}: inconsistent outcome: {deleted:?} / {attached:?}")
            }
        }
    }
}

/// A role keeps its newest use: an older one never replaces it, a role never used has
/// none, and a deleted role's uses are skipped without error.
pub async fn role_usage_keeps_the_newest(store: Arc<dyn Store>) {
    let (acct, _) = account(&store).await;
    let role = create_role(&store, &acct, "used", "/").await;
    let other = create_role(&store, &acct, "idle", "/").await;
    let use_at = |secs: i64, region: &str| RoleUsage {
        role_id: role.role_id.clone(),
        when: at(secs),
        region: region.to_owned(),
    };
    let last = |id: String| {
        let store = store.clone();
        async move {
            store
                .get_role_last_used(&id)
                .await
                .expect("get_role_last_used")
        }
    };
    assert_eq!(last(role.role_id.clone()).await, None, "never used");
    store
        .record_role_usage(&[])
        .await
        .expect("nothing to record");
    store
        .record_role_usage(&[use_at(100, "us-east-1")])
        .await
        .expect("record");
    assert_eq!(
        last(role.role_id.clone()).await,
        Some(use_at(100, "us-east-1"))
    );
    store
        .record_role_usage(&[use_at(50, "eu-west-1")])
        .await
        .expect("record older");
    assert_eq!(
        last(role.role_id.clone()).await,
        Some(use_at(100, "us-east-1")),
        "an older use does not replace a newer one"
    );
    store
        .record_role_usage(&[use_at(200, "eu-central-1")])
        .await
        .expect("record newer");
    assert_eq!(
        last(role.role_id.clone()).await,
        Some(use_at(200, "eu-central-1"))
    );
    assert_eq!(
        last(other.role_id.clone()).await,
        None,
        "only the role used"
    );
    assert_eq!(last("AROANOSUCHROLE0000000".to_owned()).await, None);

    store.delete_role(&acct, "used").await.expect("delete_role");
    store
        .record_role_usage(&[use_at(300, "us-east-1")])
        .await
        .expect("a deleted role's use is skipped");
    assert_eq!(last(role.role_id.clone()).await, None);
}
