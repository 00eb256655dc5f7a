//! Instance-profile operations: CreateInstanceProfile, GetInstanceProfile,
//! ListInstanceProfiles, DeleteInstanceProfile, AddRoleToInstanceProfile (AWS's one-role
//! quota), RemoveRoleFromInstanceProfile and ListInstanceProfilesForRole. Each authorizes
//! the operation's action on `arn:aws:iam::ACCOUNT:instance-profile{path}{name}` (the
//! stored path when the profile exists), as roles do on theirs.

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::{InstanceProfile, Tag, ROLES_PER_INSTANCE_PROFILE};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::Page;
use crate::service::{store_failure, Iam, RequestContext};
use crate::store_errors::instance_profile_error;

#[derive(Debug, Clone, Default)]
pub struct CreateInstanceProfileInput {
    pub instance_profile_name: String,
    pub path: Option<String>,
    pub tags: Vec<Tag>,
}

pub fn no_such_instance_profile(name: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("Instance Profile {name} cannot be found."),
    )
}

impl Iam {
    fn instance_profile_resource(ctx: &RequestContext, name: &str) -> Resource {
        Resource::arn(format!(
            "arn:aws:iam::{}:instance-profile/{name}",
            ctx.principal.account_id()
        ))
    }

    /// Looks a profile up after authorizing the operation's action on it.
    pub(crate) async fn instance_profile_for(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<InstanceProfile, IamError> {
        let profile = self
            .store
            .get_instance_profile(ctx.principal.account_id(), name)
            .await
            .map_err(store_failure)?;
        let resource = match &profile {
            Some(p) => Resource::arn(p.arn()).tags(&p.tags),
            None => Self::instance_profile_resource(ctx, name),
        };
        self.authorize(ctx, ctx.action(), &resource).await?;
        profile.ok_or_else(|| no_such_instance_profile(name))
    }

    pub async fn create_instance_profile(
        &self,
        ctx: &RequestContext,
        input: CreateInstanceProfileInput,
    ) -> Result<InstanceProfile, IamError> {
        let ctx = &ctx.tagging(&input.tags);
        let profile = InstanceProfile {
            account_id: ctx.principal.account_id().to_owned(),
            instance_profile_id: ids::instance_profile_id(),
            instance_profile_name: input.instance_profile_name,
            path: input.path.unwrap_or_else(|| "/".to_owned()),
            create_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
            tags: input.tags,
            roles: Vec::new(),
        };
        self.authorize(ctx, ctx.action(), &Resource::arn(profile.arn()))
            .await?;
        match self.store.create_instance_profile(&profile).await {
            Ok(()) => Ok(profile),
            Err(e) => Err(instance_profile_error(
                e,
                &profile.instance_profile_name,
                "",
            )),
        }
    }

    pub async fn get_instance_profile(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<InstanceProfile, IamError> {
        self.instance_profile_for(ctx, name).await
    }

    pub async fn list_instance_profiles(
        &self,
        ctx: &RequestContext,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<InstanceProfile>, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account = ctx.principal.account_id();
        let listing = Listing {
            operation: "ListInstanceProfiles",
            scope: account,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?;
        let mut items = self
            .store
            .list_instance_profiles(
                account,
                path_prefix.unwrap_or("/"),
                after.as_deref(),
                max_items + 1,
            )
            .await
            .map_err(store_failure)?;
        let marker = pagination::name_page(&listing, &mut items, max_items, |p| {
            p.instance_profile_name.to_lowercase()
        });
        Ok(Page { items, marker })
    }

    /// Authorized on the role, which is what the call names.
    pub async fn list_instance_profiles_for_role(
        &self,
        ctx: &RequestContext,
        role_name: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<InstanceProfile>, IamError> {
        let role = self.role_for(ctx, role_name, ctx.action()).await?;
        let listing = Listing {
            operation: "ListInstanceProfilesForRole",
            scope: &role.role_id,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?;
        let mut items = self
            .store
            .list_instance_profiles_for_role(
                &role.account_id,
                &role.role_name,
                after.as_deref(),
                max_items + 1,
            )
            .await
            .map_err(|e| instance_profile_error(e, "", role_name))?;
        let marker = pagination::name_page(&listing, &mut items, max_items, |p| {
            p.instance_profile_name.to_lowercase()
        });
        Ok(Page { items, marker })
    }

    pub async fn delete_instance_profile(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<(), IamError> {
        let profile = self.instance_profile_for(ctx, name).await?;
        self.store
            .delete_instance_profile(&profile.account_id, &profile.instance_profile_name)
            .await
            .map_err(|e| instance_profile_error(e, name, ""))
    }

    pub async fn add_role_to_instance_profile(
        &self,
        ctx: &RequestContext,
        name: &str,
        role_name: &str,
    ) -> Result<(), IamError> {
        let profile = self.instance_profile_for(ctx, name).await?;
        // A service-linked role is only AWS's to put in a profile (a missing role is the
        // store's NoSuchEntity, as before).
        if let Some(role) = self
            .store
            .get_role(&profile.account_id, role_name)
            .await
            .map_err(store_failure)?
        {
            crate::service_role::modifiable(&role)?;
        }
        self.store
            .add_role_to_instance_profile(
                &profile.account_id,
                &profile.instance_profile_name,
                role_name,
                ROLES_PER_INSTANCE_PROFILE,
            )
            .await
            .map_err(|e| instance_profile_error(e, name, role_name))
    }

    pub async fn remove_role_from_instance_profile(
        &self,
        ctx: &RequestContext,
        name: &str,
        role_name: &str,
    ) -> Result<(), IamError> {
        let profile = self.instance_profile_for(ctx, name).await?;
        self.store
            .remove_role_from_instance_profile(
                &profile.account_id,
                &profile.instance_profile_name,
                role_name,
            )
            .await
            .map_err(|e| instance_profile_error(e, name, role_name))
    }
}
