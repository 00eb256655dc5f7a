//! Account aliases with the real aws-sdk-iam: one alias per account, replaced by the next,
//! each taken once; deleting names the alias; listing pages; the model's pattern; the
//! actions authorized like every other; the alias survives a restart.

mod common;

use common::{err_of, TestServer, ACCOUNT, ROOT_KEY, ROOT_SECRET};

async fn aliases(client: &aws_sdk_iam::Client) -> Vec<String> {
    let out = client.list_account_aliases().send().await.unwrap();
    assert!(!out.is_truncated());
    assert_eq!(out.marker(), None);
    out.account_aliases
}

#[tokio::test]
async fn an_alias_is_created_replaced_and_deleted() {
    let srv = TestServer::start().await;
    let root = srv.root();
    assert!(aliases(&root).await.is_empty(), "no alias at first");

    root.create_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .unwrap();
    assert_eq!(aliases(&root).await, ["example-corp"]);

    // The alias is taken (by this very account).
    let e = err_of(
        root.create_account_alias()
            .account_alias("example-corp")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "EntityAlreadyExists".into(),
            "The account alias example-corp already exists.".into(),
            409
        )
    );

    // One alias per account: a new one replaces the old, as on AWS.
    root.create_account_alias()
        .account_alias("example-corp-2")
        .send()
        .await
        .unwrap();
    assert_eq!(aliases(&root).await, ["example-corp-2"]);

    // Deleting names the alias; the old one is gone.
    let e = err_of(
        root.delete_account_alias()
            .account_alias("example-corp")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            "The account alias example-corp cannot be found.".into(),
            404
        )
    );
    root.delete_account_alias()
        .account_alias("example-corp-2")
        .send()
        .await
        .unwrap();
    assert!(aliases(&root).await.is_empty());
    let e = err_of(
        root.delete_account_alias()
            .account_alias("example-corp-2")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "NoSuchEntity");
    // A deleted alias is free again.
    root.create_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .unwrap();
    assert_eq!(aliases(&root).await, ["example-corp"]);
}

#[tokio::test]
async fn the_alias_pattern_is_the_models() {
    let srv = TestServer::start().await;
    let root = srv.root();
    for bad in [
        "-corp",
        "corp-",
        "co--rp",
        "Corp",
        "co_rp",
        "ab",
        "a.b.c",
        &"a".repeat(64),
    ] {
        let e = err_of(
            root.create_account_alias()
                .account_alias(bad)
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(
            (e.0.as_str(), e.2),
            ("ValidationError", 400),
            "{bad}: {e:?}"
        );
        assert!(e.1.contains("accountAlias"), "{bad}: {}", e.1);
        let e = err_of(
            root.delete_account_alias()
                .account_alias(bad)
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(e.0, "ValidationError", "{bad}");
    }
    // The shortest and the longest, digits only, single inner hyphens: all fine.
    for good in ["abc", "123", "a-b-c", &"a".repeat(63)] {
        root.create_account_alias()
            .account_alias(good)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{good}: {e:?}"));
        assert_eq!(aliases(&root).await, [good]);
    }
}

#[tokio::test]
async fn list_account_aliases_pages_and_checks_markers() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_account_alias()
        .account_alias("paged")
        .send()
        .await
        .unwrap();
    let page = root
        .list_account_aliases()
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.account_aliases(), ["paged"]);
    assert!(!page.is_truncated());
    let e = err_of(
        root.list_account_aliases()
            .marker("not-a-marker")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, ("ValidationError".into(), "Invalid Marker.".into(), 400));
    let e = err_of(
        root.list_account_aliases()
            .max_items(0)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "ValidationError");
}

#[tokio::test]
async fn alias_actions_need_permission() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("alice").await;
    let alice = srv.iam(&key, &secret);
    let e = err_of(
        alice
            .create_account_alias()
            .account_alias("alices")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
    assert_eq!(
        e.1,
        format!("User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:CreateAccountAlias on resource: * because no identity-based policy allows the iam:CreateAccountAlias action")
    );
    let e = err_of(alice.list_account_aliases().send().await.unwrap_err());
    assert_eq!(e.0, "AccessDenied");

    srv.allow("alice", "iam:CreateAccountAlias").await;
    srv.allow("alice", "iam:ListAccountAliases").await;
    alice
        .create_account_alias()
        .account_alias("alices")
        .send()
        .await
        .unwrap();
    assert_eq!(aliases(&alice).await, ["alices"]);
    let e = err_of(
        alice
            .delete_account_alias()
            .account_alias("alices")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "AccessDenied");
}

/// The alias is in the database, not in the process (SQLite; PostgreSQL's durability is
/// its own, and the Store conformance suite runs there).
#[tokio::test]
async fn the_alias_survives_a_restart() {
    if std::env::var("IAMD_TEST_STORE").as_deref() == Ok("postgres") {
        return;
    }
    let srv = TestServer::start().await;
    srv.root()
        .create_account_alias()
        .account_alias("durable")
        .send()
        .await
        .unwrap();
    let data_dir = srv.data_dir.clone();
    srv.running.shutdown().await;
    let running = iamd::start(common::test_config(data_dir))
        .await
        .expect("iamd restarts");
    let root = common::iam_client(&running.endpoint(), ROOT_KEY, ROOT_SECRET);
    assert_eq!(aliases(&root).await, ["durable"]);
    running.shutdown().await;
}
