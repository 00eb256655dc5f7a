//! Inline policies and managed-policy attachments of any policy holder (users, roles and
//! groups): one implementation, taking a `PolicyHolder`, that every per-kind operation
//! (PutUserPolicy, PutRolePolicy, PutGroupPolicy, …) calls from `api.rs`. What
//! differs between kinds is the inline size quota (`inline_max`), the attachment quota
//! (`attached_max`) and how a holder is found and authorized (`Iam::holder_for`); the
//! action names and the listings' names are the operation's.

use iamd_policy::{
    PolicyKind, GROUP_INLINE_AGGREGATE_MAX, ROLE_INLINE_AGGREGATE_MAX, USER_INLINE_AGGREGATE_MAX,
};

use crate::catalog;
use crate::error::IamError;
use crate::model::{HolderKind, ManagedPolicy, PolicyHolder};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::{no_such_policy, not_attachable, policy_error, Page};
use crate::principal::Principal;
use crate::service::{Iam, RequestContext};
use crate::service_role::protected_role;
use crate::store::StoreError;
use crate::store_errors::{holder_error, no_such_inline_policy, HolderPolicy};

/// The most a holder's inline policies may weigh together: what differs between kinds,
/// besides how a holder is found (the action names and the listings' names come from the
/// operation called, `RequestContext::operation`).
fn inline_max(kind: HolderKind) -> usize {
    match kind {
        HolderKind::User => USER_INLINE_AGGREGATE_MAX,
        HolderKind::Role => ROLE_INLINE_AGGREGATE_MAX,
        HolderKind::Group => GROUP_INLINE_AGGREGATE_MAX,
    }
}

/// The most managed policies a holder may have attached: AWS's default quotas.
pub(crate) fn attached_max(kind: HolderKind) -> usize {
    match kind {
        HolderKind::User => crate::model::POLICIES_PER_USER,
        HolderKind::Role => crate::model::POLICIES_PER_ROLE,
        HolderKind::Group => crate::model::POLICIES_PER_GROUP,
    }
}

/// A holder that exists, as stored (its name in the stored casing).
pub(crate) struct Found {
    pub kind: HolderKind,
    pub account_id: String,
    pub id: String,
    pub name: String,
    /// A service-linked role, whose policies and boundary only AWS may change.
    pub service_linked: bool,
}

impl Found {
    pub(crate) fn holder(&self) -> PolicyHolder<'_> {
        PolicyHolder::new(self.kind, &self.name)
    }

    /// UnmodifiableEntity for a service-linked role, before any change to its policies.
    pub(crate) fn modifiable(&self) -> Result<(), IamError> {
        if self.service_linked {
            return Err(protected_role(&self.name));
        }
        Ok(())
    }

    /// What a store error of an operation on this holder (named `holder` by the caller)
    /// and `policy` means.
    pub(crate) fn error(
        &self,
        e: StoreError,
        holder: PolicyHolder<'_>,
        policy: HolderPolicy<'_>,
    ) -> IamError {
        holder_error(e, holder, &self.name, inline_max(self.kind), policy)
    }
}

/// The condition key of a user's or role's permissions boundary.
const BOUNDARY_KEY: &str = "iam:PermissionsBoundary";

/// The operations on a user's or role's policies whose `iam:PermissionsBoundary` key is
/// the holder's current boundary (AWS's service authorization reference).
const CURRENT_BOUNDARY_KEYED: [&str; 10] = [
    "PutUserPolicy",
    "PutRolePolicy",
    "DeleteUserPolicy",
    "DeleteRolePolicy",
    "AttachUserPolicy",
    "AttachRolePolicy",
    "DetachUserPolicy",
    "DetachRolePolicy",
    "DeleteUserPermissionsBoundary",
    "DeleteRolePermissionsBoundary",
];

impl Iam {
    /// The holder's current boundary, when this operation's authorization reads it: not
    /// for the root user (whom policies do not bind), nor when the request sets the key.
    async fn current_boundary_key(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
    ) -> Result<Option<String>, IamError> {
        let wanted = holder.kind != HolderKind::Group
            && !matches!(ctx.principal, Principal::Root { .. })
            && self.authorizer.enforces()
            && CURRENT_BOUNDARY_KEYED.contains(&ctx.operation.name())
            && !ctx.request_keys.iter().any(|(k, _)| k == BOUNDARY_KEY);
        if !wanted {
            return Ok(None);
        }
        match self
            .store
            .get_permissions_boundary(ctx.principal.account_id(), holder)
            .await
        {
            Ok(arn) => Ok(arn),
            // A missing holder has no boundary; the lookup that follows says it is missing.
            Err(StoreError::NoSuchUser | StoreError::NoSuchRole) => Ok(None),
            Err(e) => Err(IamError::service_failure(&e)),
        }
    }

