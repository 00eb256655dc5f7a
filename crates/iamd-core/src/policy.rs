//! Policy operations: inline user policies, customer managed policies and their versions,
//! attachments, and the policy simulator.

use iamd_policy::{
    evaluate, CompiledPolicy, Context, ContextValue, Decision, Policy, PolicyError, PolicyKind,
    Request, SizeQuota,
};

use crate::authz::{self, Resource};
use crate::catalog;
use crate::error::{ErrorCode, IamError};
use crate::holder::{merge_page, MergedPosition};
use crate::ids;
use crate::model::{HolderKind, ManagedPolicy, PolicyVersion, Tag, User, POLICY_VERSIONS_MAX};
use crate::pagination::{self, Listing, SortKey};
use crate::principal::Principal;
use crate::service::{store_failure, Iam, RequestContext};
use crate::store_errors::managed_policy_error;

/// A validated policy document as received, and its compiled form.
fn parse(document: &str, kind: PolicyKind) -> Result<Policy, IamError> {
    Policy::parse_as(document, kind).map_err(policy_error)
}

/// A policy given to the simulator or to GetContextKeysFor*Policy: their models declare
/// InvalidInput, not MalformedPolicyDocument, for a document that does not validate; the
/// text is the validator's.
pub(crate) fn parse_given(document: &str, kind: PolicyKind) -> Result<Policy, IamError> {
    parse(document, kind).map_err(|e| IamError {
        code: ErrorCode::InvalidInput,
        ..e
    })
}

/// Exhaustive: a new `PolicyError` variant must be mapped here.
pub(crate) fn policy_error(e: PolicyError) -> IamError {
    match e {
        PolicyError::Malformed(m) => IamError::new(ErrorCode::MalformedPolicyDocument, m),
        PolicyError::LimitExceeded(m) => IamError::new(ErrorCode::LimitExceeded, m),
    }
}

pub use crate::arn::PolicyArn;

/// The catalog's policy when `policy` (found for `arn`) is an AWS managed one.
pub(crate) fn aws_of(policy: &ManagedPolicy, arn: &str) -> Option<&'static catalog::AwsPolicy> {
    (policy.account_id == catalog::AWS_ACCOUNT)
        .then(|| catalog::get(arn))
        .flatten()
}

/// AWS managed policies cannot be changed, deleted or tagged: AccessDenied, in the words
/// AWS uses for a denied action (see ARCHITECTURE.md: UNCONFIRMED).
pub(crate) fn not_aws(
    ctx: &RequestContext,
    policy: &ManagedPolicy,
    arn: &str,
) -> Result<(), IamError> {
    if policy.account_id != catalog::AWS_ACCOUNT {
        return Ok(());
    }
    Err(IamError::new(
        ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {} on resource: {arn}",
            ctx.principal.arn(),
            ctx.action()
        ),
    ))
}

pub(crate) fn no_such_policy(arn: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("Policy {arn} was not found."),
    )
}

pub(crate) fn not_attachable(arn: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("Policy {arn} does not exist or is not attachable."),
    )
}

#[derive(Debug, Clone)]
pub struct CreatePolicyInput {
    pub policy_name: String,
    pub path: Option<String>,
    pub document: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope {
    All,
    Aws,
    Local,
}

/// ListPolicies' `PolicyUsageFilter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyUsage {
    /// Policies as permissions policies: `OnlyAttached` counts attachments.
    Permissions,
    /// Only policies that are some user's or role's permissions boundary.
    Boundary,
}

#[derive(Debug, Clone)]
pub struct ListPoliciesInput {
    pub scope: PolicyScope,
    pub usage: Option<PolicyUsage>,
    pub only_attached: bool,
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: usize,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub marker: Option<String>,
}

