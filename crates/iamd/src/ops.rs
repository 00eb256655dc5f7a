//! One entry per operation: decode the typed input from the Query parameters (with the
//! model's constraints), run the domain operation, encode the output as XML.

use iamd_core::access_key::ListAccessKeysInput;
use iamd_core::model::{AccessKey, KeyStatus, Tag, User};
use iamd_core::pagination;
use iamd_core::sts::{GetSessionTokenInput, SESSION_MAX_SECONDS, SESSION_MIN_SECONDS};
use iamd_core::user::{CreateUserInput, GetUserOutput, ListUsersInput, UpdateUserInput};
use iamd_core::validate::Violations;
use iamd_core::{ErrorCode, Iam, IamError, RequestContext};
use iamd_protocol::xml::{self, XmlWriter};
use iamd_protocol::{Operation, Params};

pub(crate) use crate::ops_policy::encode_document;

/// The longest name a lookup accepts (`existingUserNameType`); new names allow 64.
const EXISTING_NAME_MAX: usize = 128;
const NEW_NAME_MAX: usize = 64;
const MAX_TAGS: usize = 50;

/// Runs `op` and returns the XML body of its success response.
pub async fn dispatch(
    iam: &Iam,
    ctx: &RequestContext,
    op: Operation,
    p: &Params,
) -> Result<String, IamError> {
    let ns = op.service().namespace();
    let name = op.name();
    let rid = ctx.request_id.as_str();
    let body = match op {
        Operation::CreateUser => {
            let input = create_user_input(p)?;
            let user = iam.create_user(ctx, input).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| write_user(w, "User", &user, true)),
            )
        }
        Operation::GetUser => {
            let mut v = Violations::new();
            let user_name = optional_existing_name(&mut v, p);
            v.finish()?;
            match iam.get_user(ctx, user_name).await? {
                GetUserOutput::User(user) => xml::success(
                    name,
                    ns,
                    rid,
                    Some(&|w: &mut XmlWriter| write_user(w, "User", &user, true)),
                ),
                GetUserOutput::Root {
                    account_id,
                    arn,
                    create_date,
                } => xml::success(
                    name,
                    ns,
                    rid,
                    Some(&|w: &mut XmlWriter| {
                        w.start("User");
                        w.text("UserId", &account_id);
                        w.text("Arn", &arn);
                        w.timestamp("CreateDate", create_date);
                        w.end("User");
                    }),
                ),
            }
        }
        Operation::ListUsers => {
            let mut v = Violations::new();
            let path_prefix = p
                .get("PathPrefix")
                .inspect(|s| v.path_prefix("pathPrefix", s));
            let marker = p.get("Marker").inspect(|s| v.marker("marker", s));
            let max_items = pagination::max_items(&mut v, p.get("MaxItems"));
            v.finish()?;
            let input = ListUsersInput {
                path_prefix: path_prefix.map(str::to_owned),
                marker: marker.map(str::to_owned),
                max_items,
            };
            let out = iam.list_users(ctx, input).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.list("Users", &out.users, write_user_fields);
                    write_page_end(w, out.marker.as_deref());
                }),
            )
        }
        Operation::UpdateUser => {
            let mut v = Violations::new();
            let user_name = required_existing_name(&mut v, p);
            let new_user_name = p
                .get("NewUserName")
                .inspect(|s| v.user_name("newUserName", s, NEW_NAME_MAX));
            let new_path = p.get("NewPath").inspect(|s| v.path("newPath", s));
            v.finish()?;
            let input = UpdateUserInput {
                user_name: user_name.unwrap_or_default().to_owned(),
                new_user_name: new_user_name.map(str::to_owned),
                new_path: new_path.map(str::to_owned),
            };
            iam.update_user(ctx, input).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::DeleteUser => {
            let mut v = Violations::new();
            let user_name = required_existing_name(&mut v, p);
            v.finish()?;
            iam.delete_user(ctx, user_name.unwrap_or_default()).await?;
            xml::success(name, ns, rid, None)
        }
        Operation::CreateAccessKey => {
            let mut v = Violations::new();
            let user_name = optional_existing_name(&mut v, p);
            v.finish()?;
            let created = iam.create_access_key(ctx, user_name).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.start("AccessKey");
                    w.opt_text("UserName", created.key.user_name.as_deref());
                    w.text("AccessKeyId", &created.key.access_key_id);
                    w.text("Status", created.key.status.as_str());
                    w.text("SecretAccessKey", created.secret.expose());
                    w.timestamp("CreateDate", created.key.create_date);
                    w.end("AccessKey");
                }),
            )
        }
        Operation::ListAccessKeys => {
            let mut v = Violations::new();
            let user_name = optional_existing_name(&mut v, p);
            let marker = p.get("Marker").inspect(|s| v.marker("marker", s));
            let max_items = pagination::max_items(&mut v, p.get("MaxItems"));
            v.finish()?;
            let input = ListAccessKeysInput {
                user_name: user_name.map(str::to_owned),
                marker: marker.map(str::to_owned),
                max_items,
            };
            let out = iam.list_access_keys(ctx, input).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.list("AccessKeyMetadata", &out.keys, write_key_metadata);
                    write_page_end(w, out.marker.as_deref());
                }),
            )
        }
        Operation::UpdateAccessKey => {
            let mut v = Violations::new();
            let user_name = optional_existing_name(&mut v, p);
            let key_id = required_key_id(&mut v, p);
            let status = v.required("status", p.get("Status"));
            let parsed = status.and_then(KeyStatus::parse);
            if status.is_some() && parsed.is_none() {
                v.enum_value("status", status == Some("Expired"));
            }
            v.finish()?;
            let Some(status) = parsed else {
                // `Expired` is in the model's enum, but no caller can set it.
                return Err(IamError::new(
                    ErrorCode::InvalidInput,
                    "Access key status can only be set to Active or Inactive.",
                ));
            };
            iam.update_access_key(ctx, user_name, key_id.unwrap_or_default(), status)
                .await?;
            xml::success(name, ns, rid, None)
        }
        Operation::DeleteAccessKey => {
            let mut v = Violations::new();
            let user_name = optional_existing_name(&mut v, p);
            let key_id = required_key_id(&mut v, p);
            v.finish()?;
            iam.delete_access_key(ctx, user_name, key_id.unwrap_or_default())
                .await?;
            xml::success(name, ns, rid, None)
        }
        Operation::GetAccessKeyLastUsed => {
            let mut v = Violations::new();
            let key_id = required_key_id(&mut v, p);
            v.finish()?;
            let out = iam
                .get_access_key_last_used(ctx, key_id.unwrap_or_default())
                .await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.opt_text("UserName", out.user_name.as_deref());
                    w.start("AccessKeyLastUsed");
                    match &out.last_used {
                        Some(u) => {
                            w.timestamp("LastUsedDate", u.when);
                            w.text("ServiceName", &u.service);
                            w.text("Region", &u.region);
                        }
                        None => {
                            w.text("ServiceName", "N/A");
                            w.text("Region", "N/A");
                        }
                    }
                    w.end("AccessKeyLastUsed");
                }),
            )
        }
        Operation::GetCallerIdentity => {
            let principal = &ctx.principal;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.text("UserId", &principal.unique_id());
                    w.text("Account", principal.account_id());
                    w.text("Arn", &principal.arn());
                }),
            )
        }
        Operation::PutUserPolicy
        | Operation::GetUserPolicy
        | Operation::ListUserPolicies
        | Operation::DeleteUserPolicy
        | Operation::CreatePolicy
        | Operation::GetPolicy
        | Operation::ListPolicies
        | Operation::DeletePolicy
        | Operation::CreatePolicyVersion
        | Operation::GetPolicyVersion
        | Operation::ListPolicyVersions
        | Operation::SetDefaultPolicyVersion
        | Operation::DeletePolicyVersion
        | Operation::AttachUserPolicy
        | Operation::DetachUserPolicy
        | Operation::ListAttachedUserPolicies
        | Operation::SimulatePrincipalPolicy
        | Operation::SimulateCustomPolicy => crate::ops_policy::dispatch(iam, ctx, op, p)
            .await?
            .ok_or_else(|| IamError::service_failure(&"policy operation not dispatched"))?,
        Operation::CreateRole
        | Operation::GetRole
        | Operation::ListRoles
        | Operation::UpdateRole
        | Operation::UpdateAssumeRolePolicy
        | Operation::DeleteRole
        | Operation::PutRolePolicy
        | Operation::GetRolePolicy
        | Operation::ListRolePolicies
        | Operation::DeleteRolePolicy
        | Operation::AttachRolePolicy
        | Operation::DetachRolePolicy
        | Operation::ListAttachedRolePolicies
        | Operation::AssumeRole => crate::ops_role::dispatch(iam, ctx, op, p)
            .await?
            .ok_or_else(|| IamError::service_failure(&"role operation not dispatched"))?,
        Operation::GetSessionToken => {
            let input = get_session_token_input(p)?;
            let creds = iam.get_session_token(ctx, input).await?;
            xml::success(
                name,
                ns,
                rid,
                Some(&|w: &mut XmlWriter| {
                    w.start("Credentials");
                    w.text("AccessKeyId", &creds.access_key_id);
                    w.text("SecretAccessKey", creds.secret_access_key.expose());
                    w.text("SessionToken", &creds.session_token);
                    w.timestamp("Expiration", creds.expiration);
                    w.end("Credentials");
                }),
            )
        }
    };
    Ok(body)
}

