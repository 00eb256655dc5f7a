//! ListPoliciesGrantingServiceAccess: which of an identity's policies (for a user, its
//! groups' too) allow some action of a service.

use iamd_policy::{Effect, Policy};

use crate::error::{ErrorCode, IamError};
use crate::holder::Found;
use crate::model::{HolderKind, PolicyHolder};
use crate::service::{store_failure, Iam, RequestContext};
use crate::store::StoreError;

/// One policy that grants a service: inline (with the entity holding it) or managed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantingPolicy {
    Inline {
        policy_name: String,
        entity: HolderKind,
        entity_name: String,
    },
    Managed {
        policy_name: String,
        arn: String,
    },
}

/// `*` and `?` wildcards, ignoring case, over a whole string.
fn wildcard(pattern: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), s.as_bytes())
}

/// Whether `document` has an Allow statement whose actions reach service `namespace`: an
/// `Action` whose service part matches it (`s3:*`, `s3:Get*`, `*`), or a `NotAction` that
/// does not exclude the whole service (`s3:*` or `*`).
pub fn grants(document: &str, namespace: &str) -> bool {
    let Ok(policy) = Policy::parse(document) else {
        return false;
    };
    policy.statements.iter().any(|st| {
        st.effect == Effect::Allow
            && if st.action.negated {
                !st.action.values.iter().any(|a| {
                    a == "*"
                        || a.split_once(':')
                            .is_some_and(|(ns, name)| wildcard(ns, namespace) && name == "*")
                })
            } else {
                st.action.values.iter().any(|a| {
                    a == "*"
                        || a.split_once(':')
                            .is_some_and(|(ns, _)| wildcard(ns, namespace))
                })
            }
    })
}

/// `arn:aws:iam::{account}:{user|group|role}{path}{name}` as (kind, account, name).
fn entity_of(arn: &str) -> Option<(HolderKind, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let (kind, path_and_name) = resource.split_once('/')?;
    let kind = match kind {
        "user" => HolderKind::User,
        "group" => HolderKind::Group,
        "role" => HolderKind::Role,
        _ => return None,
    };
    let name = path_and_name.rsplit('/').next().filter(|n| !n.is_empty())?;
    Some((kind, account, name))
}

impl Iam {
    /// For each namespace, in the order given, the policies of the entity `arn` names (a
    /// user's own and its groups', a group's, a role's) that grant it.
    pub async fn list_policies_granting_service_access(
        &self,
        ctx: &RequestContext,
        arn: &str,
        namespaces: &[String],
    ) -> Result<Vec<(String, Vec<GrantingPolicy>)>, IamError> {
        let (kind, account, name) = entity_of(arn).ok_or_else(|| {
            IamError::new(ErrorCode::InvalidInput, format!("ARN {arn} is not valid."))
        })?;
        let found = self
            .holder_for(ctx, PolicyHolder::new(kind, name), ctx.action())
            .await?;
        if account != found.account_id {
            return Err(crate::store_errors::no_such_holder(PolicyHolder::new(
                kind, name,
            )));
        }
        let mut holders: Vec<Found> = vec![found];
        if kind == HolderKind::User {
            let groups = match self
                .store
                .list_groups_for_user(account, &holders[0].name, None, 1000)
                .await
            {
                Err(StoreError::NoSuchUser) => Vec::new(),
                other => other.map_err(store_failure)?,
            };
            holders.extend(groups.into_iter().map(|g| Found {
                kind: HolderKind::Group,
                account_id: g.account_id,
                id: g.group_id,
                name: g.group_name,
                service_linked: false,
            }));
        }
        // (policy, document) for every policy that applies, managed ones once.
        let mut documents: Vec<(GrantingPolicy, String)> = Vec::new();
        for h in &holders {
            let policies = crate::catalog::resolve(
                self.store
                    .get_holder_policies(h.kind, &h.id)
                    .await
                    .map_err(store_failure)?,
            );
            for (policy_name, doc) in policies.inline {
                let policy = GrantingPolicy::Inline {
                    policy_name,
                    entity: h.kind,
                    entity_name: h.name.clone(),
                };
                documents.push((policy, doc));
            }
            for (arn, _, doc) in policies.managed {
                if documents
                    .iter()
                    .any(|(p, _)| matches!(p, GrantingPolicy::Managed { arn: a, .. } if *a == arn))
                {
                    continue;
                }
                let policy_name = arn.rsplit('/').next().unwrap_or_default().to_owned();
                documents.push((GrantingPolicy::Managed { policy_name, arn }, doc));
            }
        }
        Ok(namespaces
            .iter()
            .map(|ns| {
                let granting = documents
                    .iter()
                    .filter(|(_, doc)| grants(doc, ns))
                    .map(|(p, _)| p.clone())
                    .collect();
                (ns.clone(), granting)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(statement: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
    }

    #[test]
    fn which_documents_grant_a_service() {
        let allow = |a: &str| {
            doc(&format!(
                r#"{{"Effect":"Allow","Action":{a},"Resource":"*"}}"#
            ))
        };
        assert!(grants(&allow(r#""s3:GetObject""#), "s3"));
        assert!(grants(&allow(r#""S3:*""#), "s3"));
        assert!(grants(&allow(r#""*""#), "iam"));
        assert!(grants(&allow(r#"["ec2:*","sqs:List*"]"#), "sqs"));
        // A wildcard service part does not validate, so it grants nothing.
        assert!(!grants(&allow(r#""s*:List*""#), "sqs"));
        assert!(!grants(&allow(r#""s3:GetObject""#), "iam"));
        let deny = doc(r#"{"Effect":"Deny","Action":"s3:*","Resource":"*"}"#);
        assert!(!grants(&deny, "s3"));
        let not = doc(r#"{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}"#);
        assert!(!grants(&not, "s3") && grants(&not, "iam"));
        assert_eq!(
            entity_of("arn:aws:iam::123456789012:user/a/b/alice"),
            Some((HolderKind::User, "123456789012", "alice"))
        );
        assert_eq!(entity_of("arn:aws:iam::123456789012:policy/p"), None);
    }
}
