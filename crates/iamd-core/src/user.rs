//! User operations: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser.

use crate::authz::Resource;
use crate::error::IamError;
use crate::ids;
use crate::model::{Tag, User};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::not_attachable;
use crate::principal::Principal;
use crate::service::{store_failure, Iam, RequestContext};
use crate::store::{After, StoreError};
use crate::store_errors::user_error;

#[derive(Debug, Clone, Default)]
pub struct CreateUserInput {
    pub user_name: String,
    pub path: Option<String>,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default)]
pub struct ListUsersInput {
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: usize,
}

#[derive(Debug, Clone)]
pub struct ListUsersOutput {
    pub users: Vec<User>,
    pub marker: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateUserInput {
    pub user_name: String,
    pub new_user_name: Option<String>,
    pub new_path: Option<String>,
}

/// GetUser's answer: a user, or the root identity (which has no name or path).
#[derive(Debug, Clone)]
pub enum GetUserOutput {
    User(User),
    Root {
        account_id: String,
        arn: String,
        create_date: time::OffsetDateTime,
    },
}

impl Iam {
    pub async fn create_user(
        &self,
        ctx: &RequestContext,
        input: CreateUserInput,
    ) -> Result<User, IamError> {
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        let ctx = &ctx.creating(&input.tags, input.permissions_boundary.as_deref());
        self.authorize(
            ctx,
            ctx.action(),
            &Self::user_resource(ctx, &path, &input.user_name),
        )
        .await?;
        let boundary = match &input.permissions_boundary {
            Some(arn) => Some(self.boundary_policy(ctx, arn).await?),
            None => None,
        };
        let user = User {
            account_id: ctx.principal.account_id().to_owned(),
            user_id: ids::user_id(),
            user_name: input.user_name,
            path,
            create_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
            tags: input.tags,
        };
        let created = match &boundary {
            Some(policy) if policy.account_id == crate::catalog::AWS_ACCOUNT => {
                let arn = policy.arn();
                self.store.create_user_with_aws_boundary(&user, &arn).await
            }
            Some(policy) => {
                self.store
                    .create_user_with_boundary(&user, &policy.policy_name)
                    .await
            }
            None => self.store.create_user(&user).await,
        };
        match (created, input.permissions_boundary) {
            (Ok(()), _) => Ok(user),
            // The policy was deleted since it was found.
            (Err(StoreError::NoSuchPolicy), Some(arn)) => Err(not_attachable(&arn)),
            (Err(e), _) => Err(user_error(e, &user.user_name, &user.user_name)),
        }
    }

    pub async fn get_user(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
    ) -> Result<GetUserOutput, IamError> {
        match (user_name, &ctx.principal) {
            (None, Principal::Root { account_id }) => {
                let account = self
                    .store
                    .get_account(account_id)
                    .await
                    .map_err(store_failure)?
                    .ok_or_else(|| IamError::service_failure(&"caller's account vanished"))?;
                Ok(GetUserOutput::Root {
                    account_id: account_id.clone(),
                    arn: ctx.principal.arn(),
                    create_date: account.create_date,
                })
            }
            (None, Principal::RoleSession(_) | Principal::FederatedUser(_)) => {
                Err(crate::service::non_user_credentials())
            }
            (None, Principal::User(me)) => {
                self.authorize(ctx, ctx.action(), &Resource::user(me))
                    .await?;
                // Re-read for tags and the current name.
                let user = self
                    .store
                    .get_user(&me.account_id, &me.user_name)
                    .await
                    .map_err(store_failure)?;
                user.map(GetUserOutput::User)
                    .ok_or_else(|| IamError::no_such_user(&me.user_name))
            }
            (Some(name), _) => {
                let user = self
                    .store
                    .get_user(ctx.principal.account_id(), name)
                    .await
                    .map_err(store_failure)?;
                let resource = user
                    .as_ref()
                    .map(Resource::user)
                    .unwrap_or_else(|| Self::user_resource(ctx, "/", name));
                self.authorize(ctx, ctx.action(), &resource).await?;
                user.map(GetUserOutput::User)
                    .ok_or_else(|| IamError::no_such_user(name))
            }
        }
    }

    pub async fn list_users(
        &self,
        ctx: &RequestContext,
        input: ListUsersInput,
    ) -> Result<ListUsersOutput, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account = ctx.principal.account_id();
        let listing = Listing {
            operation: "ListUsers",
            scope: account,
            sorted_by: SortKey::UserName,
        };
        let after = match &input.marker {
            Some(m) => pagination::decode(&listing, m)?,
            None => After::Start,
        };
        let prefix = input.path_prefix.as_deref().unwrap_or("/");
        let mut users = self
            .store
            .list_users(account, prefix, &after, input.max_items + 1)
            .await
            .map_err(store_failure)?;
        let marker = if users.len() > input.max_items {
            users.truncate(input.max_items);
            let last = users
                .last()
                .map(|u| u.user_name.to_lowercase())
                .unwrap_or_default();
            Some(pagination::encode(&listing, &After::UserName(last)))
        } else {
            None
        };
        Ok(ListUsersOutput { users, marker })
    }

    pub async fn update_user(
        &self,
        ctx: &RequestContext,
        input: UpdateUserInput,
    ) -> Result<(), IamError> {
        let account = ctx.principal.account_id();
        let user = self
            .store
            .get_user(account, &input.user_name)
            .await
            .map_err(store_failure)?;
        let resource = user
            .as_ref()
            .map(Resource::user)
            .unwrap_or_else(|| Self::user_resource(ctx, "/", &input.user_name));
        self.authorize(ctx, ctx.action(), &resource).await?;
        let Some(user) = user else {
            return Err(IamError::no_such_user(&input.user_name));
        };
        let new_path = input.new_path.as_deref().unwrap_or(&user.path);
        let new_name = input.new_user_name.as_deref().unwrap_or(&user.user_name);
        self.authorize(
            ctx,
            ctx.action(),
            &Self::user_resource(ctx, new_path, new_name),
        )
        .await?;
        match self
            .store
            .update_user(
                account,
                &user.user_name,
                input.new_user_name.as_deref(),
                input.new_path.as_deref(),
            )
            .await
        {
            Ok(()) => {
                // The user's name and ARN are part of its cached authorization context.
                self.authorizer.policies_changed();
                Ok(())
            }
            Err(e) => Err(user_error(e, &input.user_name, new_name)),
        }
    }

    pub async fn delete_user(&self, ctx: &RequestContext, user_name: &str) -> Result<(), IamError> {
        let account = ctx.principal.account_id();
        let user = self
            .store
            .get_user(account, user_name)
            .await
            .map_err(store_failure)?;
        let resource = user
            .as_ref()
            .map(Resource::user)
            .unwrap_or_else(|| Self::user_resource(ctx, "/", user_name));
        self.authorize(ctx, ctx.action(), &resource).await?;
        self.store
            .delete_user(account, user_name)
            .await
            .map_err(|e| user_error(e, user_name, user_name))
    }
}