/// One simulated action on one resource.
#[derive(Debug, Clone)]
pub struct SimulationResult {
    pub action: String,
    pub resource: String,
    pub decision: Decision,
    /// (source policy id, source policy type)
    pub matched: Vec<(String, &'static str)>,
    /// Whether the simulated user's permissions boundary allows the action (`None`: it
    /// has none).
    pub boundary_allowed: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct ContextEntry {
    pub key: String,
    pub values: Vec<String>,
    /// `string`, `stringList`, `numeric`, `boolean`, `date`, `ip`, … (the `List` forms too).
    pub kind: String,
}

#[derive(Debug, Clone, Default)]
pub struct SimulateInput {
    /// SimulatePrincipalPolicy: the user whose policies are simulated.
    pub policy_source_arn: Option<String>,
    pub extra_policies: Vec<String>,
    /// `PermissionsBoundaryPolicyInputList`: at most one boundary, which replaces the
    /// simulated user's own.
    pub boundary_policies: Vec<String>,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub context: Vec<ContextEntry>,
    /// Where the page starts (`Marker`), and how many results it may hold (`MaxItems`).
    pub marker: Option<String>,
    pub max_items: usize,
}

impl Iam {
    pub(crate) async fn user_for_policy_op(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        action: &str,
    ) -> Result<User, IamError> {
        let account = ctx.principal.account_id();
        let user = self
            .store
            .get_user(account, user_name)
            .await
            .map_err(store_failure)?;
        let resource = user
            .as_ref()
            .map(Resource::user)
            .unwrap_or_else(|| Self::user_resource(ctx, "/", user_name));
        self.authorize(ctx, action, &resource).await?;
        user.ok_or_else(|| IamError::no_such_user(user_name))
    }

    /// Resolves a managed policy ARN of the caller's account, authorizing `action` on it.
    pub(crate) async fn managed_policy(
        &self,
        ctx: &RequestContext,
        arn: &str,
        action: &str,
        missing: fn(&str) -> IamError,
    ) -> Result<ManagedPolicy, IamError> {
        if catalog::is_aws_arn(arn) {
            self.authorize(ctx, action, &Resource::arn(arn)).await?;
            return self.aws_policy(ctx, arn, missing).await;
        }
        // The policy is read first so that its tags are `aws:ResourceTag`; whether it
        // exists is told only once the caller is authorized.
        let parsed = PolicyArn::parse(arn);
        let found = match &parsed {
            Some(parsed) if parsed.account_id == ctx.principal.account_id() => self
                .store
                .get_policy(&parsed.account_id, &parsed.name)
                .await
                .map_err(store_failure)?
                .filter(|p| p.path == parsed.path && p.policy_name == parsed.name),
            _ => None,
        };
        let resource = match &found {
            Some(policy) => Resource::arn(arn).tags(&policy.tags),
            None => Resource::arn(arn),
        };
        self.authorize(ctx, action, &resource).await?;
        if parsed.is_none() {
            return Err(IamError::new(
                ErrorCode::InvalidInput,
                format!("ARN {arn} is not valid."),
            ));
        }
        found.ok_or_else(|| missing(arn))
    }

    /// The AWS managed policy `arn` names, with its use in the caller's account counted;
    /// `missing` if the catalog has none by that ARN.
    pub(crate) async fn aws_policy(
        &self,
        ctx: &RequestContext,
        arn: &str,
        missing: fn(&str) -> IamError,
    ) -> Result<ManagedPolicy, IamError> {
        let policy = catalog::get(arn).ok_or_else(|| missing(arn))?;
        let usage = self
            .store
            .aws_policy_usage(ctx.principal.account_id(), Some(arn))
            .await
            .map_err(store_failure)?;
        let (attachments, boundaries) = usage
            .first()
            .map_or((0, 0), |u| (u.attachments, u.boundaries));
        Ok(policy.managed(attachments, boundaries))
    }

    pub async fn create_policy(
        &self,
        ctx: &RequestContext,
        input: CreatePolicyInput,
    ) -> Result<ManagedPolicy, IamError> {
        let ctx = &ctx.tagging(&input.tags);
        let account_id = ctx.principal.account_id().to_owned();
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        let now = ctx.now.replace_nanosecond(0).unwrap_or(ctx.now);
        let policy = ManagedPolicy {
            account_id,
            policy_id: ids::policy_id(),
            policy_name: input.policy_name,
            path,
            description: input.description,
            default_version_id: "v1".to_owned(),
            attachment_count: 0,
            permissions_boundary_usage_count: 0,
            create_date: now,
            update_date: now,
            tags: input.tags,
        };
        self.authorize(ctx, ctx.action(), &Resource::arn(policy.arn()))
            .await?;
        parse(&input.document, PolicyKind::Managed)?;
        iamd_policy::check_size(SizeQuota::Managed, &policy.policy_name, &[&input.document])
            .map_err(policy_error)?;
        match self.store.create_policy(&policy, &input.document).await {
            Ok(()) => Ok(policy),
            Err(e) => Err(managed_policy_error(
                e,
                &policy.arn(),
                &policy.policy_name,
                "",
            )),
        }
    }

    pub async fn get_policy(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<ManagedPolicy, IamError> {
        self.managed_policy(ctx, arn, ctx.action(), no_such_policy)
            .await
    }

    /// ListPolicies: customer managed policies (`Scope=Local`), AWS managed ones (`AWS`) or
    /// both (`All`), merged in lower-cased-name order (a customer managed policy first when
    /// both have a name), filtered by path, by being attached (`OnlyAttached`) and by use as
    /// a boundary (`PolicyUsageFilter=PermissionsBoundary`).
    pub async fn list_policies(
        &self,
        ctx: &RequestContext,
        input: ListPoliciesInput,
    ) -> Result<Page<ManagedPolicy>, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account = ctx.principal.account_id();
        let scope = format!(
            "{account}:{}:{:?}:{:?}",
            input.only_attached, input.scope, input.usage
        );
        let listing = Listing {
            operation: "ListPolicies",
            scope: &scope,
            sorted_by: SortKey::UserName,
        };
        let after = pagination::name_after(&listing, input.marker.as_deref())?
            .map(|p| MergedPosition::parse(&p))
            .transpose()?;
        let prefix = input.path_prefix.as_deref().unwrap_or("/");
        let want = input.max_items + 1;
        let boundaries_only = input.usage == Some(PolicyUsage::Boundary);
        // Whether a policy with these counts is listed.
        let listed = |attachments: u32, boundaries: u32| {
            (!boundaries_only || boundaries > 0)
                && (!input.only_attached || boundaries_only || attachments > 0)
        };
        let mut customer = Vec::new();
        if input.scope != PolicyScope::Aws {
            // The store filters on attachments; use as a boundary is filtered here, batch
            // by batch, until the page is full.
            let mut from = after.as_ref().map(|a| a.name.clone());
            loop {
                let batch = self
                    .store
                    .list_policies(
                        account,
                        prefix,
                        input.only_attached && !boundaries_only,
                        from.as_deref(),
                        want,
                    )
                    .await
                    .map_err(store_failure)?;
                let full = batch.len() == want;
                from = batch.last().map(|p| p.policy_name.to_lowercase());
                customer.extend(
                    batch
                        .into_iter()
                        .filter(|p| listed(p.attachment_count, p.permissions_boundary_usage_count)),
                );
                if !full || customer.len() >= want {
                    break;
                }
            }
            customer.truncate(want);
        }
        let mut aws = Vec::new();
        if input.scope != PolicyScope::Local {
            let usage: std::collections::HashMap<String, (u32, u32)> = self
                .store
                .aws_policy_usage(account, None)
                .await
                .map_err(store_failure)?
                .into_iter()
                .map(|u| (u.arn, (u.attachments, u.boundaries)))
                .collect();
            let all = &catalog::catalog().policies;
            let start = after.as_ref().map_or(0, |a| {
                all.partition_point(|p| p.name_lower.as_str() < a.name.as_str())
            });
            aws = all[start..]
                .iter()
                .filter(|p| p.path.starts_with(prefix))
                .filter_map(|p| {
                    let (attachments, boundaries) = usage.get(&p.arn).copied().unwrap_or((0, 0));
                    listed(attachments, boundaries).then(|| p.managed(attachments, boundaries))
                })
                .filter(|p| after.as_ref().is_none_or(|a| a.before_policy(p)))
                .take(want)
                .collect();
        }
        let (items, marker) = merge_page(&listing, customer, aws, after.as_ref(), input.max_items);
        Ok(Page { items, marker })
    }

    pub async fn delete_policy(&self, ctx: &RequestContext, arn: &str) -> Result<(), IamError> {
        let policy = self
            .managed_policy(ctx, arn, ctx.action(), no_such_policy)
            .await?;
        not_aws(ctx, &policy, arn)?;
        match self
            .store
            .delete_policy(&policy.account_id, &policy.policy_name)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) => Err(managed_policy_error(e, arn, &policy.policy_name, "")),
        }
    }

