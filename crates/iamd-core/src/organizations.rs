//! The centralized root access features of AWS Organizations: ListOrganizationsFeatures
//! and Enable/DisableOrganizationsRootCredentialsManagement, Enable/Disable
//! OrganizationsRootSessions. They act on an organization's member accounts; an iamd
//! account belongs to no organization, so each answers, once the caller is authorized, as
//! AWS answers an account outside any organization: OrganizationNotFoundException, with
//! the model's text (the wire text is UNCONFIRMED).

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::service::{Iam, RequestContext};

/// OrganizationNotFoundException.
pub fn no_organization() -> IamError {
    IamError::new(
        ErrorCode::OrganizationNotFound,
        "The request was rejected because no organization is associated with your account.",
    )
}

impl Iam {
    /// Any of the centralized root access operations: authorized on `*` (they name no
    /// resource), then refused, as no organization holds the account.
    pub async fn organizations_feature<T>(&self, ctx: &RequestContext) -> Result<T, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        Err(no_organization())
    }
}
