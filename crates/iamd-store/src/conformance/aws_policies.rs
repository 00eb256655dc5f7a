//! AWS managed policies as the Store records them: attachments by ARN to every kind of
//! holder (idempotent, listed, counted, within the holders' attachment quota
//! with customer managed ones, blocking the holder's deletion, returned with the holder's
//! documents and its groups'), and users' and roles' AWS boundaries (set, replacing and
//! replaced by customer managed ones, created with the user or role, counted, listed).

use std::sync::Arc;

use super::policies::new_policy;
use super::roles::new_role;
use super::{account, create, new_user};
use crate::model::{AwsPolicyUsage, HolderKind, PolicyEntity, PolicyHolder};
use crate::store::{Store, StoreError};

const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const IAM_READ_ONLY: &str = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";
const VIEW_ONLY: &str = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess";

/// Asserts that `$result` is the error for a missing holder of kind `$kind`.
macro_rules! assert_missing {
    ($result:expr, $kind:expr) => {
        match $result {
            Err(e) if std::mem::discriminant(&e) == std::mem::discriminant(&$kind.missing()) => {}
            other => panic!("expected Err({:?}), got {:?}", $kind.missing(), other),
        }
    };
}

fn doc(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

fn usage(arn: &str, attachments: u32, boundaries: u32) -> AwsPolicyUsage {
    AwsPolicyUsage {
        arn: arn.to_owned(),
        attachments,
        boundaries,
    }
}

/// Creates a holder of `kind` named `name` at `path`; returns its id.
async fn holder(
    store: &Arc<dyn Store>,
    account_id: &str,
    kind: HolderKind,
    name: &str,
    path: &str,
) -> String {
    match kind {
        HolderKind::User => create(store, account_id, name, path).await.user_id,
        HolderKind::Role => {
            let role = new_role(account_id, name, path);
            store.create_role(&role).await.expect("create_role");
            role.role_id
        }
        HolderKind::Group => {
            let group = super::groups::new_group(account_id, name, path);
            store
                .create_group(&group, usize::MAX)
                .await
                .expect("create_group");
            group.group_id
        }
    }
}

fn attached_error(kind: HolderKind) -> fn(&StoreError) -> bool {
    match kind {
        HolderKind::User => |e| matches!(e, StoreError::UserHasAttachedPolicies),
        HolderKind::Role => |e| matches!(e, StoreError::RoleHasAttachedPolicies),
        HolderKind::Group => |e| matches!(e, StoreError::GroupHasAttachedPolicies),
    }
}

async fn delete_holder(
    store: &Arc<dyn Store>,
    account_id: &str,
    kind: HolderKind,
    name: &str,
) -> Result<(), StoreError> {
    match kind {
        HolderKind::User => store.delete_user(account_id, name).await,
        HolderKind::Role => store.delete_role(account_id, name).await,
        HolderKind::Group => store.delete_group(account_id, name).await,
    }
}

pub async fn aws_attachments_are_idempotent_listed_and_counted(
    store: Arc<dyn Store>,
    kind: HolderKind,
) {
    let (account_id, _) = account(&store).await;
    let id = holder(&store, &account_id, kind, "Holder", "/team/").await;
    let h = PolicyHolder::new(kind, "HOLDER");
    assert_eq!(
        store
            .list_aws_attached_policies(&account_id, h)
            .await
            .expect("list"),
        Vec::<String>::new()
    );
    for arn in [VIEW_ONLY, READ_ONLY, READ_ONLY] {
        store
            .attach_aws_policy(&account_id, h, arn, usize::MAX)
            .await
            .expect("attach, again changes nothing");
    }
    assert_eq!(
        store
            .list_aws_attached_policies(&account_id, h)
            .await
            .expect("list"),
        [READ_ONLY, VIEW_ONLY],
        "in ARN order"
    );
    let policies = store
        .get_holder_policies(kind, &id)
        .await
        .expect("get_holder_policies");
    assert_eq!(policies.aws_managed, [READ_ONLY, VIEW_ONLY]);
    assert!(policies.managed.is_empty() && policies.inline.is_empty());
    assert_eq!(policies.aws_boundary, None);
    assert_eq!(
        store
            .aws_policy_usage(&account_id, None)
            .await
            .expect("usage"),
        [usage(READ_ONLY, 1, 0), usage(VIEW_ONLY, 1, 0)]
    );
    assert_eq!(
        store
            .aws_policy_usage(&account_id, Some(VIEW_ONLY))
            .await
            .expect("usage of one"),
        [usage(VIEW_ONLY, 1, 0)]
    );
    assert_eq!(
        store
            .aws_policy_usage(&account_id, Some(IAM_READ_ONLY))
            .await
            .expect("usage of an unused one"),
        []
    );
    // Entities, by kind, path and name.
    let second = holder(&store, &account_id, kind, "Another", "/").await;
    store
        .attach_aws_policy(
            &account_id,
            PolicyHolder::new(kind, "another"),
            READ_ONLY,
            10,
        )
        .await
        .expect("attach");
    let entities = |path: &'static str, after: Option<&'static str>| {
        let store = store.clone();
        let account_id = account_id.clone();
        async move {
            store
                .list_aws_policy_entities(&account_id, READ_ONLY, kind, false, path, after, 10)
                .await
                .expect("list_aws_policy_entities")
        }
    };
    let entity = |name: &str, id: &str| PolicyEntity {
        kind,
        name: name.to_owned(),
        id: id.to_owned(),
    };
    assert_eq!(
        entities("/", None).await,
        [entity("Another", &second), entity("Holder", &id)]
    );
    assert_eq!(entities("/team/", None).await, [entity("Holder", &id)]);
    assert_eq!(
        entities("/", Some("another")).await,
        [entity("Holder", &id)]
    );
    assert_eq!(
        store
            .list_aws_policy_entities(&account_id, READ_ONLY, kind, false, "/", None, 1)
            .await
            .expect("limit"),
        [entity("Another", &second)]
    );
    assert_eq!(
        store
            .list_aws_policy_entities(&account_id, IAM_READ_ONLY, kind, false, "/", None, 10)
            .await
            .expect("unused"),
        []
    );
    if kind != HolderKind::User {
        assert_eq!(
            store
                .list_aws_policy_entities(
                    &account_id,
                    READ_ONLY,
                    HolderKind::User,
                    false,
                    "/",
                    None,
                    10
                )
                .await
                .expect("other kind"),
            [],
            "holders of another kind are not listed"
        );
    }
    assert_eq!(
        store
            .aws_policy_usage(&account_id, Some(READ_ONLY))
            .await
            .expect("usage"),
        [usage(READ_ONLY, 2, 0)]
    );
    // The quota counts customer and AWS managed policies together.
    let customer = new_policy(&account_id, "Customer", "/", 0);
    store
        .create_policy(&customer, &doc("s3:*"))
        .await
        .expect("create_policy");
    store
        .attach_policy(&account_id, h, "customer", 3)
        .await
        .expect("the third attachment");
    assert_err!(
        store
            .attach_aws_policy(&account_id, h, IAM_READ_ONLY, 3)
            .await,
        StoreError::AttachmentQuotaExceeded
    );
    store
        .attach_aws_policy(&account_id, h, READ_ONLY, 3)
        .await
        .expect("attached already: no quota check");
    store
        .detach_policy(&account_id, h, "customer")
        .await
        .expect("detach customer");
    assert_err!(
        store.attach_policy(&account_id, h, "customer", 2).await,
        StoreError::AttachmentQuotaExceeded
    );
    // Missing holders and attachments.
    let nobody = PolicyHolder::new(kind, "nobody");
    assert_missing!(
        store
            .attach_aws_policy(&account_id, nobody, READ_ONLY, 10)
            .await,
        kind
    );
    assert_missing!(
        store
            .detach_aws_policy(&account_id, nobody, READ_ONLY)
            .await,
        kind
    );
    assert_missing!(
        store.list_aws_attached_policies(&account_id, nobody).await,
        kind
    );
    assert_err!(
        store.detach_aws_policy(&account_id, h, IAM_READ_ONLY).await,
        StoreError::PolicyNotAttached
    );
    // A holder with AWS managed policies attached cannot be deleted.
    let refused = delete_holder(&store, &account_id, kind, "holder")
        .await
        .expect_err("delete refused");
    assert!(attached_error(kind)(&refused), "got {refused:?}");
    for arn in [READ_ONLY, VIEW_ONLY] {
        store
            .detach_aws_policy(&account_id, h, arn)
            .await
            .expect("detach");
    }
    assert_err!(
        store.detach_aws_policy(&account_id, h, READ_ONLY).await,
        StoreError::PolicyNotAttached
    );
    assert_eq!(
        store
            .aws_policy_usage(&account_id, None)
            .await
            .expect("usage"),
        [usage(READ_ONLY, 1, 0)]
    );
    delete_holder(&store, &account_id, kind, "holder")
        .await
        .expect("deleted once detached");
}

pub async fn group_aws_policies_apply_to_members(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let alice = create(&store, &account_id, "alice", "/").await;
    for name in ["aws-only", "empty"] {
        holder(&store, &account_id, HolderKind::Group, name, "/").await;
        store
            .add_user_to_group(&account_id, name, "alice", 10)
            .await
            .expect("add");
    }
    store
        .attach_aws_policy(
            &account_id,
            PolicyHolder::group("aws-only"),
            IAM_READ_ONLY,
            10,
        )
        .await
        .expect("attach");
    let groups = store
        .get_user_group_policies(&alice.user_id)
        .await
        .expect("get_user_group_policies");
    assert_eq!(groups.len(), 1, "a group with only AWS policies is listed");
    assert_eq!(groups[0].0, "aws-only");
    assert_eq!(groups[0].1.aws_managed, [IAM_READ_ONLY]);
    assert!(store
        .get_holder_policies(HolderKind::User, &alice.user_id)
        .await
        .expect("alice's own")
        .aws_managed
        .is_empty());
}

pub async fn aws_boundaries_are_set_replaced_counted_and_created_with(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let fence = new_policy(&account_id, "Fence", "/", 0);
    store
        .create_policy(&fence, &doc("iam:*"))
        .await
        .expect("create_policy");
    let alice = create(&store, &account_id, "Alice", "/").await;
    let runner = new_role(&account_id, "Runner", "/");
    store.create_role(&runner).await.expect("create_role");
    for (holder, id) in [
        (PolicyHolder::user("alice"), alice.user_id.as_str()),
        (PolicyHolder::role("RUNNER"), runner.role_id.as_str()),
    ] {
        store
            .put_aws_permissions_boundary(&account_id, holder, IAM_READ_ONLY)
            .await
            .expect("put");
        assert_eq!(
            store
                .get_permissions_boundary(&account_id, holder)
                .await
                .expect("get"),
            Some(IAM_READ_ONLY.to_owned())
        );
        let policies = store
            .get_holder_policies(holder.kind, id)
            .await
            .expect("get_holder_policies");
        assert_eq!(policies.aws_boundary.as_deref(), Some(IAM_READ_ONLY));
        assert_eq!(policies.boundary, None);
        // A customer managed boundary replaces it, and the other way round.
        store
            .put_permissions_boundary(&account_id, holder, "fence")
            .await
            .expect("put customer");
        assert_eq!(
            store
                .get_permissions_boundary(&account_id, holder)
                .await
                .expect("get"),
            Some(fence.arn())
        );
        let policies = store
            .get_holder_policies(holder.kind, id)
            .await
            .expect("get_holder_policies");
        assert_eq!(policies.aws_boundary, None);
        assert!(policies.boundary.is_some());
        store
            .put_aws_permissions_boundary(&account_id, holder, READ_ONLY)
            .await
            .expect("put");
        assert_eq!(
            store
                .get_policy(&account_id, "fence")
                .await
                .expect("get_policy")
                .expect("exists")
                .permissions_boundary_usage_count,
            0,
            "the customer managed boundary was replaced"
        );
    }
    assert_eq!(
        store
            .aws_policy_usage(&account_id, None)
            .await
            .expect("usage"),
        [usage(READ_ONLY, 0, 2)]
    );
    for kind in [HolderKind::User, HolderKind::Role] {
        let listed = store
            .list_aws_policy_entities(&account_id, READ_ONLY, kind, true, "/", None, 10)
            .await
            .expect("list as boundary");
        assert_eq!(listed.len(), 1);
        assert!(store
            .list_aws_policy_entities(&account_id, READ_ONLY, kind, false, "/", None, 10)
            .await
            .expect("list attached")
            .is_empty());
    }
    assert!(store
        .list_aws_policy_entities(
            &account_id,
            READ_ONLY,
            HolderKind::Group,
            true,
            "/",
            None,
            10
        )
        .await
        .expect("groups have no boundary")
        .is_empty());
    assert_err!(
        store
            .put_aws_permissions_boundary(&account_id, PolicyHolder::group("g"), READ_ONLY)
            .await,
        StoreError::NoSuchGroup
    );
    assert_err!(
        store
            .put_aws_permissions_boundary(&account_id, PolicyHolder::user("nobody"), READ_ONLY)
            .await,
        StoreError::NoSuchUser
    );
    // Removed; created with one.
    store
        .delete_permissions_boundary(&account_id, PolicyHolder::user("alice"))
        .await
        .expect("delete");
    assert_eq!(
        store
            .get_permissions_boundary(&account_id, PolicyHolder::user("alice"))
            .await
            .expect("get"),
        None
    );
    let bob = new_user(&account_id, "bob", "/");
    store
        .create_user_with_aws_boundary(&bob, VIEW_ONLY)
        .await
        .expect("create with a boundary");
    assert_err!(
        store
            .create_user_with_aws_boundary(&new_user(&account_id, "BOB", "/"), VIEW_ONLY)
            .await,
        StoreError::AlreadyExists
    );
    let builder = new_role(&account_id, "builder", "/");
    store
        .create_role_with_aws_boundary(&builder, VIEW_ONLY)
        .await
        .expect("create with a boundary");
    assert_err!(
        store
            .create_role_with_aws_boundary(&new_role(&account_id, "Builder", "/"), VIEW_ONLY)
            .await,
        StoreError::AlreadyExists
    );
    assert_eq!(
        store
            .get_permissions_boundary(&account_id, PolicyHolder::role("builder"))
            .await
            .expect("get"),
        Some(VIEW_ONLY.to_owned())
    );
    assert_eq!(
        store
            .aws_policy_usage(&account_id, None)
            .await
            .expect("usage"),
        [usage(READ_ONLY, 0, 1), usage(VIEW_ONLY, 0, 2)]
    );
    // A boundary does not keep its user or role from being deleted.
    store.delete_user(&account_id, "bob").await.expect("delete");
    store
        .delete_role(&account_id, "builder")
        .await
        .expect("delete");
    assert_eq!(
        store
            .aws_policy_usage(&account_id, Some(VIEW_ONLY))
            .await
            .expect("usage"),
        []
    );
}