fn get_session_token_input(p: &Params) -> Result<GetSessionTokenInput, IamError> {
    let mut v = Violations::new();
    let duration = p.get("DurationSeconds").and_then(|s| {
        v.int_range(
            "durationSeconds",
            s,
            SESSION_MIN_SECONDS,
            SESSION_MAX_SECONDS,
        )
    });
    let serial = p
        .get("SerialNumber")
        .inspect(|s| v.mfa_serial("serialNumber", s));
    let code = p.get("TokenCode").inspect(|s| v.mfa_code("tokenCode", s));
    v.finish()?;
    Ok(GetSessionTokenInput {
        duration_seconds: duration,
        mfa: match (serial, code) {
            (None, None) => None,
            (s, c) => Some((
                s.unwrap_or_default().to_owned(),
                c.unwrap_or_default().to_owned(),
            )),
        },
    })
}

fn optional_existing_name<'a>(v: &mut Violations, p: &'a Params) -> Option<&'a str> {
    p.get("UserName")
        .inspect(|s| v.user_name("userName", s, EXISTING_NAME_MAX))
}

fn required_existing_name<'a>(v: &mut Violations, p: &'a Params) -> Option<&'a str> {
    v.required("userName", p.get("UserName"))
        .inspect(|s| v.user_name("userName", s, EXISTING_NAME_MAX))
}

