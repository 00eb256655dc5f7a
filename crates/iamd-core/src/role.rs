//! Role operations: CreateRole, GetRole, ListRoles, UpdateRole, UpdateAssumeRolePolicy,
//! DeleteRole, role inline policies and managed-policy attachments. A service-linked role
//! (`service_role`) refuses every change but its description and tags.

use iamd_policy::{Policy, PolicyKind, SizeQuota};

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::{Role, RoleUsage, Tag};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::{policy_error, Page};
use crate::service::{store_failure, Iam, RequestContext};
use crate::service_role::{check_role_path, modifiable};
use crate::store_errors::role_error;

pub const MIN_SESSION_DURATION: u32 = 3_600;
pub const MAX_SESSION_DURATION: u32 = 43_200;

#[derive(Debug, Clone, Default)]
pub struct CreateRoleInput {
    pub role_name: String,
    pub path: Option<String>,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: Option<u32>,
    /// The ARN of the permissions boundary to set, if any.
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

pub fn no_such_role(name: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The role with name {name} cannot be found."),
    )
}

fn validate_trust_policy(document: &str) -> Result<(), IamError> {
    Policy::parse_as(document, PolicyKind::Trust).map_err(policy_error)?;
    iamd_policy::check_size(SizeQuota::Trust, "", &[document]).map_err(policy_error)
}

impl Iam {
    fn role_resource(ctx: &RequestContext, role_name: &str) -> Resource {
        Resource::arn(format!(
            "arn:aws:iam::{}:role/{role_name}",
            ctx.principal.account_id()
        ))
    }

    /// Looks a role up after authorizing `action` on it.
    pub(crate) async fn role_for(
        &self,
        ctx: &RequestContext,
        role_name: &str,
        action: &str,
    ) -> Result<Role, IamError> {
        let role = self
            .store
            .get_role(ctx.principal.account_id(), role_name)
            .await
            .map_err(store_failure)?;
        let resource = match &role {
            Some(r) => Resource::arn(r.arn()).entity_tags(&r.tags),
            None => Self::role_resource(ctx, role_name),
        };
        self.authorize(ctx, action, &resource).await?;
        role.ok_or_else(|| no_such_role(role_name))
    }

    pub async fn create_role(
        &self,
        ctx: &RequestContext,
        input: CreateRoleInput,
    ) -> Result<Role, IamError> {
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        let ctx = &ctx.creating(&input.tags, input.permissions_boundary.as_deref());
        let role = Role {
            account_id: ctx.principal.account_id().to_owned(),
            role_id: ids::role_id(),
            role_name: input.role_name,
            path,
            description: input.description,
            assume_role_policy_document: input.assume_role_policy_document,
            max_session_duration: input.max_session_duration.unwrap_or(MIN_SESSION_DURATION),
            create_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
            tags: input.tags,
            session_secret: ids::secret_access_key().seal(&self.keyring),
            linked_service: None,
        };
        self.authorize(ctx, ctx.action(), &Resource::arn(role.arn()))
            .await?;
        check_role_path(&role.path)?;
        validate_trust_policy(&role.assume_role_policy_document)?;
        let boundary = match &input.permissions_boundary {
            Some(arn) => Some(self.boundary_policy(ctx, arn).await?),
            None => None,
        };
        let created = match &boundary {
            Some(policy) if policy.account_id == crate::catalog::AWS_ACCOUNT => {
                let arn = policy.arn();
                self.store.create_role_with_aws_boundary(&role, &arn).await
            }
            Some(policy) => {
                self.store
                    .create_role_with_boundary(&role, &policy.policy_name)
                    .await
            }
            None => self.store.create_role(&role).await,
        };
        match (created, input.permissions_boundary) {
            (Ok(()), _) => Ok(role),
            // The policy was deleted since it was found.
            (Err(crate::store::StoreError::NoSuchPolicy), Some(arn)) => {
                Err(crate::policy::not_attachable(&arn))
            }
            (Err(e), _) => Err(role_error(e, &role.role_name)),
        }
    }

    pub async fn get_role(&self, ctx: &RequestContext, role_name: &str) -> Result<Role, IamError> {
        self.role_for(ctx, role_name, ctx.action()).await
    }

    /// When the role was last used (a request signed by one of its sessions): the newer of
    /// the use in the store and the one this node has not flushed yet.
    pub(crate) async fn role_last_used(
        &self,
        role_id: &str,
    ) -> Result<Option<RoleUsage>, IamError> {
        let stored = self
            .store
            .get_role_last_used(role_id)
            .await
            .map_err(store_failure)?;
        let pending = self.usage.pending_role(role_id);
        Ok(match (stored, pending) {
            (Some(s), Some(p)) => Some(if p.when > s.when { p } else { s }),
            (s, p) => s.or(p),
        })
    }

    pub async fn list_roles(
        &self,
        ctx: &RequestContext,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<Role>, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account = ctx.principal.account_id();
        let listing = Listing {
            operation: "ListRoles",
            scope: account,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?;
        let mut items = self
            .store
            .list_roles(
                account,
                path_prefix.unwrap_or("/"),
                after.as_deref(),
                max_items + 1,
            )
            .await
            .map_err(store_failure)?;
        let marker = pagination::name_page(&listing, &mut items, max_items, |r| {
            r.role_name.to_lowercase()
        });
        Ok(Page { items, marker })
    }

    pub async fn update_role(
        &self,
        ctx: &RequestContext,
        role_name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> Result<(), IamError> {
        let role = self.role_for(ctx, role_name, ctx.action()).await?;
        // A service-linked role's description may change, nothing else.
        if max_session_duration.is_some() {
            modifiable(&role)?;
        }
        self.store
            .update_role(
                &role.account_id,
                &role.role_name,
                description,
                max_session_duration,
            )
            .await
            .map_err(|e| role_error(e, role_name))
    }

    pub async fn update_assume_role_policy(
        &self,
        ctx: &RequestContext,
        role_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        let role = self.role_for(ctx, role_name, ctx.action()).await?;
        modifiable(&role)?;
        validate_trust_policy(document)?;
        self.store
            .update_assume_role_policy(&role.account_id, &role.role_name, document)
            .await
            .map_err(|e| role_error(e, role_name))
    }

    pub async fn delete_role(&self, ctx: &RequestContext, role_name: &str) -> Result<(), IamError> {
        let role = self.role_for(ctx, role_name, ctx.action()).await?;
        modifiable(&role)?;
        let result = self
            .store
            .delete_role(&role.account_id, &role.role_name)
            .await
            .map_err(|e| role_error(e, role_name));
        self.authorizer.policies_changed();
        result
    }
}
