//! SAML providers: one per (account, name), the per-account quota, updates and tags
//! applied whole, and concurrent tag changes that do not lose each other.

use std::sync::Arc;

use super::{account, at};
use crate::model::{SamlProvider, SamlProviderChange, Tag};
use crate::store::{Store, StoreError};

fn provider(account_id: &str, name: &str) -> SamlProvider {
    SamlProvider {
        account_id: account_id.to_owned(),
        name: name.to_owned(),
        uuid: format!("uuid-of-{name}"),
        metadata: "<md:EntityDescriptor>\"quoted\"\n</md:EntityDescriptor>".into(),
        valid_until: at(100),
        assertion_encryption_mode: None,
        tags: vec![Tag {
            key: "team".into(),
            value: "sso".into(),
        }],
        create_date: at(7),
    }
}

pub async fn saml_providers_are_created_updated_listed_and_deleted(store: Arc<dyn Store>) {
    let (acct, _) = account(&store).await;
    let other = crate::ids::account_id();
    let p = provider(&acct, "Okta");
    store.create_saml_provider(&p, 2).await.expect("create");
    assert_err!(
        store.create_saml_provider(&p, 2).await,
        StoreError::AlreadyExists
    );
    store
        .create_saml_provider(&provider(&other, "Okta"), 2)
        .await
        .expect("another account's provider of the same name");
    store
        .create_saml_provider(&provider(&acct, "AzureAD"), 2)
        .await
        .expect("second");
    assert_err!(
        store
            .create_saml_provider(&provider(&acct, "Third"), 2)
            .await,
        StoreError::SamlProviderQuotaExceeded
    );
    assert_eq!(
        store.get_saml_provider(&acct, "Okta").await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(store.get_saml_provider(&acct, "okta").await.unwrap(), None);
    let listed: Vec<String> = store
        .list_saml_providers(&acct)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(listed, ["AzureAD", "Okta"]);

    let updated = store
        .change_saml_provider(
            &acct,
            "Okta",
            &SamlProviderChange::Update {
                metadata: Some(("<new/>".into(), at(200))),
                assertion_encryption_mode: Some("Required".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.metadata, "<new/>");
    assert_eq!(updated.valid_until, at(200));
    let over = store
        .change_saml_provider(
            &acct,
            "Okta",
            &SamlProviderChange::Tag {
                tags: vec![Tag {
                    key: "x".into(),
                    value: "1".into(),
                }],
                max: 1,
            },
        )
        .await;
    assert_err!(over, StoreError::TagQuotaExceeded);
    store
        .change_saml_provider(
            &acct,
            "Okta",
            &SamlProviderChange::Untag(vec!["TEAM".into()]),
        )
        .await
        .unwrap();
    let now = store
        .get_saml_provider(&acct, "Okta")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.metadata, "<new/>");
    assert_eq!(now.assertion_encryption_mode.as_deref(), Some("Required"));
    assert!(now.tags.is_empty());
    assert_eq!(
        (now.create_date, now.uuid.as_str()),
        (at(7), "uuid-of-Okta")
    );
    assert_err!(
        store
            .change_saml_provider(&acct, "nope", &SamlProviderChange::Untag(vec![]))
            .await,
        StoreError::NoSuchSamlProvider
    );

    store
        .delete_saml_provider(&acct, "Okta")
        .await
        .expect("delete");
    assert_err!(
        store.delete_saml_provider(&acct, "Okta").await,
        StoreError::NoSuchSamlProvider
    );
    assert!(store
        .get_saml_provider(&other, "Okta")
        .await
        .unwrap()
        .is_some());
}

pub async fn concurrent_saml_tag_changes_are_all_kept(store: Arc<dyn Store>) {
    let (acct, _) = account(&store).await;
    let mut p = provider(&acct, "race");
    p.tags.clear();
    store.create_saml_provider(&p, 100).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (store, acct) = (store.clone(), acct.clone());
            tokio::spawn(async move {
                let tag = Tag {
                    key: format!("k{i}"),
                    value: "v".into(),
                };
                store
                    .change_saml_provider(
                        &acct,
                        "race",
                        &SamlProviderChange::Tag {
                            tags: vec![tag],
                            max: 50,
                        },
                    )
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("tag");
    }
    let tags = store
        .get_saml_provider(&acct, "race")
        .await
        .unwrap()
        .unwrap()
        .tags;
    assert_eq!(tags.len(), 8, "{tags:?}");
}
