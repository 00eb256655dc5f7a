//! Account aliases: CreateAccountAlias, DeleteAccountAlias, ListAccountAliases. An account
//! has at most one alias; creating another replaces it, as on AWS. An alias is unique
//! across every account the store holds (EntityAlreadyExists, also for the account's own
//! current alias). The model's pattern (lower-case letters, digits and single hyphens
//! inside, 3 to 63 characters) is checked by the generated decoder. The actions have no
//! resource type, so they are authorized on `*`.

use crate::authz::Resource;
use crate::error::IamError;
use crate::pagination::{self, Listing, SortKey};
use crate::policy::Page;
use crate::service::{store_failure, Iam, RequestContext};
use crate::store_errors::account_alias_error;

impl Iam {
    pub async fn create_account_alias(
        &self,
        ctx: &RequestContext,
        alias: &str,
    ) -> Result<(), IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        self.store
            .create_account_alias(ctx.principal.account_id(), alias)
            .await
            .map_err(|e| account_alias_error(e, alias))
    }

    pub async fn delete_account_alias(
        &self,
        ctx: &RequestContext,
        alias: &str,
    ) -> Result<(), IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        self.store
            .delete_account_alias(ctx.principal.account_id(), alias)
            .await
            .map_err(|e| account_alias_error(e, alias))
    }

    /// The account's alias (none or one), paged as every listing is.
    pub async fn list_account_aliases(
        &self,
        ctx: &RequestContext,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<String>, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account = ctx.principal.account_id();
        let listing = Listing {
            operation: "ListAccountAliases",
            scope: account,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, marker)?;
        let mut items: Vec<String> = self
            .store
            .list_account_aliases(account)
            .await
            .map_err(store_failure)?
            .into_iter()
            .filter(|alias| after.as_deref().is_none_or(|after| alias.as_str() > after))
            .collect();
        items.sort();
        let marker = pagination::name_page(&listing, &mut items, max_items, String::clone);
        Ok(Page { items, marker })
    }
}
