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
}

/// An authenticated caller: the account root, an IAM user, or a role session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Root { account_id: AccountId },
    User(User),
    RoleSession(Box<RoleSession>),
}

impl Principal {
    pub fn account_id(&self) -> &str {
        match self {
            Principal::Root { account_id } => account_id,
            Principal::User(user) => &user.account_id,
            Principal::RoleSession(s) => &s.role.account_id,
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
        }
    }

    /// The unique id (`aws:userid`): the account id for root, `AIDA…` for a user,
    /// `AROA…:session` for a role session.
    pub fn unique_id(&self) -> String {
        match self {
            Principal::Root { account_id } => account_id.clone(),
            Principal::User(user) => user.user_id.clone(),
            Principal::RoleSession(s) => format!("{}:{}", s.role.role_id, s.session_name),
        }
    }
}
