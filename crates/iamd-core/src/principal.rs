//! Who signed a request.

use crate::model::{AccountId, User};

/// An authenticated caller. Role sessions will join root and users here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Root { account_id: AccountId },
    User(User),
}

impl Principal {
    pub fn account_id(&self) -> &str {
        match self {
            Principal::Root { account_id } => account_id,
            Principal::User(user) => &user.account_id,
        }
    }

    /// The ARN AWS prints for this caller (GetCallerIdentity, AccessDenied texts).
    pub fn arn(&self) -> String {
        match self {
            Principal::Root { account_id } => format!("arn:aws:iam::{account_id}:root"),
            Principal::User(user) => user.arn(),
        }
    }

    /// The unique id (`aws:userid`): the account id for root, `AIDA…` for a user.
    pub fn unique_id(&self) -> &str {
        match self {
            Principal::Root { account_id } => account_id,
            Principal::User(user) => &user.user_id,
        }
    }
}
