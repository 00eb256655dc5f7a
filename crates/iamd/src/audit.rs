//! The audit log: one JSON line per request, allowed or refused, in CloudTrail's record
//! shape (`eventVersion`, `eventTime`, `userIdentity`, `requestParameters`,
//! `responseElements`, `errorCode`, …).
//!
//! The request path only moves what it already holds (the decoded parameters, the answer's
//! XML for calls that change something, the caller) into a bounded queue; a dedicated
//! thread turns each into JSON, leaves the secrets out and writes it, to a file rotated by
//! size or to stdout. When the queue is full the record is dropped and counted
//! (`iamd_audit_records_dropped_total`), or, with `AuditFull::Block`, the request waits
//! for room.
//!
//! Secrets are never written: request parameters that carry one (passwords, MFA codes, web
//! identity tokens, SAML assertions) are written as `HIDDEN_DUE_TO_SECURITY_REASONS`, as
//! CloudTrail does for passwords; response elements that carry one (a secret access key,
//! a session token, a virtual MFA seed and its QR code, a service-specific password) are
//! left out. Policy documents are written, as CloudTrail does.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use iamd_core::{Principal, Via};
use iamd_protocol::Params;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tracing::warn;

/// Records waiting to be written at most; beyond them `AuditFull` decides.
pub const QUEUE_CAPACITY: usize = 16_384;
/// A log file is rotated once it holds this many bytes.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// Rotated files kept beside the current one (`PATH.1` newest … `PATH.5` oldest).
pub const DEFAULT_KEPT_FILES: u32 = 5;
/// The smallest size `--audit-log-max-bytes` takes: below it a busy server would rotate
/// several times a second.
pub const MIN_MAX_FILE_BYTES: u64 = 1024 * 1024;
/// The most rotated files `--audit-log-keep` takes.
pub const MAX_KEPT_FILES: u32 = 100;

/// What is written in place of a secret request parameter (CloudTrail's text).
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Where audit records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTarget {
    Stdout,
    /// A file, rotated by size (`max_bytes`), `kept` rotated files kept.
    File {
        path: PathBuf,
        max_bytes: u64,
        kept: u32,
    },
}

/// What a request does when the queue to the writer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuditFull {
    /// The record is dropped and counted; the request never waits (the default).
    #[default]
    Drop,
    /// The request waits until the writer has made room: no record is lost, and requests
    /// slow to the writer's pace.
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    pub target: AuditTarget,
    pub full: AuditFull,
}

impl AuditConfig {
    /// `-` is stdout; anything else a file with the default rotation.
    pub fn new(destination: &str, full: AuditFull) -> AuditConfig {
        let target = if destination == "-" {
            AuditTarget::Stdout
        } else {
            AuditTarget::File {
                path: PathBuf::from(destination),
                max_bytes: DEFAULT_MAX_FILE_BYTES,
                kept: DEFAULT_KEPT_FILES,
            }
        };
        AuditConfig { target, full }
    }

    /// A file target rotated at `max_bytes` (at least `MIN_MAX_FILE_BYTES`) keeping `kept`
    /// rotated files (1 to `MAX_KEPT_FILES`), as `--audit-log-max-bytes` and
    /// `--audit-log-keep` ask; stdout ignores both.
    pub fn with_rotation(mut self, max_bytes: u64, kept: u32) -> Result<AuditConfig, String> {
        if max_bytes < MIN_MAX_FILE_BYTES {
            return Err(format!(
                "--audit-log-max-bytes must be at least {MIN_MAX_FILE_BYTES} (1 MiB)"
            ));
        }
        if !(1..=MAX_KEPT_FILES).contains(&kept) {
            return Err(format!(
                "--audit-log-keep must be from 1 to {MAX_KEPT_FILES}"
            ));
        }
        if let AuditTarget::File {
            max_bytes: m,
            kept: k,
            ..
        } = &mut self.target
        {
            *m = max_bytes;
            *k = kept;
        }
        Ok(self)
    }
}

