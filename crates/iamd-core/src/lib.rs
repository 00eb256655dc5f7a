//! iamd's domain: the IAM and STS operations on accounts, users, access keys, policies,
//! roles and groups, authorization, sessions. It knows nothing of HTTP, XML or SQL: the server decodes
//! requests into the typed inputs here. The storage contract it runs on (`Store`, the
//! stored entities, the caching front, the conformance suite) is the `iamd-store` crate,
//! re-exported here under its old paths (`iamd_core::model`, `iamd_core::store`, …).

pub mod access_key;
pub mod account_alias;
pub mod api;
pub mod arn;
pub mod authn;
pub mod authorization_details;
pub mod authz;
pub mod boundary;
pub mod catalog;
pub mod console;
pub mod context;
pub mod context_keys;
pub mod credential_report;
pub mod error;
pub mod group;
pub mod holder;
pub mod instance_profile;
pub mod mfa;
pub mod oidc;
pub mod organizations;
pub mod pagination;
pub mod password;
pub mod policy;
pub mod policy_entities;
pub mod principal;
pub mod public_key;
pub mod role;
pub mod saml;
pub mod server_certificate;
pub mod service;
pub mod service_access;
pub mod service_credential;
pub mod service_role;
pub mod session;
mod store_errors;
pub mod sts;
pub mod sts_preferences;
pub mod tag;
pub mod usage;
pub mod user;

pub use authz::{AllowAll, Authorizer, PolicyAuthorizer, Resource};
pub use error::{ErrorCode, IamError};
pub use principal::Principal;
pub use service::{Iam, RequestContext, Via};
// The storage contract lives in `iamd-store`; its modules keep their paths here.
pub use iamd_store::{cache, ids, model, secret, store};
#[cfg(feature = "conformance")]
pub use iamd_store::{conformance, conformance_tests};
pub use iamd_store::{After, Reseal, Store, StoreError};
