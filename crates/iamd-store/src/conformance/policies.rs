//! Policies: managed policies (case-insensitive names, listing, versions), what attached
//! and inline policies change about deleting and renaming users, and races between policy
//! changes and deletes. What every kind of holder does with inline policies and
//! attachments is in `holders`.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::Barrier;

use super::{account, add_key, at, create, new_user, owner_of};
use crate::ids;
use crate::model::{HolderKind, ManagedPolicy, PolicyHolder, UserPolicies, POLICY_VERSIONS_MAX};
use crate::store::{Store, StoreError};

/// A distinct, valid policy document.
pub(super) fn doc(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

pub(super) fn new_policy(account_id: &str, name: &str, path: &str, created: i64) -> ManagedPolicy {
    ManagedPolicy {
        account_id: account_id.to_owned(),
        policy_id: ids::policy_id(),
        policy_name: name.to_owned(),
        path: path.to_owned(),
        description: None,
        default_version_id: "v1".into(),
        attachment_count: 0,
        permissions_boundary_usage_count: 0,
        create_date: at(created),
        update_date: at(created),
        tags: Vec::new(),
    }
}

async fn create_policy(
    store: &Arc<dyn Store>,
    account_id: &str,
    name: &str,
    path: &str,
) -> ManagedPolicy {
    let policy = new_policy(account_id, name, path, 0);
    store
        .create_policy(&policy, &doc(&format!("iam:{name}")))
        .await
        .expect("create_policy");
    policy
}

async fn inline_names(store: &Arc<dyn Store>, account_id: &str, user: &str) -> Vec<String> {
    store
        .list_inline_policies(account_id, PolicyHolder::user(user), None, 1000)
        .await
        .expect("list_inline_policies")
}

pub(super) async fn policy_names(
    store: &Arc<dyn Store>,
    account_id: &str,
    prefix: &str,
    only_attached: bool,
) -> Vec<String> {
    store
        .list_policies(account_id, prefix, only_attached, None, 1000)
        .await
        .expect("list_policies")
        .into_iter()
        .map(|p| p.policy_name)
        .collect()
}

async fn attached_names(store: &Arc<dyn Store>, account_id: &str, user: &str) -> Vec<String> {
    store
        .list_attached_policies(account_id, PolicyHolder::user(user), "/", None, 1000)
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

async fn version_ids(store: &Arc<dyn Store>, account_id: &str, policy: &str) -> Vec<String> {
    store
        .list_policy_versions(account_id, policy)
        .await
        .expect("list_policy_versions")
        .into_iter()
        .map(|v| v.version_id)
        .collect()
}

async fn default_version(store: &Arc<dyn Store>, account_id: &str, policy: &str) -> String {
    store
        .get_policy(account_id, policy)
        .await
        .expect("get_policy")
        .expect("the policy exists")
        .default_version_id
}

const QUOTA: usize = 2048;

pub async fn managed_policies_are_named_ignoring_case(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let mut policy = new_policy(&account_id, "ReadOnly", "/eng/", 7);
    policy.description = Some("reads things".into());
    store
        .create_policy(&policy, &doc("s3:Get*"))
        .await
        .expect("create_policy");
    for name in ["ReadOnly", "readonly", "READONLY"] {
        assert_eq!(
            store
                .get_policy(&account_id, name)
                .await
                .expect("get_policy")
                .as_ref(),
            Some(&policy),
            "get_policy({name}) returns the stored policy"
        );
    }
    assert_eq!(
        policy.arn(),
        format!("arn:aws:iam::{account_id}:policy/eng/ReadOnly")
    );
    assert_eq!(
        store
            .get_policy(&account_id, "ReadOnl")
            .await
            .expect("get_policy"),
        None
    );
    assert_eq!(
        store
            .get_policy("000000000000", "ReadOnly")
            .await
            .expect("get_policy"),
        None,
        "other account"
    );

    let twin = new_policy(&account_id, "rEADoNLY", "/other/", 8);
    assert_err!(
        store.create_policy(&twin, &doc("s3:*")).await,
        StoreError::AlreadyExists
    );
    let found = store
        .get_policy(&account_id, "readonly")
        .await
        .expect("get_policy")
        .expect("the first policy");
    assert_eq!(
        found.policy_id, policy.policy_id,
        "the first policy is kept"
    );
    assert_eq!(found.path, "/eng/");

    // Its document is version v1, the default, as old as the policy.
    let v1 = store
        .get_policy_version(&account_id, "readonly", "v1")
        .await
        .expect("get_policy_version")
        .expect("v1 exists");
    assert_eq!(v1.version_id, "v1");
    assert_eq!(v1.document, doc("s3:Get*"));
    assert!(v1.is_default);
    assert_eq!(v1.create_date, at(7));
    assert_eq!(version_ids(&store, &account_id, "ReadOnly").await, ["v1"]);

    // No description is kept as none.
    let plain = create_policy(&store, &account_id, "plain", "/").await;
    assert_eq!(
        store
            .get_policy(&account_id, "PLAIN")
            .await
            .expect("get_policy"),
        Some(plain)
    );
}

pub async fn list_policies_filters_orders_and_pages(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    for (name, path) in [
        ("beta", "/a_b/"),
        ("Alpha", "/axb/"),
        ("gamma", "/a%b/"),
        ("delta", "/"),
        ("Epsilon", "/a_b/sub/"),
    ] {
        create_policy(&store, &account_id, name, path).await;
    }
    assert_eq!(
        policy_names(&store, &account_id, "/", false).await,
        ["Alpha", "beta", "delta", "Epsilon", "gamma"],
        "lower-cased-name order"
    );
    assert_eq!(
        policy_names(&store, &account_id, "/a_b/", false).await,
        ["beta", "Epsilon"],
        "`_` is a plain character"
    );
    assert_eq!(
        policy_names(&store, &account_id, "/a%", false).await,
        ["gamma"],
        "`%` is a plain character"
    );
    assert_eq!(
        policy_names(&store, &account_id, "/a", false).await,
        ["Alpha", "beta", "Epsilon", "gamma"]
    );
    assert_eq!(
        policy_names(&store, &account_id, "/nowhere/", false).await,
        Vec::<String>::new()
    );
    assert_eq!(
        policy_names(&store, "000000000000", "/", false).await,
        Vec::<String>::new()
    );

    // Only those attached to something.
    assert_eq!(
        policy_names(&store, &account_id, "/", true).await,
        Vec::<String>::new()
    );
    create(&store, &account_id, "user", "/").await;
    for name in ["gamma", "BETA"] {
        store
            .attach_policy(&account_id, PolicyHolder::user("user"), name, usize::MAX)
            .await
            .expect("attach");
    }
    assert_eq!(
        policy_names(&store, &account_id, "/", true).await,
        ["beta", "gamma"]
    );
    assert_eq!(
        policy_names(&store, &account_id, "/a_b/", true).await,
        ["beta"]
    );
    store
        .detach_policy(&account_id, PolicyHolder::user("user"), "gamma")
        .await
        .expect("detach");
    assert_eq!(policy_names(&store, &account_id, "/", true).await, ["beta"]);

    // Paging after a lower-cased name.
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page: Vec<String> = store
            .list_policies(&account_id, "/", false, after.as_deref(), 2)
            .await
            .expect("list_policies")
            .into_iter()
            .map(|p| p.policy_name)
            .collect();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|name| name.to_lowercase());
        pages.push(page);
    }
    assert_eq!(
        pages,
        [
            vec!["Alpha", "beta"],
            vec!["delta", "Epsilon"],
            vec!["gamma"]
        ]
    );
    assert_eq!(
        store
            .list_policies(&account_id, "/", false, Some("c"), 1)
            .await
            .expect("list_policies")
            .into_iter()
            .map(|p| p.policy_name)
            .collect::<Vec<_>>(),
        ["delta"]
    );
}

