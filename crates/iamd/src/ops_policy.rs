//! The policy operations: decode, run, encode (see `ops` for the shape of each entry).

use iamd_core::model::{ManagedPolicy, PolicyVersion};
use iamd_core::pagination;
use iamd_core::policy::{
    ContextEntry, CreatePolicyInput, ListPoliciesInput, PolicyScope, SimulateInput,
};
use iamd_core::validate::Violations;
use iamd_core::{Iam, IamError, RequestContext};
use iamd_protocol::xml::{self, XmlWriter};
use iamd_protocol::{Operation, Params};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// RFC 3986: everything but the unreserved characters is escaped (spaces as `%20`), which
/// is how IAM returns policy documents and what botocore decodes.
const DOCUMENT_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(crate) fn encode_document(document: &str) -> String {
    utf8_percent_encode(document, DOCUMENT_ESCAPES).to_string()
}

fn user_name<'a>(v: &mut Violations, p: &'a Params) -> &'a str {
    v.required("userName", p.get("UserName"))
        .inspect(|s| v.user_name("userName", s, 128))
        .unwrap_or_default()
}

fn policy_name<'a>(v: &mut Violations, p: &'a Params) -> &'a str {
    v.required("policyName", p.get("PolicyName"))
        .inspect(|s| v.policy_name("policyName", s))
        .unwrap_or_default()
}

fn document<'a>(v: &mut Violations, p: &'a Params) -> &'a str {
    v.required("policyDocument", p.get("PolicyDocument"))
        .inspect(|s| v.policy_document("policyDocument", s))
        .unwrap_or_default()
}

fn policy_arn<'a>(v: &mut Violations, p: &'a Params) -> &'a str {
    v.required("policyArn", p.get("PolicyArn"))
        .inspect(|s| v.arn("policyArn", s))
        .unwrap_or_default()
}

fn version_id<'a>(v: &mut Violations, p: &'a Params) -> &'a str {
    v.required("versionId", p.get("VersionId"))
        .inspect(|s| v.policy_version_id("versionId", s))
        .unwrap_or_default()
}

fn string_list(p: &Params, name: &str) -> Vec<String> {
    p.members(name)
        .into_iter()
        .filter(|(_, field, _)| field.is_empty())
        .map(|(_, _, value)| value.to_owned())
        .collect()
}

/// A policy with its description (Create/GetPolicy; listings omit the description).
fn write_policy(w: &mut XmlWriter, element: &str, policy: &ManagedPolicy) {
    w.start(element);
    write_policy_fields(w, policy);
    w.opt_text("Description", policy.description.as_deref());
    w.end(element);
}

fn write_version_fields(w: &mut XmlWriter, version: &PolicyVersion, with_document: bool) {
    if with_document {
        w.text("Document", &encode_document(&version.document));
    }
    w.text("VersionId", &version.version_id);
    w.bool("IsDefaultVersion", version.is_default);
    w.timestamp("CreateDate", version.create_date);
}

pub(crate) fn page_end(w: &mut XmlWriter, marker: Option<&str>) {
    w.bool("IsTruncated", marker.is_some());
    w.opt_text("Marker", marker);
}

