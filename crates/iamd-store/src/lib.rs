//! iamd's storage contract: the `Store` trait (each method one domain operation and one
//! transaction), the stored entities (`model`), `StoreError`, the caching front
//! (`cache::CachingStore`, usable in front of any backend), and the secret types rows
//! carry (`secret`: sealed secrets and the keyring) with the identifier generators (`ids`).
//! With the `conformance` feature, the conformance suite every backend runs
//! (`conformance`, `conformance_tests!`).
//!
//! It is not the domain: no IAM operation, authorization, validation or error wording
//! lives here (that is `iamd-core`, which re-exports these modules under their old paths),
//! and no SQL (the `iamd-store-*` backends depend on this crate alone).

pub mod cache;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod ids;
pub mod model;
pub mod secret;
pub mod store;

pub use store::{After, Reseal, Store, StoreError};
