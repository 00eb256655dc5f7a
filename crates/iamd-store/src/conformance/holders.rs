//! Inline policies and managed-policy attachments, written once and run for every kind of
//! policy holder (`conformance_tests!` runs each check here once per `HolderKind`): names,
//! replacement, paging, the aggregate size quota, idempotent and exactly counted
//! attachments, the documents that apply to a holder, and that holders of different kinds
//! with the same name keep apart.

use std::sync::Arc;

use tokio::sync::Barrier;

use super::policies::policy_names;
use super::{account, at, create};
use crate::ids;
use crate::model::{HolderKind, ManagedPolicy, PolicyHolder, UserPolicies};
use crate::store::{Store, StoreError};

const QUOTA: usize = 10240;

/// Asserts that `$result` is the error for a missing holder of kind `$kind`.
macro_rules! assert_missing {
    ($result:expr, $kind:expr) => {
        match $result {
            Err(e) if std::mem::discriminant(&e) == std::mem::discriminant(&$kind.missing()) => {}
            other => panic!("expected Err({:?}), got {:?}", $kind.missing(), other),
        }
    };
}

/// A distinct, valid policy document.
fn doc(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

/// Another kind than `kind`: its holders must not see `kind`'s policies.
fn other(kind: HolderKind) -> HolderKind {
    match kind {
        HolderKind::User => HolderKind::Role,
        HolderKind::Role | HolderKind::Group => HolderKind::User,
    }
}

/// Creates a holder of `kind` named `name` at `/`; returns its id.
async fn create_holder(
    store: &Arc<dyn Store>,
    account_id: &str,
    kind: HolderKind,
    name: &str,
) -> String {
    match kind {
        HolderKind::User => create(store, account_id, name, "/").await.user_id,
        HolderKind::Role => {
            let role = super::roles::new_role(account_id, name, "/");
            store.create_role(&role).await.expect("create_role");
            role.role_id
        }
        HolderKind::Group => {
            let group = super::groups::new_group(account_id, name, "/");
            store
                .create_group(&group, usize::MAX)
                .await
                .expect("create_group");
            group.group_id
        }
    }
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

async fn inline_names(
    store: &Arc<dyn Store>,
    account_id: &str,
    kind: HolderKind,
    name: &str,
) -> Vec<String> {
    store
        .list_inline_policies(account_id, PolicyHolder::new(kind, name), None, 1000)
        .await
        .expect("list_inline_policies")
}

async fn attached_names(
    store: &Arc<dyn Store>,
    account_id: &str,
    kind: HolderKind,
    name: &str,
) -> Vec<String> {
    store
        .list_attached_policies(account_id, PolicyHolder::new(kind, name), "/", None, 1000)
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

pub async fn inline_policies_are_put_replaced_listed_and_deleted(
    store: Arc<dyn Store>,
    kind: HolderKind,
) {
    let (account_id, _) = account(&store).await;
    create_holder(&store, &account_id, kind, "Ops").await;
    // A holder of the other kind with the same name, and a policy of the same name: a
    // namespace of its own.
    create_holder(&store, &account_id, other(kind), "ops").await;
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::new(other(kind), "ops"),
            "Read",
            &doc("user:*"),
            10,
            QUOTA,
        )
        .await
        .expect("put_inline_policy");
    assert_eq!(
        inline_names(&store, &account_id, kind, "ops").await,
        Vec::<String>::new()
    );
    assert_eq!(
        store
            .get_inline_policy(&account_id, PolicyHolder::new(kind, "ops"), "Read")
            .await
            .expect("get_inline_policy"),
        None
    );

    // The holder is found ignoring case; policy names are exact.
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::new(kind, "OPS"),
            "Read",
            &doc("s3:Get*"),
            10,
            QUOTA,
        )
        .await
        .expect("put Read");
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::new(kind, "ops"),
            "read",
            &doc("s3:List*"),
            10,
            QUOTA,
        )
        .await
        .expect("put read");
    assert_eq!(
        store
            .get_inline_policy(&account_id, PolicyHolder::new(kind, "Ops"), "Read")
            .await
            .expect("get_inline_policy"),
        Some(doc("s3:Get*"))
    );
    assert_eq!(
        store
            .get_inline_policy(&account_id, PolicyHolder::new(kind, "ops"), "read")
            .await
            .expect("get_inline_policy"),
        Some(doc("s3:List*"))
    );
    assert_eq!(
        store
            .get_inline_policy(&account_id, PolicyHolder::new(kind, "ops"), "READ")
            .await
            .expect("get_inline_policy"),
        None,
        "policy names are matched exactly"
    );
    assert_eq!(
        store
            .get_inline_policy(&account_id, PolicyHolder::new(other(kind), "ops"), "Read")
            .await
            .expect("get_inline_policy"),
        Some(doc("user:*")),
        "the other holder's policy is untouched"
    );

    // Replacing keeps one policy of that name, with the new document.
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::new(kind, "ops"),
            "Read",
            &doc("s3:*"),
            12,
            QUOTA,
        )
        .await
        .expect("replace Read");
    assert_eq!(
        store
            .get_inline_policy(&account_id, PolicyHolder::new(kind, "ops"), "Read")
            .await
            .expect("get_inline_policy"),
        Some(doc("s3:*"))
    );

    // Byte order, with keyset paging.
    for name in ["a", "B", "Z_x", "aa"] {
        store
            .put_inline_policy(
                &account_id,
                PolicyHolder::new(kind, "ops"),
                name,
                &doc(name),
                10,
                QUOTA,
            )
            .await
            .expect("put");
    }
    assert_eq!(
        inline_names(&store, &account_id, kind, "ops").await,
        ["B", "Read", "Z_x", "a", "aa", "read"]
    );
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_inline_policies(
                &account_id,
                PolicyHolder::new(kind, "ops"),
                after.as_deref(),
                4,
            )
            .await
            .expect("list_inline_policies");
        if page.is_empty() {
            break;
        }
        after = page.last().cloned();
        pages.push(page);
    }
    assert_eq!(pages, [vec!["B", "Read", "Z_x", "a"], vec!["aa", "read"]]);
    assert_eq!(
        store
            .list_inline_policies(&account_id, PolicyHolder::new(kind, "ops"), Some("Rea"), 2)
            .await
            .expect("list_inline_policies"),
        ["Read", "Z_x"]
    );
    assert!(store
        .list_inline_policies(&account_id, PolicyHolder::new(kind, "ops"), None, 0)
        .await
        .expect("limit 0")
        .is_empty());

    // Deleting.
    store
        .delete_inline_policy(&account_id, PolicyHolder::new(kind, "Ops"), "Read")
        .await
        .expect("delete Read");
    assert_err!(
        store
            .delete_inline_policy(&account_id, PolicyHolder::new(kind, "ops"), "Read")
            .await,
        StoreError::NoSuchPolicy
    );
    assert_err!(
        store
            .delete_inline_policy(&account_id, PolicyHolder::new(kind, "ops"), "AA")
            .await,
        StoreError::NoSuchPolicy
    );
    assert_eq!(
        inline_names(&store, &account_id, kind, "ops").await,
        ["B", "Z_x", "a", "aa", "read"]
    );

    // A missing holder is reported before a missing policy.
    assert_missing!(
        store
            .put_inline_policy(
                &account_id,
                PolicyHolder::new(kind, "ghost"),
                "p",
                &doc("x"),
                10,
                QUOTA
            )
            .await,
        kind
    );
    assert_missing!(
        store
            .get_inline_policy(&account_id, PolicyHolder::new(kind, "ghost"), "a")
            .await,
        kind
    );
    assert_missing!(
        store
            .list_inline_policies(&account_id, PolicyHolder::new(kind, "ghost"), None, 10)
            .await,
        kind
    );
    assert_missing!(
        store
            .list_inline_policies(&account_id, PolicyHolder::new(kind, "ghost"), None, 0)
            .await,
        kind
    );
    assert_missing!(
        store
            .delete_inline_policy(&account_id, PolicyHolder::new(kind, "ghost"), "nope")
            .await,
        kind
    );
    // Names that only resemble the holder's, and another account, are other holders.
    for name in ["op", "opsx"] {
        assert_missing!(
            store
                .get_inline_policy(&account_id, PolicyHolder::new(kind, name), "read")
                .await,
            kind
        );
    }
    assert_missing!(
        store
            .get_inline_policy("000000000000", PolicyHolder::new(kind, "ops"), "read")
            .await,
        kind
    );
}

