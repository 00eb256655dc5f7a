//! GetAccountAuthorizationDetails: every user, group, role, customer managed policy and AWS
//! managed policy in use (attached or a boundary) of the account with what governs their access (inline documents, attached policies,
//! memberships, instance profiles, policy versions), in that order, each kind in
//! lower-cased-name order, paged across kinds by one marker (`MaxItems` counts entities).

use crate::error::IamError;
use crate::model::{
    Group, HolderKind, InstanceProfile, ManagedPolicy, PolicyVersion, Role, RoleUsage, User,
    UserPolicies,
};
use crate::pagination::{self, Listing, SortKey};
use crate::service::{store_failure, Iam, RequestContext};
use crate::store::{After, StoreError};
use crate::Resource;

/// The kinds of entity, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    User,
    Group,
    Role,
    /// Customer managed policies (`LocalManagedPolicy`).
    Policy,
    /// AWS managed policies the account uses (`AWSManagedPolicy`).
    AwsPolicy,
}

pub const DETAIL_KINDS: [DetailKind; 5] = [
    DetailKind::User,
    DetailKind::Group,
    DetailKind::Role,
    DetailKind::Policy,
    DetailKind::AwsPolicy,
];

#[derive(Debug, Default)]
pub struct AuthorizationDetails {
    /// Each user with its policies and the names of its groups.
    pub users: Vec<(User, UserPolicies, Vec<String>)>,
    pub groups: Vec<(Group, UserPolicies)>,
    /// Each role with its policies and its instance profiles.
    /// Each role with its policies, instance profiles and last use.
    pub roles: Vec<(Role, UserPolicies, Vec<InstanceProfile>, Option<RoleUsage>)>,
    /// Each customer managed policy with all its versions, then each AWS managed policy the
    /// account uses with its one (default) version.
    pub policies: Vec<(ManagedPolicy, Vec<PolicyVersion>)>,
    pub marker: Option<String>,
}

/// A page position: `{index in DETAIL_KINDS}/{lower-cased name}`.
fn position(index: usize, name: &str) -> After {
    After::UserName(format!("{index}/{}", name.to_lowercase()))
}

