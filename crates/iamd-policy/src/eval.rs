//! The evaluation engine: compiled policies in, a decision out. Pure: no
//! I/O, no clock (the caller puts the time in the [`Context`]).
//!
//! Rules (IAM User Guide, "Policy evaluation logic"): a request is implicitly
//! denied unless a statement allows it; an explicit deny in any policy
//! overrides every allow. A statement applies when its action, resource,
//! principal (trust policies) and every condition match.

use crate::condition::CompiledCondition;
use crate::context::Context;
use crate::document::{Effect, Policy, PrincipalElement, Version};
use crate::glob::{Glob, Mode, Template};

/// The opaque id a caller gives each policy (a managed policy ARN, or
/// `user/alice/inline-name`…); it comes back in [`MatchedStatement`].
pub type PolicyRef = str;

/// A policy compiled for evaluation: action patterns lowercased, resource
/// patterns and condition values parsed, variables pre-split. Build it once
/// (per principal, per policy version) and reuse it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledPolicy {
    statements: Vec<CompiledStatement>,
}

#[derive(Debug, Clone, PartialEq)]
struct CompiledStatement {
    index: usize,
    sid: Option<String>,
    effect: Effect,
    not_action: bool,
    actions: Vec<Glob>,
    /// `None`: no resource element (trust policies): matches any resource.
    resources: Option<(bool, Vec<ResourcePattern>)>,
    principal: Option<PrincipalElement>,
    conditions: Vec<CompiledCondition>,
}

#[derive(Debug, Clone, PartialEq)]
enum ResourcePattern {
    Static(Glob),
    Dynamic(Template),
}

impl Policy {
    /// Compiles the policy for [`evaluate`].
    pub fn compile(&self) -> CompiledPolicy {
        let vars = self.version == Version::V2012_10_17;
        let statements = self
            .statements
            .iter()
            .enumerate()
            .map(|(index, st)| CompiledStatement {
                index,
                sid: st.sid.clone(),
                effect: st.effect,
                not_action: st.action.negated,
                actions: st
                    .action
                    .values
                    .iter()
                    .map(|a| Glob::new(a, Mode::Plain, true))
                    .collect(),
                resources: st.resource.as_ref().map(|r| {
                    let pats = r
                        .values
                        .iter()
                        .map(|v| {
                            let t = Template::parse(v, vars);
                            if t.is_static() {
                                ResourcePattern::Static(Glob::build(
                                    &t.static_pieces(),
                                    Mode::Arn,
                                    false,
                                ))
                            } else {
                                ResourcePattern::Dynamic(t)
                            }
                        })
                        .collect();
                    (r.negated, pats)
                }),
                principal: st.principal.clone(),
                conditions: st
                    .conditions
                    .iter()
                    .map(|c| CompiledCondition::compile(c.operator, &c.key, &c.values, vars))
                    .collect(),
            })
            .collect();
        CompiledPolicy { statements }
    }
}

/// One authorization question.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `service:Action`, e.g. `iam:ListAccessKeys` (any case).
    pub action: &'a str,
    /// The resource ARN, or `*` for actions that take no resource.
    pub resource: &'a str,
    /// The condition keys. For trust policies the principal is read from it:
    /// `aws:PrincipalArn`, `aws:PrincipalAccount`, and for services
    /// `aws:PrincipalServiceName`.
    pub context: &'a Context,
}

/// The outcome, with the names `SimulatePrincipalPolicy` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// An allow matched and no deny did.
    Allowed,
    /// A deny statement matched.
    ExplicitDeny,
    /// Nothing allowed the request.
    ImplicitDeny,
}

impl Decision {
    /// The `EvalDecision` text: `allowed`, `explicitDeny`, `implicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

/// A statement that decided the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    /// The caller's id for the policy.
    pub source_policy_id: String,
    /// The statement's position in the policy (0-based).
    pub statement_index: usize,
    /// The statement's `Sid`, if any.
    pub sid: Option<String>,
    /// The statement's effect.
    pub effect: Effect,
}

