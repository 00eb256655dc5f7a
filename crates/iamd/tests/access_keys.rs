//! ListAccessKeys and the rest of the access-key API, driven by the real aws-sdk-iam.

mod common;

use aws_sdk_iam::types::StatusType;
use common::{err_of, TestServer, ROOT_KEY};

#[tokio::test]
async fn root_without_user_name_lists_its_own_keys() {
    let srv = TestServer::start().await;
    let out = srv.root().list_access_keys().send().await.unwrap();
    let keys = out.access_key_metadata();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].access_key_id(), Some(ROOT_KEY));
    assert_eq!(keys[0].user_name(), None, "root keys carry no UserName");
    assert_eq!(keys[0].status(), Some(&StatusType::Active));
    assert!(!out.is_truncated());
    assert_eq!(out.marker(), None);
}

#[tokio::test]
async fn a_user_lists_its_own_keys_without_naming_itself() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("alice").await;
    srv.allow_self_service("alice").await;
    srv.root()
        .create_user()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    srv.root()
        .create_access_key()
        .user_name("bob")
        .send()
        .await
        .unwrap();

    let alice = srv.iam(&key, &secret);
    let out = alice.list_access_keys().send().await.unwrap();
    let ids: Vec<_> = out
        .access_key_metadata()
        .iter()
        .filter_map(|k| k.access_key_id())
        .collect();
    assert_eq!(ids, vec![key.as_str()]);
    assert_eq!(out.access_key_metadata()[0].user_name(), Some("alice"));
}

#[tokio::test]
async fn create_access_key_returns_an_aws_shaped_key_once() {
    let srv = TestServer::start().await;
    srv.root()
        .create_user()
        .user_name("carol")
        .send()
        .await
        .unwrap();
    let out = srv
        .root()
        .create_access_key()
        .user_name("carol")
        .send()
        .await
        .unwrap();
    let key = out.access_key().unwrap();
    assert_eq!(key.user_name(), "carol");
    assert_eq!(key.access_key_id().len(), 20);
    assert!(key.access_key_id().starts_with("AKIA"));
    assert_eq!(key.secret_access_key().len(), 40);
    assert_eq!(key.status(), &StatusType::Active);
    assert!(key.create_date().is_some());
    // The listing never shows the secret; the SDK's model has no field for it, so check
    // that the key works instead: the secret is the one returned.
    srv.allow_self_service("carol").await;
    let carol = srv.iam(key.access_key_id(), key.secret_access_key());
    carol.list_access_keys().send().await.unwrap();
}

#[tokio::test]
async fn third_key_exceeds_the_quota() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("dave").send().await.unwrap();
    root.create_access_key()
        .user_name("dave")
        .send()
        .await
        .unwrap();
    root.create_access_key()
        .user_name("dave")
        .send()
        .await
        .unwrap();
    let e = err_of(
        root.create_access_key()
            .user_name("dave")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for AccessKeysPerUser: 2".into(),
            409
        )
    );
}

#[tokio::test]
async fn concurrent_creates_give_exactly_two_keys() {
    let srv = TestServer::start().await;
    srv.root()
        .create_user()
        .user_name("erin")
        .send()
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let client = srv.root();
        tasks.push(tokio::spawn(async move {
            client.create_access_key().user_name("erin").send().await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(err_of(e).0, "LimitExceeded"),
        }
    }
    assert_eq!(ok, 2);
    let listed = srv
        .root()
        .list_access_keys()
        .user_name("erin")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.access_key_metadata().len(), 2);
}

#[tokio::test]
async fn unknown_user_is_no_such_entity() {
    let srv = TestServer::start().await;
    let e = err_of(
        srv.root()
            .list_access_keys()
            .user_name("nobody")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            "The user with name nobody cannot be found.".into(),
            404
        )
    );
}

#[tokio::test]
async fn empty_list_is_empty_and_not_truncated() {
    let srv = TestServer::start().await;
    srv.root()
        .create_user()
        .user_name("frank")
        .send()
        .await
        .unwrap();
    let out = srv
        .root()
        .list_access_keys()
        .user_name("frank")
        .send()
        .await
        .unwrap();
    assert!(out.access_key_metadata().is_empty());
    assert!(!out.is_truncated());
    assert_eq!(out.marker(), None);
}

