//! iamd's domain: accounts, users and access keys, the IAM operations on them, and the
//! `Store` contract that every storage backend implements (with one conformance suite for
//! all of them). It knows nothing of HTTP, XML or SQL: the server decodes requests into the
//! typed inputs here, and a backend crate implements `Store`.

pub mod access_key;
pub mod authz;
pub mod cache;
pub mod conformance;
pub mod error;
pub mod holder;
pub mod ids;
pub mod model;
pub mod pagination;
pub mod policy;
pub mod principal;
pub mod role;
pub mod secret;
pub mod service;
pub mod session;
pub mod store;
mod store_errors;
pub mod sts;
pub mod usage;
pub mod user;
pub mod validate;

pub use authz::{AllowAll, Authorizer, PolicyAuthorizer, Resource};
pub use error::{ErrorCode, IamError};
pub use principal::Principal;
pub use service::{Iam, RequestContext, Via};
pub use store::{After, Reseal, Store, StoreError};
