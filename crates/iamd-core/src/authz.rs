//! Authorization: the step between authentication and the operation. `PolicyAuthorizer`
//! enforces identity policies as AWS does (the account root is always allowed; a user is
//! allowed only what its inline and attached policies and those of its groups allow, a
//! role session what its role's policies and its session policies allow, each within the
//! user's or role's permissions boundary when it has one, and an explicit deny wins);
//! `AllowAll` serves local setups that expect an emulator without enforcement.
//!
//! Compiled policies are cached per user. Policy and membership writes on this node clear
//! the cache at once (`policies_changed`); entries also expire after `TTL`, which bounds
//! how long a change made on another node goes unseen.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use iamd_policy::{evaluate, CompiledPolicy, Context, Decision, Policy, PolicyKind, Request};

use crate::context::RequestContext;
use crate::error::{ErrorCode, IamError};
use crate::model::{HolderKind, Role, Tag, User, UserPolicies};
use crate::principal::{FederatedUser, Principal, RoleSession};
use crate::store::Store;

/// How long a policy change made on another node may go unseen.
pub const TTL: Duration = Duration::from_millis(750);

/// What an action is performed on: the ARN policies are matched against, the text AWS
/// prints for it in AccessDenied messages (`user alice` for users, else the ARN), and the
/// condition keys it brings (its tags, as `aws:ResourceTag/…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub arn: String,
    pub describe: String,
    pub keys: Vec<(String, Vec<String>)>,
}

impl Resource {
    /// A user that exists: its ARN and its tags.
    pub fn user(user: &User) -> Resource {
        Resource {
            arn: user.arn(),
            describe: format!("user {}", user.user_name),
            keys: Vec::new(),
        }
        .entity_tags(&user.tags)
    }

    /// A user that may not exist: its ARN with the default path.
    pub fn user_named(account_id: &str, name: &str) -> Resource {
        Resource {
            arn: format!("arn:aws:iam::{account_id}:user/{name}"),
            describe: format!("user {name}"),
            keys: Vec::new(),
        }
    }

    pub fn arn(arn: impl Into<String>) -> Resource {
        let arn = arn.into();
        Resource {
            describe: arn.clone(),
            arn,
            keys: Vec::new(),
        }
    }

    /// The resource's tags, as `aws:ResourceTag/…` (a customer managed policy, an instance
    /// profile).
    pub fn tags(mut self, tags: &[crate::model::Tag]) -> Resource {
        for t in tags {
            self.keys
                .push((format!("aws:ResourceTag/{}", t.key), vec![t.value.clone()]));
        }
        self
    }

    /// An IAM user's or role's tags: `aws:ResourceTag/…` and `iam:ResourceTag/…` (the key
    /// AWS gives IAM entities only).
    pub fn entity_tags(mut self, tags: &[crate::model::Tag]) -> Resource {
        for t in tags {
            self.keys
                .push((format!("iam:ResourceTag/{}", t.key), vec![t.value.clone()]));
        }
        self.tags(tags)
    }

    /// `iam:PermissionsBoundary`: the ARN of the user's or role's current boundary, for
    /// the operations that change its permissions (a request that sets a boundary gives
    /// the new one instead: `RequestContext::with_key`).
    pub fn boundary(mut self, arn: Option<String>) -> Resource {
        if let Some(arn) = arn {
            self.keys
                .push(("iam:PermissionsBoundary".to_owned(), vec![arn]));
        }
        self
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

    /// Whether policies (trust policies included) are enforced at all.
    fn enforces(&self) -> bool {
        true
    }
}

/// Lets every authenticated principal do everything (`--authorization off`).
#[derive(Debug, Default)]
pub struct AllowAll;

#[async_trait]
impl Authorizer for AllowAll {
    fn enforces(&self) -> bool {
        false
    }