#[tokio::test]
async fn max_items_out_of_range_is_a_validation_error() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let e = err_of(
        root.list_access_keys()
            .max_items(1001)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "ValidationError");
    assert_eq!(e.1, "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000");
    assert_eq!(e.2, 400);
    let e = err_of(
        root.list_access_keys()
            .max_items(0)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.1, "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1");
    let e = err_of(
        root.list_access_keys()
            .user_name("bad/name")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e.1,
        r"1 validation error detected: Value 'bad/name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    );
}

#[tokio::test]
async fn pages_with_markers_and_the_sdk_paginator() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("gina").send().await.unwrap();
    let k1 = root
        .create_access_key()
        .user_name("gina")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap()
        .access_key_id;
    let k2 = root
        .create_access_key()
        .user_name("gina")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap()
        .access_key_id;

    let page1 = root
        .list_access_keys()
        .user_name("gina")
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page1.access_key_metadata().len(), 1);
    assert!(page1.is_truncated());
    let marker = page1.marker().unwrap().to_owned();
    let page2 = root
        .list_access_keys()
        .user_name("gina")
        .max_items(1)
        .marker(&marker)
        .send()
        .await
        .unwrap();
    assert_eq!(page2.access_key_metadata().len(), 1);
    assert!(!page2.is_truncated());
    assert_eq!(page2.marker(), None);
    let mut seen: Vec<String> = page1
        .access_key_metadata()
        .iter()
        .chain(page2.access_key_metadata())
        .map(|k| k.access_key_id().unwrap().to_owned())
        .collect();
    seen.sort();
    let mut expected = vec![k1, k2];
    expected.sort();
    assert_eq!(seen, expected);

    let items: Vec<_> = root
        .list_access_keys()
        .user_name("gina")
        .into_paginator()
        .page_size(1)
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i.is_ok()));
}

#[tokio::test]
async fn markers_stay_correct_when_keys_change_between_pages() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("hank").send().await.unwrap();
    let first = root
        .create_access_key()
        .user_name("hank")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap()
        .access_key_id;
    let second = root
        .create_access_key()
        .user_name("hank")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap()
        .access_key_id;
    let page1 = root
        .list_access_keys()
        .user_name("hank")
        .max_items(1)
        .send()
        .await
        .unwrap();
    let on_page1 = page1.access_key_metadata()[0]
        .access_key_id()
        .unwrap()
        .to_owned();
    let marker = page1.marker().unwrap().to_owned();
    // Delete the item the marker points after: the next page is still right.
    root.delete_access_key()
        .user_name("hank")
        .access_key_id(&on_page1)
        .send()
        .await
        .unwrap();
    let page2 = root
        .list_access_keys()
        .user_name("hank")
        .max_items(1)
        .marker(&marker)
        .send()
        .await
        .unwrap();
    let rest: Vec<_> = page2
        .access_key_metadata()
        .iter()
        .map(|k| k.access_key_id().unwrap())
        .collect();
    let other = if on_page1 == first { &second } else { &first };
    assert_eq!(rest, vec![other.as_str()]);
    // A key added after the first page shows up on a later page, not on an earlier one.
    let third = root
        .create_access_key()
        .user_name("hank")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap()
        .access_key_id;
    let page2 = root
        .list_access_keys()
        .user_name("hank")
        .max_items(10)
        .marker(&marker)
        .send()
        .await
        .unwrap();
    let rest: Vec<_> = page2
        .access_key_metadata()
        .iter()
        .map(|k| k.access_key_id().unwrap())
        .collect();
    assert!(rest.contains(&third.as_str()));
    assert!(!rest.contains(&on_page1.as_str()));
}

#[tokio::test]
async fn forged_and_foreign_markers_are_refused() {
    let srv = TestServer::start().await;
    let root = srv.root();
    for name in ["ivan", "judy"] {
        root.create_user().user_name(name).send().await.unwrap();
        root.create_access_key()
            .user_name(name)
            .send()
            .await
            .unwrap();
        root.create_access_key()
            .user_name(name)
            .send()
            .await
            .unwrap();
    }
    let ivan_marker = root
        .list_access_keys()
        .user_name("ivan")
        .max_items(1)
        .send()
        .await
        .unwrap()
        .marker()
        .unwrap()
        .to_owned();
    let e = err_of(
        root.list_access_keys()
            .user_name("judy")
            .marker(&ivan_marker)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, ("ValidationError".into(), "Invalid Marker.".into(), 400));
    let e = err_of(
        root.list_users()
            .marker(&ivan_marker)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.2, 400);
    let e = err_of(
        root.list_access_keys()
            .user_name("ivan")
            .marker("forged-marker")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, ("ValidationError".into(), "Invalid Marker.".into(), 400));
}

