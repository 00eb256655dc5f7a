//! Permissions boundaries of users and roles: Put/DeleteUserPermissionsBoundary,
//! Put/DeleteRolePermissionsBoundary, and the boundary that CreateUser, CreateRole, GetUser
//! and GetRole set or show. A boundary is a customer managed policy of the caller's account
//! or an AWS managed policy (of the catalog); `authz` evaluates its default version
//! next to the identity policies, and a change resets the authorizer's compiled principals
//! as a policy change does.

use crate::error::IamError;
use crate::model::{ManagedPolicy, PolicyHolder};
use crate::policy::not_attachable;
use crate::service::{Iam, RequestContext};
use crate::store::StoreError;
use crate::store_errors::{no_such_holder, HolderPolicy};

impl Iam {
    /// The managed policy a boundary ARN names, in the caller's account or the catalog of
    /// AWS managed policies; NoSuchEntity `Policy <arn> does not exist or is not
    /// attachable.` otherwise.
    pub(crate) async fn boundary_policy(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<ManagedPolicy, IamError> {
        self.managed_policy_unauthorized(ctx, arn, not_attachable)
            .await
    }

    /// PutUserPermissionsBoundary, PutRolePermissionsBoundary: authorized on the holder.
    pub async fn put_permissions_boundary(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
        arn: &str,
    ) -> Result<(), IamError> {
        let ctx = &ctx.with_key("iam:PermissionsBoundary", arn);
        let found = self.holder_for(ctx, holder, ctx.action()).await?;
        found.modifiable()?;
        let policy = self.boundary_policy(ctx, arn).await?;
        let put = if policy.account_id == crate::catalog::AWS_ACCOUNT {
            self.store
                .put_aws_permissions_boundary(&found.account_id, found.holder(), &policy.arn())
                .await
        } else {
            self.store
                .put_permissions_boundary(&found.account_id, found.holder(), &policy.policy_name)
                .await
        };
        match put {
            Ok(()) => {
                self.authorizer.policies_changed();
                Ok(())
            }
            Err(e) => Err(found.error(e, holder, HolderPolicy::Attach(arn))),
        }
    }

    /// DeleteUserPermissionsBoundary, DeleteRolePermissionsBoundary: authorized on the
    /// holder; a holder without a boundary is left as it is.
    pub async fn delete_permissions_boundary(
        &self,
        ctx: &RequestContext,
        holder: PolicyHolder<'_>,
    ) -> Result<(), IamError> {
        let found = self.holder_for(ctx, holder, ctx.action()).await?;
        found.modifiable()?;
        match self
            .store
            .delete_permissions_boundary(&found.account_id, found.holder())
            .await
        {
            Ok(()) => {
                self.authorizer.policies_changed();
                Ok(())
            }
            Err(e) => Err(found.error(e, holder, HolderPolicy::None)),
        }
    }

    /// The ARN of the boundary of a holder the caller was authorized to read (GetUser,
    /// GetRole); one deleted meanwhile is NoSuchEntity, as it would be a moment later.
    pub async fn permissions_boundary(
        &self,
        account_id: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<Option<String>, IamError> {
        match self
            .store
            .get_permissions_boundary(account_id, holder)
            .await
        {
            Ok(arn) => Ok(arn),
            Err(StoreError::NoSuchUser | StoreError::NoSuchRole | StoreError::NoSuchGroup) => {
                Err(no_such_holder(holder))
            }
            Err(e) => Err(IamError::service_failure(&e)),
        }
    }
}