pub async fn dispatch(
    iam: &Iam,
    ctx: &RequestContext,
    op: Operation,
    p: &Params,
) -> Result<Option<String>, IamError> {
    let ns = op.service().namespace();
    let name = op.name();
    let rid = ctx.request_id.as_str();
    let mut v = Violations::new();
    let body = match op {
        Operation::PutUserPolicy => {
            let (user, policy, doc) = (
                user_name(&mut v, p),
                policy_name(&mut v, p),
                document(&mut v, p),
            );
            v.finish()?;
            iam.put_user_policy(ctx, user, policy, doc).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::GetUserPolicy => {
            let (user, policy) = (user_name(&mut v, p), policy_name(&mut v, p));
            v.finish()?;
            let (stored_user, doc) = iam.get_user_policy(ctx, user, policy).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.text("UserName", &stored_user);
                    w.text("PolicyName", policy);
                    w.text("PolicyDocument", &encode_document(&doc));
                }),
            )
        }
        Operation::ListUserPolicies => {
            let user = user_name(&mut v, p);
            let marker = p.get("Marker").inspect(|s| v.marker("marker", s));
            let max_items = pagination::max_items(&mut v, p.get("MaxItems"));
            v.finish()?;
            let page = iam.list_user_policies(ctx, user, marker, max_items).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.string_list("PolicyNames", &page.items);
                    page_end(w, page.marker.as_deref());
                }),
            )
        }
        Operation::DeleteUserPolicy => {
            let (user, policy) = (user_name(&mut v, p), policy_name(&mut v, p));
            v.finish()?;
            iam.delete_user_policy(ctx, user, policy).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::CreatePolicy => {
            let (policy, doc) = (policy_name(&mut v, p), document(&mut v, p));
            let path = p.get("Path").inspect(|s| v.policy_path("path", s));
            let description = p
                .get("Description")
                .inspect(|s| v.length("description", s, 0, 1000));
            v.finish()?;
            let input = CreatePolicyInput {
                policy_name: policy.to_owned(),
                path: path.map(str::to_owned),
                document: doc.to_owned(),
                description: description.map(str::to_owned),
            };
            let created = iam.create_policy(ctx, input).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| write_policy(w, "Policy", &created)),
            )
        }
        Operation::GetPolicy => {
            let arn = policy_arn(&mut v, p);
            v.finish()?;
            let policy = iam.get_policy(ctx, arn).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| write_policy(w, "Policy", &policy)),
            )
        }
        Operation::ListPolicies => {
            let scope = match p.get("Scope") {
                None | Some("All") => PolicyScope::All,
                Some("AWS") => PolicyScope::Aws,
                Some("Local") => PolicyScope::Local,
                Some(_) => {
                    v.enum_value("scope", false);
                    PolicyScope::All
                }
            };
            let only_attached = p
                .get("OnlyAttached")
                .and_then(|s| v.boolean("onlyAttached", s))
                .unwrap_or(false);
            let path_prefix = p
                .get("PathPrefix")
                .inspect(|s| v.policy_path("pathPrefix", s));
            let marker = p.get("Marker").inspect(|s| v.marker("marker", s));
            let max_items = pagination::max_items(&mut v, p.get("MaxItems"));
            v.finish()?;
            let input = ListPoliciesInput {
                scope,
                only_attached,
                path_prefix: path_prefix.map(str::to_owned),
                marker: marker.map(str::to_owned),
                max_items,
            };
            let page = iam.list_policies(ctx, input).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.list("Policies", &page.items, write_policy_fields);
                    page_end(w, page.marker.as_deref());
                }),
            )
        }
        Operation::DeletePolicy => {
            let arn = policy_arn(&mut v, p);
            v.finish()?;
            iam.delete_policy(ctx, arn).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::CreatePolicyVersion => {
            let (arn, doc) = (policy_arn(&mut v, p), document(&mut v, p));
            let set_default = p
                .get("SetAsDefault")
                .and_then(|s| v.boolean("setAsDefault", s))
                .unwrap_or(false);
            v.finish()?;
            let version = iam
                .create_policy_version(ctx, arn, doc, set_default)
                .await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.start("PolicyVersion");
                    write_version_fields(w, &version, false);
                    w.end("PolicyVersion");
                }),
            )
        }
        Operation::GetPolicyVersion => {
            let (arn, version) = (policy_arn(&mut v, p), version_id(&mut v, p));
            v.finish()?;
            let version = iam.get_policy_version(ctx, arn, version).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.start("PolicyVersion");
                    write_version_fields(w, &version, true);
                    w.end("PolicyVersion");
                }),
            )
        }
        Operation::ListPolicyVersions => {
            let arn = policy_arn(&mut v, p);
            p.get("Marker").inspect(|s| v.marker("marker", s));
            pagination::max_items(&mut v, p.get("MaxItems"));
            v.finish()?;
            // At most 5 versions exist, so one page always holds them all.
            let versions = iam.list_policy_versions(ctx, arn).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.list("Versions", &versions, |w, version| {
                        write_version_fields(w, version, false)
                    });
                    page_end(w, None);
                }),
            )
        }
        Operation::SetDefaultPolicyVersion => {
            let (arn, version) = (policy_arn(&mut v, p), version_id(&mut v, p));
            v.finish()?;
            iam.set_default_policy_version(ctx, arn, version).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::DeletePolicyVersion => {
            let (arn, version) = (policy_arn(&mut v, p), version_id(&mut v, p));
            v.finish()?;
            iam.delete_policy_version(ctx, arn, version).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::AttachUserPolicy | Operation::DetachUserPolicy => {
            let (user, arn) = (user_name(&mut v, p), policy_arn(&mut v, p));
            v.finish()?;
            if op == Operation::AttachUserPolicy {
                iam.attach_user_policy(ctx, user, arn).await?;
            } else {
                iam.detach_user_policy(ctx, user, arn).await?;
            }
            xml::success(name, ns, rid, None)
        }
        Operation::ListAttachedUserPolicies => {
            let user = user_name(&mut v, p);
            let path_prefix = p
                .get("PathPrefix")
                .inspect(|s| v.policy_path("pathPrefix", s));
            let marker = p.get("Marker").inspect(|s| v.marker("marker", s));
            let max_items = pagination::max_items(&mut v, p.get("MaxItems"));
            v.finish()?;
            let page = iam
                .list_attached_user_policies(ctx, user, path_prefix, marker, max_items)
                .await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.list("AttachedPolicies", &page.items, |w, policy| {
                        w.text("PolicyName", &policy.policy_name);
                        w.text("PolicyArn", &policy.arn());
                    });
                    page_end(w, page.marker.as_deref());
                }),
            )
        }
        Operation::SimulatePrincipalPolicy | Operation::SimulateCustomPolicy => {
            let source = if op == Operation::SimulatePrincipalPolicy {
                v.required("policySourceArn", p.get("PolicySourceArn"))
                    .inspect(|s| v.arn("policySourceArn", s))
            } else {
                None
            };
            let extra = string_list(p, "PolicyInputList");
            if op == Operation::SimulateCustomPolicy && extra.is_empty() {
                v.required("policyInputList", None);
            }
            for (i, doc) in extra.iter().enumerate() {
                v.policy_document(&format!("policyInputList.{}.member", i + 1), doc);
            }
            let actions = string_list(p, "ActionNames");
            if actions.is_empty() {
                v.required("actionNames", None);
            }
            for (i, a) in actions.iter().enumerate() {
                v.length(&format!("actionNames.{}.member", i + 1), a, 3, 128);
            }
            let resources = string_list(p, "ResourceArns");
            let context = context_entries(&mut v, p);
            let marker = p.get("Marker").inspect(|s| v.marker("marker", s));
            let max_items = pagination::max_items(&mut v, p.get("MaxItems"));
            v.finish()?;
            let input = SimulateInput {
                policy_source_arn: source.map(str::to_owned),
                extra_policies: extra,
                actions,
                resources,
                context,
                marker: marker.map(str::to_owned),
                max_items,
            };
            let page = iam.simulate(ctx, input).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.list("EvaluationResults", &page.items, |w, r| {
                        w.text("EvalActionName", &r.action);
                        w.text("EvalResourceName", &r.resource);
                        w.text("EvalDecision", r.decision.as_str());
                        w.list("MatchedStatements", &r.matched, |w, (id, kind)| {
                            w.text("SourcePolicyId", id);
                            w.text("SourcePolicyType", kind);
                        });
                        w.empty("MissingContextValues");
                    });
                    page_end(w, page.marker.as_deref());
                }),
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(body))
}