impl Iam {
    pub async fn get_account_authorization_details(
        &self,
        ctx: &RequestContext,
        kinds: &[DetailKind],
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<AuthorizationDetails, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account = ctx.principal.account_id().to_owned();
        let listing = Listing {
            operation: "GetAccountAuthorizationDetails",
            scope: &account,
            sorted_by: SortKey::UserName,
        };
        let (first, after) = match pagination::name_after(&listing, marker)? {
            None => (0, None),
            Some(p) => p
                .split_once('/')
                .and_then(|(i, n)| Some((i.parse::<usize>().ok()?, Some(n.to_owned()))))
                .filter(|(i, _)| *i < DETAIL_KINDS.len())
                .ok_or_else(|| IamError::validation("Invalid Marker."))?,
        };
        let mut out = AuthorizationDetails::default();
        // Entities taken so far, and the position of the last one.
        let mut taken = 0usize;
        let mut last: Option<(usize, String)> = None;
        let mut truncated = false;
        for (index, kind) in DETAIL_KINDS.iter().enumerate().skip(first) {
            if !kinds.contains(kind) || truncated {
                continue;
            }
            let after = if index == first { after.clone() } else { None };
            // One more than the page holds, to know whether another page follows.
            let want = max_items + 1 - taken;
            let names: Vec<String> = match kind {
                DetailKind::User => {
                    let from = after.clone().map_or(After::Start, After::UserName);
                    let users = self
                        .store
                        .list_users(&account, "/", &from, want)
                        .await
                        .map_err(store_failure)?;
                    let mut names = Vec::new();
                    for u in users {
                        names.push(u.user_name.clone());
                        if taken + names.len() > max_items {
                            break;
                        }
                        let policies = self.holder_details(HolderKind::User, &u.user_id).await?;
                        let groups = match self
                            .store
                            .list_groups_for_user(&account, &u.user_name, None, 1000)
                            .await
                        {
                            // Deleted since it was listed.
                            Err(StoreError::NoSuchUser) => Vec::new(),
                            other => other.map_err(store_failure)?,
                        };
                        let groups = groups.into_iter().map(|g| g.group_name).collect();
                        out.users.push((u, policies, groups));
                    }
                    names
                }
                DetailKind::Group => {
                    let groups = self
                        .store
                        .list_groups(&account, "/", after.as_deref(), want)
                        .await
                        .map_err(store_failure)?;
                    let mut names = Vec::new();
                    for g in groups {
                        names.push(g.group_name.clone());
                        if taken + names.len() > max_items {
                            break;
                        }
                        let policies = self.holder_details(HolderKind::Group, &g.group_id).await?;
                        out.groups.push((g, policies));
                    }
                    names
                }
                DetailKind::Role => {
                    let roles = self
                        .store
                        .list_roles(&account, "/", after.as_deref(), want)
                        .await
                        .map_err(store_failure)?;
                    let mut names = Vec::new();
                    for r in roles {
                        names.push(r.role_name.clone());
                        if taken + names.len() > max_items {
                            break;
                        }
                        let policies = self.holder_details(HolderKind::Role, &r.role_id).await?;
                        let profiles = match self
                            .store
                            .list_instance_profiles_for_role(&account, &r.role_name, None, 1000)
                            .await
                        {
                            Err(StoreError::NoSuchRole) => Vec::new(),
                            other => other.map_err(store_failure)?,
                        };
                        let last_used = self.role_last_used(&r.role_id).await?;
                        out.roles.push((r, policies, profiles, last_used));
                    }
                    names
                }
                DetailKind::Policy => {
                    let policies = self
                        .store
                        .list_policies(&account, "/", false, after.as_deref(), want)
                        .await
                        .map_err(store_failure)?;
                    let mut names = Vec::new();
                    for p in policies {
                        names.push(p.policy_name.clone());
                        if taken + names.len() > max_items {
                            break;
                        }
                        let versions = match self
                            .store
                            .list_policy_versions(&account, &p.policy_name)
                            .await
                        {
                            Err(StoreError::NoSuchPolicy) => Vec::new(),
                            other => other.map_err(store_failure)?,
                        };
                        out.policies.push((p, versions));
                    }
                    names
                }
                DetailKind::AwsPolicy => {
                    let mut used: Vec<ManagedPolicy> = self
                        .store
                        .aws_policy_usage(&account, None)
                        .await
                        .map_err(store_failure)?
                        .into_iter()
                        .filter_map(|u| {
                            let p = crate::catalog::get(&u.arn)?;
                            Some(p.managed(u.attachments, u.boundaries))
                        })
                        .filter(|p| {
                            after
                                .as_deref()
                                .is_none_or(|a| p.policy_name.to_lowercase().as_str() > a)
                        })
                        .collect();
                    used.sort_by_cached_key(|p| p.policy_name.to_lowercase());
                    used.truncate(want);
                    let mut names = Vec::new();
                    for p in used {
                        names.push(p.policy_name.clone());
                        if taken + names.len() > max_items {
                            break;
                        }
                        let versions = crate::catalog::get(&p.arn())
                            .map(|aws| vec![aws.version()])
                            .unwrap_or_default();
                        out.policies.push((p, versions));
                    }
                    names
                }
            };
            if taken + names.len() > max_items {
                truncated = true;
            } else if let Some(name) = names.last() {
                last = Some((index, name.clone()));
            }
            taken += names.len().min(max_items - taken);
            if truncated {
                // The last one kept is the page's end (it may be of an earlier kind).
                let kept = names.len().saturating_sub(1);
                if kept > 0 {
                    last = Some((index, names[kept - 1].clone()));
                }
            }
        }
        if truncated {
            out.marker =
                last.map(|(index, name)| pagination::encode(&listing, &position(index, &name)));
        }
        Ok(out)
    }

    /// A holder's inline documents and attached policies' default versions.
    async fn holder_details(&self, kind: HolderKind, id: &str) -> Result<UserPolicies, IamError> {
        self.store
            .get_holder_policies(kind, id)
            .await
            .map(crate::catalog::resolve)
            .map_err(store_failure)
    }
}