    /// Finds the holder after authorizing `action` on it. For the operations that AWS
    /// gives `iam:PermissionsBoundary`, the key is the holder's current boundary unless the
    /// request sets one.
    pub(crate) async fn holder_for(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
        action: &str,
    ) -> Result<Found, IamError> {
        let keyed;
        let ctx = match self.current_boundary_key(ctx, holder).await? {
            Some(arn) => {
                keyed = ctx.with_key(BOUNDARY_KEY, &arn);
                &keyed
            }
            None => ctx,
        };
        Ok(match holder.kind {
            HolderKind::User => {
                let user = self.user_for_policy_op(ctx, holder.name, action).await?;
                Found {
                    kind: HolderKind::User,
                    account_id: user.account_id,
                    id: user.user_id,
                    name: user.user_name,
                    service_linked: false,
                }
            }
            HolderKind::Role => {
                let role = self.role_for(ctx, holder.name, action).await?;
                Found {
                    kind: HolderKind::Role,
                    account_id: role.account_id,
                    id: role.role_id,
                    name: role.role_name,
                    service_linked: role.linked_service.is_some(),
                }
            }
            HolderKind::Group => {
                let group = self.group_for(ctx, holder.name, action).await?;
                Found {
                    kind: HolderKind::Group,
                    account_id: group.account_id,
                    id: group.group_id,
                    name: group.group_name,
                    service_linked: false,
                }
            }
        })
    }

    /// PutUserPolicy, PutRolePolicy, PutGroupPolicy.
    pub async fn put_inline_policy(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        let found = self.holder_for(ctx, holder, ctx.action()).await?;
        found.modifiable()?;
        iamd_policy::Policy::parse_as(document, PolicyKind::Identity).map_err(policy_error)?;
        let size = iamd_policy::policy_size(document);
        match self
            .store
            .put_inline_policy(
                &found.account_id,
                found.holder(),
                policy_name,
                document,
                size,
                inline_max(holder.kind),
            )
            .await
        {
            Ok(()) => {
                self.authorizer.policies_changed();
                Ok(())
            }
            Err(e) => Err(found.error(e, holder, HolderPolicy::Inline(policy_name))),
        }
    }

