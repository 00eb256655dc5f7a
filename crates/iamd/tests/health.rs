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
