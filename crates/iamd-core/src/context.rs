//! What every operation knows about its request: who called, how it authenticated, from
//! where, and which operation it is. A module of its own so that authorization, the
//! service and the operations can all depend on it without depending on each other.

use iamd_protocol::Operation;
use time::OffsetDateTime;

use crate::principal::Principal;

/// What every operation knows about its request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub principal: Principal,
    /// The caller's address, for `aws:SourceIp`.
    pub source_ip: Option<std::net::IpAddr>,
    /// The region the request was signed for (`aws:RequestedRegion`).
    pub region: String,
    /// The credentials the request was signed with.
    pub via: Via,
    pub request_id: String,
    pub now: OffsetDateTime,
    /// The operation called; its action name (`iam:CreateUser`) is what authorization
    /// checks.
    pub operation: Operation,
}

impl RequestContext {
    /// The IAM action of the operation, for policies: `iam:CreateUser`, `sts:AssumeRole`.
    pub fn action(&self) -> &'static str {
        self.operation.action()
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A long-term `AKIA…` key.
    AccessKey { access_key_id: String },
    /// Role-session credentials from AssumeRole.
    RoleSession {
        access_key_id: String,
        expiration: OffsetDateTime,
    },
    /// Session credentials from GetSessionToken, made from `parent_access_key_id`.
    Session {
        access_key_id: String,
        parent_access_key_id: String,
        expiration: OffsetDateTime,
        mfa: bool,
    },
}