pub async fn policy_versions_are_numbered_limited_and_never_reused(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create_policy(&store, &account_id, "Versioned", "/").await;

    // Not the default: the policy is unchanged. Times are kept in whole seconds.
    let v2 = store
        .create_policy_version(
            &account_id,
            "versioned",
            &doc("v:2"),
            false,
            POLICY_VERSIONS_MAX,
            at(10) + time::Duration::milliseconds(750),
        )
        .await
        .expect("create v2");
    assert_eq!(v2.version_id, "v2");
    assert_eq!(v2.document, doc("v:2"));
    assert!(!v2.is_default);
    assert_eq!(v2.create_date, at(10));
    let policy = store
        .get_policy(&account_id, "Versioned")
        .await
        .expect("get_policy")
        .expect("policy");
    assert_eq!(
        (policy.default_version_id.as_str(), policy.update_date),
        ("v1", at(0))
    );

    // The default: the policy's update date moves.
    let v3 = store
        .create_policy_version(
            &account_id,
            "VERSIONED",
            &doc("v:3"),
            true,
            POLICY_VERSIONS_MAX,
            at(20),
        )
        .await
        .expect("create v3");
    assert_eq!((v3.version_id.as_str(), v3.is_default), ("v3", true));
    let policy = store
        .get_policy(&account_id, "Versioned")
        .await
        .expect("get_policy")
        .expect("policy");
    assert_eq!(
        (policy.default_version_id.as_str(), policy.update_date),
        ("v3", at(20))
    );
    assert_eq!(policy.create_date, at(0));

    for n in 4..=5 {
        let v = store
            .create_policy_version(
                &account_id,
                "Versioned",
                &doc(&format!("v:{n}")),
                false,
                POLICY_VERSIONS_MAX,
                at(n * 10),
            )
            .await
            .expect("create");
        assert_eq!(v.version_id, format!("v{n}"));
    }
    assert_err!(
        store
            .create_policy_version(
                &account_id,
                "Versioned",
                &doc("v:6"),
                false,
                POLICY_VERSIONS_MAX,
                at(60)
            )
            .await,
        StoreError::PolicyVersionsExceeded
    );
    let versions = store
        .list_policy_versions(&account_id, "versioned")
        .await
        .expect("list_policy_versions");
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version_id.as_str(), v.is_default, v.create_date))
            .collect::<Vec<_>>(),
        [
            ("v5", false, at(50)),
            ("v4", false, at(40)),
            ("v3", true, at(20)),
            ("v2", false, at(10)),
            ("v1", false, at(0)),
        ],
        "newest first, the refused version not among them"
    );
    assert_eq!(versions[1].document, doc("v:4"));
    assert_eq!(versions[4].document, doc("iam:Versioned"));

    // Deleting frees a place, but never an id.
    store
        .delete_policy_version(&account_id, "Versioned", "v2")
        .await
        .expect("delete v2");
    assert_eq!(
        store
            .get_policy_version(&account_id, "Versioned", "v2")
            .await
            .expect("get_policy_version"),
        None
    );
    let v6 = store
        .create_policy_version(
            &account_id,
            "Versioned",
            &doc("v:6"),
            false,
            POLICY_VERSIONS_MAX,
            at(60),
        )
        .await
        .expect("create v6");
    assert_eq!(v6.version_id, "v6", "ids are not reused");
    assert_eq!(
        version_ids(&store, &account_id, "Versioned").await,
        ["v6", "v5", "v4", "v3", "v1"]
    );
    assert_err!(
        store
            .create_policy_version(&account_id, "Versioned", &doc("x"), true, 5, at(61))
            .await,
        StoreError::PolicyVersionsExceeded
    );
    assert_eq!(
        default_version(&store, &account_id, "Versioned").await,
        "v3",
        "a refused default changes nothing"
    );

    // The default cannot be deleted; switching it can be done any time.
    assert_err!(
        store
            .delete_policy_version(&account_id, "Versioned", "v3")
            .await,
        StoreError::DefaultPolicyVersion
    );
    assert_err!(
        store
            .delete_policy_version(&account_id, "Versioned", "v2")
            .await,
        StoreError::NoSuchPolicyVersion
    );
    assert_err!(
        store
            .delete_policy_version(&account_id, "Versioned", "V1")
            .await,
        StoreError::NoSuchPolicyVersion
    );
    assert_err!(
        store
            .set_default_policy_version(&account_id, "Versioned", "v2", at(70))
            .await,
        StoreError::NoSuchPolicyVersion
    );
    assert_eq!(
        default_version(&store, &account_id, "Versioned").await,
        "v3"
    );
    store
        .set_default_policy_version(&account_id, "versioned", "v1", at(70))
        .await
        .expect("set v1 as default");
    let policy = store
        .get_policy(&account_id, "Versioned")
        .await
        .expect("get_policy")
        .expect("policy");
    assert_eq!(
        (policy.default_version_id.as_str(), policy.update_date),
        ("v1", at(70))
    );
    store
        .set_default_policy_version(&account_id, "Versioned", "v1", at(71))
        .await
        .expect("setting the default again");
    let policy = store
        .get_policy(&account_id, "Versioned")
        .await
        .expect("get_policy")
        .expect("policy");
    assert_eq!(
        (policy.default_version_id.as_str(), policy.update_date),
        ("v1", at(71))
    );
    let v3 = store
        .get_policy_version(&account_id, "Versioned", "v3")
        .await
        .expect("get_policy_version")
        .expect("v3");
    assert_eq!((v3.is_default, v3.document), (false, doc("v:3")));
    assert!(
        store
            .get_policy_version(&account_id, "Versioned", "v1")
            .await
            .expect("get_policy_version")
            .expect("v1")
            .is_default
    );
    store
        .delete_policy_version(&account_id, "Versioned", "v3")
        .await
        .expect("v3 is no longer the default");

    // Past v9: versions still list newest first by number, not by id text.
    let mut next = 7;
    while next <= 12 {
        let oldest = version_ids(&store, &account_id, "Versioned")
            .await
            .into_iter()
            .rev()
            .find(|id| id != "v1")
            .expect("a non-default version");
        let count = version_ids(&store, &account_id, "Versioned").await.len();
        if count as u32 >= POLICY_VERSIONS_MAX {
            store
                .delete_policy_version(&account_id, "Versioned", &oldest)
                .await
                .expect("delete the oldest");
        }
        let v = store
            .create_policy_version(
                &account_id,
                "Versioned",
                &doc(&format!("v:{next}")),
                false,
                POLICY_VERSIONS_MAX,
                at(next * 10),
            )
            .await
            .expect("create");
        assert_eq!(v.version_id, format!("v{next}"));
        next += 1;
    }
    assert_eq!(
        version_ids(&store, &account_id, "Versioned").await,
        ["v12", "v11", "v10", "v9", "v1"]
    );

    // A missing policy.
    assert_err!(
        store
            .create_policy_version(&account_id, "nope", &doc("x"), true, 5, at(1))
            .await,
        StoreError::NoSuchPolicy
    );
    assert_err!(
        store.get_policy_version(&account_id, "nope", "v1").await,
        StoreError::NoSuchPolicy
    );
    assert_err!(
        store.list_policy_versions(&account_id, "nope").await,
        StoreError::NoSuchPolicy
    );
    assert_err!(
        store
            .set_default_policy_version(&account_id, "nope", "v1", at(1))
            .await,
        StoreError::NoSuchPolicy
    );
    assert_err!(
        store.delete_policy_version(&account_id, "nope", "v1").await,
        StoreError::NoSuchPolicy
    );
    assert_err!(
        store
            .get_policy_version("000000000000", "Versioned", "v1")
            .await,
        StoreError::NoSuchPolicy
    );
}