pub async fn inline_policies_respect_the_aggregate_size(store: Arc<dyn Store>, kind: HolderKind) {
    let (account_id, _) = account(&store).await;
    create_holder(&store, &account_id, kind, "carol").await;
    create_holder(&store, &account_id, kind, "dave").await;
    create_holder(&store, &account_id, other(kind), "carol").await;
    let put = |holder: &'static str, name: &'static str, document: String, size: usize| {
        let (store, account_id) = (Arc::clone(&store), account_id.clone());
        async move {
            store
                .put_inline_policy(
                    &account_id,
                    PolicyHolder::new(kind, holder),
                    name,
                    &document,
                    size,
                    100,
                )
                .await
        }
    };

    // The other holder of the same name has its own quota.
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::new(other(kind), "carol"),
            "u",
            &doc("u:1"),
            100,
            100,
        )
        .await
        .expect("the other holder's own quota");
    put("carol", "a", doc("a:1"), 60).await.expect("60 of 100");
    assert_err!(
        put("carol", "b", doc("b:1"), 41).await,
        StoreError::PolicySizeExceeded
    );
    assert_eq!(
        inline_names(&store, &account_id, kind, "carol").await,
        ["a"],
        "nothing is written when the quota refuses"
    );
    put("carol", "b", doc("b:2"), 40)
        .await
        .expect("exactly the quota");

    // A replacement is counted instead of the policy it replaces, not besides it.
    assert_err!(
        put("carol", "a", doc("a:2"), 61).await,
        StoreError::PolicySizeExceeded
    );
    assert_eq!(
        store
            .get_inline_policy(&account_id, PolicyHolder::new(kind, "carol"), "a")
            .await
            .expect("get_inline_policy"),
        Some(doc("a:1")),
        "a refused replacement keeps the old document"
    );
    put("carol", "a", doc("a:3"), 60).await.expect("same size");
    put("carol", "a", doc("a:4"), 10).await.expect("smaller");
    put("carol", "c", doc("c:1"), 50)
        .await
        .expect("room freed by shrinking a");
    assert_err!(
        put("carol", "d", doc("d:1"), 1).await,
        StoreError::PolicySizeExceeded
    );

    // Deleting frees room; the quota is per holder.
    store
        .delete_inline_policy(&account_id, PolicyHolder::new(kind, "carol"), "b")
        .await
        .expect("delete b");
    put("carol", "d", doc("d:2"), 40)
        .await
        .expect("room freed by deleting b");
    put("dave", "big", doc("big"), 100)
        .await
        .expect("dave's own quota");
    assert_err!(
        put("dave", "huge", doc("huge"), 101).await,
        StoreError::PolicySizeExceeded
    );
    assert_err!(
        put("dave", "big", doc("huge"), 101).await,
        StoreError::PolicySizeExceeded
    );
    assert_eq!(
        inline_names(&store, &account_id, kind, "carol").await,
        ["a", "c", "d"]
    );
    assert_eq!(
        inline_names(&store, &account_id, kind, "dave").await,
        ["big"]
    );
}