/// Who made a request, as far as it is known (copied out of the principal on the request
/// path; rendered by the writer).
#[derive(Debug, Default)]
pub(crate) struct Identity {
    /// `Root`, `IAMUser`, `AssumedRole`; `None` before a caller was known.
    kind: Option<&'static str>,
    arn: String,
    account_id: String,
    principal_id: String,
    access_key_id: Option<String>,
    user_name: Option<String>,
    /// For session credentials: whether MFA made them, and the role behind them.
    session: Option<SessionContext>,
}

#[derive(Debug)]
struct SessionContext {
    mfa: bool,
    /// (role id, role ARN, role name) for a role session.
    role: Option<(String, String, String)>,
}

impl Identity {
    /// A request refused before a caller was known: the key id it named, if any.
    pub(crate) fn unknown(access_key_id: Option<&str>) -> Identity {
        Identity {
            access_key_id: access_key_id.map(str::to_owned),
            ..Identity::default()
        }
    }

    pub(crate) fn of(principal: &Principal, via: &Via) -> Identity {
        let access_key_id = match via {
            Via::AccessKey { access_key_id }
            | Via::RoleSession { access_key_id, .. }
            | Via::Session { access_key_id, .. }
            | Via::Federated { access_key_id, .. }
            | Via::Console { access_key_id, .. } => access_key_id.clone(),
        };
        let session = match via {
            Via::AccessKey { .. } => None,
            Via::RoleSession { mfa, .. } | Via::Session { mfa, .. } | Via::Console { mfa, .. } => {
                Some(SessionContext {
                    mfa: mfa.is_some(),
                    role: None,
                })
            }
            // CloudTrail records a federated user's session context without MFA; its
            // `sessionIssuer` (the IAM user) is left out here.
            Via::Federated { .. } => Some(SessionContext {
                mfa: false,
                role: None,
            }),
        };
        let (kind, user_name, session) = match principal {
            Principal::Root { .. } => ("Root", None, session),
            Principal::User(user) => ("IAMUser", Some(user.user_name.clone()), session),
            Principal::FederatedUser(_) => ("FederatedUser", None, session),
            Principal::RoleSession(s) => (
                "AssumedRole",
                None,
                Some(SessionContext {
                    mfa: via.mfa_authenticated_at().is_some(),
                    role: Some((
                        s.role.role_id.clone(),
                        s.role.arn(),
                        s.role.role_name.clone(),
                    )),
                }),
            ),
        };
        Identity {
            kind: Some(kind),
            arn: principal.arn(),
            account_id: principal.account_id().to_owned(),
            principal_id: principal.unique_id(),
            access_key_id: Some(access_key_id),
            user_name,
            session,
        }
    }

    fn to_json(&self) -> Value {
        let Some(kind) = self.kind else {
            let mut m = Map::new();
            m.insert("type".into(), "Unknown".into());
            if let Some(id) = &self.access_key_id {
                m.insert("accessKeyId".into(), id.as_str().into());
            }
            return Value::Object(m);
        };
        let mut m = Map::new();
        m.insert("type".into(), kind.into());
        m.insert("principalId".into(), self.principal_id.as_str().into());
        m.insert("arn".into(), self.arn.as_str().into());
        m.insert("accountId".into(), self.account_id.as_str().into());
        if let Some(id) = &self.access_key_id {
            m.insert("accessKeyId".into(), id.as_str().into());
        }
        if let Some(name) = &self.user_name {
            m.insert("userName".into(), name.as_str().into());
        }
        if let Some(session) = &self.session {
            let mut ctx = Map::new();
            if let Some((role_id, role_arn, role_name)) = &session.role {
                ctx.insert(
                    "sessionIssuer".into(),
                    json!({
                        "type": "Role",
                        "principalId": role_id,
                        "arn": role_arn,
                        "accountId": self.account_id,
                        "userName": role_name,
                    }),
                );
            }
            // iamd's session tokens carry no issue time, so `creationDate` is absent.
            ctx.insert(
                "attributes".into(),
                json!({ "mfaAuthenticated": if session.mfa { "true" } else { "false" } }),
            );
            m.insert("sessionContext".into(), Value::Object(ctx));
        }
        Value::Object(m)
    }
}