#[tokio::test]
async fn update_and_delete_keys() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("kate").await;
    srv.allow_self_service("kate").await;
    let root = srv.root();
    root.update_access_key()
        .user_name("kate")
        .access_key_id(&key)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let listed = root
        .list_access_keys()
        .user_name("kate")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.access_key_metadata()[0].status(),
        Some(&StatusType::Inactive)
    );
    // An inactive key cannot sign.
    let e = err_of(
        srv.iam(&key, &secret)
            .list_access_keys()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "InvalidClientTokenId".into(),
            "The security token included in the request is invalid.".into(),
            403
        )
    );
    root.update_access_key()
        .user_name("kate")
        .access_key_id(&key)
        .status(StatusType::Active)
        .send()
        .await
        .unwrap();
    srv.iam(&key, &secret)
        .list_access_keys()
        .send()
        .await
        .unwrap();

    // Not kate's key, or no such key.
    let e = err_of(
        root.update_access_key()
            .user_name("kate")
            .access_key_id(ROOT_KEY)
            .status(StatusType::Inactive)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            format!("The Access Key with id {ROOT_KEY} cannot be found."),
            404
        )
    );
    let e = err_of(
        root.update_access_key()
            .user_name("kate")
            .access_key_id(&key)
            .status(StatusType::from("Bogus"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.1, "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set");

    // A user deletes its own key without naming itself; the key stops working at once.
    let kate = srv.iam(&key, &secret);
    kate.delete_access_key()
        .access_key_id(&key)
        .send()
        .await
        .unwrap();
    let e = err_of(kate.list_access_keys().send().await.unwrap_err());
    assert_eq!(e.0, "InvalidClientTokenId");
    let e = err_of(
        root.delete_access_key()
            .user_name("kate")
            .access_key_id(&key)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            format!("The Access Key with id {key} cannot be found."),
            404
        )
    );
}

#[tokio::test]
async fn last_used_is_na_until_used_then_shows_service_and_region() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("liam").await;
    srv.allow_self_service("liam").await;
    let root = srv.root();
    let out = root
        .get_access_key_last_used()
        .access_key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(out.user_name(), Some("liam"));
    let used = out.access_key_last_used().unwrap();
    assert_eq!(used.service_name(), "N/A");
    assert_eq!(used.region(), "N/A");
    assert!(used.last_used_date().is_none());

    srv.iam(&key, &secret)
        .list_access_keys()
        .send()
        .await
        .unwrap();
    let used = root
        .get_access_key_last_used()
        .access_key_id(&key)
        .send()
        .await
        .unwrap();
    let used = used.access_key_last_used().unwrap();
    assert_eq!(used.service_name(), "iam");
    assert_eq!(used.region(), common::REGION);
    assert!(used.last_used_date().is_some());

    let e = err_of(
        root.get_access_key_last_used()
            .access_key_id("AKIAAAAAAAAAAAAAAAAA")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "AccessDenied".into(),
            "User: arn:aws:iam::123456789012:root is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key AKIAAAAAAAAAAAAAAAAA".into(),
            403
        )
    );
}

/// On one node a change to a key holds for the very next request, though the key was
/// just used (its credential cached, the store's readers holding snapshots from before).
#[tokio::test]
async fn a_key_in_use_stops_and_starts_working_at_once() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("lena").await;
    srv.allow_self_service("lena").await;
    let lena = srv.iam(&key, &secret);
    let root = srv.root();
    let set = |status: StatusType| {
        root.update_access_key()
            .user_name("lena")
            .access_key_id(&key)
            .status(status)
            .send()
    };
    for round in 0..20 {
        lena.list_access_keys().send().await.unwrap();
        set(StatusType::Inactive).await.unwrap();
        let e = err_of(lena.list_access_keys().send().await.unwrap_err());
        assert_eq!(e.0, "InvalidClientTokenId", "round {round}: {e:?}");
        let listed = root
            .list_access_keys()
            .user_name("lena")
            .send()
            .await
            .unwrap();
        assert_eq!(
            listed.access_key_metadata()[0].status(),
            Some(&StatusType::Inactive),
            "round {round}"
        );
        set(StatusType::Active).await.unwrap();
        lena.list_access_keys().send().await.unwrap();
    }
}