pub async fn attachments_are_idempotent_and_counted(store: Arc<dyn Store>, kind: HolderKind) {
    let (account_id, _) = account(&store).await;
    create_holder(&store, &account_id, kind, "Erin").await;
    create_holder(&store, &account_id, kind, "frank").await;
    create_holder(&store, &account_id, other(kind), "erin").await;
    create_policy(&store, &account_id, "Pol", "/team/").await;
    create_policy(&store, &account_id, "apple", "/").await;
    create_policy(&store, &account_id, "Zeta", "/team/x/").await;
    create_policy(&store, &account_id, "Only", "/").await;
    assert_eq!(
        attached_names(&store, &account_id, kind, "erin").await,
        Vec::<String>::new()
    );

    store
        .attach_policy(
            &account_id,
            PolicyHolder::new(kind, "erin"),
            "pol",
            usize::MAX,
        )
        .await
        .expect("attach");
    store
        .attach_policy(
            &account_id,
            PolicyHolder::new(kind, "ERIN"),
            "POL",
            usize::MAX,
        )
        .await
        .expect("attaching again is fine");
    assert_eq!(attachment_count(&store, &account_id, "Pol").await, 1);
    assert_eq!(
        attached_names(&store, &account_id, kind, "Erin").await,
        ["Pol"]
    );
    assert_eq!(
        store
            .list_attached_policies(
                &account_id,
                PolicyHolder::new(other(kind), "erin"),
                "/",
                None,
                10
            )
            .await
            .expect("list_attached_policies"),
        Vec::new(),
        "the other holder of the same name has nothing attached"
    );

    // Attachments to holders of different kinds count together.
    store
        .attach_policy(
            &account_id,
            PolicyHolder::new(other(kind), "erin"),
            "pol",
            usize::MAX,
        )
        .await
        .expect("attach to the other holder");
    assert_eq!(attachment_count(&store, &account_id, "Pol").await, 2);
    for name in ["zeta", "Apple"] {
        store
            .attach_policy(
                &account_id,
                PolicyHolder::new(kind, "erin"),
                name,
                usize::MAX,
            )
            .await
            .expect("attach");
    }
    store
        .attach_policy(
            &account_id,
            PolicyHolder::new(kind, "frank"),
            "Pol",
            usize::MAX,
        )
        .await
        .expect("attach to frank");
    assert_eq!(attachment_count(&store, &account_id, "Pol").await, 3);
    assert_eq!(attachment_count(&store, &account_id, "Zeta").await, 1);
    assert_eq!(
        attached_names(&store, &account_id, kind, "erin").await,
        ["apple", "Pol", "Zeta"],
        "lower-cased-name order"
    );
    assert_eq!(
        attached_names(&store, &account_id, kind, "frank").await,
        ["Pol"]
    );
    let listed = store
        .list_attached_policies(&account_id, PolicyHolder::new(kind, "erin"), "/", None, 1)
        .await
        .expect("list");
    assert_eq!(
        listed,
        vec![store
            .get_policy(&account_id, "apple")
            .await
            .expect("get_policy")
            .expect("apple")],
        "listings carry whole policies"
    );

    // Path prefix and paging.
    let list = |prefix: &'static str, after: Option<&'static str>, limit: usize| {
        let (store, account_id) = (Arc::clone(&store), account_id.clone());
        async move {
            store
                .list_attached_policies(
                    &account_id,
                    PolicyHolder::new(kind, "erin"),
                    prefix,
                    after,
                    limit,
                )
                .await
                .expect("list_attached_policies")
                .into_iter()
                .map(|p| p.policy_name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("/team/", None, 10).await, ["Pol", "Zeta"]);
    assert_eq!(list("/team/x", None, 10).await, ["Zeta"]);
    assert_eq!(list("/t_am/", None, 10).await, Vec::<String>::new());
    assert_eq!(list("/", Some("pol"), 10).await, ["Zeta"]);
    assert_eq!(list("/", None, 2).await, ["apple", "Pol"]);
    assert!(list("/", None, 0).await.is_empty());

    // A policy attached only to this holder counts as attached.
    store
        .attach_policy(
            &account_id,
            PolicyHolder::new(kind, "frank"),
            "only",
            usize::MAX,
        )
        .await
        .expect("attach");
    let attached: Vec<String> = store
        .list_policies(&account_id, "/", true, None, 100)
        .await
        .expect("list_policies")
        .into_iter()
        .map(|p| p.policy_name)
        .collect();
    assert_eq!(attached, ["apple", "Only", "Pol", "Zeta"]);

    // delete_policy is refused while attached to a holder of either kind.
    assert_err!(
        store.delete_policy(&account_id, "only").await,
        StoreError::PolicyAttached
    );
    store
        .detach_policy(&account_id, PolicyHolder::new(kind, "frank"), "Only")
        .await
        .expect("detach");
    store
        .delete_policy(&account_id, "only")
        .await
        .expect("delete a detached policy");
    assert_eq!(
        attached_names(&store, &account_id, kind, "frank").await,
        ["Pol"]
    );

    // Detaching.
    store
        .detach_policy(&account_id, PolicyHolder::new(kind, "Erin"), "pol")
        .await
        .expect("detach");
    assert_err!(
        store
            .detach_policy(&account_id, PolicyHolder::new(kind, "erin"), "Pol")
            .await,
        StoreError::PolicyNotAttached
    );
    assert_eq!(attachment_count(&store, &account_id, "Pol").await, 2);
    assert_eq!(
        attached_names(&store, &account_id, kind, "erin").await,
        ["apple", "Zeta"]
    );
    store
        .detach_policy(&account_id, PolicyHolder::new(kind, "frank"), "Pol")
        .await
        .expect("detach");
    assert_eq!(attachment_count(&store, &account_id, "Pol").await, 1);
    assert_err!(
        store.delete_policy(&account_id, "Pol").await,
        StoreError::PolicyAttached
    );
    assert_err!(
        store
            .detach_policy(&account_id, PolicyHolder::new(kind, "frank"), "apple")
            .await,
        StoreError::PolicyNotAttached
    );
    assert_eq!(
        attachment_count(&store, &account_id, "apple").await,
        1,
        "a refused detach changes no count"
    );
    store
        .detach_policy(&account_id, PolicyHolder::new(other(kind), "erin"), "pol")
        .await
        .expect("detach from the other holder");
    assert_eq!(attachment_count(&store, &account_id, "Pol").await, 0);
    store
        .delete_policy(&account_id, "Pol")
        .await
        .expect("delete once detached from both");

    // Missing holder or policy: the holder is checked first.
    assert_missing!(
        store
            .attach_policy(
                &account_id,
                PolicyHolder::new(kind, "ghost"),
                "apple",
                usize::MAX
            )
            .await,
        kind
    );
    assert_missing!(
        store
            .attach_policy(
                &account_id,
                PolicyHolder::new(kind, "ghost"),
                "nope",
                usize::MAX
            )
            .await,
        kind
    );
    assert_err!(
        store
            .attach_policy(
                &account_id,
                PolicyHolder::new(kind, "erin"),
                "nope",
                usize::MAX
            )
            .await,
        StoreError::NoSuchPolicy
    );
    assert_missing!(
        store
            .detach_policy(&account_id, PolicyHolder::new(kind, "ghost"), "apple")
            .await,
        kind
    );
    assert_missing!(
        store
            .detach_policy(&account_id, PolicyHolder::new(kind, "ghost"), "nope")
            .await,
        kind
    );
    assert_err!(
        store
            .detach_policy(&account_id, PolicyHolder::new(kind, "erin"), "nope")
            .await,
        StoreError::NoSuchPolicy
    );
    assert_missing!(
        store
            .list_attached_policies(&account_id, PolicyHolder::new(kind, "ghost"), "/", None, 10)
            .await,
        kind
    );
    assert_missing!(
        store
            .list_attached_policies(&account_id, PolicyHolder::new(kind, "ghost"), "/", None, 0)
            .await,
        kind
    );
    assert_eq!(attachment_count(&store, &account_id, "apple").await, 1);
}

pub async fn holder_policies_gather_inline_and_default_versions(
    store: Arc<dyn Store>,
    kind: HolderKind,
) {
    let (account_id, _) = account(&store).await;
    let grace = create_holder(&store, &account_id, kind, "grace").await;
    let heidi = create_holder(&store, &account_id, kind, "heidi").await;
    let grace_user = create_holder(&store, &account_id, other(kind), "grace").await;
    assert_eq!(
        store
            .get_holder_policies(kind, &grace)
            .await
            .expect("get_holder_policies"),
        UserPolicies::default()
    );
    assert_eq!(
        store
            .get_holder_policies(kind, &ids::role_id())
            .await
            .expect("get_holder_policies of an unknown holder"),
        UserPolicies::default()
    );

    for (name, action) in [("b", "b:*"), ("a", "a:*"), ("B", "B:*")] {
        store
            .put_inline_policy(
                &account_id,
                PolicyHolder::new(kind, "grace"),
                name,
                &doc(action),
                10,
                QUOTA,
            )
            .await
            .expect("put");
    }
    let alpha = create_policy(&store, &account_id, "alpha", "/x/y/").await;
    let beta = create_policy(&store, &account_id, "Beta", "/").await;
    create_policy(&store, &account_id, "unattached", "/").await;
    let user_only = create_policy(&store, &account_id, "UserOnly", "/").await;
    store
        .create_policy_version(&account_id, "beta", &doc("beta:2"), true, 5, at(1))
        .await
        .expect("beta v2");
    store
        .create_policy_version(&account_id, "Alpha", &doc("alpha:2"), false, 5, at(1))
        .await
        .expect("alpha v2");
    for name in ["beta", "alpha"] {
        store
            .attach_policy(
                &account_id,
                PolicyHolder::new(kind, "grace"),
                name,
                usize::MAX,
            )
            .await
            .expect("attach");
    }
    // The other holder of the same name has policies of its own, which do not apply to
    // this one.
    store
        .attach_policy(
            &account_id,
            PolicyHolder::new(other(kind), "grace"),
            "useronly",
            usize::MAX,
        )
        .await
        .expect("attach to the other holder");
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::new(other(kind), "grace"),
            "mine",
            &doc("user:*"),
            10,
            QUOTA,
        )
        .await
        .expect("put_inline_policy");

    let got = store
        .get_holder_policies(kind, &grace)
        .await
        .expect("get_holder_policies");
    assert_eq!(
        got.inline,
        vec![
            ("B".to_owned(), doc("B:*")),
            ("a".to_owned(), doc("a:*")),
            ("b".to_owned(), doc("b:*")),
        ],
        "inline policies in name (byte) order"
    );
    assert_eq!(
        got.managed,
        vec![
            (
                format!("arn:aws:iam::{account_id}:policy/x/y/alpha"),
                "v1".to_owned(),
                doc("iam:alpha"),
            ),
            (
                format!("arn:aws:iam::{account_id}:policy/Beta"),
                "v2".to_owned(),
                doc("beta:2"),
            ),
        ],
        "attached policies in lower-cased-name order, each with its default version"
    );
    assert_eq!(got.managed[0].0, alpha.arn());
    assert_eq!(got.managed[1].0, beta.arn());
    assert_eq!(
        store
            .get_holder_policies(other(kind), &grace_user)
            .await
            .expect("get_holder_policies"),
        UserPolicies {
            inline: vec![("mine".to_owned(), doc("user:*"))],
            managed: vec![(user_only.arn(), "v1".to_owned(), doc("iam:UserOnly"))],
            boundary: None,
            ..Default::default()
        },
        "this holder's policies do not apply to the other"
    );
    assert_eq!(
        store
            .get_holder_policies(kind, &heidi)
            .await
            .expect("get_holder_policies"),
        UserPolicies::default(),
        "another holder's policies do not apply"
    );

    // Switching defaults switches the documents; detaching and deleting remove them.
    store
        .set_default_policy_version(&account_id, "alpha", "v2", at(2))
        .await
        .expect("set default");
    store
        .set_default_policy_version(&account_id, "beta", "v1", at(2))
        .await
        .expect("set default");
    store
        .put_inline_policy(
            &account_id,
            PolicyHolder::new(kind, "grace"),
            "a",
            &doc("a:2"),
            10,
            QUOTA,
        )
        .await
        .expect("replace a");
    let got = store
        .get_holder_policies(kind, &grace)
        .await
        .expect("get_holder_policies");
    assert_eq!(
        got.managed
            .iter()
            .map(|(_, v, d)| (v.as_str(), d.clone()))
            .collect::<Vec<_>>(),
        [("v2", doc("alpha:2")), ("v1", doc("iam:Beta"))]
    );
    assert_eq!(got.inline[1], ("a".to_owned(), doc("a:2")));
    store
        .detach_policy(&account_id, PolicyHolder::new(kind, "grace"), "alpha")
        .await
        .expect("detach");
    store
        .delete_inline_policy(&account_id, PolicyHolder::new(kind, "grace"), "B")
        .await
        .expect("delete B");
    let got = store
        .get_holder_policies(kind, &grace)
        .await
        .expect("get_holder_policies");
    assert_eq!(
        got.inline
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(
        got.managed
            .iter()
            .map(|(arn, _, _)| arn.clone())
            .collect::<Vec<_>>(),
        [beta.arn()]
    );
}

pub async fn concurrent_attachments_keep_the_count_exact(store: Arc<dyn Store>, kind: HolderKind) {
    let (account_id, _) = account(&store).await;
    create_policy(&store, &account_id, "Shared", "/").await;
    create_holder(&store, &account_id, kind, "same").await;
    for i in 0..20 {
        create_holder(&store, &account_id, kind, &format!("u{i}")).await;
    }
    let race = |ops: Vec<(bool, String)>| {
        let start = Arc::new(Barrier::new(ops.len()));
        let tasks: Vec<_> = ops
            .into_iter()
            .map(|(attach, user)| {
                let (store, start, account_id) =
                    (Arc::clone(&store), Arc::clone(&start), account_id.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    let result = if attach {
                        store
                            .attach_policy(
                                &account_id,
                                PolicyHolder::new(kind, &user),
                                "shared",
                                usize::MAX,
                            )
                            .await
                    } else {
                        store
                            .detach_policy(&account_id, PolicyHolder::new(kind, &user), "shared")
                            .await
                    };
                    (attach, user, result)
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

    // 20 holders attaching at once, and 20 attaching to one holder.
    let mut ops: Vec<(bool, String)> = (0..20).map(|i| (true, format!("u{i}"))).collect();
    ops.extend((0..20).map(|_| (true, "SAME".to_owned())));
    for (_, user, result) in race(ops).await {
        result.unwrap_or_else(|e| panic!("attach to {user}: {e:?}"));
    }
    assert_eq!(attachment_count(&store, &account_id, "Shared").await, 21);

    // Detaching from the even holders, attaching (again) to the odd ones, and detaching
    // from the one holder 20 times over: only one of those succeeds.
    let mut ops: Vec<(bool, String)> = (0..20).map(|i| (i % 2 == 1, format!("u{i}"))).collect();
    ops.extend((0..20).map(|_| (false, "same".to_owned())));
    let mut detached_same = 0;
    for (attach, user, result) in race(ops).await {
        match (attach, user.as_str(), result) {
            (true, _, Ok(())) => {}
            (false, "same", Ok(())) => detached_same += 1,
            (false, "same", Err(StoreError::PolicyNotAttached)) => {}
            (false, _, Ok(())) => {}
            (attach, user, result) => {
                panic!("{user} (attach: {attach}): unexpected {result:?}")
            }
        }
    }
    assert_eq!(detached_same, 1, "one detach from the same holder succeeds");
    assert_eq!(attachment_count(&store, &account_id, "Shared").await, 10);

    let mut holders = 0;
    for i in 0..20 {
        let names = attached_names(&store, &account_id, kind, &format!("u{i}")).await;
        assert_eq!(names.len(), i % 2, "u{i}");
        holders += names.len();
    }
    assert!(attached_names(&store, &account_id, kind, "same")
        .await
        .is_empty());
    assert_eq!(holders, 10);
    assert_eq!(
        policy_names(&store, &account_id, "/", true).await,
        ["Shared"]
    );
}

/// `list_policy_entities`: the holders of one kind a policy is attached to, by path
/// prefix, in lower-cased-name order, paged; another kind's attachments are not listed;
/// an unknown policy is `NoSuchPolicy`.
pub async fn policy_entities_are_listed_by_kind(store: Arc<dyn Store>, kind: HolderKind) {
    let (account_id, _) = account(&store).await;
    create_policy(&store, &account_id, "Shared", "/").await;
    create_policy(&store, &account_id, "unused", "/").await;
    let mut ids = Vec::new();
    for name in ["carol", "Alice", "bob", "dave"] {
        ids.push((name, create_holder(&store, &account_id, kind, name).await));
    }
    create_holder(&store, &account_id, other(kind), "alice").await;
    for name in ["carol", "Alice", "bob"] {
        store
            .attach_policy(
                &account_id,
                PolicyHolder::new(kind, name),
                "shared",
                usize::MAX,
            )
            .await
            .expect("attach");
    }
    store
        .attach_policy(
            &account_id,
            PolicyHolder::new(other(kind), "alice"),
            "Shared",
            usize::MAX,
        )
        .await
        .expect("attach to the other kind");
    let list = |after: Option<&'static str>, limit: usize| {
        let store = Arc::clone(&store);
        let account_id = account_id.clone();
        async move {
            store
                .list_policy_entities(&account_id, "SHARED", kind, false, "/", after, limit)
                .await
                .expect("list_policy_entities")
                .into_iter()
                .map(|e| (e.kind, e.name, e.id))
                .collect::<Vec<_>>()
        }
    };
    let id_of = |name: &str| ids.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    assert_eq!(
        list(None, 10).await,
        vec![
            (kind, "Alice".to_owned(), id_of("Alice")),
            (kind, "bob".to_owned(), id_of("bob")),
            (kind, "carol".to_owned(), id_of("carol")),
        ]
    );
    let page: Vec<String> = list(Some("alice"), 1)
        .await
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(page, ["bob"]);
    assert!(list(Some("carol"), 10).await.is_empty());
    assert!(store
        .list_policy_entities(&account_id, "unused", kind, false, "/", None, 10)
        .await
        .expect("a policy attached to nothing")
        .is_empty());
    assert!(store
        .list_policy_entities(&account_id, "Shared", kind, false, "/elsewhere/", None, 10)
        .await
        .expect("no holder under that path")
        .is_empty());
    assert!(matches!(
        store
            .list_policy_entities(&account_id, "nope", kind, false, "/", None, 10)
            .await,
        Err(StoreError::NoSuchPolicy)
    ));

    // As a permissions boundary (users and roles have one; groups none): only the
    // holders it bounds, not those it is attached to.
    let bounded = || async {
        store
            .list_policy_entities(&account_id, "unused", kind, true, "/", None, 10)
            .await
            .expect("list_policy_entities as boundary")
            .into_iter()
            .map(|e| e.name)
            .collect::<Vec<_>>()
    };
    assert!(bounded().await.is_empty());
    if kind != HolderKind::Group {
        store
            .put_permissions_boundary(&account_id, PolicyHolder::new(kind, "dave"), "unused")
            .await
            .expect("put_permissions_boundary");
        assert_eq!(bounded().await, ["dave"]);
        assert!(store
            .list_policy_entities(&account_id, "Shared", kind, true, "/", None, 10)
            .await
            .expect("the attached policy bounds no one")
            .is_empty());
    }
}