fn required_key_id<'a>(v: &mut Violations, p: &'a Params) -> Option<&'a str> {
    v.required("accessKeyId", p.get("AccessKeyId"))
        .inspect(|s| v.access_key_id("accessKeyId", s))
}

fn create_user_input(p: &Params) -> Result<CreateUserInput, IamError> {
    let mut v = Violations::new();
    let user_name = v
        .required("userName", p.get("UserName"))
        .inspect(|s| v.user_name("userName", s, NEW_NAME_MAX));
    let path = p.get("Path").inspect(|s| v.path("path", s));
    let boundary = p
        .get("PermissionsBoundary")
        .inspect(|s| v.length("permissionsBoundary", s, 20, 2048));
    let tags = tags(&mut v, p);
    v.finish()?;
    let mut seen = std::collections::HashSet::new();
    if !tags.iter().all(|t| seen.insert(t.key.to_lowercase())) {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ));
    }
    Ok(CreateUserInput {
        user_name: user_name.unwrap_or_default().to_owned(),
        path: path.map(str::to_owned),
        permissions_boundary: boundary.map(str::to_owned),
        tags,
    })
}

/// `Tags.member.N.Key` / `.Value`, in request order.
pub(crate) fn tags(v: &mut Violations, p: &Params) -> Vec<Tag> {
    let mut tags: Vec<(usize, Option<&str>, Option<&str>)> = Vec::new();
    for (index, field, value) in p.members("Tags") {
        if tags.last().map(|t| t.0) != Some(index) {
            tags.push((index, None, None));
        }
        let Some(last) = tags.last_mut() else {
            continue;
        };
        match field {
            "Key" => last.1 = Some(value),
            "Value" => last.2 = Some(value),
            _ => {}
        }
    }
    v.list_length("tags", tags.len(), MAX_TAGS);
    tags.into_iter()
        .enumerate()
        .map(|(i, (_, key, value))| {
            let n = i + 1;
            let key = v
                .required(&format!("tags.{n}.member.key"), key)
                .inspect(|k| v.tag_key(&format!("tags.{n}.member.key"), k));
            let value = v
                .required(&format!("tags.{n}.member.value"), value)
                .inspect(|val| v.tag_value(&format!("tags.{n}.member.value"), val));
            Tag {
                key: key.unwrap_or_default().to_owned(),
                value: value.unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

fn write_user_fields(w: &mut XmlWriter, u: &User) {
    w.text("Path", &u.path);
    w.text("UserName", &u.user_name);
    w.text("UserId", &u.user_id);
    w.text("Arn", &u.arn());
    w.timestamp("CreateDate", u.create_date);
}

fn write_user(w: &mut XmlWriter, element: &str, u: &User, with_tags: bool) {
    w.start(element);
    write_user_fields(w, u);
    if with_tags && !u.tags.is_empty() {
        w.list("Tags", &u.tags, |w, t| {
            w.text("Key", &t.key);
            w.text("Value", &t.value);
        });
    }
    w.end(element);
}

fn write_key_metadata(w: &mut XmlWriter, k: &AccessKey) {
    w.opt_text("UserName", k.user_name.as_deref());
    w.text("AccessKeyId", &k.access_key_id);
    w.text("Status", k.status.as_str());
    w.timestamp("CreateDate", k.create_date);
}

/// `IsTruncated` always; `Marker` only when truncated.
fn write_page_end(w: &mut XmlWriter, marker: Option<&str>) {
    w.bool("IsTruncated", marker.is_some());
    w.opt_text("Marker", marker);
}
