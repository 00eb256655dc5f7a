//! Several iamd nodes on one PostgreSQL database, driven by the real AWS SDK: any node
//! answers any request, the invariants hold across nodes, markers travel between them,
//! and losing the database is a retryable error that heals without a restart.
//!
//! Needs a PostgreSQL server (CI's on 127.0.0.1:5432, or `IAMD_TEST_DATABASE_URL`); without
//! one every test prints why it skipped and passes. Each test has a schema of its own.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_iam::types::{StatusType, Tag};
use common::{err_of, temp_dir, test_config, ACCOUNT, REGION, ROOT_KEY, ROOT_SECRET};
use iamd::server::{Config, Running};
use iamd_core::secret::{Keyring, MasterKey, SecretKey};
use iamd_core::Store;
use iamd_store_postgres::testing;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Barrier};

/// How long another node may keep honouring a deactivated or deleted key (the credential
/// cache's TTL), plus the time a request takes.
const STALE_AT_MOST: Duration = Duration::from_millis(1000);

/// Nodes sharing one fresh schema. Dropped without `stop`, it leaves the schema to the
/// next run's clean-up.
struct Cluster {
    nodes: Vec<Running>,
    base: String,
    schema: String,
}

impl Cluster {
    /// `n` nodes on a fresh schema, started together; node `i` reaches the database at
    /// `via(i)` (host:port) if given, else directly.
    async fn start(n: usize, via: impl Fn(usize) -> Option<SocketAddr>) -> Option<Cluster> {
        let base = testing::database().await?;
        let schema = testing::fresh_schema(&base).await;
        let url = testing::with_schema(&base, &schema);
        // One master key for the cluster, as every node must share it.
        let keyring = Arc::new(Keyring::generate());
        let starts = (0..n).map(|i| {
            let url = match via(i) {
                Some(addr) => with_address(&url, addr),
                None => url.clone(),
            };
            iamd::start(Config {
                database_url: Some(url),
                root_key: Some((ROOT_KEY.into(), SecretKey::new(ROOT_SECRET.into()))),
                keyring: Some(keyring.clone()),
                ..test_config(temp_dir("pg-unused"))
            })
        });
        // Started concurrently: they migrate and bootstrap the account at the same time.
        let mut nodes = Vec::new();
        for started in join_all(starts.collect()).await {
            nodes.push(started.expect("iamd starts on PostgreSQL"));
        }
        let created = nodes.iter().filter(|n| n.bootstrapped.is_some()).count();
        assert_eq!(created, 1, "exactly one node created the account");
        assert!(nodes.iter().all(|n| n.account_id == ACCOUNT));
        Some(Cluster {
            nodes,
            base,
            schema,
        })
    }

    fn endpoint(&self, node: usize) -> String {
        format!("http://{}", self.nodes[node].addr)
    }

    fn root(&self, node: usize) -> aws_sdk_iam::Client {
        client(&self.endpoint(node), ROOT_KEY, ROOT_SECRET)
    }

    fn iam(&self, node: usize, key: &(String, String)) -> aws_sdk_iam::Client {
        client(&self.endpoint(node), &key.0, &key.1)
    }

    async fn stop(self) {
        for node in self.nodes {
            node.shutdown().await;
        }
        testing::drop_schema(&self.base, &self.schema).await;
    }
}

/// Awaits futures concurrently, keeping their order (the test needs no `futures` crate).
async fn join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out
}

/// An SDK client that does not retry, so that each call is one request.
fn client(endpoint: &str, key: &str, secret: &str) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

/// `url` with its host and port replaced by `addr`.
fn with_address(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let userinfo = authority
        .rsplit_once('@')
        .map(|(u, _)| format!("{u}@"))
        .unwrap_or_default();
    format!("{scheme}://{userinfo}{addr}{path}")
}

/// Creates a user with one key through `root`; returns (key id, secret).
async fn user_with_key(root: &aws_sdk_iam::Client, name: &str) -> (String, String) {
    root.create_user()
        .user_name(name)
        .send()
        .await
        .expect("create user");
    let key = root
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("create key")
        .access_key
        .expect("access key");
    // Identity policies are enforced: let the user read itself, the call these tests make.
    root.put_user_policy()
        .user_name(name)
        .policy_name("get-self")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("put policy");
    (key.access_key_id, key.secret_access_key)
}

