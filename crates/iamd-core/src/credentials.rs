//! Listings of the credentials iamd cannot hold yet (SSH public keys, signing
//! certificates, service-specific credentials, MFA devices): answered for real, and
//! empty, so that clients which clean a user up before deleting it (Terraform's
//! `force_destroy`, which lists each kind) work. The user named must exist, and the
//! caller must be allowed the listing on it, as for any other listing.

use crate::authz::Resource;
use crate::error::IamError;
use crate::service::{Iam, RequestContext};

impl Iam {
    /// Authorizes a listing of the credentials of `user_name` (or of the caller) that
    /// iamd cannot hold: `NoSuchEntity` for a missing user, else nothing to list.
    pub async fn list_no_credentials(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
    ) -> Result<(), IamError> {
        self.target(ctx, user_name, ctx.action()).await.map(|_| ())
    }

    /// Authorizes an account-wide listing of credentials iamd cannot hold.
    pub async fn list_no_account_credentials(&self, ctx: &RequestContext) -> Result<(), IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await
    }
}