/// The decision and the statements behind it: the matching deny statements
/// for [`Decision::ExplicitDeny`], the matching allow statements for
/// [`Decision::Allowed`], none for [`Decision::ImplicitDeny`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// The statements that produced it, in policy order.
    pub matched: Vec<MatchedStatement>,
}

impl Evaluation {
    /// True when the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allowed
    }
}

/// Evaluates `req` against every statement of `policies`.
pub fn evaluate(policies: &[(&PolicyRef, &CompiledPolicy)], req: &Request) -> Evaluation {
    let action = req.action.to_lowercase();
    let mut allows = Vec::new();
    let mut denies = Vec::new();
    for (id, policy) in policies {
        for st in &policy.statements {
            if st.matches(&action, req) {
                let m = MatchedStatement {
                    source_policy_id: (*id).to_owned(),
                    statement_index: st.index,
                    sid: st.sid.clone(),
                    effect: st.effect,
                };
                match st.effect {
                    Effect::Allow => allows.push(m),
                    Effect::Deny => denies.push(m),
                }
            }
        }
    }
    if !denies.is_empty() {
        Evaluation {
            decision: Decision::ExplicitDeny,
            matched: denies,
        }
    } else if !allows.is_empty() {
        Evaluation {
            decision: Decision::Allowed,
            matched: allows,
        }
    } else {
        Evaluation {
            decision: Decision::ImplicitDeny,
            matched: Vec::new(),
        }
    }
}

impl CompiledStatement {
    fn matches(&self, action_lower: &str, req: &Request) -> bool {
        let action_hit = self.actions.iter().any(|g| g.matches(action_lower));
        if action_hit == self.not_action {
            return false;
        }
        if let Some((negated, pats)) = &self.resources {
            let hit = pats.iter().any(|p| match p {
                ResourcePattern::Static(g) => g.matches(req.resource),
                ResourcePattern::Dynamic(t) => t
                    .resolve(req.context)
                    .is_some_and(|pieces| Glob::pieces_match(&pieces, Mode::Arn, req.resource)),
            });
            if hit == *negated {
                return false;
            }
        }
        if let Some(p) = &self.principal {
            if principal_matches(p, req.context) == p.negated {
                return false;
            }
        }
        self.conditions.iter().all(|c| c.evaluate(req.context))
    }
}

fn principal_matches(p: &PrincipalElement, ctx: &Context) -> bool {
    let text = |key: &str| ctx.single_string(key);
    p.entries.iter().any(|(kind, values)| {
        values.iter().any(|v| {
            if v == "*" {
                return true;
            }
            match kind.as_str() {
                "AWS" => {
                    let account = if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
                        Some(v.as_str())
                    } else {
                        v.strip_prefix("arn:aws:iam::")
                            .and_then(|r| r.strip_suffix(":root"))
                    };
                    match account {
                        Some(a) => text("aws:PrincipalAccount").as_deref() == Some(a),
                        None => text("aws:PrincipalArn").as_deref() == Some(v.as_str()),
                    }
                }
                "Service" => text("aws:PrincipalServiceName").as_deref() == Some(v.as_str()),
                "Federated" => text("aws:FederatedProvider").as_deref() == Some(v.as_str()),
                _ => false,
            }
        })
    })
}

/// AWS's AccessDenied message for a denied request, or `None` when allowed:
/// `User: {caller} is not authorized to perform: {action} on resource:
/// {resource} because no identity-based policy allows the {action} action`
/// (implicit) or `… with an explicit deny in an identity-based policy`.
/// `resource` is the text AWS prints (for IAM users, `user {UserName}`).
pub fn access_denied_message(
    caller_arn: &str,
    action: &str,
    resource: &str,
    decision: Decision,
) -> Option<String> {
    let head = format!(
        "User: {caller_arn} is not authorized to perform: {action} on resource: {resource}"
    );
    match decision {
        Decision::Allowed => None,
        Decision::ImplicitDeny => Some(format!(
            "{head} because no identity-based policy allows the {action} action"
        )),
        Decision::ExplicitDeny => Some(format!(
            "{head} with an explicit deny in an identity-based policy"
        )),
    }
}
