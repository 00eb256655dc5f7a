//! Who signed a request.

use crate::model::{AccountId, Role, User};

/// A role session: who assumed what, and the session policies that narrow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSession {
    pub role: Role,
    pub session_name: String,
    /// The inline session policy given to AssumeRole.
    pub policy: Option<String>,
    /// Managed policies given to AssumeRole as session policies.
    pub policy_arns: Vec<String>,
    /// Assumed with role-session credentials (role chaining).
    pub chained: bool,
    /// Session tags (and transitive keys), which policies see as `aws:PrincipalTag/…`
    /// over the role's own tags of the same key.
    pub tags: crate::session::SessionTags,
}

impl RoleSession {
    /// What `aws:PrincipalTag/…` reads: the role's tags, each replaced by the session tag
    /// of the same key (ignoring case), then the other session tags.
    pub fn principal_tags(&self) -> Vec<crate::model::Tag> {
        crate::model::merge_tags(self.role.tags.clone(), &self.tags.tags)
    }
}

/// A federated user session (GetFederationToken): what the user (or root) that called it
/// allows, narrowed by the session policies; without session policies, nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedUser {
    pub account_id: AccountId,
    /// The `Name` given to GetFederationToken.
    pub name: String,
    /// The user federated; `None` when the account root called GetFederationToken.
    pub user: Option<User>,
    /// The inline session policy.
    pub policy: Option<String>,
    /// Managed policies given as session policies.
    pub policy_arns: Vec<String>,
    /// Session tags (GetFederationToken's `Tags`).
    pub tags: Vec<crate::model::Tag>,
}

impl FederatedUser {
    /// `aws:PrincipalTag/…`: the federated user's own IAM tags (`user_tags`; root has
    /// none), with the session tags overriding a user tag of the same key, ignoring case
    /// (AWS's GetFederationToken reference: "session tags override a user tag with the
    /// same key").
    pub fn principal_tags(&self, user_tags: &[crate::model::Tag]) -> Vec<crate::model::Tag> {
        crate::model::merge_tags(user_tags.to_vec(), &self.tags)
    }
}

/// An authenticated caller: the account root, an IAM user, a role session, or a
/// federated user session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Root { account_id: AccountId },
    User(User),
    RoleSession(Box<RoleSession>),
    FederatedUser(Box<FederatedUser>),
}

impl Principal {
    pub fn account_id(&self) -> &str {
        match self {
            Principal::Root { account_id } => account_id,
            Principal::User(user) => &user.account_id,
            Principal::RoleSession(s) => &s.role.account_id,
            Principal::FederatedUser(f) => &f.account_id,
        }
    }

    /// The ARN AWS prints for this caller (GetCallerIdentity, AccessDenied texts).
    pub fn arn(&self) -> String {
        match self {
            Principal::Root { account_id } => format!("arn:aws:iam::{account_id}:root"),
            Principal::User(user) => user.arn(),
            Principal::RoleSession(s) => format!(
                "arn:aws:sts::{}:assumed-role/{}/{}",
                s.role.account_id, s.role.role_name, s.session_name
            ),
            Principal::FederatedUser(f) => {
                format!("arn:aws:sts::{}:federated-user/{}", f.account_id, f.name)
            }
        }
    }

    /// The unique id (`aws:userid`): the account id for root, `AIDA…` for a user,
    /// `AROA…:session` for a role session, `ACCOUNT:name` for a federated user.
    pub fn unique_id(&self) -> String {
        match self {
            Principal::Root { account_id } => account_id.clone(),
            Principal::User(user) => user.user_id.clone(),
            Principal::RoleSession(s) => format!("{}:{}", s.role.role_id, s.session_name),
            Principal::FederatedUser(f) => format!("{}:{}", f.account_id, f.name),
        }
    }
}