/// One request, as the request path hands it over.
pub(crate) struct Event {
    pub time: OffsetDateTime,
    /// `iam` or `sts`.
    pub service: &'static str,
    /// The operation's name; the `Action` asked for when the models lack it.
    pub event_name: String,
    pub region: Option<String>,
    pub source_ip: IpAddr,
    pub user_agent: Option<String>,
    pub identity: Identity,
    pub params: Option<Params>,
    /// The answer's XML, for a call that succeeded and whose answer is recorded.
    pub response: Option<String>,
    pub error: Option<(&'static str, String)>,
    pub request_id: String,
    pub read_only: bool,
    pub recipient_account_id: String,
}

/// Whether CloudTrail marks the operation read-only: IAM's and STS's reads (`Get…`,
/// `List…`, `Simulate…`, `GenerateServiceLastAccessedDetails` aside) and the STS calls
/// that hand out credentials without changing anything stored.
pub(crate) fn read_only(name: &str) -> bool {
    name.starts_with("Get")
        || name.starts_with("List")
        || name.starts_with("Simulate")
        || name.starts_with("AssumeRole")
        || name == "DecodeAuthorizationMessage"
}

/// Whether the answer of a successful call is recorded as `responseElements`: the calls
/// that change something, and STS's (whose credentials' key id and expiry are the trail of
/// who got a session). Reads are `null`, as CloudTrail writes them.
pub(crate) fn records_response(service: &str, name: &str) -> bool {
    service == "sts" || !read_only(name)
}

/// Request parameters whose value is a secret, written as `HIDDEN`.
fn secret_param(name: &str) -> bool {
    let leaf = name.rsplit('.').next().unwrap_or(name);
    leaf.ends_with("Password")
        || leaf.starts_with("AuthenticationCode")
        || matches!(
            leaf,
            "TokenCode"
                | "SAMLAssertion"
                | "WebIdentityToken"
                | "SecretAccessKey"
                | "SessionToken"
                // UploadServerCertificate's key; Create/UpdateSAMLProvider's (refused, and
                // still never written).
                | "PrivateKey"
                | "AddPrivateKey"
        )
}

/// Response elements that hold a secret, left out.
fn secret_element(name: &str) -> bool {
    matches!(
        name,
        "SecretAccessKey" | "SessionToken" | "Base32StringSeed" | "QRCodePNG" | "ServicePassword"
    )
}

fn camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Inserts `value` at the dotted Query-API `path` (`Tags.member.1.Key`), lists becoming
/// arrays (`tags: [{key: …}]`) and names camelCase, as CloudTrail writes them.
fn insert_path(map: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let key = camel(first);
    if rest.is_empty() {
        map.insert(key, value);
        return;
    }
    if matches!(rest[0], "member" | "entry") && rest.len() >= 2 {
        let index: usize = rest[1].parse().unwrap_or(1).max(1);
        let entry = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
        if !entry.is_array() {
            *entry = Value::Array(Vec::new());
        }
        let Value::Array(items) = entry else { return };
        // Index order as sent; a sparse list (1, 3) keeps its items in order.
        let pos = items
            .iter()
            .position(|v| v.get("\u{0}i").and_then(Value::as_u64) == Some(index as u64));
        let pos = pos.unwrap_or_else(|| {
            items.push(json!({ "\u{0}i": index }));
            items.len() - 1
        });
        let Value::Object(item) = &mut items[pos] else {
            return;
        };
        if rest.len() == 2 {
            item.insert("\u{0}v".into(), value);
        } else {
            insert_path(item, &rest[2..], value);
        }
        return;
    }
    let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(inner) = entry {
        insert_path(inner, rest, value);
    }
}

/// Replaces the index markers `insert_path` left with the items themselves.
fn finish(value: &mut Value) {
    match value {
        Value::Object(map) => map.values_mut().for_each(finish),
        Value::Array(items) => {
            items.sort_by_key(|v| v.get("\u{0}i").and_then(Value::as_u64).unwrap_or(0));
            for item in items.iter_mut() {
                if let Value::Object(m) = item {
                    m.remove("\u{0}i");
                    if let Some(v) = m.remove("\u{0}v") {
                        *item = v;
                    }
                }
                finish(item);
            }
        }
        _ => {}
    }
}

fn request_parameters(params: &Params) -> Value {
    let mut map = Map::new();
    for (name, value) in params.iter() {
        if name == "Action" || name == "Version" {
            continue;
        }
        let value = if secret_param(name) { HIDDEN } else { value };
        let path: Vec<&str> = name.split('.').collect();
        insert_path(&mut map, &path, Value::String(value.to_owned()));
    }
    if map.is_empty() {
        return Value::Null;
    }
    let mut value = Value::Object(map);
    finish(&mut value);
    value
}

/// An element being read: (name, children, text).
type Open = (String, Vec<(String, Value)>, String);

/// The `…Result` element of a Query API answer as JSON: elements with children become
/// objects, `member` lists arrays, text strings; secret elements are left out.
fn response_elements(xml: &str) -> Value {
    use quick_xml::events::Event as X;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Open> = Vec::new();
    let mut result: Option<Value> = None;
    // Depth inside a secret element being skipped.
    let mut skipping = 0usize;
    loop {
        match reader.read_event() {
            Ok(X::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if skipping > 0 || secret_element(&name) {
                    skipping += 1;
                    continue;
                }
                stack.push((name, Vec::new(), String::new()));
            }
            Ok(X::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if skipping == 0 && !secret_element(&name) {
                    if let Some(top) = stack.last_mut() {
                        top.1.push((name, Value::String(String::new())));
                    }
                }
            }
            Ok(X::Text(t)) => {
                if skipping == 0 {
                    if let (Some(top), Ok(text)) = (stack.last_mut(), t.unescape()) {
                        top.2.push_str(&text);
                    }
                }
            }
            Ok(X::End(_)) => {
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                let Some((name, children, text)) = stack.pop() else {
                    break;
                };
                let value = if children.is_empty() {
                    Value::String(text)
                } else if children.iter().all(|(n, _)| n == "member") {
                    Value::Array(children.into_iter().map(|(_, v)| v).collect())
                } else {
                    let mut m = Map::new();
                    for (n, v) in children {
                        m.insert(camel(&n), v);
                    }
                    Value::Object(m)
                };
                if name.ends_with("Result") && stack.len() == 1 {
                    result = Some(value);
                } else if let Some(top) = stack.last_mut() {
                    top.1.push((name, value));
                }
            }
            Ok(X::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    match result {
        // A `…Result` with no content (DeleteUser) is recorded as null, as CloudTrail does.
        Some(Value::String(s)) if s.trim().is_empty() => Value::Null,
        Some(v) => v,
        None => Value::Null,
    }
}

/// Event ids as request ids are made (`RequestIds`): counted from a random start, with no
/// call to the OS's random source per record.
static EVENT_IDS: std::sync::LazyLock<crate::handler::RequestIds> =
    std::sync::LazyLock::new(crate::handler::RequestIds::new);

fn event_id() -> String {
    EVENT_IDS.next()
}

impl Event {
    fn to_json(&self) -> Value {
        let time = self
            .time
            .replace_nanosecond(0)
            .unwrap_or(self.time)
            .format(&Rfc3339)
            .unwrap_or_default();
        let (error_code, error_message) = match &self.error {
            Some((code, message)) => (Value::from(*code), Value::from(message.as_str())),
            None => (Value::Null, Value::Null),
        };
        let mut record = json!({
            "eventVersion": "1.08",
            "userIdentity": self.identity.to_json(),
            "eventTime": time,
            "eventSource": format!("{}.amazonaws.com", self.service),
            "eventName": self.event_name,
            "awsRegion": self.region.as_deref().unwrap_or("us-east-1"),
            "sourceIPAddress": self.source_ip.to_string(),
            "userAgent": self.user_agent.as_deref().unwrap_or(""),
            "requestParameters": self.params.as_ref().map_or(Value::Null, request_parameters),
            "responseElements": self.response.as_deref().map_or(Value::Null, response_elements),
            "requestID": self.request_id,
            "eventID": event_id(),
            "readOnly": self.read_only,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": self.recipient_account_id,
            "eventCategory": "Management",
        });
        if self.error.is_some() {
            record["errorCode"] = error_code;
            record["errorMessage"] = error_message;
        }
        record
    }
}

/// One password sign-in attempt (`/iamd/v1/sign-in`, the console's session endpoint),
/// written as CloudTrail's `ConsoleLogin` event (`eventSource` `signin.amazonaws.com`,
/// `eventType` `AwsConsoleSignIn`). Never holds the password.
pub(crate) struct ConsoleLogin {
    pub time: OffsetDateTime,
    pub source_ip: IpAddr,
    pub user_agent: Option<String>,
    /// The account id asked for; `None` when it cannot be one (not 12 digits): the
    /// client's text there may be anything, a password typed in the wrong field too.
    pub account_id: Option<String>,
    /// The user signing in, when the name given is one: `(user id, ARN, user name)`. An
    /// unknown name is written as `HIDDEN_DUE_TO_SECURITY_REASONS`, as CloudTrail does.
    pub user: Option<(String, String, String)>,
    pub success: bool,
    /// Whether an MFA code was checked as part of the sign-in.
    pub mfa_used: bool,
    /// Where the attempt came in (the endpoint's path), as `additionalEventData.LoginTo`.
    pub login_to: &'static str,
    pub recipient_account_id: String,
}

impl ConsoleLogin {
    fn to_json(&self) -> Value {
        let time = self
            .time
            .replace_nanosecond(0)
            .unwrap_or(self.time)
            .format(&Rfc3339)
            .unwrap_or_default();
        let account_id = self.account_id.as_deref().unwrap_or(HIDDEN);
        let identity = match &self.user {
            Some((user_id, arn, name)) => json!({
                "type": "IAMUser",
                "principalId": user_id,
                "arn": arn,
                "accountId": account_id,
                "userName": name,
            }),
            None => json!({
                "type": "IAMUser",
                "accountId": account_id,
                "accessKeyId": "",
                "userName": HIDDEN,
            }),
        };
        let outcome = if self.success { "Success" } else { "Failure" };
        let mut record = json!({
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": time,
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "awsRegion": "us-east-1",
            "sourceIPAddress": self.source_ip.to_string(),
            "userAgent": self.user_agent.as_deref().unwrap_or(""),
            "requestParameters": null,
            "responseElements": { "ConsoleLogin": outcome },
            "additionalEventData": {
                "LoginTo": self.login_to,
                "MobileVersion": "No",
                "MFAUsed": if self.mfa_used { "Yes" } else { "No" },
            },
            "eventID": event_id(),
            "readOnly": false,
            "eventType": "AwsConsoleSignIn",
            "managementEvent": true,
            "recipientAccountId": self.recipient_account_id,
            "eventCategory": "Management",
        });
        if !self.success {
            record["errorMessage"] = "Failed authentication".into();
        }
        record
    }
}

enum Message {
    Record(Box<Event>),
    ConsoleLogin(Box<ConsoleLogin>),
    /// Write out what is buffered, then answer.
    Flush(std::sync::mpsc::Sender<()>),
}

/// The request path's end of the queue.
pub(crate) struct AuditLog {
    queue: mpsc::Sender<Message>,
    full: AuditFull,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot open the audit log {0}: {1}")]
pub struct AuditError(String, std::io::Error);

impl AuditLog {
    /// Opens the destination and starts the writer thread.
    pub(crate) fn start(config: &AuditConfig) -> Result<AuditLog, AuditError> {
        let sink = Sink::open(&config.target)?;
        let (queue, rx) = mpsc::channel(QUEUE_CAPACITY);
        std::thread::Builder::new()
            .name("iamd-audit".into())
            .spawn(move || write_loop(sink, rx))
            .map_err(|e| AuditError("(writer thread)".into(), e))?;
        Ok(AuditLog {
            queue,
            full: config.full,
        })
    }

    /// Queues one record; `false` when it was dropped (queue full in `Drop` mode).
    pub(crate) async fn record(&self, event: Event) -> bool {
        self.send(Message::Record(Box::new(event))).await
    }

    /// Queues a sign-in attempt's `ConsoleLogin` record; `false` when it was dropped.
    pub(crate) async fn console_login(&self, login: ConsoleLogin) -> bool {
        self.send(Message::ConsoleLogin(Box::new(login))).await
    }

    async fn send(&self, message: Message) -> bool {
        match self.full {
            AuditFull::Drop => self.queue.try_send(message).is_ok(),
            AuditFull::Block => self.queue.send(message).await.is_ok(),
        }
    }

    /// Waits until every record queued so far is written (at shutdown).
    pub(crate) async fn flush(&self) {
        let (tx, rx) = std::sync::mpsc::channel();
        if self.queue.send(Message::Flush(tx)).await.is_ok() {
            let _ = tokio::task::spawn_blocking(move || rx.recv()).await;
        }
    }
}

enum Sink {
    Stdout(std::io::Stdout),
    File {
        path: PathBuf,
        out: BufWriter<File>,
        written: u64,
        max_bytes: u64,
        kept: u32,
    },
}

fn open_append(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

impl Sink {
    fn open(target: &AuditTarget) -> Result<Sink, AuditError> {
        match target {
            AuditTarget::Stdout => Ok(Sink::Stdout(std::io::stdout())),
            AuditTarget::File {
                path,
                max_bytes,
                kept,
            } => {
                let file =
                    open_append(path).map_err(|e| AuditError(path.display().to_string(), e))?;
                let written = file.metadata().map(|m| m.len()).unwrap_or(0);
                Ok(Sink::File {
                    path: path.clone(),
                    out: BufWriter::with_capacity(64 * 1024, file),
                    written,
                    max_bytes: *max_bytes,
                    kept: *kept,
                })
            }
        }
    }

    fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stdout(out) => {
                let mut out = out.lock();
                out.write_all(line)?;
                out.write_all(b"\n")
            }
            Sink::File {
                path,
                out,
                written,
                max_bytes,
                kept,
            } => {
                if *written > 0 && *written + line.len() as u64 + 1 > *max_bytes {
                    out.flush()?;
                    rotate(path, *kept)?;
                    *out = BufWriter::with_capacity(64 * 1024, open_append(path)?);
                    *written = 0;
                }
                out.write_all(line)?;
                out.write_all(b"\n")?;
                *written += line.len() as u64 + 1;
                Ok(())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(out) => out.lock().flush(),
            Sink::File { out, .. } => out.flush(),
        }
    }
}

/// `PATH.(kept-1)` → `PATH.kept` (the oldest is overwritten), …, `PATH` → `PATH.1`.
fn rotate(path: &Path, kept: u32) -> std::io::Result<()> {
    let numbered = |n: u32| {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    };
    if kept == 0 {
        return std::fs::remove_file(path);
    }
    for n in (1..kept).rev() {
        let from = numbered(n);
        if from.exists() {
            std::fs::rename(&from, numbered(n + 1))?;
        }
    }
    std::fs::rename(path, numbered(1))
}

fn write_loop(mut sink: Sink, mut rx: mpsc::Receiver<Message>) {
    let mut failing = false;
    let mut report = |result: std::io::Result<()>| match result {
        Ok(()) => failing = false,
        Err(e) if !failing => {
            failing = true;
            warn!(%e, "cannot write the audit log");
        }
        Err(_) => {}
    };
    let mut line = Vec::with_capacity(4096);
    while let Some(message) = rx.blocking_recv() {
        let mut next = Some(message);
        // Everything already queued is written before one flush.
        while let Some(message) = next.take() {
            match message {
                Message::Record(event) => {
                    line.clear();
                    if serde_json::to_writer(&mut line, &event.to_json()).is_ok() {
                        report(sink.write_line(&line));
                    }
                }
                Message::ConsoleLogin(login) => {
                    line.clear();
                    if serde_json::to_writer(&mut line, &login.to_json()).is_ok() {
                        report(sink.write_line(&line));
                    }
                }
                Message::Flush(done) => {
                    report(sink.flush());
                    let _ = done.send(());
                }
            }
            next = rx.try_recv().ok();
        }
        report(sink.flush());
        // Let records gather before the next batch: one write for many of them, and the
        // request threads' sends seldom find the writer asleep on the queue (a wake-up
        // each). A record reaches the file at most this much later; `flush` waits for it.
        std::thread::sleep(BATCH_WINDOW);
    }
    report(sink.flush());
}

/// How long the writer lets records gather after writing a batch.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_camel_case_lists_and_secrets_hidden() {
        let params = Params::parse(
            b"Action=CreateLoginProfile&Version=2010-05-08&UserName=alice&Password=s3cret!\
              &Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1\
              &PolicyArns.member.1.arn=arn%3Ax&TokenCode=123456&NewPassword=n&OldPassword=o\
              &PrivateKey=k1&AddPrivateKey=k2",
        )
        .unwrap();
        let v = request_parameters(&params);
        assert_eq!(v["userName"], "alice");
        assert_eq!(v["password"], HIDDEN);
        assert_eq!(v["newPassword"], HIDDEN);
        assert_eq!(v["oldPassword"], HIDDEN);
        assert_eq!(v["tokenCode"], HIDDEN);
        assert_eq!(v["privateKey"], HIDDEN);
        assert_eq!(v["addPrivateKey"], HIDDEN);
        assert_eq!(
            v["tags"],
            json!([{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
        );
        assert_eq!(v["policyArns"], json!([{"arn": "arn:x"}]));
        assert!(v.get("action").is_none());
    }

    #[test]
    fn response_secrets_are_left_out() {
        let xml = r#"<CreateAccessKeyResponse xmlns="x"><CreateAccessKeyResult><AccessKey>
            <UserName>alice</UserName><AccessKeyId>AKIAX</AccessKeyId><Status>Active</Status>
            <SecretAccessKey>topsecret</SecretAccessKey></AccessKey></CreateAccessKeyResult>
            <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></CreateAccessKeyResponse>"#;
        let v = response_elements(xml);
        assert_eq!(v["accessKey"]["accessKeyId"], "AKIAX");
        assert_eq!(v["accessKey"]["userName"], "alice");
        assert!(!v.to_string().contains("topsecret"));
        let xml = r#"<DeleteUserResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>"#;
        assert_eq!(response_elements(xml), Value::Null);
        let xml = r#"<ListUsersResponse><ListUsersResult><Users><member><UserName>a</UserName></member><member><UserName>b</UserName></member></Users><IsTruncated>false</IsTruncated></ListUsersResult></ListUsersResponse>"#;
        let v = response_elements(xml);
        assert_eq!(v["users"], json!([{"userName": "a"}, {"userName": "b"}]));
        assert_eq!(v["isTruncated"], "false");
    }

    #[test]
    fn files_rotate_by_size_keeping_the_newest() {
        let dir = std::env::temp_dir().join(format!("iamd-audit-rotate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.log");
        let mut sink = Sink::open(&AuditTarget::File {
            path: path.clone(),
            max_bytes: 100,
            kept: 2,
        })
        .unwrap();
        for i in 0..10 {
            sink.write_line(format!("{i:049}").as_bytes()).unwrap();
        }
        sink.flush().unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(&path), format!("{:049}\n{:049}\n", 8, 9));
        assert_eq!(
            read(&dir.join("audit.log.1")),
            format!("{:049}\n{:049}\n", 6, 7)
        );
        assert_eq!(
            read(&dir.join("audit.log.2")),
            format!("{:049}\n{:049}\n", 4, 5)
        );
        assert!(!dir.join("audit.log.3").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