    pub async fn create_policy_version(
        &self,
        ctx: &RequestContext,
        arn: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<PolicyVersion, IamError> {
        let policy = self
            .managed_policy(ctx, arn, ctx.action(), no_such_policy)
            .await?;
        not_aws(ctx, &policy, arn)?;
        parse(document, PolicyKind::Managed)?;
        iamd_policy::check_size(SizeQuota::Managed, &policy.policy_name, &[document])
            .map_err(policy_error)?;
        let now = ctx.now.replace_nanosecond(0).unwrap_or(ctx.now);
        match self
            .store
            .create_policy_version(
                &policy.account_id,
                &policy.policy_name,
                document,
                set_as_default,
                POLICY_VERSIONS_MAX,
                now,
            )
            .await
        {
            Ok(v) => {
                if set_as_default {
                    self.authorizer.policies_changed();
                }
                Ok(v)
            }
            Err(e) => Err(managed_policy_error(e, arn, &policy.policy_name, "")),
        }
    }

    pub async fn get_policy_version(
        &self,
        ctx: &RequestContext,
        arn: &str,
        version_id: &str,
    ) -> Result<PolicyVersion, IamError> {
        let policy = self
            .managed_policy(ctx, arn, ctx.action(), no_such_policy)
            .await?;
        let missing = || {
            IamError::new(
                ErrorCode::NoSuchEntity,
                format!("Policy {arn} version {version_id} does not exist or is not attachable."),
            )
        };
        if let Some(aws) = aws_of(&policy, arn) {
            // Only the default version is in the catalog.
            return match aws.default_version_id == version_id {
                true => Ok(aws.version()),
                false => Err(missing()),
            };
        }
        match self
            .store
            .get_policy_version(&policy.account_id, &policy.policy_name, version_id)
            .await
        {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(missing()),
            Err(e) => Err(managed_policy_error(
                e,
                arn,
                &policy.policy_name,
                version_id,
            )),
        }
    }

    pub async fn list_policy_versions(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<Vec<PolicyVersion>, IamError> {
        let policy = self
            .managed_policy(ctx, arn, ctx.action(), no_such_policy)
            .await?;
        if let Some(aws) = aws_of(&policy, arn) {
            return Ok(vec![aws.version()]);
        }
        match self
            .store
            .list_policy_versions(&policy.account_id, &policy.policy_name)
            .await
        {
            Ok(v) => Ok(v),
            Err(e) => Err(managed_policy_error(e, arn, &policy.policy_name, "")),
        }
    }

    pub async fn set_default_policy_version(
        &self,
        ctx: &RequestContext,
        arn: &str,
        version_id: &str,
    ) -> Result<(), IamError> {
        let policy = self
            .managed_policy(ctx, arn, ctx.action(), no_such_policy)
            .await?;
        not_aws(ctx, &policy, arn)?;
        let now = ctx.now.replace_nanosecond(0).unwrap_or(ctx.now);
        match self
            .store
            .set_default_policy_version(&policy.account_id, &policy.policy_name, version_id, now)
            .await
        {
            Ok(()) => {
                self.authorizer.policies_changed();
                Ok(())
            }
            Err(e) => Err(managed_policy_error(
                e,
                arn,
                &policy.policy_name,
                version_id,
            )),
        }
    }

    pub async fn delete_policy_version(
        &self,
        ctx: &RequestContext,
        arn: &str,
        version_id: &str,
    ) -> Result<(), IamError> {
        let policy = self
            .managed_policy(ctx, arn, ctx.action(), no_such_policy)
            .await?;
        not_aws(ctx, &policy, arn)?;
        match self
            .store
            .delete_policy_version(&policy.account_id, &policy.policy_name, version_id)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) => Err(managed_policy_error(
                e,
                arn,
                &policy.policy_name,
                version_id,
            )),
        }
    }

