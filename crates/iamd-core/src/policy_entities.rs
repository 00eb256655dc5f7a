//! ListEntitiesForPolicy: the groups, users and roles a managed policy (a customer managed
//! one, or an AWS managed one in the caller's account) is attached to, in that order (AWS's answer lists `PolicyGroups`, `PolicyUsers`,
//! `PolicyRoles`), each kind in lower-cased-name order, paged across kinds by one marker.

use crate::error::IamError;
use crate::model::{HolderKind, PolicyEntity};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::no_such_policy;
use crate::service::{Iam, RequestContext};
use crate::store::After;
use crate::store_errors::managed_policy_error;

/// The kinds in the order they are listed.
pub const KINDS: [HolderKind; 3] = [HolderKind::Group, HolderKind::User, HolderKind::Role];

pub struct PolicyEntitiesPage {
    pub entities: Vec<PolicyEntity>,
    /// The next page's marker, when the page is truncated.
    pub marker: Option<String>,
}

impl Iam {
    /// `kinds` is the `EntityFilter` (a subset of `KINDS`, in their order); with
    /// `as_boundary` (`PolicyUsageFilter=PermissionsBoundary`) the holders the policy is
    /// the permissions boundary of, rather than those it is attached to.
    #[allow(clippy::too_many_arguments)]
    pub async fn list_entities_for_policy(
        &self,
        ctx: &RequestContext,
        arn: &str,
        kinds: &[HolderKind],
        as_boundary: bool,
        path_prefix: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<PolicyEntitiesPage, IamError> {
        let policy = self
            .managed_policy(ctx, arn, ctx.action(), no_such_policy)
            .await?;
        let listing = Listing {
            operation: "ListEntitiesForPolicy",
            scope: &policy.policy_id,
            sorted_by: SortKey::UserName,
        };
        // The position is `{index of the kind in KINDS}/{lower-cased name}`: names cannot
        // hold a `/`.
        let (first, after) = match pagination::name_after(&listing, marker)? {
            None => (0, None),
            Some(position) => {
                let (index, name) = position
                    .split_once('/')
                    .and_then(|(i, n)| Some((i.parse::<usize>().ok()?, n.to_owned())))
                    .filter(|(i, _)| *i < KINDS.len())
                    .ok_or_else(|| IamError::validation("Invalid Marker."))?;
                (index, Some(name))
            }
        };
        let mut found: Vec<(usize, PolicyEntity)> = Vec::new();
        for (index, kind) in KINDS.iter().enumerate().skip(first) {
            if !kinds.contains(kind) {
                continue;
            }
            let after = if index == first {
                after.as_deref()
            } else {
                None
            };
            let want = max_items + 1 - found.len();
            let page = if policy.account_id == crate::catalog::AWS_ACCOUNT {
                // An AWS managed policy: the caller's account's holders.
                self.store
                    .list_aws_policy_entities(
                        ctx.principal.account_id(),
                        arn,
                        *kind,
                        as_boundary,
                        path_prefix,
                        after,
                        want,
                    )
                    .await
            } else {
                self.store
                    .list_policy_entities(
                        &policy.account_id,
                        &policy.policy_name,
                        *kind,
                        as_boundary,
                        path_prefix,
                        after,
                        want,
                    )
                    .await
            }
            .map_err(|e| managed_policy_error(e, arn, &policy.policy_name, ""))?;
            found.extend(page.into_iter().map(|e| (index, e)));
            if found.len() > max_items {
                break;
            }
        }
        let marker = if found.len() > max_items {
            found.truncate(max_items);
            found.last().map(|(index, e)| {
                pagination::encode(
                    &listing,
                    &After::UserName(format!("{index}/{}", e.name.to_lowercase())),
                )
            })
        } else {
            None
        };
        Ok(PolicyEntitiesPage {
            entities: found.into_iter().map(|(_, e)| e).collect(),
            marker,
        })
    }
}