pub async fn delete_policy_requires_no_attachments_or_other_versions(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    assert_err!(
        store.delete_policy(&account_id, "nope").await,
        StoreError::NoSuchPolicy
    );
    let policy = create_policy(&store, &account_id, "Doomed", "/").await;
    create(&store, &account_id, "holder", "/").await;
    store
        .attach_policy(
            &account_id,
            PolicyHolder::user("holder"),
            "doomed",
            usize::MAX,
        )
        .await
        .expect("attach");
    store
        .create_policy_version(&account_id, "Doomed", &doc("v:2"), false, 5, at(1))
        .await
        .expect("create v2");
    assert_err!(
        store.delete_policy(&account_id, "doomed").await,
        StoreError::PolicyAttached
    );
    store
        .detach_policy(&account_id, PolicyHolder::user("holder"), "Doomed")
        .await
        .expect("detach");
    assert_err!(
        store.delete_policy(&account_id, "DOOMED").await,
        StoreError::PolicyHasVersions
    );
    assert_eq!(
        store
            .get_policy(&account_id, "Doomed")
            .await
            .expect("get_policy")
            .map(|p| p.policy_id),
        Some(policy.policy_id.clone()),
        "a refused delete keeps the policy"
    );
    assert_eq!(
        version_ids(&store, &account_id, "Doomed").await,
        ["v2", "v1"]
    );

    // Only the default left (here v2, after v1 was deleted): deletable.
    store
        .set_default_policy_version(&account_id, "Doomed", "v2", at(2))
        .await
        .expect("set default");
    store
        .delete_policy_version(&account_id, "Doomed", "v1")
        .await
        .expect("delete v1");
    store
        .delete_policy(&account_id, "Doomed")
        .await
        .expect("delete_policy");
    assert_eq!(
        store
            .get_policy(&account_id, "doomed")
            .await
            .expect("get_policy"),
        None
    );
    assert_err!(
        store.get_policy_version(&account_id, "Doomed", "v2").await,
        StoreError::NoSuchPolicy
    );
    assert_err!(
        store.delete_policy(&account_id, "Doomed").await,
        StoreError::NoSuchPolicy
    );
    assert_err!(
        store
            .attach_policy(
                &account_id,
                PolicyHolder::user("holder"),
                "Doomed",
                usize::MAX
            )
            .await,
        StoreError::NoSuchPolicy
    );
    assert_eq!(
        policy_names(&store, &account_id, "/", false).await,
        Vec::<String>::new()
    );

    // The name is free again, for a new policy with versions of its own.
    let again = create_policy(&store, &account_id, "doomed", "/").await;
    assert_ne!(again.policy_id, policy.policy_id);
    assert_eq!(version_ids(&store, &account_id, "Doomed").await, ["v1"]);
    let v = store
        .create_policy_version(&account_id, "Doomed", &doc("again"), false, 5, at(3))
        .await
        .expect("create");
    assert_eq!(v.version_id, "v2");
    // A fresh policy's only version is its default: deletable right away.
    let lone = create_policy(&store, &account_id, "lone", "/").await;
    store
        .delete_policy(&account_id, &lone.policy_name)
        .await
        .expect("delete a policy with only v1");
}