    /// A managed policy of the caller's account by ARN, without authorizing anything on it:
    /// attach and detach are authorized on the user or role.
    pub(crate) async fn managed_policy_unauthorized(
        &self,
        ctx: &RequestContext,
        arn: &str,
        missing: fn(&str) -> IamError,
    ) -> Result<ManagedPolicy, IamError> {
        if catalog::is_aws_arn(arn) {
            // Its use is not counted: callers only need to know it exists.
            return catalog::get(arn)
                .map(|p| p.managed(0, 0))
                .ok_or_else(|| missing(arn));
        }
        let parsed = PolicyArn::parse(arn).ok_or_else(|| missing(arn))?;
        if parsed.account_id != ctx.principal.account_id() {
            return Err(missing(arn));
        }
        self.store
            .get_policy(&parsed.account_id, &parsed.name)
            .await
            .map_err(store_failure)?
            .filter(|p| p.path == parsed.path && p.policy_name == parsed.name)
            .ok_or_else(|| missing(arn))
    }

    /// SimulatePrincipalPolicy (with `policy_source_arn`) or SimulateCustomPolicy.
    ///
    /// Each action is evaluated on each resource (`*` when none is given), in that order,
    /// and the results are paged as AWS pages them (`MaxItems`, default 100, and `Marker`):
    /// only the requested page is evaluated, so the work and the answer of one call are
    /// bounded whatever the numbers of actions and resources.
    pub async fn simulate(
        &self,
        ctx: &RequestContext,
        mut input: SimulateInput,
    ) -> Result<Page<SimulationResult>, IamError> {
        let resources = if input.resources.is_empty() {
            vec!["*".to_owned()]
        } else {
            std::mem::take(&mut input.resources)
        };
        let total = input.actions.len() * resources.len();
        let scope = format!("{}x{}", input.actions.len(), resources.len());
        let listing = pagination::Listing {
            operation: "SimulatePolicy",
            scope: &scope,
            sorted_by: pagination::SortKey::Offset,
        };
        let start = match &input.marker {
            Some(m) => pagination::decode_offset(&listing, m, total)?,
            None => 0,
        };
        let end = total.min(start.saturating_add(input.max_items));
        let mut policies: Vec<(String, &'static str, CompiledPolicy)> = Vec::new();
        let mut context = Context::new();
        let mut boundary: Option<(String, Option<CompiledPolicy>)> = None;
        match &input.policy_source_arn {
            Some(arn) => {
                let name = arn
                    .strip_prefix(&format!("arn:aws:iam::{}:user", ctx.principal.account_id()))
                    .and_then(|rest| rest.rsplit('/').next())
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| {
                        IamError::new(ErrorCode::InvalidInput, format!("Invalid ARN: {arn}"))
                    })?
                    .to_owned();
                let user = self.user_for_policy_op(ctx, &name, ctx.action()).await?;
                let stored = catalog::resolve(
                    self.store
                        .get_holder_policies(HolderKind::User, &user.user_id)
                        .await
                        .map_err(store_failure)?,
                );
                boundary = stored.boundary.as_ref().map(|(arn, _, doc)| {
                    let compiled = Policy::parse_as(doc, PolicyKind::Managed)
                        .ok()
                        .map(|p| p.compile());
                    (arn.clone(), compiled)
                });
                let managed: std::collections::HashSet<String> = stored
                    .managed
                    .iter()
                    .map(|(arn, _, _)| arn.clone())
                    .collect();
                for (id, p) in authz::compile(&stored) {
                    let kind = if catalog::is_aws_arn(&id) {
                        "aws-managed"
                    } else if managed.contains(&id) {
                        "user-managed"
                    } else {
                        "user"
                    };
                    policies.push((id, kind, p));
                }
                // The policies of the user's groups apply too.
                for (_, group) in self
                    .store
                    .get_user_group_policies(&user.user_id)
                    .await
                    .map_err(store_failure)?
                {
                    let group = catalog::resolve(group);
                    let managed: std::collections::HashSet<String> = group
                        .managed
                        .iter()
                        .map(|(arn, _, _)| arn.clone())
                        .collect();
                    for (id, p) in authz::compile(&group) {
                        let kind = if catalog::is_aws_arn(&id) {
                            "aws-managed"
                        } else if managed.contains(&id) {
                            "user-managed"
                        } else {
                            "group"
                        };
                        policies.push((id, kind, p));
                    }
                }
                let simulated = RequestContext {
                    principal: Principal::User(user.clone()),
                    ..ctx.clone()
                };
                context = authz::user_context(&simulated, &user, &user.tags);
            }
            None => self.authorize(ctx, ctx.action(), &Resource::any()).await?,
        }
        for (i, doc) in input.extra_policies.iter().enumerate() {
            let p = parse_given(doc, PolicyKind::Identity)?;
            policies.push((format!("PolicyInputList.{}", i + 1), "none", p.compile()));
        }
        match input.boundary_policies.as_slice() {
            [] => {}
            [doc] => {
                let p = parse_given(doc, PolicyKind::Managed)?;
                boundary = Some((
                    "PermissionsBoundaryPolicyInputList.1".to_owned(),
                    Some(p.compile()),
                ));
            }
            _ => {
                return Err(IamError::new(
                    ErrorCode::InvalidInput,
                    "You can input only one permissions boundary policy.",
                ))
            }
        }
        for entry in &input.context {
            let values = entry
                .values
                .iter()
                .map(|v| context_value(&entry.kind, v))
                .collect::<Result<Vec<_>, _>>()?;
            context = context.with_values(&entry.key, values);
        }
        let refs: Vec<(&str, &CompiledPolicy)> =
            policies.iter().map(|(id, _, p)| (id.as_str(), p)).collect();
        let kinds: std::collections::HashMap<&str, &'static str> = policies
            .iter()
            .map(|(id, kind, _)| (id.as_str(), *kind))
            .collect();
        let mut results = Vec::with_capacity(end - start);
        for i in start..end {
            let (action, resource) = (
                &input.actions[i / resources.len()],
                &resources[i % resources.len()],
            );
            let eval = evaluate(
                &refs,
                &Request {
                    action,
                    resource,
                    context: &context,
                },
            );
            // A boundary only ever takes away: the decision is the identity policies' within
            // it (an explicit deny in either wins); one that does not parse allows nothing.
            let boundary_decision = boundary.as_ref().map(|(arn, policy)| match policy {
                Some(policy) => {
                    evaluate(
                        &[(arn.as_str(), policy)],
                        &Request {
                            action,
                            resource,
                            context: &context,
                        },
                    )
                    .decision
                }
                None => Decision::ImplicitDeny,
            });
            let decision = match (eval.decision, boundary_decision) {
                (Decision::ExplicitDeny, _) | (_, Some(Decision::ExplicitDeny)) => {
                    Decision::ExplicitDeny
                }
                (Decision::Allowed, None | Some(Decision::Allowed)) => Decision::Allowed,
                (Decision::Allowed | Decision::ImplicitDeny, _) => Decision::ImplicitDeny,
            };
            let matched = eval
                .matched
                .iter()
                .map(|m| {
                    (
                        m.source_policy_id.clone(),
                        kinds
                            .get(m.source_policy_id.as_str())
                            .copied()
                            .unwrap_or("none"),
                    )
                })
                .collect();
            results.push(SimulationResult {
                action: action.clone(),
                resource: resource.clone(),
                decision,
                matched,
                boundary_allowed: boundary_decision.map(|d| d == Decision::Allowed),
            });
        }
        let marker = (end < total).then(|| pagination::encode_offset(&listing, end));
        Ok(Page {
            items: results,
            marker,
        })
    }
}