    /// GetUserPolicy, GetRolePolicy, GetGroupPolicy: the holder's stored name and the document.
    pub async fn get_inline_policy(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(String, String), IamError> {
        let found = self.holder_for(ctx, holder, ctx.action()).await?;
        match self
            .store
            .get_inline_policy(&found.account_id, found.holder(), policy_name)
            .await
        {
            Ok(Some(doc)) => Ok((found.name, doc)),
            Ok(None) => Err(no_such_inline_policy(holder.kind, policy_name)),
            Err(e) => Err(found.error(e, holder, HolderPolicy::Inline(policy_name))),
        }
    }

    /// ListUserPolicies, ListRolePolicies, ListGroupPolicies.
    pub async fn list_inline_policies(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<String>, IamError> {
        let found = self.holder_for(ctx, holder, ctx.action()).await?;
        let listing = Listing {
            operation: ctx.operation.name(),
            scope: &found.id,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?;
        let mut items = self
            .store
            .list_inline_policies(
                &found.account_id,
                found.holder(),
                after.as_deref(),
                max_items + 1,
            )
            .await
            .map_err(|e| found.error(e, holder, HolderPolicy::None))?;
        let marker = pagination::name_page(&listing, &mut items, max_items, String::clone);
        Ok(Page { items, marker })
    }

    /// DeleteUserPolicy, DeleteRolePolicy, DeleteGroupPolicy.
    pub async fn delete_inline_policy(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
        policy_name: &str,
    ) -> Result<(), IamError> {
        let found = self.holder_for(ctx, holder, ctx.action()).await?;
        found.modifiable()?;
        match self
            .store
            .delete_inline_policy(&found.account_id, found.holder(), policy_name)
            .await
        {
            Ok(()) => {
                self.authorizer.policies_changed();
                Ok(())
            }
            Err(e) => Err(found.error(e, holder, HolderPolicy::Inline(policy_name))),
        }
    }

    /// AttachUserPolicy, AttachRolePolicy, AttachGroupPolicy: authorized on the holder, not on the policy.
    pub async fn attach_policy(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), IamError> {
        let ctx = &ctx.with_key("iam:PolicyARN", arn);
        let found = self.holder_for(ctx, holder, ctx.action()).await?;
        found.modifiable()?;
        let policy = self
            .managed_policy_unauthorized(ctx, arn, not_attachable)
            .await?;
        let attached = if policy.account_id == catalog::AWS_ACCOUNT {
            self.store
                .attach_aws_policy(
                    &found.account_id,
                    found.holder(),
                    &policy.arn(),
                    attached_max(holder.kind),
                )
                .await
        } else {
            self.store
                .attach_policy(
                    &found.account_id,
                    found.holder(),
                    &policy.policy_name,
                    attached_max(holder.kind),
                )
                .await
        };
        match attached {
            Ok(()) => {
                self.authorizer.policies_changed();
                Ok(())
            }
            Err(e) => Err(found.error(e, holder, HolderPolicy::Attach(arn))),
        }
    }

    /// DetachUserPolicy, DetachRolePolicy, DetachGroupPolicy.
    pub async fn detach_policy(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), IamError> {
        let ctx = &ctx.with_key("iam:PolicyARN", arn);
        let found = self.holder_for(ctx, holder, ctx.action()).await?;
        found.modifiable()?;
        let policy = self
            .managed_policy_unauthorized(ctx, arn, no_such_policy)
            .await?;
        let detached = if policy.account_id == catalog::AWS_ACCOUNT {
            self.store
                .detach_aws_policy(&found.account_id, found.holder(), &policy.arn())
                .await
        } else {
            self.store
                .detach_policy(&found.account_id, found.holder(), &policy.policy_name)
                .await
        };
        match detached {
            Ok(()) => {
                self.authorizer.policies_changed();
                Ok(())
            }
            Err(e) => Err(found.error(e, holder, HolderPolicy::Detach(arn))),
        }
    }

    /// ListAttachedUserPolicies, ListAttachedRolePolicies, ListAttachedGroupPolicies.
    pub async fn list_attached_policies(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<ManagedPolicy>, IamError> {
        let found = self.holder_for(ctx, holder, ctx.action()).await?;
        let listing = Listing {
            operation: ctx.operation.name(),
            scope: &found.id,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?
            .map(|p| MergedPosition::parse(&p))
            .transpose()?;
        let prefix = path_prefix.unwrap_or("/");
        let customer = self
            .store
            .list_attached_policies(
                &found.account_id,
                found.holder(),
                prefix,
                after.as_ref().map(|a| a.name.as_str()),
                max_items + 1,
            )
            .await
            .map_err(|e| found.error(e, holder, HolderPolicy::None))?;
        // The AWS managed ones (all of them: a holder has few), from the catalog.
        let aws: Vec<ManagedPolicy> = self
            .store
            .list_aws_attached_policies(&found.account_id, found.holder())
            .await
            .map_err(|e| found.error(e, holder, HolderPolicy::None))?
            .iter()
            .filter_map(|arn| catalog::get(arn))
            .filter(|p| p.path.starts_with(prefix))
            .map(|p| p.managed(0, 0))
            .collect();
        let (items, marker) = merge_page(&listing, customer, aws, after.as_ref(), max_items);
        Ok(Page { items, marker })
    }
}

/// A position in a listing that merges customer managed and AWS managed policies in
/// lower-cased-name order, a customer managed policy before an AWS managed one of the same
/// name: the lower-cased name, and `/aws` after it when the position is an AWS managed
/// policy's (names cannot hold a `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MergedPosition {
    pub name: String,
    pub aws: bool,
}

impl MergedPosition {
    pub(crate) fn parse(position: &str) -> Result<MergedPosition, IamError> {
        match position.split_once('/') {
            None => Ok(MergedPosition {
                name: position.to_owned(),
                aws: false,
            }),
            Some((name, "aws")) if !name.is_empty() => Ok(MergedPosition {
                name: name.to_owned(),
                aws: true,
            }),
            Some(_) => Err(IamError::validation("Invalid Marker.")),
        }
    }

    fn of(policy: &ManagedPolicy) -> MergedPosition {
        MergedPosition {
            name: policy.policy_name.to_lowercase(),
            aws: policy.account_id == catalog::AWS_ACCOUNT,
        }
    }

    fn encode(&self) -> String {
        match self.aws {
            false => self.name.clone(),
            true => format!("{}/aws", self.name),
        }
    }

    /// Whether an item at `other` comes after this position.
    fn before(&self, other: &MergedPosition) -> bool {
        (&self.name, self.aws) < (&other.name, other.aws)
    }

    /// Whether `policy` comes after this position.
    pub(crate) fn before_policy(&self, policy: &ManagedPolicy) -> bool {
        self.before(&MergedPosition::of(policy))
    }
}

/// One page of customer managed policies (`customer`, after `after`'s name, in
/// lower-cased-name order, at most `max + 1`) merged with AWS managed ones (`aws`, in any
/// order, not yet cut at `after`), and the next page's marker.
pub(crate) fn merge_page(
    listing: &Listing<'_>,
    customer: Vec<ManagedPolicy>,
    aws: Vec<ManagedPolicy>,
    after: Option<&MergedPosition>,
    max: usize,
) -> (Vec<ManagedPolicy>, Option<String>) {
    let mut items: Vec<ManagedPolicy> = customer
        .into_iter()
        .chain(aws)
        .filter(|p| after.is_none_or(|a| a.before(&MergedPosition::of(p))))
        .collect();
    items.sort_by_cached_key(|p| {
        let at = MergedPosition::of(p);
        (at.name, at.aws)
    });
    // The customer listing was cut at `max + 1`: past it, an item may be missing.
    items.truncate(max + 1);
    let marker =
        pagination::name_page(listing, &mut items, max, |p| MergedPosition::of(p).encode());
    (items, marker)
}