    async fn authorize(&self, _: &RequestContext, _: &str, _: &Resource) -> Result<(), IamError> {
        Ok(())
    }
}

/// A principal's policies, compiled, with the tags that `${aws:PrincipalTag/…}` reads and,
/// for a user, the part of the request context that is the same on every request.
pub struct Compiled {
    pub policies: Vec<(String, Arc<CompiledPolicy>)>,
    /// The permissions boundary (its ARN, and its default version compiled: `None` if
    /// that does not parse, which allows nothing), when the user or role has one.
    pub boundary: Option<(String, Option<Arc<CompiledPolicy>>)>,
    pub tags: Vec<Tag>,
    pub user_context: Option<Arc<Context>>,
}

/// Compiles stored documents. A stored document that no longer parses (it was validated
/// on write) is skipped, which can only deny more, and logged.
pub fn compile(stored: &UserPolicies) -> Vec<(String, CompiledPolicy)> {
    documents(stored)
        .filter_map(|(id, doc, kind)| Some((id.to_owned(), compile_one(id, doc, kind)?)))
        .collect()
}

/// Every stored document with its id (inline name or managed ARN) and kind.
fn documents(stored: &UserPolicies) -> impl Iterator<Item = (&str, &str, PolicyKind)> {
    let inline = stored
        .inline
        .iter()
        .map(|(name, doc)| (name.as_str(), doc.as_str(), PolicyKind::Identity));
    let managed = stored
        .managed
        .iter()
        .map(|(arn, _, doc)| (arn.as_str(), doc.as_str(), PolicyKind::Managed));
    inline.chain(managed)
}

fn compile_one(id: &str, doc: &str, kind: PolicyKind) -> Option<CompiledPolicy> {
    // An AWS managed policy iamd cannot parse was logged once, by the catalog.
    if crate::catalog::get(id).is_some_and(|p| !p.parses()) {
        return None;
    }
    match Policy::parse_as(doc, kind) {
        Ok(p) => Some(p.compile()),
        Err(e) => {
            tracing::error!(policy = %id, %e, "a stored policy does not parse; ignoring it");
            None
        }
    }
}

/// An AWS managed policy's default version, compiled once by the catalog.
fn aws_compiled(arn: &str) -> Option<Arc<CompiledPolicy>> {
    crate::catalog::get(arn)?.compiled().cloned()
}

/// The keys that depend on the principal only.
fn principal_keys(mut c: Context, tags: &[Tag]) -> Context {
    c = c.secure_transport(false).mfa_present(false);
    for t in tags {
        c = c.principal_tag(&t.key, &t.value);
    }
    c
}

/// The keys that depend on the request (and on the credentials it was signed with: a
/// session made with MFA has `aws:MultiFactorAuthPresent` true and an
/// `aws:MultiFactorAuthAge`).
pub(crate) fn request_keys(ctx: &RequestContext, mut c: Context) -> Context {
    c = c.current_time(ctx.now);
    if let Some(at) = ctx.via.mfa_authenticated_at() {
        c = c
            .mfa_present(true)
            .mfa_age((ctx.now - at).whole_seconds().max(0));
    }
    if !ctx.region.is_empty() {
        c = c.requested_region(&ctx.region);
    }
    if let Some(ip) = ctx.source_ip {
        c = c.source_ip(ip);
    }
    c
}

/// The keys of the resource acted on and of the request's parameters; a request's key
/// wins over the resource's of the same name (a new boundary over the current one).
fn resource_and_request_keys(mut c: Context, ctx: &RequestContext, resource: &Resource) -> Context {
    let keys = resource
        .keys
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .chain(ctx.request_keys.iter());
    for (key, values) in keys {
        match values {
            [one] if !key.eq_ignore_ascii_case("aws:TagKeys") => {
                c.set(key, one.as_str());
            }
            _ => {
                c.set_values(key, values.iter().map(|v| v.as_str().into()).collect());
            }
        }
    }
    c
}

fn common_context(ctx: &RequestContext, c: Context, tags: &[Tag]) -> Context {
    request_keys(ctx, principal_keys(c, tags))
}

/// A user's own context keys, the same on every request it makes.
fn user_keys(user: &User, tags: &[Tag]) -> Context {
    let c = Context::for_user(
        &user.account_id,
        &user.arn(),
        &user.user_name,
        &user.user_id,
    );
    principal_keys(c, tags)
}

/// The request context AWS gives identity policies for a user's request.
pub fn user_context(ctx: &RequestContext, user: &User, tags: &[Tag]) -> Context {
    request_keys(ctx, user_keys(user, tags))
}

/// The request context of a role session: `aws:PrincipalArn` is the role's ARN,
/// `aws:userid` is `ROLEID:session`, and `aws:username` is absent.
pub fn role_session_context(ctx: &RequestContext, session: &RoleSession) -> Context {
    let c = Context::new()
        .userid(&format!(
            "{}:{}",
            session.role.role_id, session.session_name
        ))
        .principal_arn(&session.role.arn())
        .principal_account(&session.role.account_id)
        .principal_type("AssumedRole");
    let c = match &session.tags.source_identity {
        Some(si) => c.with("aws:SourceIdentity", si.as_str()),
        None => c,
    };
    common_context(ctx, c, &session.principal_tags())
}

/// The request context of a federated user session: `aws:userid` is `ACCOUNT:name`,
/// `aws:PrincipalArn` the federated user's ARN, and `aws:username` is absent.
/// `aws:PrincipalTag/…`: the user's tags (`user_tags`) overridden by the session tags.
pub fn federated_context(
    ctx: &RequestContext,
    session: &FederatedUser,
    user_tags: &[Tag],
) -> Context {
    let arn = format!(
        "arn:aws:sts::{}:federated-user/{}",
        session.account_id, session.name
    );
    let c = Context::new()
        .userid(&format!("{}:{}", session.account_id, session.name))
        .principal_arn(&arn)
        .principal_account(&session.account_id)
        .principal_type("FederatedUser");
    common_context(ctx, c, &session.principal_tags(user_tags))
}

/// Whose policies apply.
enum Entity<'a> {
    User(&'a User),
    Role(&'a Role),
}

impl Entity<'_> {
    fn id(&self) -> &str {
        match self {
            Entity::User(u) => &u.user_id,
            Entity::Role(r) => &r.role_id,
        }
    }
}

fn deny(message: String) -> IamError {
    IamError::new(ErrorCode::AccessDenied, message)
}

fn eval<P: std::borrow::Borrow<CompiledPolicy>>(
    policies: &[(String, P)],
    action: &str,
    resource: &str,
    context: &Context,
) -> Decision {
    let refs: Vec<(&str, &CompiledPolicy)> = policies
        .iter()
        .map(|(id, p)| (id.as_str(), p.borrow()))
        .collect();
    evaluate(
        &refs,
        &Request {
            action,
            resource,
            context,
        },
    )
    .decision
}

/// What the principal's permissions boundary decides, if it has one.
fn boundary_decision(
    compiled: &Compiled,
    action: &str,
    resource: &str,
    context: &Context,
) -> Option<Decision> {
    let (arn, policy) = compiled.boundary.as_ref()?;
    Some(match policy {
        Some(policy) => eval(&[(arn.clone(), policy.clone())], action, resource, context),
        None => Decision::ImplicitDeny,
    })
}

/// AWS's answer from each kind of policy's decision: allowed only when the identity
/// policies allow and the boundary and the session policies (each when present) allow too;
/// an explicit deny in any of them wins, and the message names the first kind that denies
/// (explicit denies first, then identity, boundary, session), in AWS's words.
pub fn verdict(
    ctx: &RequestContext,
    action: &str,
    resource: &Resource,
    identity: Decision,
    boundary: Option<Decision>,
    session: Option<Decision>,
) -> Result<(), IamError> {
    let explicit = |d: Option<Decision>| d == Some(Decision::ExplicitDeny);
    let implicit = |d: Option<Decision>| d == Some(Decision::ImplicitDeny);
    let identity = Some(identity);
    let reason = if explicit(identity) {
        "with an explicit deny in an identity-based policy".to_owned()
    } else if explicit(boundary) {
        "with an explicit deny in a permissions boundary".to_owned()
    } else if explicit(session) {
        "with an explicit deny in a session policy".to_owned()
    } else if implicit(identity) {
        format!("because no identity-based policy allows the {action} action")
    } else if implicit(boundary) {
        format!("because no permissions boundary allows the {action} action")
    } else if implicit(session) {
        format!("because no session policy allows the {action} action")
    } else {
        return Ok(());
    };
    Err(deny(format!(
        "User: {} is not authorized to perform: {action} on resource: {} {reason}",
        ctx.principal.arn(),
        resource.describe
    )))
}

/// Principals whose compiled policies are kept. A principal's entry holds its own context
/// (a few kilobytes with the documents' compiled forms shared): many more would cost tens
/// of megabytes when a million users sign in turn, for entries each used once.
const PRINCIPALS_MAX: usize = 4_096;

/// Distinct policy documents kept compiled. Principals share one compiled form per
/// document (a managed policy attached to many users, the same inline policy given to
/// each), so a principal not in the cache compiles only documents never seen before.
const DOCUMENTS_MAX: usize = 1_024;

pub struct PolicyAuthorizer {
    store: Arc<dyn Store>,
    cache: RwLock<HashMap<String, (Instant, Arc<Compiled>)>>,
    /// Compiled forms by document text; a document's compiled form never changes.
    documents: RwLock<HashMap<(PolicyKind, String), Arc<CompiledPolicy>>>,
    generation: AtomicU64,
}

impl PolicyAuthorizer {
    pub fn new(store: Arc<dyn Store>) -> Self {
        PolicyAuthorizer {
            store,
            cache: RwLock::new(HashMap::new()),
            documents: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// The stored documents compiled, each compiled once while it stays in `documents`.
    fn compile_shared(&self, stored: &UserPolicies) -> Vec<(String, Arc<CompiledPolicy>)> {
        documents(stored)
            .filter_map(|(id, doc, kind)| {
                Some((id.to_owned(), self.compile_cached(id, doc, kind)?))
            })
            .collect()
    }

    /// One stored document compiled, once while it stays in `documents`.
    fn compile_cached(&self, id: &str, doc: &str, kind: PolicyKind) -> Option<Arc<CompiledPolicy>> {
        let key = (kind, doc.to_owned());
        let known = self
            .documents
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(compiled) = known {
            return Some(compiled);
        }
        let compiled = Arc::new(compile_one(id, doc, kind)?);
        let mut documents = self.documents.write().unwrap_or_else(|e| e.into_inner());
        if documents.len() >= DOCUMENTS_MAX {
            documents.clear();
        }
        documents.insert(key, Arc::clone(&compiled));
        Some(compiled)
    }

    async fn compiled(&self, entity: Entity<'_>) -> Result<Arc<Compiled>, IamError> {
        {
            let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
            if let Some((at, c)) = cache.get(entity.id()) {
                if at.elapsed() < TTL {
                    return Ok(c.clone());
                }
            }
        }
        let failure = |e: crate::store::StoreError| IamError::service_failure(&e);
        let generation = self.generation.load(Ordering::SeqCst);
        let fetched_at = Instant::now();
        let (stored, tags) = match &entity {
            Entity::User(user) => {
                let mut stored = self
                    .store
                    .get_holder_policies(HolderKind::User, &user.user_id)
                    .await
                    .map_err(failure)?;
                // A user's groups' policies apply to it as its own do.
                for (_, group) in self
                    .store
                    .get_user_group_policies(&user.user_id)
                    .await
                    .map_err(failure)?
                {
                    stored.inline.extend(group.inline);
                    stored.managed.extend(group.managed);
                    stored.aws_managed.extend(group.aws_managed);
                }
                let tags = self
                    .store
                    .get_user(&user.account_id, &user.user_name)
                    .await
                    .map_err(failure)?
                    .map(|u| u.tags)
                    .unwrap_or_default();
                (stored, tags)
            }
            Entity::Role(role) => (
                self.store
                    .get_holder_policies(HolderKind::Role, &role.role_id)
                    .await
                    .map_err(failure)?,
                role.tags.clone(),
            ),
        };
        let user_context = match &entity {
            Entity::User(user) => Some(Arc::new(user_keys(user, &tags))),
            Entity::Role(_) => None,
        };
        // A boundary that no longer parses (it was validated on write) allows nothing.
        let boundary = match (&stored.boundary, &stored.aws_boundary) {
            (Some((arn, _, doc)), _) => {
                let compiled = self.compile_cached(arn, doc, PolicyKind::Managed);
                Some((arn.clone(), compiled))
            }
            // AWS managed policies are compiled once, by the catalog; one it lacks (or
            // cannot parse) allows nothing.
            (None, Some(arn)) => Some((arn.clone(), aws_compiled(arn))),
            (None, None) => None,
        };
        let mut policies = self.compile_shared(&stored);
        policies.extend(
            stored
                .aws_managed
                .iter()
                .filter_map(|arn| Some((arn.clone(), aws_compiled(arn)?))),
        );
        let compiled = Arc::new(Compiled {
            policies,
            boundary,
            tags,
            user_context,
        });
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            crate::cache::make_room(&mut cache, TTL, PRINCIPALS_MAX);
            cache.insert(entity.id().to_owned(), (fetched_at, compiled.clone()));
        }
        Ok(compiled)
    }

    /// A role session's session policies, compiled: the inline one and the default
    /// versions of the managed ones (a managed policy that no longer exists allows nothing).
    async fn session_policies(
        &self,
        policy: Option<&str>,
        policy_arns: &[String],
    ) -> Result<Vec<(String, CompiledPolicy)>, IamError> {
        let mut out = Vec::new();
        if let Some(doc) = policy {
            if let Ok(p) = Policy::parse_as(doc, PolicyKind::Identity) {
                out.push(("session-policy".to_owned(), p.compile()));
            }
        }
        for arn in policy_arns {
            let Some(parsed) = crate::arn::PolicyArn::parse(arn) else {
                continue;
            };
            let policy = self
                .store
                .get_policy(&parsed.account_id, &parsed.name)
                .await
                .map_err(|e| IamError::service_failure(&e))?
                .filter(|p| p.path == parsed.path);
            let Some(policy) = policy else { continue };
            let version = self
                .store
                .get_policy_version(
                    &policy.account_id,
                    &policy.policy_name,
                    &policy.default_version_id,
                )
                .await
                .map_err(|e| IamError::service_failure(&e))?;
            if let Some(p) =
                version.and_then(|v| Policy::parse_as(&v.document, PolicyKind::Managed).ok())
            {
                out.push((arn.clone(), p.compile()));
            }
        }
        Ok(out)
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
        match &ctx.principal {
            Principal::Root { .. } => Ok(()),
            Principal::User(user) => {
                let compiled = self.compiled(Entity::User(user)).await?;
                let context = match &compiled.user_context {
                    Some(base) => request_keys(ctx, Context::on_top_of(base.clone())),
                    None => user_context(ctx, user, &compiled.tags),
                };
                let context = resource_and_request_keys(context, ctx, resource);
                let identity = eval(&compiled.policies, action, &resource.arn, &context);
                let boundary = boundary_decision(&compiled, action, &resource.arn, &context);
                verdict(ctx, action, resource, identity, boundary, None)
            }
            Principal::RoleSession(session) => {
                // The role's policies, intersected with its boundary and with the session
                // policies, if any.
                let compiled = self.compiled(Entity::Role(&session.role)).await?;
                let context = role_session_context(ctx, session);
                let context = resource_and_request_keys(context, ctx, resource);
                let identity = eval(&compiled.policies, action, &resource.arn, &context);
                let boundary = boundary_decision(&compiled, action, &resource.arn, &context);
                let has_session_policies =
                    session.policy.is_some() || !session.policy_arns.is_empty();
                let session_decision = if has_session_policies {
                    let policies = self
                        .session_policies(session.policy.as_deref(), &session.policy_arns)
                        .await?;
                    Some(eval(&policies, action, &resource.arn, &context))
                } else {
                    None
                };
                verdict(ctx, action, resource, identity, boundary, session_decision)
            }
            Principal::FederatedUser(session) => {
                // The federated user's (or root's) policies, intersected with the session
                // policies; without any session policy the session is allowed nothing.
                let compiled = match &session.user {
                    None => None,
                    Some(user) => Some(self.compiled(Entity::User(user)).await?),
                };
                let user_tags = compiled.as_ref().map_or(&[][..], |c| &c.tags[..]);
                let context = federated_context(ctx, session, user_tags);
                let context = resource_and_request_keys(context, ctx, resource);
                let (identity, boundary) = match &compiled {
                    None => (Decision::Allowed, None),
                    Some(compiled) => (
                        eval(&compiled.policies, action, &resource.arn, &context),
                        boundary_decision(compiled, action, &resource.arn, &context),
                    ),
                };
                let policies = self
                    .session_policies(session.policy.as_deref(), &session.policy_arns)
                    .await?;
                let session_decision = eval(&policies, action, &resource.arn, &context);
                verdict(
                    ctx,
                    action,
                    resource,
                    identity,
                    boundary,
                    Some(session_decision),
                )
            }
        }
    }

    fn policies_changed(&self) {
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        cache.clear();
    }
}
