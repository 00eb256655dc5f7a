//! SetSecurityTokenServicePreferences: the account's global endpoint token version, which
//! GetAccountSummary reports as `GlobalEndpointTokenVersion` (AWS's default, 1, until
//! set). On AWS it decides whether session tokens from the global STS endpoint work in
//! the Regions an account enables by hand; iamd's tokens work in every region it is told
//! of either way, so the setting is kept and reported, and changes no token.

use crate::authz::Resource;
use crate::error::IamError;
use crate::service::{store_failure, Iam, RequestContext};

/// AWS's default: version 1 tokens.
pub const DEFAULT_GLOBAL_ENDPOINT_TOKEN_VERSION: u8 = 1;

impl Iam {
    /// SetSecurityTokenServicePreferences (`version`: 1 or 2, from the model's enum).
    pub async fn set_global_endpoint_token_version(
        &self,
        ctx: &RequestContext,
        version: u8,
    ) -> Result<(), IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        self.store
            .set_global_endpoint_token_version(ctx.principal.account_id(), version)
            .await
            .map_err(store_failure)
    }

    /// The account's global endpoint token version.
    pub async fn global_endpoint_token_version(&self, account_id: &str) -> Result<u8, IamError> {
        Ok(self
            .store
            .get_global_endpoint_token_version(account_id)
            .await
            .map_err(store_failure)?
            .unwrap_or(DEFAULT_GLOBAL_ENDPOINT_TOKEN_VERSION))
    }
}
