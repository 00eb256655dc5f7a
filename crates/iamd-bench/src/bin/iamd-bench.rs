//! The load generator: N keep-alive HTTP/1.1 connections, each sending one request at a time
//! for a given duration. Every request is signed afresh with SigV4 by the AWS SDK's own
//! signer (`aws-sigv4`), with the headers an SDK sends (a unique `amz-sdk-invocation-id`,
//! `amz-sdk-request`, `x-amz-user-agent`). Reports requests/s, p50/p99 latency (send to
//! last body byte; signing is not included) and the count of non-2xx answers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use iamd_bench::{parse_duration, seeded, xml_value};
use tokio::net::TcpStream;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Op {
    /// ListAccessKeys with UserName.
    ListAccessKeys,
    /// ListAccessKeys without UserName: the signer's own keys.
    ListAccessKeysSelf,
    /// GetUser with UserName.
    GetUser,
    /// CreateAccessKey then DeleteAccessKey of the new key (two durable writes).
    CreateDelete,
}

#[derive(Parser, Debug)]
#[command(
    name = "iamd-bench",
    about = "SigV4-signing load generator for IAM Query APIs"
)]
struct Cli {
    /// Base URL of the server, e.g. http://127.0.0.1:9370
    #[arg(long)]
    endpoint: String,
    #[arg(long, value_enum, default_value = "list-access-keys")]
    op: Op,
    /// Keep-alive connections, each with one request in flight.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// How long to measure (10s, 500ms, 1m).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Load sent before measuring starts, not counted.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    warmup: Duration,
    /// Access key id to sign with (ignored with --seeded-users).
    #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = iamd_bench::DEFAULT_ROOT_KEY_ID)]
    key: String,
    /// Secret access key to sign with.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = iamd_bench::DEFAULT_ROOT_SECRET, hide_default_value = true)]
    secret: String,
    /// The user the operation names (UserName); for create-delete, the prefix of one user
    /// per connection (`NAME-cd{i}`), created before the run.
    #[arg(long, default_value = "bench")]
    user: String,
    /// Name a random user among the first N seeded by `iamd-seed` (`user{i}`) in each
    /// request, instead of --user.
    #[arg(long)]
    seeded_users: Option<u64>,
    /// With --seeded-users: sign each request as the named user (its first seeded key)
    /// instead of --key, so that every request also looks up a random key.
    #[arg(long, requires = "seeded_users")]
    sign_as_user: bool,
    /// Before the run, create --user and give it two keys (existing ones are fine), signing
    /// with --key. For servers that were not seeded (moto, a fresh iamd).
    #[arg(long)]
    setup: bool,
    /// Signing region.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Worker threads of the load generator's runtime (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

struct Target {
    addr: SocketAddr,
    /// `host:port`, the Host header.
    authority: String,
    /// `http://host:port/`, what is signed.
    signed_uri: String,
}

fn parse_endpoint(endpoint: &str) -> Result<Target, String> {
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("endpoint must be http://HOST:PORT, got '{endpoint}'"))?;
    let authority = rest.trim_end_matches('/').to_owned();
    let addr = std::net::ToSocketAddrs::to_socket_addrs(&authority)
        .map_err(|e| format!("cannot resolve '{authority}': {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve '{authority}'"))?;
    Ok(Target {
        addr,
        signed_uri: format!("http://{authority}/"),
        authority,
    })
}

struct Bench {
    cli: Cli,
    target: Target,
}

/// One request's outcome.
struct Answer {
    status: u16,
    body: Bytes,
    latency: Duration,
}

impl Bench {
    /// A form-encoded IAM call signed as an SDK signs it.
    fn request(
        &self,
        params: &[(&str, &str)],
        key: &str,
        secret: &str,
    ) -> Result<http::Request<Full<Bytes>>, String> {
        let mut body = form_urlencode(params);
        body.push_str("&Version=2010-05-08");
        let invocation_id = uuid::Uuid::new_v4().to_string();
        let length = body.len().to_string();
        let headers = [
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("content-length", length.as_str()),
            ("amz-sdk-invocation-id", invocation_id.as_str()),
            ("amz-sdk-request", "attempt=1; max=3"),
            (
                "x-amz-user-agent",
                "aws-sdk-rust/1.3 api/iam/1.133 os/linux lang/rust/1.80 iamd-bench",
            ),
            ("user-agent", "aws-sdk-rust/1.3 os/linux lang/rust/1.80"),
        ];
        let identity: Identity = Credentials::new(key, secret, None, None, "iamd-bench").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.cli.region)
            .name("iam")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| format!("signing parameters: {e}"))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            self.target.signed_uri.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| format!("signable request: {e}"))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| format!("signing: {e}"))?
            .into_parts();
        let mut builder = http::Request::builder()
            .method(http::Method::POST)
            .uri("/")
            .header(http::header::HOST, self.target.authority.as_str());
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let mut req = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("request: {e}"))?;
        instructions.apply_to_request_http1x(&mut req);
        Ok(req)
    }
}