/// A simulator context value of the given `ContextKeyType`.
fn context_value(kind: &str, value: &str) -> Result<ContextValue, IamError> {
    let bad = || {
        IamError::new(
            ErrorCode::InvalidInput,
            format!("Invalid context value {value} for type {kind}."),
        )
    };
    Ok(match kind.trim_end_matches("List") {
        "boolean" => ContextValue::Bool(value.parse().map_err(|_| bad())?),
        "numeric" => ContextValue::Number(value.parse().map_err(|_| bad())?),
        "ip" => ContextValue::Ip(value.parse().map_err(|_| bad())?),
        "date" => ContextValue::Date(
            time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
                .map_err(|_| bad())?,
        ),
        _ => ContextValue::String(value.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_arns() {
        let a = PolicyArn::parse("arn:aws:iam::123456789012:policy/team/self-service").unwrap();
        assert_eq!(
            (a.account_id.as_str(), a.path.as_str(), a.name.as_str()),
            ("123456789012", "/team/", "self-service")
        );
        assert_eq!(
            PolicyArn::parse("arn:aws:iam::123456789012:policy/p")
                .unwrap()
                .path,
            "/"
        );
        assert!(PolicyArn::parse("arn:aws:iam::123456789012:user/p").is_none());
        assert!(PolicyArn::parse("arn:aws:iam::123456789012:policy/").is_none());
        assert!(PolicyArn::parse("nonsense").is_none());
    }
}
