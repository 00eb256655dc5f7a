//! GetAccountSummary: the account's entities counted from the store, and the quotas iamd
//! enforces.

mod common;

use aws_sdk_iam::types::SummaryKeyType as K;
use common::{err_of, TestServer};

#[tokio::test]
async fn the_summary_counts_what_the_account_holds() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let summary = |root: aws_sdk_iam::Client| async move {
        root.get_account_summary()
            .send()
            .await
            .expect("summary")
            .summary_map
            .expect("map")
    };
    let before = summary(root.clone()).await;
    assert_eq!(before.get(&K::Users), Some(&0));
    assert_eq!(before.get(&K::AccountAccessKeysPresent), Some(&1));
    assert_eq!(before.get(&K::GroupsQuota), Some(&300));
    assert_eq!(before.get(&K::AccessKeysPerUserQuota), Some(&2));
    assert_eq!(before.get(&K::MfaDevices), Some(&0));
    // A quota iamd does not enforce is not reported.
    assert_eq!(before.get(&K::UsersQuota), None);

    let (key, secret) = srv.user_with_key("counted").await;
    root.create_group().group_name("g").send().await.unwrap();
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::123456789012:root"}}]}"#;
    root.create_role()
        .role_name("r")
        .assume_role_policy_document(doc)
        .send()
        .await
        .unwrap();
    root.create_policy()
        .policy_name("p")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetAccountSummary","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let after = summary(root.clone()).await;
    for (k, n) in [
        (K::Users, 1),
        (K::Groups, 1),
        (K::Roles, 1),
        (K::Policies, 1),
        (K::PolicyVersionsInUse, 0),
        (K::InstanceProfiles, 0),
    ] {
        assert_eq!(after.get(&k), Some(&n), "{k:?}");
    }

    // A user needs iam:GetAccountSummary; attaching the policy grants it, and its
    // version is then in use.
    let user = srv.iam(&key, &secret);
    let (code, message, _) = err_of(user.get_account_summary().send().await.unwrap_err());
    assert_eq!(code, "AccessDenied");
    assert!(message.contains("iam:GetAccountSummary"), "{message}");
    root.attach_user_policy()
        .user_name("counted")
        .policy_arn("arn:aws:iam::123456789012:policy/p")
        .send()
        .await
        .unwrap();
    let mine = summary(user).await;
    assert_eq!(mine.get(&K::PolicyVersionsInUse), Some(&1));
}