pub async fn policy_changes_race_deletes_safely(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create_policy(&store, &account_id, "keep", "/").await;
    for round in 0..10i64 {
        // Deleting a user while a policy is attached to it or put into it.
        let name = format!("racer{round}");
        let user = create(&store, &account_id, &name, "/").await;
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
                store.delete_user(&account_id, &name).await
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
                            PolicyHolder::user(&name),
                            "p",
                            &doc("s3:*"),
                            10,
                            QUOTA,
                        )
                        .await
                } else {
                    store
                        .attach_policy(&account_id, PolicyHolder::user(&name), "keep", usize::MAX)
                        .await
                }
            })
        };
        let deleted = deleting.await.expect("delete task");
        let added = adding.await.expect("add task");
        let remaining = store.get_user(&account_id, &name).await.expect("get_user");
        let applied = store
            .get_holder_policies(HolderKind::User, &user.user_id)
            .await
            .expect("get_holder_policies");
        match (deleted, added) {
            (Ok(()), Err(StoreError::NoSuchUser)) => {
                assert!(remaining.is_none(), "round {round}");
                assert_eq!(applied, UserPolicies::default(), "round {round}");
            }
            (Err(StoreError::UserHasInlinePolicies), Ok(())) if inline => {
                assert!(remaining.is_some(), "round {round}");
                assert_eq!(applied.inline.len(), 1, "round {round}");
                store
                    .delete_inline_policy(&account_id, PolicyHolder::user(&name), "p")
                    .await
                    .expect("clean up");
            }
            (Err(StoreError::UserHasAttachedPolicies), Ok(())) if !inline => {
                assert!(remaining.is_some(), "round {round}");
                assert_eq!(applied.managed.len(), 1, "round {round}");
                store
                    .detach_policy(&account_id, PolicyHolder::user(&name), "keep")
                    .await
                    .expect("clean up");
            }
            (deleted, added) => {
                panic!("round {round}: inconsistent outcome: {deleted:?} / {added:?}")
            }
        }
        assert_eq!(attachment_count(&store, &account_id, "keep").await, 0);

        // Deleting a policy while it is being attached.
        let policy = format!("doomed{round}");
        create_policy(&store, &account_id, &policy, "/").await;
        create(&store, &account_id, &format!("holder{round}"), "/").await;
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
            let (store, start, account_id, policy) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                policy.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                store
                    .attach_policy(
                        &account_id,
                        PolicyHolder::user(&format!("holder{round}")),
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
        let holder_has = attached_names(&store, &account_id, &format!("holder{round}")).await;
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

    // Versions created at once: the quota holds and no id is handed out twice.
    create_policy(&store, &account_id, "busy", "/").await;
    let start = Arc::new(Barrier::new(12));
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let (store, start, account_id) =
                (Arc::clone(&store), Arc::clone(&start), account_id.clone());
            tokio::spawn(async move {
                start.wait().await;
                store
                    .create_policy_version(
                        &account_id,
                        "busy",
                        &doc(&format!("n:{i}")),
                        i % 3 == 0,
                        POLICY_VERSIONS_MAX,
                        at(i),
                    )
                    .await
            })
        })
        .collect();
    let mut created = HashSet::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(v) => assert!(
                created.insert(v.version_id),
                "a version id handed out twice"
            ),
            Err(StoreError::PolicyVersionsExceeded) => refused += 1,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!((created.len(), refused), (4, 8));
    let expected: HashSet<String> = ["v2", "v3", "v4", "v5"].map(String::from).into();
    assert_eq!(created, expected);
}

