//! The probes outside the AWS API: `GET /healthz` and `GET /readyz`, answered without a
//! signature, as JSON, on the service port (on SQLite, or on PostgreSQL with
//! `IAMD_TEST_STORE=postgres`; losing the database is in tests/postgres.rs).

mod common;

use common::{raw_http, TestServer};

async fn get(srv: &TestServer, path: &str) -> (u16, serde_json::Value) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n");
    let (status, body) = raw_http(srv.running.addr, request.as_bytes()).await;
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (status, json)
}

#[tokio::test]
async fn healthz_and_readyz_answer_without_a_signature() {
    let srv = TestServer::start().await;
    let (status, alive) = get(&srv, "/healthz").await;
    assert_eq!((status, alive), (200, serde_json::json!({"status": "ok"})));

    let (status, ready) = get(&srv, "/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["migrations"], "applied");
    assert_eq!(ready["reason"], serde_json::Value::Null);
    let store = match std::env::var("IAMD_TEST_STORE").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    };
    assert_eq!(ready["store"], store);
    // The embedded store keeps its users in memory; PostgreSQL's nodes do not.
    let directory = if store == "sqlite" {
        "in memory"
    } else {
        "none"
    };
    assert_eq!(ready["user_directory"], directory);

    // Many probes in a row are answered (from one store read per quarter second).
    for _ in 0..50 {
        assert_eq!(get(&srv, "/readyz").await.0, 200);
    }
}

#[tokio::test]
async fn other_paths_and_methods_are_the_aws_api() {
    let srv = TestServer::start().await;
    // A POST to a probe's path is an AWS request, to a path the API does not have.
    let post = b"POST /healthz HTTP/1.1\r\nHost: iamd\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 35\r\nConnection: close\r\n\r\nAction=ListUsers&Version=2010-05-08";
    let (status, body) = raw_http(srv.running.addr, &post[..]).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("<Code>NotFound</Code>"), "{body}");
    let (status, body) = raw_http(
        srv.running.addr,
        b"GET /metricsz HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(body.contains("<ErrorResponse"), "{status} {body}");
}

#[tokio::test]
async fn metrics_count_requests_by_action_and_code() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.list_users().send().await.expect("list users");
    root.list_users().send().await.expect("list users");
    let _ = root
        .get_user()
        .user_name("nobody")
        .send()
        .await
        .unwrap_err();
    let request = "GET /metrics HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n";
    let (status, text) = raw_http(srv.running.addr, request.as_bytes()).await;
    assert_eq!(status, 200);
    let has = |line: &str| text.lines().any(|l| l == line);
    assert!(
        has(r#"iamd_requests_total{service="iam",action="ListUsers",code="OK"} 2"#),
        "{text}"
    );
    assert!(
        has(r#"iamd_requests_total{service="iam",action="GetUser",code="NoSuchEntity"} 1"#),
        "{text}"
    );
    assert!(
        has(r#"iamd_request_duration_seconds_count{service="iam",action="ListUsers"} 2"#),
        "{text}"
    );
    assert!(
        text.ends_with("# EOF\n"),
        "OpenMetrics text ends with # EOF"
    );
}

/// `--metrics-listen`: `/metrics` and the probes on their own port, and `/metrics` no longer
/// on the service port (404, as any path outside the API).
#[tokio::test]
async fn metrics_on_a_listener_of_their_own() {
    let srv = TestServer::start_metrics_apart().await;
    let apart = srv.running.metrics_addr.expect("a metrics address");
    assert_ne!(apart, srv.running.addr);
    let (status, text) = raw_http(
        apart,
        b"GET /metrics HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    assert!(text.contains("iamd_build_info"), "{text}");
    let (status, _) = raw_http(
        apart,
        b"GET /healthz HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = raw_http(
        apart,
        b"GET / HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = raw_http(
        srv.running.addr,
        b"GET /metrics HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = get(&srv, "/healthz").await;
    assert_eq!(status, 200, "the probes stay on the service port too");
}

/// The store's latency and errors, by backend and `Store` method: a call the caches
/// cannot answer is timed once, and a refusal the store makes is counted by kind.
#[tokio::test]
async fn metrics_time_store_calls_and_count_their_errors() {
    let srv = TestServer::start().await;
    let backend = match std::env::var("IAMD_TEST_STORE").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    };
    let root = srv.root();
    root.create_user().user_name("carol").send().await.unwrap();
    root.create_user().user_name("dave").send().await.unwrap();
    let _ = root
        .create_user()
        .user_name("carol")
        .send()
        .await
        .unwrap_err();
    let request = "GET /metrics HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n";
    let (status, text) = raw_http(srv.running.addr, request.as_bytes()).await;
    assert_eq!(status, 200);
    let value = |series: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .map(|v| v.parse::<f64>().unwrap())
    };
    let calls = value(&format!(
        r#"iamd_store_operation_duration_seconds_count{{backend="{backend}",operation="create_user"}}"#
    ));
    assert_eq!(
        calls,
        Some(3.0),
        "three CreateUser, one store call each:\n{text}"
    );
    let conflicts = value(&format!(
        r#"iamd_store_errors_total{{backend="{backend}",operation="create_user",kind="conflict"}}"#
    ));
    assert_eq!(conflicts, Some(1.0), "{text}");
    assert!(
        !text.contains(r#"kind="unavailable""#),
        "no backend failure:\n{text}"
    );
}
