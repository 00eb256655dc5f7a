//! Group operations: CreateGroup, GetGroup (with its members), ListGroups, UpdateGroup,
//! DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser, and the group's
//! inline policies and managed-policy attachments (through `holder`). A user's groups'
//! policies apply to it (`authz`), so every change of membership or of a group's policies
//! clears the authorizer's compiled policies.

use crate::authz::Resource;
use crate::error::IamError;
use crate::ids;
use crate::model::{Group, User, GROUPS_PER_ACCOUNT, GROUPS_PER_USER};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::Page;
use crate::service::{store_failure, Iam, RequestContext};
use crate::store_errors::{group_error, no_such_group};

/// GetGroup's answer: the group and a page of its members.
#[derive(Debug, Clone)]
pub struct GroupWithUsers {
    pub group: Group,
    pub users: Page<User>,
}

impl Iam {
    fn group_resource(ctx: &RequestContext, path: &str, name: &str) -> Resource {
        Resource::arn(format!(
            "arn:aws:iam::{}:group{path}{name}",
            ctx.principal.account_id()
        ))
    }

    /// Looks a group up after authorizing `action` on it (AccessDenied before
    /// NoSuchEntity, as AWS answers).
    pub(crate) async fn group_for(
        &self,
        ctx: &RequestContext,
        group_name: &str,
        action: &str,
    ) -> Result<Group, IamError> {
        let group = self
            .store
            .get_group(ctx.principal.account_id(), group_name)
            .await
            .map_err(store_failure)?;
        let resource = match &group {
            Some(g) => Resource::arn(g.arn()),
            None => Self::group_resource(ctx, "/", group_name),
        };
        self.authorize(ctx, action, &resource).await?;
        group.ok_or_else(|| no_such_group(group_name))
    }

    pub async fn create_group(
        &self,
        ctx: &RequestContext,
        group_name: &str,
        path: Option<&str>,
    ) -> Result<Group, IamError> {
        let path = path.unwrap_or("/");
        self.authorize(
            ctx,
            ctx.action(),
            &Self::group_resource(ctx, path, group_name),
        )
        .await?;
        let group = Group {
            account_id: ctx.principal.account_id().to_owned(),
            group_id: ids::group_id(),
            group_name: group_name.to_owned(),
            path: path.to_owned(),
            create_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
        };
        self.store
            .create_group(&group, GROUPS_PER_ACCOUNT)
            .await
            .map_err(|e| group_error(e, group_name, "", group_name))?;
        Ok(group)
    }

    /// GetGroup: the group and a page of its members, in lower-cased-name order.
    pub async fn get_group(
        &self,
        ctx: &RequestContext,
        group_name: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<GroupWithUsers, IamError> {
        let found = self.group_for(ctx, group_name, ctx.action()).await?;
        let listing = Listing {
            operation: ctx.operation.name(),
            scope: &found.group_id,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?;
        let Some((group, mut users)) = self
            .store
            .get_group_members(
                &found.account_id,
                &found.group_name,
                after.as_deref(),
                max_items + 1,
            )
            .await
            .map_err(store_failure)?
        else {
            // Deleted since it was found.
            return Err(no_such_group(group_name));
        };
        let marker = pagination::name_page(&listing, &mut users, max_items, |u| {
            u.user_name.to_lowercase()
        });
        Ok(GroupWithUsers {
            group,
            users: Page {
                items: users,
                marker,
            },
        })
    }

    pub async fn list_groups(
        &self,
        ctx: &RequestContext,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<Group>, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account = ctx.principal.account_id();
        let listing = Listing {
            operation: ctx.operation.name(),
            scope: account,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?;
        let mut items = self
            .store
            .list_groups(
                account,
                path_prefix.unwrap_or("/"),
                after.as_deref(),
                max_items + 1,
            )
            .await
            .map_err(store_failure)?;
        let marker = pagination::name_page(&listing, &mut items, max_items, |g| {
            g.group_name.to_lowercase()
        });
        Ok(Page { items, marker })
    }

    /// UpdateGroup: authorized on the group as it is and as it would be.
    pub async fn update_group(
        &self,
        ctx: &RequestContext,
        group_name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), IamError> {
        let group = self.group_for(ctx, group_name, ctx.action()).await?;
        let path = new_path.unwrap_or(&group.path);
        let name = new_name.unwrap_or(&group.group_name);
        self.authorize(ctx, ctx.action(), &Self::group_resource(ctx, path, name))
            .await?;
        self.store
            .update_group(&group.account_id, &group.group_name, new_name, new_path)
            .await
            .map_err(|e| group_error(e, group_name, "", name))
    }

    pub async fn delete_group(
        &self,
        ctx: &RequestContext,
        group_name: &str,
    ) -> Result<(), IamError> {
        let group = self.group_for(ctx, group_name, ctx.action()).await?;
        self.store
            .delete_group(&group.account_id, &group.group_name)
            .await
            .map_err(|e| group_error(e, group_name, "", group_name))
    }

    /// AddUserToGroup: authorized on the group. Adding a member again changes nothing.
    pub async fn add_user_to_group(
        &self,
        ctx: &RequestContext,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), IamError> {
        let group = self.group_for(ctx, group_name, ctx.action()).await?;
        let result = self
            .store
            .add_user_to_group(
                &group.account_id,
                &group.group_name,
                user_name,
                GROUPS_PER_USER,
            )
            .await
            .map_err(|e| group_error(e, group_name, user_name, group_name));
        // The user's policies now include the group's.
        self.authorizer.policies_changed();
        result
    }

    /// RemoveUserFromGroup: authorized on the group.
    pub async fn remove_user_from_group(
        &self,
        ctx: &RequestContext,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), IamError> {
        let group = self.group_for(ctx, group_name, ctx.action()).await?;
        let result = self
            .store
            .remove_user_from_group(&group.account_id, &group.group_name, user_name)
            .await
            .map_err(|e| group_error(e, group_name, user_name, group_name));
        self.authorizer.policies_changed();
        result
    }

    /// ListGroupsForUser: authorized on the user.
    pub async fn list_groups_for_user(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<Group>, IamError> {
        let user = self
            .user_for_policy_op(ctx, user_name, ctx.action())
            .await?;
        let listing = Listing {
            operation: ctx.operation.name(),
            scope: &user.user_id,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?;
        let mut items = self
            .store
            .list_groups_for_user(
                &user.account_id,
                &user.user_name,
                after.as_deref(),
                max_items + 1,
            )
            .await
            .map_err(|e| group_error(e, "", user_name, ""))?;
        let marker = pagination::name_page(&listing, &mut items, max_items, |g| {
            g.group_name.to_lowercase()
        });
        Ok(Page { items, marker })
    }
}
