//! GetContextKeysForCustomPolicy and GetContextKeysForPrincipalPolicy: the context keys
//! that policies refer to (`iamd_policy::context_keys`), so that a caller knows which
//! keys to give SimulateCustomPolicy and SimulatePrincipalPolicy.
//!
//! For a principal the policies are those the entity holds (inline and attached managed
//! ones, AWS managed included) and, for a user, those of its groups, as AWS documents; a
//! permissions boundary is not attached to its entity and is left out (UNCONFIRMED: AWS
//! does not say; the simulator takes the boundary as a separate input too).

use iamd_policy::{context_keys, Policy, PolicyKind};

use crate::authz::Resource;
use crate::catalog;
use crate::error::{ErrorCode, IamError};
use crate::model::{HolderKind, PolicyHolder, UserPolicies};
use crate::policy::parse_given;
use crate::service::{store_failure, Iam, RequestContext};

/// The documents a holder holds, parsed (they were validated when written).
fn held(stored: UserPolicies, into: &mut Vec<Policy>) {
    let stored = catalog::resolve(stored);
    let inline = stored
        .inline
        .iter()
        .filter_map(|(_, doc)| Policy::parse_as(doc, PolicyKind::Identity).ok());
    let managed = stored
        .managed
        .iter()
        .filter_map(|(_, _, doc)| Policy::parse_as(doc, PolicyKind::Managed).ok());
    into.extend(inline.chain(managed));
}

/// What kind of entity `arn` names in the caller's account, and its name.
fn entity(ctx: &RequestContext, arn: &str) -> Result<(HolderKind, String), IamError> {
    let invalid = || IamError::new(ErrorCode::InvalidInput, format!("Invalid ARN: {arn}"));
    let prefix = format!("arn:aws:iam::{}:", ctx.principal.account_id());
    let rest = arn.strip_prefix(&prefix).ok_or_else(invalid)?;
    let (kind, path_and_name) = rest.split_once('/').ok_or_else(invalid)?;
    let kind = match kind {
        "user" => HolderKind::User,
        "group" => HolderKind::Group,
        "role" => HolderKind::Role,
        _ => return Err(invalid()),
    };
    let name = path_and_name.rsplit('/').next().unwrap_or_default();
    if name.is_empty() {
        return Err(invalid());
    }
    Ok((kind, name.to_owned()))
}

impl Iam {
    /// GetContextKeysForCustomPolicy: the keys of the given policies.
    pub async fn context_keys_for_custom_policy(
        &self,
        ctx: &RequestContext,
        documents: &[String],
    ) -> Result<Vec<String>, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let policies = documents
            .iter()
            .map(|d| parse_given(d, PolicyKind::Identity))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(context_keys(&policies))
    }

    /// GetContextKeysForPrincipalPolicy: the keys of the policies of the user, group or
    /// role `arn` names (a user's groups' too), then of the given ones. The action is
    /// authorized on the entity, as AWS's service authorization reference gives it.
    pub async fn context_keys_for_principal_policy(
        &self,
        ctx: &RequestContext,
        arn: &str,
        documents: &[String],
    ) -> Result<Vec<String>, IamError> {
        let (kind, name) = entity(ctx, arn)?;
        let found = self
            .holder_for(ctx, PolicyHolder::new(kind, &name), ctx.action())
            .await?;
        let mut policies = Vec::new();
        held(
            self.store
                .get_holder_policies(kind, &found.id)
                .await
                .map_err(store_failure)?,
            &mut policies,
        );
        if kind == HolderKind::User {
            for (_, group) in self
                .store
                .get_user_group_policies(&found.id)
                .await
                .map_err(store_failure)?
            {
                held(group, &mut policies);
            }
        }
        for document in documents {
            policies.push(parse_given(document, PolicyKind::Identity)?);
        }
        Ok(context_keys(&policies))
    }
}
