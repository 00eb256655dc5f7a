//! The user API, driven by the real aws-sdk-iam.

mod common;

use aws_sdk_iam::types::Tag;
use common::{err_of, TestServer, ACCOUNT};

#[tokio::test]
async fn create_get_and_list_users() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let created = root
        .create_user()
        .user_name("Alice")
        .path("/eng/")
        .tags(Tag::builder().key("team").value("core").build().unwrap())
        .tags(Tag::builder().key("empty").value("").build().unwrap())
        .send()
        .await
        .unwrap();
    let user = created.user().unwrap();
    assert_eq!(user.user_name(), "Alice");
    assert_eq!(user.path(), "/eng/");
    assert_eq!(user.arn(), format!("arn:aws:iam::{ACCOUNT}:user/eng/Alice"));
    assert!(user.user_id().starts_with("AIDA") && user.user_id().len() == 21);
    let tags: Vec<_> = user.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, vec![("team", "core"), ("empty", "")]);

    // Lookups ignore case and return the stored casing.
    let got = root.get_user().user_name("alice").send().await.unwrap();
    assert_eq!(got.user().unwrap().user_name(), "Alice");
    assert_eq!(got.user().unwrap().user_id(), user.user_id());
    assert_eq!(got.user().unwrap().tags().len(), 2);

    root.create_user().user_name("bob").send().await.unwrap();
    let all = root.list_users().send().await.unwrap();
    let names: Vec<_> = all.users().iter().map(|u| u.user_name()).collect();
    assert_eq!(names, vec!["Alice", "bob"]);
    assert!(
        all.users().iter().all(|u| u.tags().is_empty()),
        "listings omit tags"
    );
    let eng = root.list_users().path_prefix("/en").send().await.unwrap();
    assert_eq!(eng.users().len(), 1);

    let page = root.list_users().max_items(1).send().await.unwrap();
    assert!(page.is_truncated());
    let rest = root
        .list_users()
        .max_items(1)
        .marker(page.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.users()[0].user_name(), "bob");
    assert!(!rest.is_truncated());
}

#[tokio::test]
async fn names_are_unique_ignoring_case() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("Bob").send().await.unwrap();
    let e = err_of(
        root.create_user()
            .user_name("BOB")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "EntityAlreadyExists".into(),
            "User with name BOB already exists.".into(),
            409
        )
    );
}

#[tokio::test]
async fn get_user_of_the_caller() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("carl").await;
    srv.allow("carl", "iam:GetUser").await;
    let me = srv.iam(&key, &secret).get_user().send().await.unwrap();
    assert_eq!(me.user().unwrap().user_name(), "carl");
    let root = srv.root().get_user().send().await.unwrap();
    let root = root.user().unwrap();
    assert_eq!(root.arn(), format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(root.user_id(), ACCOUNT);
    let e = err_of(
        srv.root()
            .get_user()
            .user_name("ghost")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            "The user with name ghost cannot be found.".into(),
            404
        )
    );
}

#[tokio::test]
async fn rename_moves_keys_along() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("dora").await;
    srv.allow("dora", "iam:GetUser").await;
    let root = srv.root();
    let before = root
        .get_user()
        .user_name("dora")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    root.update_user()
        .user_name("dora")
        .new_user_name("dora2")
        .new_path("/moved/")
        .send()
        .await
        .unwrap();
    let e = err_of(root.get_user().user_name("dora").send().await.unwrap_err());
    assert_eq!(e.1, "The user with name dora cannot be found.");
    let after = root
        .get_user()
        .user_name("dora2")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(after.user_id(), before.user_id());
    assert_eq!(
        after.arn(),
        format!("arn:aws:iam::{ACCOUNT}:user/moved/dora2")
    );
    let keys = root
        .list_access_keys()
        .user_name("dora2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys.access_key_metadata()[0].access_key_id(),
        Some(key.as_str())
    );
    assert_eq!(keys.access_key_metadata()[0].user_name(), Some("dora2"));
    // The key still signs, as the renamed user.
    let me = srv.iam(&key, &secret).get_user().send().await.unwrap();
    assert_eq!(me.user().unwrap().user_name(), "dora2");

    root.create_user().user_name("eve").send().await.unwrap();
    let e = err_of(
        root.update_user()
            .user_name("dora2")
            .new_user_name("EVE")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "EntityAlreadyExists".into(),
            "User with name EVE already exists.".into(),
            409
        )
    );
    let e = err_of(
        root.update_user()
            .user_name("nobody")
            .new_user_name("x")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "NoSuchEntity");
}

#[tokio::test]
async fn delete_user_needs_its_keys_gone_first() {
    let srv = TestServer::start().await;
    let (key, _) = srv.user_with_key("finn").await;
    let root = srv.root();
    let e = err_of(
        root.delete_user()
            .user_name("finn")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "DeleteConflict".into(),
            "Cannot delete entity, must delete access keys first.".into(),
            409
        )
    );
    root.delete_access_key()
        .user_name("finn")
        .access_key_id(&key)
        .send()
        .await
        .unwrap();
    root.delete_user().user_name("finn").send().await.unwrap();
    let e = err_of(
        root.delete_user()
            .user_name("finn")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".into(),
            "The user with name finn cannot be found.".into(),
            404
        )
    );
}

#[tokio::test]
async fn create_user_validates_input() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let long = "x".repeat(65);
    let e = err_of(
        root.create_user()
            .user_name(&long)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "ValidationError");
    assert_eq!(e.1, format!("1 validation error detected: Value '{long}' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"));
    let e = err_of(
        root.create_user()
            .user_name("ok")
            .path("no-slash")
            .send()
            .await
            .unwrap_err(),
    );
    assert!(e.1.contains("at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern"), "{}", e.1);
    let e = err_of(
        root.create_user()
            .user_name("dup")
            .tags(Tag::builder().key("K").value("1").build().unwrap())
            .tags(Tag::builder().key("k").value("2").build().unwrap())
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "InvalidInput".into(),
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into(),
            400
        )
    );
    // Nothing was half-written.
    let e = err_of(root.get_user().user_name("dup").send().await.unwrap_err());
    assert_eq!(e.0, "NoSuchEntity");
}

/// An error that echoes a parameter with control characters is still XML the SDK reads:
/// a carriage return comes back as sent, a character XML 1.0 cannot carry as U+FFFD (the
/// body had a raw U+0001 before; found by the `xml` fuzz target).
#[tokio::test]
async fn control_characters_in_an_echoed_value_keep_the_body_xml() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let e = err_of(
        root.create_user()
            .user_name("a\u{1}b\rc")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.0, "ValidationError");
    assert!(
        e.1.starts_with("1 validation error detected: Value 'a\u{FFFD}b\rc' at 'userName'"),
        "{:?}",
        e.1
    );
}

#[tokio::test]
async fn caller_identity_over_sts() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("gus").await;
    let me = srv
        .sts(&key, &secret)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some(ACCOUNT));
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/gus").as_str())
    );
    assert!(me.user_id().unwrap().starts_with("AIDA"));
    let root = srv
        .sts(common::ROOT_KEY, common::ROOT_SECRET)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        root.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:root").as_str())
    );
    assert_eq!(root.user_id(), Some(ACCOUNT));
}