/// Calls GetUser (on the caller itself) until the node refuses the key; returns how long
/// that took, panicking past `STALE_AT_MOST`.
async fn refused_within(iam: &aws_sdk_iam::Client, since: Instant) -> Duration {
    loop {
        match iam.get_user().send().await {
            Ok(_) => {
                assert!(
                    since.elapsed() < STALE_AT_MOST,
                    "the key still works {:?} after the change",
                    since.elapsed()
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => {
                let (code, _, status) = err_of(e);
                assert_eq!((code.as_str(), status), ("InvalidClientTokenId", 403));
                return since.elapsed();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_created_on_one_node_works_on_another_at_once() {
    let Some(cluster) = Cluster::start(2, |_| None).await else {
        return;
    };
    for i in 0..5 {
        let (a, b) = (i % 2, (i + 1) % 2);
        let name = format!("traveller{i}");
        let key = user_with_key(&cluster.root(a), &name).await;
        // The very next request, on the other node.
        let me = cluster
            .iam(b, &key)
            .get_user()
            .send()
            .await
            .expect("the new key authenticates on the other node");
        assert_eq!(me.user.expect("user").user_name, name);
        let listed = cluster
            .root(b)
            .list_access_keys()
            .user_name(&name)
            .send()
            .await
            .expect("list keys");
        assert_eq!(listed.access_key_metadata().len(), 1);
    }
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_deactivated_or_deleted_on_one_node_is_refused_by_another_within_a_second() {
    let Some(cluster) = Cluster::start(2, |_| None).await else {
        return;
    };
    let root_a = cluster.root(0);
    let key = user_with_key(&root_a, "fleeting").await;
    let on_a = cluster.iam(0, &key);
    let on_b = cluster.iam(1, &key);
    // Node B has seen (and cached) the key.
    on_b.get_user().send().await.expect("works on B");

    root_a
        .update_access_key()
        .user_name("fleeting")
        .access_key_id(&key.0)
        .status(StatusType::Inactive)
        .send()
        .await
        .expect("deactivate on A");
    let changed = Instant::now();
    let (code, _, status) = err_of(on_a.get_user().send().await.expect_err("A refuses at once"));
    assert_eq!((code.as_str(), status), ("InvalidClientTokenId", 403));
    let deactivation_seen = refused_within(&on_b, changed).await;

    root_a
        .update_access_key()
        .user_name("fleeting")
        .access_key_id(&key.0)
        .status(StatusType::Active)
        .send()
        .await
        .expect("reactivate on A");
    let reactivated = Instant::now();
    while on_b.get_user().send().await.is_err() {
        assert!(
            reactivated.elapsed() < STALE_AT_MOST,
            "B never took the key back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    root_a
        .delete_access_key()
        .user_name("fleeting")
        .access_key_id(&key.0)
        .send()
        .await
        .expect("delete on A");
    let deleted = Instant::now();
    let deletion_seen = refused_within(&on_b, deleted).await;
    println!("B refused the key {deactivation_seen:?} after its deactivation on A and {deletion_seen:?} after its deletion");
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_key_quota_holds_across_nodes() {
    let Some(cluster) = Cluster::start(2, |_| None).await else {
        return;
    };
    cluster
        .root(0)
        .create_user()
        .user_name("busy")
        .send()
        .await
        .expect("create user");
    let start = Arc::new(Barrier::new(24));
    let calls = (0..24)
        .map(|i| {
            let (root, start) = (cluster.root(i % 2), Arc::clone(&start));
            async move {
                start.wait().await;
                root.create_access_key().user_name("busy").send().await
            }
        })
        .collect();
    let (mut created, mut refused) = (HashSet::new(), 0);
    for outcome in join_all(calls).await {
        match outcome {
            Ok(out) => {
                created.insert(out.access_key.expect("key").access_key_id);
            }
            Err(e) => {
                let (code, _, status) = err_of(e);
                assert_eq!((code.as_str(), status), ("LimitExceeded", 409));
                refused += 1;
            }
        }
    }
    assert_eq!((created.len(), refused), (2, 22));
    for node in 0..2 {
        let listed: HashSet<String> = cluster
            .root(node)
            .list_access_keys()
            .user_name("busy")
            .send()
            .await
            .expect("list")
            .access_key_metadata()
            .iter()
            .filter_map(|k| k.access_key_id().map(str::to_owned))
            .collect();
        assert_eq!(listed, created, "node {node} lists the two keys");
    }
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_name_in_any_case_on_both_nodes_makes_one_user() {
    let Some(cluster) = Cluster::start(2, |_| None).await else {
        return;
    };
    for round in 0..5 {
        let names = ["Zed", "zed", "ZED"].map(|n| format!("{n}{round}"));
        let start = Arc::new(Barrier::new(6));
        let calls = (0..6)
            .map(|i| {
                let (root, start) = (cluster.root(i % 2), Arc::clone(&start));
                let name = names[i % 3].clone();
                async move {
                    start.wait().await;
                    root.create_user().user_name(&name).send().await
                }
            })
            .collect();
        let mut winners = Vec::new();
        for outcome in join_all(calls).await {
            match outcome {
                Ok(out) => winners.push(out.user.expect("user").user_name),
                Err(e) => {
                    let (code, _, status) = err_of(e);
                    assert_eq!((code.as_str(), status), ("EntityAlreadyExists", 409));
                }
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one CreateUser wins"
        );
        for node in 0..2 {
            let found = cluster
                .root(node)
                .get_user()
                .user_name(names[1].to_uppercase())
                .send()
                .await
                .expect("get user")
                .user
                .expect("user");
            assert_eq!(found.user_name, winners[0]);
        }
    }
    let all = cluster.root(1).list_users().send().await.expect("list");
    assert_eq!(all.users().len(), 5);
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn markers_from_one_node_page_on_another() {
    let Some(cluster) = Cluster::start(2, |_| None).await else {
        return;
    };
    let names = [
        "delta", "Alpha", "echo", "bravo", "Golf", "charlie", "foxtrot",
    ];
    for name in names {
        cluster
            .root(0)
            .create_user()
            .user_name(name)
            .send()
            .await
            .expect("create user");
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    for page in 0.. {
        let out = cluster
            .root(page % 2)
            .list_users()
            .max_items(2)
            .set_marker(marker.take())
            .send()
            .await
            .expect("a page, whichever node issued the marker");
        seen.extend(out.users().iter().map(|u| u.user_name().to_owned()));
        if !out.is_truncated() {
            break;
        }
        marker = Some(out.marker().expect("marker").to_owned());
    }
    let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    expected.sort_by_key(|n| n.to_lowercase());
    assert_eq!(seen, expected);

    let root_a = cluster.root(0);
    let mut created = Vec::new();
    for _ in 0..2 {
        let key = root_a
            .create_access_key()
            .user_name("echo")
            .send()
            .await
            .expect("create key");
        created.push(key.access_key.expect("key").access_key_id);
    }
    let first = root_a
        .list_access_keys()
        .user_name("echo")
        .max_items(1)
        .send()
        .await
        .expect("first page on A");
    assert!(first.is_truncated());
    let second = cluster
        .root(1)
        .list_access_keys()
        .user_name("echo")
        .max_items(1)
        .marker(first.marker().expect("marker"))
        .send()
        .await
        .expect("second page on B");
    assert!(!second.is_truncated());
    let listed: Vec<String> = first
        .access_key_metadata()
        .iter()
        .chain(second.access_key_metadata())
        .filter_map(|k| k.access_key_id().map(str::to_owned))
        .collect();
    let mut sorted = created.clone();
    sorted.sort();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    assert_eq!(listed_sorted, sorted, "both keys, once each");
    cluster.stop().await;
}

/// A TCP proxy to the database that the test can cut: `cut` drops every connection and
/// refuses new ones (accepts and closes them) until `restore`.
struct Proxy {
    addr: SocketAddr,
    open: watch::Sender<bool>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (open, _) = watch::channel(true);
        let state = open.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if !*state.borrow() {
                    drop(client);
                    continue;
                }
                let mut closed = state.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = closed.wait_for(|open| !*open) => {}
                    }
                });
            }
        });
        Proxy { addr, open }
    }

    fn cut(&self) {
        self.open.send_replace(false);
    }

    fn restore(&self) {
        self.open.send_replace(true);
    }
}

/// The database's address in a test URL (`host:port`, port 5432 if none).
async fn database_address(url: &str) -> SocketAddr {
    let rest = url.split_once("://").expect("a URL").1;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    tokio::net::lookup_host(host_port)
        .await
        .expect("resolve the database host")
        .next()
        .expect("an address")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losing_the_database_is_a_retryable_error_and_iamd_recovers_on_its_own() {
    let Some(base) = testing::database().await else {
        return;
    };
    let proxy = Proxy::start(database_address(&base).await).await;
    // Node 0 reaches the database through the proxy; node 1 directly, to look at what the
    // database holds while node 0 is cut off.
    let proxy_addr = proxy.addr;
    let Some(cluster) = Cluster::start(2, |i| (i == 0).then_some(proxy_addr)).await else {
        return;
    };
    let (root_a, root_b) = (cluster.root(0), cluster.root(1));
    let key = user_with_key(&root_a, "steady").await;
    let user_a = cluster.iam(0, &key);
    user_a
        .get_user()
        .send()
        .await
        .expect("works before the outage");

    proxy.cut();
    let cut = Instant::now();
    let mut statuses = Vec::new();
    // A write, a read, and a request whose key node 0 must look up (never seen there).
    let create = root_a
        .create_user()
        .user_name("during")
        .path("/outage/")
        .tags(Tag::builder().key("k").value("v").build().expect("tag"))
        .send()
        .await;
    let list = root_a.list_users().send().await;
    let fresh = user_with_key(&root_b, "fresh").await;
    let lookup = cluster.iam(0, &fresh).get_user().send().await;
    for (what, outcome) in [
        ("CreateUser", create.map(drop).map_err(err_of)),
        ("ListUsers", list.map(drop).map_err(err_of)),
        (
            "GetUser with an uncached key",
            lookup.map(drop).map_err(err_of),
        ),
    ] {
        let (code, message, status) = outcome.expect_err(what);
        assert!(
            matches!(
                (code.as_str(), status),
                ("ServiceFailure", 500) | ("ServiceUnavailable", 503)
            ),
            "{what} during the outage: {code} {status} {message}"
        );
        statuses.push(format!("{what}: {status} {code}"));
    }
    let outage_calls = cut.elapsed();
    // Node 0 counted those failures as the store being unavailable (`/metrics`).
    let (_, metrics) = common::raw_http(
        cluster.nodes[0].addr,
        b"GET /metrics HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n",
    )
    .await;
    let unavailable: f64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with(r#"iamd_store_errors_total{backend="postgres","#)
                && l.contains(r#"kind="unavailable""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(
        unavailable >= 3.0,
        "each of the 3 requests failed in the store:\n{metrics}"
    );
    // The failed CreateUser left nothing half-written.
    match root_b.get_user().user_name("during").send().await {
        Ok(out) => {
            let user = out.user.expect("user");
            assert_eq!(user.path, "/outage/");
            assert_eq!(user.tags().len(), 1, "all of the user, or none of it");
        }
        Err(e) => assert_eq!(err_of(e).0, "NoSuchEntity"),
    }

    proxy.restore();
    let restored = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        match root_a.list_users().send().await {
            Ok(_) => break,
            Err(e) => {
                let (code, _, status) = err_of(e);
                assert!(status >= 500, "{code} {status} while recovering");
                assert!(
                    restored.elapsed() < Duration::from_secs(10),
                    "node 0 did not recover within 10 s"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    let recovery = restored.elapsed();
    // Every kind of call works again, on the same node, without a restart.
    match root_a
        .create_user()
        .user_name("during")
        .path("/outage/")
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) => assert_eq!(err_of(e).0, "EntityAlreadyExists"),
    }
    cluster
        .iam(0, &fresh)
        .get_user()
        .send()
        .await
        .expect("keys are looked up again");
    user_a
        .get_user()
        .send()
        .await
        .expect("the old key still works");
    println!(
        "during the outage: {} (all in {outage_calls:?}); node 0 answered again {recovery:?} \
         after the database came back ({attempts} attempt(s))",
        statuses.join(", ")
    );
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migrate_command_brings_a_database_up_to_date() {
    let Some(base) = testing::database().await else {
        return;
    };
    let schema = testing::fresh_schema(&base).await;
    let url = testing::with_schema(&base, &schema);
    // Without a master key, PostgreSQL is refused, with the way out in the message.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iamd"))
        .arg("migrate")
        .env("IAMD_DATABASE_URL", &url)
        .env("IAMD_LOG", "warn")
        .env_remove("IAMD_MASTER_KEY")
        .env_remove("IAMD_MASTER_KEY_FILE")
        .output()
        .expect("run iamd migrate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("needs a master key"), "{stderr}");
    let (_, key) = MasterKey::generate();
    for run in 0..2 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_iamd"))
            .arg("migrate")
            .env("IAMD_DATABASE_URL", &url)
            .env("IAMD_LOG", "warn")
            .env("IAMD_MASTER_KEY", key.as_str())
            .output()
            .expect("run iamd migrate");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "run {run}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("is up to date"), "{stdout}");
    }
    let store = iamd_store_postgres::connect(&url).await.expect("connect");
    assert!(store
        .get_account(ACCOUNT)
        .await
        .expect("the tables exist")
        .is_none());
    testing::drop_schema(&base, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_policy_change_on_one_node_takes_effect_on_another_within_a_second() {
    let Some(cluster) = Cluster::start(2, |_| None).await else {
        return;
    };
    let key = user_with_key(&cluster.root(0), "governed").await;
    let on_b = cluster.iam(1, &key);
    // Node B has the user's policies cached: GetUser allowed, ListUsers not.
    on_b.get_user().send().await.expect("allowed on B");
    let (code, _, _) = err_of(
        on_b.list_users()
            .send()
            .await
            .expect_err("no policy allows it"),
    );
    assert_eq!(code, "AccessDenied");

    // Grant on A: B honours it within a second.
    cluster
        .root(0)
        .put_user_policy()
        .user_name("governed")
        .policy_name("list-users")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("grant on A");
    let granted = Instant::now();
    while on_b.list_users().send().await.is_err() {
        assert!(granted.elapsed() < STALE_AT_MOST, "B never saw the grant");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let grant_seen = granted.elapsed();
    // Revoke on A: B refuses within a second.
    cluster
        .root(0)
        .delete_user_policy()
        .user_name("governed")
        .policy_name("list-users")
        .send()
        .await
        .expect("revoke on A");
    let revoked = Instant::now();
    while on_b.list_users().send().await.is_ok() {
        assert!(
            revoked.elapsed() < STALE_AT_MOST,
            "B still allows after the revoke"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let revoke_seen = revoked.elapsed();
    println!("B saw the grant after {grant_seen:?} and the revoke after {revoke_seen:?}");
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_membership_change_on_one_node_takes_effect_on_another_within_a_second() {
    let Some(cluster) = Cluster::start(2, |_| None).await else {
        return;
    };
    let key = user_with_key(&cluster.root(0), "member").await;
    let on_b = cluster.iam(1, &key);
    let root_a = cluster.root(0);
    root_a
        .create_group()
        .group_name("listers")
        .send()
        .await
        .expect("create group on A");
    root_a
        .put_group_policy()
        .group_name("listers")
        .policy_name("list-users")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("group policy on A");
    // Node B has the user's policies cached: ListUsers is not allowed.
    let (code, _, _) = err_of(on_b.list_users().send().await.expect_err("not a member"));
    assert_eq!(code, "AccessDenied");

    // Joining on A: B honours the group's policy within a second.
    root_a
        .add_user_to_group()
        .group_name("listers")
        .user_name("member")
        .send()
        .await
        .expect("join on A");
    let joined = Instant::now();
    while on_b.list_users().send().await.is_err() {
        assert!(
            joined.elapsed() < STALE_AT_MOST,
            "B never saw the membership"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let join_seen = joined.elapsed();
    // Leaving on A: B refuses within a second.
    root_a
        .remove_user_from_group()
        .group_name("listers")
        .user_name("member")
        .send()
        .await
        .expect("leave on A");
    let left = Instant::now();
    while on_b.list_users().send().await.is_ok() {
        assert!(
            left.elapsed() < STALE_AT_MOST,
            "B still allows after leaving"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let leave_seen = left.elapsed();
    println!("B saw the membership after {join_seen:?} and its end after {leave_seen:?}");
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aliases_and_service_linked_roles_are_shared_by_every_node() {
    let Some(cluster) = Cluster::start(2, |_| None).await else {
        return;
    };
    let (a, b) = (cluster.root(0), cluster.root(1));
    // Two nodes racing to give the account an alias: one alias is left, one of those asked.
    let races: Vec<_> = ["race-a", "race-b"]
        .into_iter()
        .zip([a.clone(), b.clone()])
        .map(|(alias, node)| async move {
            node.create_account_alias()
                .account_alias(alias)
                .send()
                .await
        })
        .collect();
    for result in join_all(races).await {
        result.expect("each replacement succeeds");
    }
    let on_a = a
        .list_account_aliases()
        .send()
        .await
        .unwrap()
        .account_aliases;
    let on_b = b
        .list_account_aliases()
        .send()
        .await
        .unwrap()
        .account_aliases;
    assert_eq!(on_a, on_b);
    assert!(on_a == ["race-a"] || on_a == ["race-b"], "{on_a:?}");
    // The alias is taken for the other node too.
    let taken = b
        .create_account_alias()
        .account_alias(&on_a[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&taken),
        Some("EntityAlreadyExists")
    );

    // A service-linked role made on one node is protected on the other, and its deletion
    // task is read there.
    a.create_service_linked_role()
        .aws_service_name("ecs.amazonaws.com")
        .send()
        .await
        .unwrap();
    let refused = b
        .delete_role()
        .role_name("AWSServiceRoleForECS")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&refused),
        Some("UnmodifiableEntity")
    );
    let task_id = b
        .delete_service_linked_role()
        .role_name("AWSServiceRoleForECS")
        .send()
        .await
        .unwrap()
        .deletion_task_id;
    let status = a
        .get_service_linked_role_deletion_status()
        .deletion_task_id(&task_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        status.status(),
        &aws_sdk_iam::types::DeletionTaskStatusType::Succeeded
    );
    cluster.stop().await;
}

/// `GET /readyz` of a node whose database goes away: 503 within 2 s, with a reason that
/// names no address or credential, and 200 again once the database is back; `/healthz`
/// stays 200 throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readyz_follows_the_database_within_two_seconds() {
    let Some(base) = testing::database().await else {
        return;
    };
    let proxy = Proxy::start(database_address(&base).await).await;
    let proxy_addr = proxy.addr;
    let Some(cluster) = Cluster::start(1, |_| Some(proxy_addr)).await else {
        return;
    };
    let addr = cluster.nodes[0].addr;
    let probe = |path: &'static str| async move {
        let request = format!("GET {path} HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n");
        let (status, body) = common::raw_http(addr, request.as_bytes()).await;
        let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        (status, json)
    };
    assert_eq!(probe("/readyz").await.0, 200);

    proxy.cut();
    let cut = Instant::now();
    let (status, body) = loop {
        let (status, body) = probe("/readyz").await;
        if status != 200 {
            break (status, body);
        }
        assert!(
            cut.elapsed() < Duration::from_secs(2),
            "still ready 2 s after the cut"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let noticed = cut.elapsed();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["ready"], false);
    let reason = body["reason"].as_str().expect("a reason");
    assert!(
        !reason.contains("127.0.0.1") && !reason.contains("postgres"),
        "{reason}"
    );
    assert_eq!(probe("/healthz").await.0, 200, "alive while not ready");

    proxy.restore();
    let restored = Instant::now();
    while probe("/readyz").await.0 != 200 {
        assert!(
            restored.elapsed() < Duration::from_secs(10),
            "not ready 10 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "not ready {noticed:?} after the cut; ready again {:?} after the restore",
        restored.elapsed()
    );
    cluster.stop().await;
}