fn form_urlencode(params: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        for b in v.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// A keep-alive connection that reconnects if the server closes it.
struct Conn {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
    reconnects: u64,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            sender: None,
            reconnects: 0,
        }
    }

    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        let usable = match &mut self.sender {
            Some(s) => s.ready().await.is_ok(),
            None => false,
        };
        if !usable {
            if self.sender.take().is_some() {
                self.reconnects += 1;
            }
            let stream = TcpStream::connect(self.addr)
                .await
                .map_err(|e| format!("connect {}: {e}", self.addr))?;
            let _ = stream.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("connected"))
    }

    async fn call(&mut self, req: http::Request<Full<Bytes>>) -> Result<Answer, String> {
        let sender = self.sender().await?;
        let started = Instant::now();
        let result = async {
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| format!("send: {e}"))?;
            let status = resp.status().as_u16();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?
                .to_bytes();
            Ok::<_, String>((status, body))
        }
        .await;
        match result {
            Ok((status, body)) => Ok(Answer {
                status,
                body,
                latency: started.elapsed(),
            }),
            Err(e) => {
                self.sender = None;
                self.reconnects += 1;
                Err(e)
            }
        }
    }
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u32>,
    requests: u64,
    non_2xx: u64,
    statuses: BTreeMap<u16, u64>,
    errors: u64,
    reconnects: u64,
    pairs: u64,
    body_bytes: u64,
    first_failure: Option<String>,
}

impl Stats {
    fn record(&mut self, answer: &Answer) {
        self.requests += 1;
        self.body_bytes += answer.body.len() as u64;
        self.latencies_us
            .push(answer.latency.as_micros().min(u32::MAX as u128) as u32);
        if !(200..300).contains(&answer.status) {
            self.non_2xx += 1;
            *self.statuses.entry(answer.status).or_default() += 1;
            if self.first_failure.is_none() {
                self.first_failure = Some(format!(
                    "HTTP {}: {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body).trim()
                ));
            }
        }
    }

    fn merge(&mut self, other: Stats) {
        self.latencies_us.extend(other.latencies_us);
        self.requests += other.requests;
        self.non_2xx += other.non_2xx;
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
        self.errors += other.errors;
        self.reconnects += other.reconnects;
        self.pairs += other.pairs;
        self.body_bytes += other.body_bytes;
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
    }
}

/// Who signs the next request and which user it names.
fn identity_for(bench: &Bench) -> (String, String, String) {
    match bench.cli.seeded_users {
        Some(n) => {
            let i = fastrand::u64(0..n.max(1));
            if bench.cli.sign_as_user {
                (
                    seeded::access_key_id(i, 0),
                    seeded::secret(i, 0),
                    seeded::user_name(i),
                )
            } else {
                (
                    bench.cli.key.clone(),
                    bench.cli.secret.clone(),
                    seeded::user_name(i),
                )
            }
        }
        None => (
            bench.cli.key.clone(),
            bench.cli.secret.clone(),
            bench.cli.user.clone(),
        ),
    }
}

fn create_delete_user(bench: &Bench, conn_index: usize) -> String {
    format!("{}-cd{conn_index}", bench.cli.user)
}