pub async fn delete_user_requires_no_policies(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let ivan = new_user(&account_id, "ivan", "/");
    store.create_user(&ivan).await.expect("create_user");
    let owner = owner_of(&ivan);
    let key = add_key(&store, &account_id, &owner, at(1)).await;
    create_policy(&store, &account_id, "Attached", "/").await;
    store
        .attach_policy(
            &account_id,
            PolicyHolder::user("ivan"),
            "attached",
            usize::MAX,
        )
        .await
        .expect("attach");
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::user("ivan"),
            "inline",
            &doc("s3:*"),
            10,
            QUOTA,
        )
        .await
        .expect("put");

    // Keys first, then attached policies, then inline ones.
    assert_err!(
        store.delete_user(&account_id, "ivan").await,
        StoreError::UserHasAccessKeys
    );
    store
        .delete_access_key(&account_id, &owner, &key.access_key_id)
        .await
        .expect("delete key");
    assert_err!(
        store.delete_user(&account_id, "IVAN").await,
        StoreError::UserHasAttachedPolicies
    );
    store
        .detach_policy(&account_id, PolicyHolder::user("ivan"), "Attached")
        .await
        .expect("detach");
    assert_err!(
        store.delete_user(&account_id, "Ivan").await,
        StoreError::UserHasInlinePolicies
    );
    assert_eq!(
        inline_names(&store, &account_id, "ivan").await,
        ["inline"],
        "a refused delete keeps the user's policies"
    );
    store
        .delete_inline_policy(&account_id, PolicyHolder::user("ivan"), "inline")
        .await
        .expect("delete inline");
    store
        .delete_user(&account_id, "ivan")
        .await
        .expect("delete_user");
    assert_eq!(
        store.get_user(&account_id, "ivan").await.expect("get_user"),
        None
    );
    assert_eq!(attachment_count(&store, &account_id, "Attached").await, 0);
    store
        .delete_policy(&account_id, "Attached")
        .await
        .expect("the policy is free to go");

    // Attached policies are reported before inline ones.
    let judy = create(&store, &account_id, "judy", "/").await;
    create_policy(&store, &account_id, "Other", "/").await;
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::user("judy"),
            "inline",
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
        .attach_policy(&account_id, PolicyHolder::user("judy"), "other", usize::MAX)
        .await
        .expect("attach");
    assert_err!(
        store.delete_user(&account_id, "judy").await,
        StoreError::UserHasAttachedPolicies
    );
    store
        .delete_inline_policy(&account_id, PolicyHolder::user("judy"), "inline")
        .await
        .expect("delete inline");
    assert_err!(
        store.delete_user(&account_id, "judy").await,
        StoreError::UserHasAttachedPolicies
    );
    store
        .detach_policy(&account_id, PolicyHolder::user("judy"), "other")
        .await
        .expect("detach");
    store
        .delete_user(&account_id, "judy")
        .await
        .expect("delete_user");

    // A user of the same name later starts with no policies.
    let again = create(&store, &account_id, "judy", "/").await;
    assert_ne!(again.user_id, judy.user_id);
    assert_eq!(
        inline_names(&store, &account_id, "judy").await,
        Vec::<String>::new()
    );
    assert!(attached_names(&store, &account_id, "judy").await.is_empty());
    assert_eq!(
        store
            .get_holder_policies(HolderKind::User, &judy.user_id)
            .await
            .expect("get_holder_policies"),
        UserPolicies::default()
    );
}

