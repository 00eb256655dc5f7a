//! The role operations and STS AssumeRole: decode, run, encode (see `ops`).

use iamd_core::model::{Role, Tag};
use iamd_core::pagination;
use iamd_core::role::{CreateRoleInput, MAX_SESSION_DURATION, MIN_SESSION_DURATION};
use iamd_core::sts::AssumeRoleInput;
use iamd_core::validate::Violations;
use iamd_core::{Iam, IamError, RequestContext};
use iamd_protocol::xml::{self, XmlWriter};
use iamd_protocol::{Operation, Params};

use crate::ops::{encode_document, tags};
use crate::ops_policy::{page_end, write_policy_name_and_arn};

fn role_name<'a>(v: &mut Violations, p: &'a Params) -> &'a str {
    v.required("roleName", p.get("RoleName"))
        .inspect(|s| v.user_name("roleName", s, 64))
        .unwrap_or_default()
}

fn policy_name<'a>(v: &mut Violations, p: &'a Params) -> &'a str {
    v.required("policyName", p.get("PolicyName"))
        .inspect(|s| v.policy_name("policyName", s))
        .unwrap_or_default()
}

fn write_role(w: &mut XmlWriter, element: &str, role: &Role, with_tags: bool) {
    w.start(element);
    w.text("Path", &role.path);
    w.text("RoleName", &role.role_name);
    w.text("RoleId", &role.role_id);
    w.text("Arn", &role.arn());
    w.timestamp("CreateDate", role.create_date);
    w.text(
        "AssumeRolePolicyDocument",
        &encode_document(&role.assume_role_policy_document),
    );
    w.opt_text("Description", role.description.as_deref());
    w.text("MaxSessionDuration", &role.max_session_duration.to_string());
    if with_tags && !role.tags.is_empty() {
        w.list("Tags", &role.tags, |w, t: &Tag| {
            w.text("Key", &t.key);
            w.text("Value", &t.value);
        });
    }
    w.end(element);
}

