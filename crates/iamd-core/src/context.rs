//! What every operation knows about its request: who called, how it authenticated, from
//! where, and which operation it is. A module of its own so that authorization, the
//! service and the operations can all depend on it without depending on each other.

use iamd_protocol::Operation;
use time::OffsetDateTime;

use crate::model::Tag;
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
    /// Condition keys that come from the request's parameters (see [`RequestKeys`]).
    pub request_keys: RequestKeys,
}

impl RequestContext {
    /// The IAM action of the operation, for policies: `iam:CreateUser`, `sts:AssumeRole`.
    pub fn action(&self) -> &'static str {
        self.operation.action()
    }

    /// This request, with the condition keys of the tags it sets (`aws:RequestTag/…` and
    /// `aws:TagKeys`), for operations that take `Tags`. A request without tags has none of
    /// these keys.
    pub fn tagging(&self, tags: &[Tag]) -> RequestContext {
        let mut ctx = self.clone();
        if tags.is_empty() {
            return ctx;
        }
        for t in tags {
            ctx.request_keys
                .set(format!("aws:RequestTag/{}", t.key), vec![t.value.clone()]);
        }
        ctx.request_keys.set(
            "aws:TagKeys".to_owned(),
            tags.iter().map(|t| t.key.clone()).collect(),
        );
        ctx
    }

    /// A request that creates a tagged entity, with the boundary it sets, if any
    /// (CreateUser, CreateRole).
    pub fn creating(&self, tags: &[Tag], boundary: Option<&str>) -> RequestContext {
        let ctx = self.tagging(tags);
        match boundary {
            Some(arn) => ctx.with_key("iam:PermissionsBoundary", arn),
            None => ctx,
        }
    }

    /// This request, with `aws:TagKeys` the keys it removes (the Untag operations).
    pub fn untagging(&self, keys: &[String]) -> RequestContext {
        let mut ctx = self.clone();
        ctx.request_keys
            .set("aws:TagKeys".to_owned(), keys.to_vec());
        ctx
    }

    /// This request, with a single-valued condition key that one of its parameters gives
    /// (`iam:PermissionsBoundary`, `iam:PolicyARN`).
    pub fn with_key(&self, key: &str, value: &str) -> RequestContext {
        let mut ctx = self.clone();
        ctx.request_keys.set(key.to_owned(), vec![value.to_owned()]);
        ctx
    }
}

/// Condition keys that come from a request's parameters rather than from its caller:
/// `aws:RequestTag/…`, `aws:TagKeys`, `iam:PermissionsBoundary` (the boundary a request
/// sets), `iam:PolicyARN`. The operations that AWS gives such a key set it before they
/// authorize; the keys of the resource acted on come with the `Resource`.
#[derive(Debug, Clone, Default)]
pub struct RequestKeys(Vec<(String, Vec<String>)>);

impl RequestKeys {
    /// Sets `key` (replacing a value it had).
    pub fn set(&mut self, key: String, values: Vec<String>) {
        self.0.retain(|(k, _)| !k.eq_ignore_ascii_case(&key));
        self.0.push((key, values));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
        /// When MFA was presented for the session (see `SessionClaims::mfa`).
        mfa: Option<OffsetDateTime>,
    },
    /// Session credentials from GetSessionToken, made from `parent_access_key_id`.
    Session {
        access_key_id: String,
        parent_access_key_id: String,
        expiration: OffsetDateTime,
        /// When MFA was presented for the session (see `SessionClaims::mfa`).
        mfa: Option<OffsetDateTime>,
    },
    /// Federated user credentials from GetFederationToken, made from
    /// `parent_access_key_id`. They may call neither IAM nor STS (but GetCallerIdentity).
    Federated {
        access_key_id: String,
        parent_access_key_id: String,
        expiration: OffsetDateTime,
    },
    /// A console session of an IAM user who signed in with a password (`crate::console`).
    Console {
        access_key_id: String,
        expiration: OffsetDateTime,
        /// The password must be changed before anything else.
        password_change_only: bool,
        /// When the user's MFA code was checked at sign-in (users with a device).
        mfa: Option<OffsetDateTime>,
    },
}

impl Via {
    /// When the caller's session was MFA-authenticated; `None` for long-term keys and
    /// sessions made without MFA.
    pub fn mfa_authenticated_at(&self) -> Option<OffsetDateTime> {
        match self {
            Via::AccessKey { .. } | Via::Federated { .. } => None,
            Via::RoleSession { mfa, .. } | Via::Session { mfa, .. } | Via::Console { mfa, .. } => {
                *mfa
            }
        }
    }
}