pub(crate) fn write_policy_name_and_arn(w: &mut XmlWriter, policy: &ManagedPolicy) {
    w.text("PolicyName", &policy.policy_name);
    w.text("PolicyArn", &policy.arn());
}

fn write_policy_fields(w: &mut XmlWriter, policy: &ManagedPolicy) {
    w.text("PolicyName", &policy.policy_name);
    w.text("PolicyId", &policy.policy_id);
    w.text("Arn", &policy.arn());
    w.text("Path", &policy.path);
    w.text("DefaultVersionId", &policy.default_version_id);
    w.text("AttachmentCount", &policy.attachment_count.to_string());
    w.text("PermissionsBoundaryUsageCount", "0");
    w.bool("IsAttachable", true);
    w.timestamp("CreateDate", policy.create_date);
    w.timestamp("UpdateDate", policy.update_date);
}

/// `ContextEntries.member.N.ContextKeyName` / `.ContextKeyType` / `.ContextKeyValues.member.M`.
fn context_entries(v: &mut Violations, p: &Params) -> Vec<ContextEntry> {
    let mut entries: std::collections::BTreeMap<usize, ContextEntry> =
        std::collections::BTreeMap::new();
    for (index, field, value) in p.members("ContextEntries") {
        let entry = entries.entry(index).or_default();
        match field {
            "ContextKeyName" => entry.key = value.to_owned(),
            "ContextKeyType" => entry.kind = value.to_owned(),
            f if f.starts_with("ContextKeyValues.member.") => entry.values.push(value.to_owned()),
            _ => {}
        }
    }
    const KINDS: [&str; 12] = [
        "string",
        "stringList",
        "numeric",
        "numericList",
        "boolean",
        "booleanList",
        "ip",
        "ipList",
        "binary",
        "binaryList",
        "date",
        "dateList",
    ];
    for (i, e) in entries.values().enumerate() {
        v.length(
            &format!("contextEntries.{}.member.contextKeyName", i + 1),
            &e.key,
            5,
            256,
        );
        v.enum_value(
            &format!("contextEntries.{}.member.contextKeyType", i + 1),
            KINDS.contains(&e.kind.as_str()),
        );
    }
    entries.into_values().collect()
}