pub async fn renamed_users_keep_their_policies(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let user = create(&store, &account_id, "old", "/").await;
    create_policy(&store, &account_id, "Pinned", "/").await;
    store
        .attach_policy(&account_id, PolicyHolder::user("old"), "Pinned", usize::MAX)
        .await
        .expect("attach");
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::user("old"),
            "mine",
            &doc("s3:*"),
            10,
            QUOTA,
        )
        .await
        .expect("put");
    let before = store
        .get_holder_policies(HolderKind::User, &user.user_id)
        .await
        .expect("get_holder_policies");

    store
        .update_user(&account_id, "OLD", Some("New"), Some("/moved/"))
        .await
        .expect("rename");
    assert_eq!(
        store
            .get_inline_policy(&account_id, PolicyHolder::user("new"), "mine")
            .await
            .expect("get_inline_policy"),
        Some(doc("s3:*"))
    );
    assert_eq!(inline_names(&store, &account_id, "NEW").await, ["mine"]);
    assert_eq!(attached_names(&store, &account_id, "new").await, ["Pinned"]);
    assert_eq!(
        store
            .get_holder_policies(HolderKind::User, &user.user_id)
            .await
            .expect("get_holder_policies"),
        before
    );
    assert_eq!(attachment_count(&store, &account_id, "Pinned").await, 1);
    assert_err!(
        store
            .list_inline_policies(&account_id, PolicyHolder::user("old"), None, 10)
            .await,
        StoreError::NoSuchUser
    );
    assert_err!(
        store
            .list_attached_policies(&account_id, PolicyHolder::user("old"), "/", None, 10)
            .await,
        StoreError::NoSuchUser
    );
    assert_err!(
        store
            .detach_policy(&account_id, PolicyHolder::user("old"), "Pinned")
            .await,
        StoreError::NoSuchUser
    );

    // A new user under the old name has none of them.
    create(&store, &account_id, "old", "/").await;
    assert!(inline_names(&store, &account_id, "old").await.is_empty());
    assert!(attached_names(&store, &account_id, "old").await.is_empty());
    store
        .detach_policy(&account_id, PolicyHolder::user("New"), "pinned")
        .await
        .expect("detach under the new name");
    assert_eq!(attachment_count(&store, &account_id, "Pinned").await, 0);
}