async fn run_connection(
    bench: Arc<Bench>,
    index: usize,
    measure_from: Instant,
    deadline: Instant,
) -> Stats {
    let mut conn = Conn::new(bench.target.addr);
    let mut stats = Stats::default();
    let mut warm = Stats::default();
    while Instant::now() < deadline {
        let counted = Instant::now() >= measure_from;
        let s = if counted { &mut stats } else { &mut warm };
        let (key, secret, user) = identity_for(&bench);
        let outcome = match bench.cli.op {
            Op::ListAccessKeys => {
                one(
                    &bench,
                    &mut conn,
                    s,
                    &[("Action", "ListAccessKeys"), ("UserName", &user)],
                    &key,
                    &secret,
                )
                .await
            }
            Op::ListAccessKeysSelf => {
                one(
                    &bench,
                    &mut conn,
                    s,
                    &[("Action", "ListAccessKeys")],
                    &key,
                    &secret,
                )
                .await
            }
            Op::GetUser => {
                one(
                    &bench,
                    &mut conn,
                    s,
                    &[("Action", "GetUser"), ("UserName", &user)],
                    &key,
                    &secret,
                )
                .await
            }
            Op::CreateDelete => {
                let user = create_delete_user(&bench, index);
                match one(
                    &bench,
                    &mut conn,
                    s,
                    &[("Action", "CreateAccessKey"), ("UserName", &user)],
                    &key,
                    &secret,
                )
                .await
                {
                    Ok(Some(body)) => {
                        match xml_value(&String::from_utf8_lossy(&body), "AccessKeyId")
                            .map(str::to_owned)
                        {
                            Some(id) => {
                                let deleted = one(
                                    &bench,
                                    &mut conn,
                                    s,
                                    &[
                                        ("Action", "DeleteAccessKey"),
                                        ("UserName", &user),
                                        ("AccessKeyId", &id),
                                    ],
                                    &key,
                                    &secret,
                                )
                                .await;
                                if let Ok(Some(_)) = deleted {
                                    s.pairs += 1;
                                }
                                deleted.map(|_| None)
                            }
                            None => Ok(None),
                        }
                    }
                    other => other,
                }
            }
        };
        if let Err(e) = outcome {
            s.errors += 1;
            if s.first_failure.is_none() {
                s.first_failure = Some(e);
            }
            // Do not spin on a dead server.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    stats.reconnects = conn.reconnects;
    stats
}

/// Sends one call and records it; the body if it was a 2xx.
async fn one(
    bench: &Bench,
    conn: &mut Conn,
    stats: &mut Stats,
    params: &[(&str, &str)],
    key: &str,
    secret: &str,
) -> Result<Option<Bytes>, String> {
    let req = bench.request(params, key, secret)?;
    let answer = conn.call(req).await?;
    stats.record(&answer);
    Ok((200..300).contains(&answer.status).then_some(answer.body))
}

/// The policy `setup` gives each user (identity policies are enforced on iamd): it may
/// manage its own keys, as AWS's self-service policy allows.
const SELF_SERVICE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#;

/// Creates the users the run names, ignoring those that exist, gives each the self-service
/// policy, and removes keys a previous run left behind. Except for create-delete, the user
/// then gets two fresh keys; the first is returned (list-access-keys-self signs with it, so
/// that "self" is the same user on every server).
async fn setup(bench: &Bench) -> Result<Option<(String, String)>, String> {
    let mut conn = Conn::new(bench.target.addr);
    let (key, secret) = (bench.cli.key.as_str(), bench.cli.secret.as_str());
    let call = |params: Vec<(&'static str, String)>| {
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        bench.request(&params, key, secret)
    };
    let check = |a: &Answer, what: &str, tolerated: &str| -> Result<String, String> {
        let body = String::from_utf8_lossy(&a.body).into_owned();
        if (200..300).contains(&a.status) || (!tolerated.is_empty() && body.contains(tolerated)) {
            Ok(body)
        } else {
            Err(format!("setup {what}: HTTP {}: {}", a.status, body.trim()))
        }
    };
    let users: Vec<String> = if bench.cli.op == Op::CreateDelete {
        (0..bench.cli.connections)
            .map(|i| create_delete_user(bench, i))
            .collect()
    } else {
        vec![bench.cli.user.clone()]
    };
    let mut first_key = None;
    for user in &users {
        let a = conn
            .call(call(vec![
                ("Action", "CreateUser".into()),
                ("UserName", user.clone()),
            ])?)
            .await?;
        check(&a, "CreateUser", "EntityAlreadyExists")?;
        // Identity policies are enforced on iamd: let the user manage its own keys.
        let a = conn
            .call(call(vec![
                ("Action", "PutUserPolicy".into()),
                ("UserName", user.clone()),
                ("PolicyName", "self-service".into()),
                ("PolicyDocument", SELF_SERVICE_POLICY.into()),
            ])?)
            .await?;
        check(&a, "PutUserPolicy", "")?;
        let a = conn
            .call(call(vec![
                ("Action", "ListAccessKeys".into()),
                ("UserName", user.clone()),
            ])?)
            .await?;
        let listed = check(&a, "ListAccessKeys", "")?;
        let mut rest = listed.as_str();
        while let Some(id) = xml_value(rest, "AccessKeyId") {
            let a = conn
                .call(call(vec![
                    ("Action", "DeleteAccessKey".into()),
                    ("UserName", user.clone()),
                    ("AccessKeyId", id.to_owned()),
                ])?)
                .await?;
            check(&a, "DeleteAccessKey", "")?;
            let at = rest.find("</AccessKeyId>").expect("found above") + "</AccessKeyId>".len();
            rest = &rest[at..];
        }
        if bench.cli.op != Op::CreateDelete {
            for _ in 0..2 {
                let a = conn
                    .call(call(vec![
                        ("Action", "CreateAccessKey".into()),
                        ("UserName", user.clone()),
                    ])?)
                    .await?;
                let created = check(&a, "CreateAccessKey", "")?;
                if first_key.is_none() {
                    let id = xml_value(&created, "AccessKeyId");
                    let secret = xml_value(&created, "SecretAccessKey");
                    if let (Some(id), Some(secret)) = (id, secret) {
                        first_key = Some((id.to_owned(), secret.to_owned()));
                    }
                }
            }
        }
    }
    Ok(first_key)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::ListAccessKeys => "list-access-keys",
        Op::ListAccessKeysSelf => "list-access-keys-self",
        Op::GetUser => "get-user",
        Op::CreateDelete => "create-delete",
    }
}

async fn run(mut bench: Bench) -> Result<(Stats, Duration), String> {
    if bench.cli.setup || bench.cli.op == Op::CreateDelete {
        let first_key = setup(&bench).await?;
        if let (Op::ListAccessKeysSelf, Some((key, secret))) = (bench.cli.op, first_key) {
            // Sign as the user itself: its own keys are listed.
            bench.cli.key = key;
            bench.cli.secret = secret;
        }
    }
    let bench = Arc::new(bench);
    let start = Instant::now();
    let measure_from = start + bench.cli.warmup;
    let deadline = measure_from + bench.cli.duration;
    let tasks: Vec<_> = (0..bench.cli.connections)
        .map(|i| tokio::spawn(run_connection(bench.clone(), i, measure_from, deadline)))
        .collect();
    let mut total = Stats::default();
    for t in tasks {
        total.merge(t.await.map_err(|e| format!("connection task: {e}"))?);
    }
    Ok((total, bench.cli.duration))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let target = match parse_endpoint(&cli.endpoint) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("iamd-bench: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.connections == 0 {
        eprintln!("iamd-bench: --connections must be at least 1");
        return ExitCode::from(2);
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = cli.threads {
        rt.worker_threads(n.max(1));
    }
    let runtime = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("iamd-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (op, endpoint, connections, json) =
        (cli.op, cli.endpoint.clone(), cli.connections, cli.json);
    let (mut stats, window) = match runtime.block_on(run(Bench { cli, target })) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("iamd-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    stats.latencies_us.sort_unstable();
    let secs = window.as_secs_f64().max(1e-9);
    let rps = stats.requests as f64 / secs;
    let pairs_per_s = stats.pairs as f64 / secs;
    let p50 = percentile(&stats.latencies_us, 50.0);
    let p99 = percentile(&stats.latencies_us, 99.0);
    let max = percentile(&stats.latencies_us, 100.0);
    if json {
        let statuses: serde_json::Map<String, serde_json::Value> = stats
            .statuses
            .iter()
            .map(|(s, n)| (s.to_string(), serde_json::Value::from(*n)))
            .collect();
        let out = serde_json::json!({
            "endpoint": endpoint,
            "op": op_name(op),
            "connections": connections,
            "duration_s": secs,
            "requests": stats.requests,
            "rps": rps,
            "pairs": stats.pairs,
            "pairs_per_s": pairs_per_s,
            "p50_ms": p50,
            "p99_ms": p99,
            "max_ms": max,
            "avg_body_bytes": stats.body_bytes.checked_div(stats.requests).unwrap_or(0),
            "non_2xx": stats.non_2xx,
            "non_2xx_statuses": statuses,
            "errors": stats.errors,
            "reconnects": stats.reconnects,
            "first_failure": stats.first_failure,
        });
        println!("{out}");
    } else {
        println!(
            "{} {} x{} for {:.1}s: {} requests, {:.0} req/s{}, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, non-2xx {}, errors {}, reconnects {}",
            op_name(op),
            endpoint,
            connections,
            secs,
            stats.requests,
            rps,
            if op == Op::CreateDelete { format!(" ({pairs_per_s:.0} pairs/s)") } else { String::new() },
            p50,
            p99,
            max,
            stats.non_2xx,
            stats.errors,
            stats.reconnects,
        );
        if let Some(f) = &stats.first_failure {
            let f: String = f.chars().take(400).collect();
            println!("first failure: {f}");
        }
    }
    if stats.requests == 0 {
        eprintln!("iamd-bench: no request completed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