fn max_session_duration(v: &mut Violations, p: &Params) -> Option<u32> {
    p.get("MaxSessionDuration")
        .and_then(|s| {
            v.int_range(
                "maxSessionDuration",
                s,
                MIN_SESSION_DURATION.into(),
                MAX_SESSION_DURATION.into(),
            )
        })
        .map(|n| n as u32)
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
        Operation::CreateRole => {
            let role = role_name(&mut v, p);
            let path = p.get("Path").inspect(|s| v.path("path", s));
            let document = v
                .required(
                    "assumeRolePolicyDocument",
                    p.get("AssumeRolePolicyDocument"),
                )
                .inspect(|s| v.policy_document("assumeRolePolicyDocument", s))
                .unwrap_or_default();
            let description = p
                .get("Description")
                .inspect(|s| v.length("description", s, 0, 1000));
            let max = max_session_duration(&mut v, p);
            let tags = tags(&mut v, p);
            v.finish()?;
            let input = CreateRoleInput {
                role_name: role.to_owned(),
                path: path.map(str::to_owned),
                assume_role_policy_document: document.to_owned(),
                description: description.map(str::to_owned),
                max_session_duration: max,
                tags,
            };
            let created = iam.create_role(ctx, input).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| write_role(w, "Role", &created, true)),
            )
        }
        Operation::GetRole => {
            let role = role_name(&mut v, p);
            v.finish()?;
            let role = iam.get_role(ctx, role).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| write_role(w, "Role", &role, true)),
            )
        }
        Operation::ListRoles => {
            let prefix = p
                .get("PathPrefix")
                .inspect(|s| v.path_prefix("pathPrefix", s));
            let marker = p.get("Marker").inspect(|s| v.marker("marker", s));
            let max_items = pagination::max_items(&mut v, p.get("MaxItems"));
            v.finish()?;
            let page = iam.list_roles(ctx, prefix, marker, max_items).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.list("Roles", &page.items, |w, r| {
                        // Listings omit tags, like ListUsers.
                        w.text("Path", &r.path);
                        w.text("RoleName", &r.role_name);
                        w.text("RoleId", &r.role_id);
                        w.text("Arn", &r.arn());
                        w.timestamp("CreateDate", r.create_date);
                        w.text(
                            "AssumeRolePolicyDocument",
                            &encode_document(&r.assume_role_policy_document),
                        );
                        w.opt_text("Description", r.description.as_deref());
                        w.text("MaxSessionDuration", &r.max_session_duration.to_string());
                    });
                    page_end(w, page.marker.as_deref());
                }),
            )
        }
        Operation::UpdateRole => {
            let role = role_name(&mut v, p);
            let description = p
                .get("Description")
                .inspect(|s| v.length("description", s, 0, 1000));
            let max = max_session_duration(&mut v, p);
            v.finish()?;
            iam.update_role(ctx, role, description, max).await?;
            xml::success(name, ns, rid, Some(&|_: &mut XmlWriter| {}))
        }
        Operation::UpdateAssumeRolePolicy => {
            let role = role_name(&mut v, p);
            let document = v
                .required("policyDocument", p.get("PolicyDocument"))
                .inspect(|s| v.policy_document("policyDocument", s))
                .unwrap_or_default();
            v.finish()?;
            iam.update_assume_role_policy(ctx, role, document).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::DeleteRole => {
            let role = role_name(&mut v, p);
            v.finish()?;
            iam.delete_role(ctx, role).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::PutRolePolicy => {
            let (role, policy) = (role_name(&mut v, p), policy_name(&mut v, p));
            let document = v
                .required("policyDocument", p.get("PolicyDocument"))
                .inspect(|s| v.policy_document("policyDocument", s))
                .unwrap_or_default();
            v.finish()?;
            iam.put_role_policy(ctx, role, policy, document).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::GetRolePolicy => {
            let (role, policy) = (role_name(&mut v, p), policy_name(&mut v, p));
            v.finish()?;
            let (stored_role, document) = iam.get_role_policy(ctx, role, policy).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.text("RoleName", &stored_role);
                    w.text("PolicyName", policy);
                    w.text("PolicyDocument", &encode_document(&document));
                }),
            )
        }
        Operation::ListRolePolicies => {
            let role = role_name(&mut v, p);
            let marker = p.get("Marker").inspect(|s| v.marker("marker", s));
            let max_items = pagination::max_items(&mut v, p.get("MaxItems"));
            v.finish()?;
            let page = iam.list_role_policies(ctx, role, marker, max_items).await?;
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
        Operation::DeleteRolePolicy => {
            let (role, policy) = (role_name(&mut v, p), policy_name(&mut v, p));
            v.finish()?;
            iam.delete_role_policy(ctx, role, policy).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::AttachRolePolicy | Operation::DetachRolePolicy => {
            let role = role_name(&mut v, p);
            let arn = v
                .required("policyArn", p.get("PolicyArn"))
                .inspect(|s| v.arn("policyArn", s))
                .unwrap_or_default();
            v.finish()?;
            if op == Operation::AttachRolePolicy {
                iam.attach_role_policy(ctx, role, arn).await?;
            } else {
                iam.detach_role_policy(ctx, role, arn).await?;
            }
            xml::success(name, ns, rid, None)
        }
        Operation::ListAttachedRolePolicies => {
            let role = role_name(&mut v, p);
            let prefix = p
                .get("PathPrefix")
                .inspect(|s| v.policy_path("pathPrefix", s));
            let marker = p.get("Marker").inspect(|s| v.marker("marker", s));
            let max_items = pagination::max_items(&mut v, p.get("MaxItems"));
            v.finish()?;
            let page = iam
                .list_attached_role_policies(ctx, role, prefix, marker, max_items)
                .await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.list("AttachedPolicies", &page.items, write_policy_name_and_arn);
                    page_end(w, page.marker.as_deref());
                }),
            )
        }
        Operation::AssumeRole => {
            let input = assume_role_input(&mut v, p);
            v.finish()?;
            let out = iam.assume_role(ctx, input).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.start("Credentials");
                    w.text("AccessKeyId", &out.credentials.access_key_id);
                    w.text(
                        "SecretAccessKey",
                        out.credentials.secret_access_key.expose(),
                    );
                    w.text("SessionToken", &out.credentials.session_token);
                    w.timestamp("Expiration", out.credentials.expiration);
                    w.end("Credentials");
                    w.start("AssumedRoleUser");
                    w.text("AssumedRoleId", &out.assumed_role_id);
                    w.text("Arn", &out.arn);
                    w.end("AssumedRoleUser");
                }),
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(body))
}

fn assume_role_input(v: &mut Violations, p: &Params) -> AssumeRoleInput {
    let role_arn = v
        .required("roleArn", p.get("RoleArn"))
        .inspect(|s| v.arn("roleArn", s));
    let session = v
        .required("roleSessionName", p.get("RoleSessionName"))
        .inspect(|s| v.role_session_name("roleSessionName", s));
    let duration = p
        .get("DurationSeconds")
        .and_then(|s| v.int_range("durationSeconds", s, 900, 43_200));
    let policy = p.get("Policy").inspect(|s| {
        v.length("policy", s, 1, 2048);
    });
    let policy_arns: Vec<String> = p
        .members("PolicyArns")
        .into_iter()
        .filter(|(_, field, _)| *field == "arn")
        .map(|(_, _, arn)| arn.to_owned())
        .collect();
    v.list_length("policyArns", policy_arns.len(), 10);
    for (i, arn) in policy_arns.iter().enumerate() {
        v.arn(&format!("policyArns.{}.member.arn", i + 1), arn);
    }
    let external_id = p
        .get("ExternalId")
        .inspect(|s| v.external_id("externalId", s));
    let serial = p
        .get("SerialNumber")
        .inspect(|s| v.mfa_serial("serialNumber", s));
    let code = p.get("TokenCode").inspect(|s| v.mfa_code("tokenCode", s));
    AssumeRoleInput {
        role_arn: role_arn.unwrap_or_default().to_owned(),
        role_session_name: session.unwrap_or_default().to_owned(),
        duration_seconds: duration,
        policy: policy.map(str::to_owned),
        policy_arns,
        external_id: external_id.map(str::to_owned),
        mfa: match (serial, code) {
            (None, None) => None,
            (s, c) => Some((
                s.unwrap_or_default().to_owned(),
                c.unwrap_or_default().to_owned(),
            )),
        },
    }
}
