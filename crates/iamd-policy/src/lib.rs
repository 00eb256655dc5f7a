//! AWS IAM policy documents for iamd: validation on write and a pure
//! evaluation engine. [`Policy::parse_as`] checks a JSON document as AWS does
//! for inline, managed and trust policies and returns `MalformedPolicyDocument`
//! errors with AWS's messages; [`check_size`] applies AWS's size quotas;
//! [`Policy::compile`] turns a document into a [`CompiledPolicy`] (lowercased
//! action patterns, parsed ARN patterns and condition values) meant to be
//! cached per principal; [`evaluate`] decides a [`Request`] against a set of
//! compiled policies (explicit deny > allow > implicit deny) and reports the
//! matched statements, as `SimulatePrincipalPolicy` needs. It is not a store
//! and does no I/O: it never reads the clock or the network, so the caller
//! fills the [`Context`] (`aws:CurrentTime`, `aws:SourceIp`, …) and decides
//! which policies apply to a principal (root bypass, groups, boundaries).
//!
//! ```
//! use iamd_policy::{evaluate, Context, Decision, Policy, Request};
//!
//! let policy = Policy::parse(r#"{
//!     "Version": "2012-10-17",
//!     "Statement": [{"Effect": "Allow", "Action": "iam:*AccessKey*",
//!                    "Resource": "arn:aws:iam::*:user/${aws:username}"}]
//! }"#).unwrap();
//! let compiled = policy.compile();
//! let ctx = Context::new().username("alice");
//! let req = Request {
//!     action: "iam:CreateAccessKey",
//!     resource: "arn:aws:iam::123456789012:user/alice",
//!     context: &ctx,
//! };
//! assert_eq!(evaluate(&[("self-service", &compiled)], &req).decision, Decision::Allowed);
//! ```

mod condition;
mod context;
mod document;
mod error;
mod eval;
mod glob;
mod keys;
mod size;

pub use condition::{BaseOperator, Operator, Qualifier};
pub use context::{Context, ContextValue};
pub use document::{
    Condition, Effect, Element, Policy, PolicyKind, PrincipalElement, Statement, Version,
};
pub use error::{messages, PolicyError};
pub use eval::{
    access_denied_message, evaluate, CompiledPolicy, Decision, Evaluation, MatchedStatement,
    PolicyRef, Request,
};
pub use keys::context_keys;
pub use size::{
    check_size, policy_size, SizeQuota, GROUP_INLINE_AGGREGATE_MAX, MANAGED_POLICY_MAX,
    ROLE_INLINE_AGGREGATE_MAX, ROLE_TRUST_POLICY_MAX, USER_INLINE_AGGREGATE_MAX,
};
