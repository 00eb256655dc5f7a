//! Service-specific credentials: CreateServiceSpecificCredential, List…, Update…, Reset…
//! and DeleteServiceSpecificCredential. A credential is a user name (`<user>-at-<account>`)
//! and a generated password for one service (CodeCommit's Git over HTTPS, Amazon
//! Keyspaces), owned by an IAM user. The password is a secret: stored sealed, shown only
//! by Create and Reset. iamd serves neither service; it keeps the credentials for the
//! tools that manage them (Terraform, clean-up scripts, audits) and for whatever service
//! an operator connects to iamd.

use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::{KeyStatus, ServiceCredential};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::Page;
use crate::secret::SecretKey;
use crate::service::{non_user_credentials, Iam, RequestContext, Target};
use crate::store::StoreError;
use crate::Resource;

/// The services AWS issues these credentials for (besides the API keys of Bedrock and
/// CloudWatch Logs, which iamd does not issue).
const SERVICES: [&str; 2] = ["codecommit.amazonaws.com", "cassandra.amazonaws.com"];

/// AWS's quota: two credentials per user for each service.
pub const CREDENTIALS_PER_SERVICE: usize = 2;

fn no_such_service(service: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("No such service {service} is supported for Service Specific Credentials"),
    )
}

fn no_such_credential(id: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("No such credential {id} exists"),
    )
}

/// What a store error of an operation on `user`'s credential `id` means.
fn credential_error(e: StoreError, user: &str, id: &str) -> IamError {
    match e {
        StoreError::NoSuchUser => IamError::no_such_user(user),
        StoreError::NoSuchServiceCredential => no_such_credential(id),
        StoreError::ServiceCredentialQuotaExceeded => IamError::new(
            ErrorCode::LimitExceeded,
            format!(
                "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: \
                 {CREDENTIALS_PER_SERVICE}"
            ),
        ),
        other => crate::service::store_failure(other),
    }
}

fn check_service(service: &str) -> Result<(), IamError> {
    if SERVICES.contains(&service) {
        Ok(())
    } else {
        Err(no_such_service(service))
    }
}

impl Iam {
    /// The user a credential operation acts on (named, or the calling user), after
    /// authorizing the operation on it. Root and role sessions must name one.
    pub(crate) async fn credential_owner(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
    ) -> Result<String, IamError> {
        match self.target(ctx, user_name, ctx.action()).await? {
            Target::User(user) => Ok(user.user_name),
            Target::Root => Err(non_user_credentials()),
        }
    }

    /// CreateServiceSpecificCredential: the credential and its password, in clear, once.
    pub async fn create_service_credential(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        service_name: &str,
    ) -> Result<(ServiceCredential, SecretKey), IamError> {
        let owner = self.credential_owner(ctx, Some(user_name)).await?;
        check_service(service_name)?;
        let account_id = ctx.principal.account_id();
        let password = ids::service_password();
        let credential = ServiceCredential {
            account_id: account_id.to_owned(),
            credential_id: ids::service_credential_id(account_id),
            user_name: owner.clone(),
            service_name: service_name.to_owned(),
            service_user_name: format!("{owner}-at-{account_id}"),
            password: password.seal(&self.keyring),
            status: KeyStatus::Active,
            create_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
        };
        self.store
            .create_service_credential(&credential, CREDENTIALS_PER_SERVICE)
            .await
            .map_err(|e| credential_error(e, &owner, &credential.credential_id))?;
        Ok((credential, password))
    }

    /// ListServiceSpecificCredentials: a user's (named, or the caller), or with
    /// `all_users` every user's of the account; of one service if given; in creation
    /// order, paged.
    pub async fn list_service_credentials(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        service_name: Option<&str>,
        all_users: bool,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<ServiceCredential>, IamError> {
        let account_id = ctx.principal.account_id();
        let owner = if all_users {
            if user_name.is_some() {
                return Err(IamError::validation(
                    "AllUsers cannot be specified together with UserName.",
                ));
            }
            self.authorize(ctx, ctx.action(), &Resource::any()).await?;
            None
        } else {
            Some(self.credential_owner(ctx, user_name).await?)
        };
        if let Some(service) = service_name {
            check_service(service)?;
        }
        let all = self
            .store
            .list_service_credentials(account_id, owner.as_deref(), service_name)
            .await
            .map_err(|e| credential_error(e, owner.as_deref().unwrap_or(""), ""))?;
        let scope = format!(
            "{}/{}",
            owner.as_deref().unwrap_or("*").to_lowercase(),
            service_name.unwrap_or("*")
        );
        let listing = Listing {
            operation: "ListServiceSpecificCredentials",
            scope: &scope,
            sorted_by: SortKey::Offset,
        };
        let (items, marker) = pagination::offset_page(&listing, marker, all, max_items)?;
        Ok(Page { items, marker })
    }

    /// UpdateServiceSpecificCredential.
    pub async fn update_service_credential(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        credential_id: &str,
        status: KeyStatus,
    ) -> Result<(), IamError> {
        let owner = self.credential_owner(ctx, user_name).await?;
        self.store
            .update_service_credential(ctx.principal.account_id(), &owner, credential_id, status)
            .await
            .map_err(|e| credential_error(e, &owner, credential_id))
    }

    /// ResetServiceSpecificCredential: a new password, shown once.
    pub async fn reset_service_credential(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        credential_id: &str,
    ) -> Result<(ServiceCredential, SecretKey), IamError> {
        let owner = self.credential_owner(ctx, user_name).await?;
        let password = ids::service_password();
        let credential = self
            .store
            .reset_service_credential(
                ctx.principal.account_id(),
                &owner,
                credential_id,
                &password.seal(&self.keyring),
            )
            .await
            .map_err(|e| credential_error(e, &owner, credential_id))?;
        Ok((credential, password))
    }

    /// DeleteServiceSpecificCredential.
    pub async fn delete_service_credential(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        credential_id: &str,
    ) -> Result<(), IamError> {
        let owner = self.credential_owner(ctx, user_name).await?;
        self.store
            .delete_service_credential(ctx.principal.account_id(), &owner, credential_id)
            .await
            .map_err(|e| credential_error(e, &owner, credential_id))
    }
}
