//! Authorization: the step between authentication and the operation. `PolicyAuthorizer`
//! enforces identity policies as AWS does (the account root is always allowed; a user is
//! allowed only what its inline and attached policies allow, and an explicit deny wins);
//! `AllowAll` serves local setups that expect an emulator without enforcement.
//!
//! Compiled policies are cached per user. Policy writes on this node clear the cache at
//! once (`policies_changed`); entries also expire after `TTL`, which bounds how long a
//! change made on another node goes unseen.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use iamd_policy::{
    access_denied_message, evaluate, CompiledPolicy, Context, Policy, PolicyKind, Request,
};

use crate::error::{ErrorCode, IamError};
use crate::model::{Tag, User, UserPolicies};
use crate::principal::Principal;
use crate::service::RequestContext;
use crate::store::Store;

/// How long a policy change made on another node may go unseen.
pub const TTL: Duration = Duration::from_millis(750);
const MAX_ENTRIES: usize = 100_000;

/// What an action is performed on: the ARN policies are matched against, and the text
/// AWS prints for it in AccessDenied messages (`user alice` for users, else the ARN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub arn: String,
    pub describe: String,
}

impl Resource {
    pub fn user(user: &User) -> Resource {
        Resource {
            arn: user.arn(),
            describe: format!("user {}", user.user_name),
        }
    }

    /// A user that may not exist: its ARN with the default path.
    pub fn user_named(account_id: &str, name: &str) -> Resource {
        Resource {
            arn: format!("arn:aws:iam::{account_id}:user/{name}"),
            describe: format!("user {name}"),
        }
    }

    pub fn arn(arn: impl Into<String>) -> Resource {
        let arn = arn.into();
        Resource {
            describe: arn.clone(),
            arn,
        }
    }

    /// For actions that cannot be scoped to a resource (ListUsers, ListPolicies, …).
    pub fn any() -> Resource {
        Resource::arn("*")
    }
}

#[async_trait]
pub trait Authorizer: Send + Sync + 'static {
    async fn authorize(
        &self,
        ctx: &RequestContext,
        action: &str,
        resource: &Resource,
    ) -> Result<(), IamError>;

    /// Called after any write that changes which policies apply to whom.
    fn policies_changed(&self) {}
}

/// Lets every authenticated principal do everything (`--authorization off`).
#[derive(Debug, Default)]
pub struct AllowAll;

#[async_trait]
impl Authorizer for AllowAll {
    async fn authorize(&self, _: &RequestContext, _: &str, _: &Resource) -> Result<(), IamError> {
        Ok(())
    }
}

/// A user's policies, compiled, with the tags that `${aws:PrincipalTag/…}` reads.
pub struct Compiled {
    pub policies: Vec<(String, CompiledPolicy)>,
    pub tags: Vec<Tag>,
}

/// Compiles stored documents. A stored document that no longer parses (it was validated
/// on write) is skipped, which can only deny more, and logged.
pub fn compile(stored: &UserPolicies) -> Vec<(String, CompiledPolicy)> {
    let inline = stored
        .inline
        .iter()
        .map(|(name, doc)| (name.clone(), doc, PolicyKind::Identity));
    let managed = stored
        .managed
        .iter()
        .map(|(arn, _, doc)| (arn.clone(), doc, PolicyKind::Managed));
    inline
        .chain(managed)
        .filter_map(|(id, doc, kind)| match Policy::parse_as(doc, kind) {
            Ok(p) => Some((id, p.compile())),
            Err(e) => {
                tracing::error!(policy = %id, %e, "a stored policy does not parse; ignoring it");
                None
            }
        })
        .collect()
}

/// The request context AWS gives identity policies for a user's request.
pub fn user_context(ctx: &RequestContext, user: &User, tags: &[Tag]) -> Context {
    let mut c = Context::for_user(
        &user.account_id,
        &user.arn(),
        &user.user_name,
        &user.user_id,
    )
    .current_time(ctx.now)
    .secure_transport(false)
    .mfa_present(false);
    if !ctx.region.is_empty() {
        c = c.requested_region(&ctx.region);
    }
    if let Some(ip) = ctx.source_ip {
        c = c.source_ip(ip);
    }
    for t in tags {
        c = c.principal_tag(&t.key, &t.value);
    }
    c
}

pub struct PolicyAuthorizer {
    store: Arc<dyn Store>,
    cache: RwLock<HashMap<String, (Instant, Arc<Compiled>)>>,
    generation: AtomicU64,
}

impl PolicyAuthorizer {
    pub fn new(store: Arc<dyn Store>) -> Self {
        PolicyAuthorizer {
            store,
            cache: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    async fn compiled(&self, user: &User) -> Result<Arc<Compiled>, IamError> {
        {
            let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
            if let Some((at, c)) = cache.get(&user.user_id) {
                if at.elapsed() < TTL {
                    return Ok(c.clone());
                }
            }
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let fetched_at = Instant::now();
        let stored = self
            .store
            .get_user_policies(&user.user_id)
            .await
            .map_err(|e| IamError::service_failure(&e))?;
        let tags = self
            .store
            .get_user(&user.account_id, &user.user_name)
            .await
            .map_err(|e| IamError::service_failure(&e))?
            .map(|u| u.tags)
            .unwrap_or_default();
        let compiled = Arc::new(Compiled {
            policies: compile(&stored),
            tags,
        });
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
            cache.insert(user.user_id.clone(), (fetched_at, compiled.clone()));
        }
        Ok(compiled)
    }
}

#[async_trait]
impl Authorizer for PolicyAuthorizer {
    async fn authorize(
        &self,
        ctx: &RequestContext,
        action: &str,
        resource: &Resource,
    ) -> Result<(), IamError> {
        let user = match &ctx.principal {
            Principal::Root { .. } => return Ok(()),
            Principal::User(user) => user,
        };
        let compiled = self.compiled(user).await?;
        let context = user_context(ctx, user, &compiled.tags);
        let refs: Vec<(&str, &CompiledPolicy)> = compiled
            .policies
            .iter()
            .map(|(id, p)| (id.as_str(), p))
            .collect();
        let request = Request {
            action,
            resource: &resource.arn,
            context: &context,
        };
        let decision = evaluate(&refs, &request).decision;
        match access_denied_message(&ctx.principal.arn(), action, &resource.describe, decision) {
            None => Ok(()),
            Some(message) => Err(IamError::new(ErrorCode::AccessDenied, message)),
        }
    }

    fn policies_changed(&self) {
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        cache.clear();
    }
}

/// The source address of a request, for `aws:SourceIp`.
pub fn source_ip(addr: Option<std::net::SocketAddr>) -> Option<IpAddr> {
    addr.map(|a| a.ip())
}
