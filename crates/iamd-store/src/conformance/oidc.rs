//! OpenID Connect providers: one per (account, url), the per-account quota, changes applied
//! whole (client ids, thumbprints, tags) and concurrent changes that do not lose each other.

use std::sync::Arc;

use super::{account, at};
use crate::model::{OidcProvider, OidcProviderChange, Tag};
use crate::store::{Store, StoreError};

fn provider(account_id: &str, url: &str) -> OidcProvider {
    OidcProvider {
        account_id: account_id.to_owned(),
        url: url.to_owned(),
        client_ids: vec!["sts.amazonaws.com".into()],
        thumbprints: vec!["6938fd4d98bab03faadb97b34396831e3780aea1".into()],
        tags: vec![Tag {
            key: "team".into(),
            value: "ci \"quoted\"\n".into(),
        }],
        create_date: at(7),
        context_provider: None,
        identity_center_instance_arn: None,
    }
}

pub async fn oidc_providers_are_created_changed_listed_and_deleted(store: Arc<dyn Store>) {
    let (acct, _) = account(&store).await;
    // Another account's id (a store serves one account; the rows are keyed by account).
    let other = crate::ids::account_id();
    let p = provider(&acct, "token.example.com/tenant");
    store.create_oidc_provider(&p, 2).await.expect("create");
    assert!(matches!(
        store.create_oidc_provider(&p, 2).await,
        Err(StoreError::AlreadyExists)
    ));
    store
        .create_oidc_provider(&provider(&other, "token.example.com/tenant"), 2)
        .await
        .expect("another account's provider of the same url");
    store
        .create_oidc_provider(&provider(&acct, "a.example.com"), 2)
        .await
        .expect("second");
    assert!(matches!(
        store
            .create_oidc_provider(&provider(&acct, "b.example.com"), 2)
            .await,
        Err(StoreError::OidcProviderQuotaExceeded)
    ));
    assert_eq!(
        store
            .get_oidc_provider(&acct, "token.example.com/tenant")
            .await
            .unwrap(),
        Some(p.clone())
    );
    assert_eq!(store.get_oidc_provider(&acct, "nope").await.unwrap(), None);
    let listed: Vec<String> = store
        .list_oidc_providers(&acct)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.url)
        .collect();
    assert_eq!(listed, ["a.example.com", "token.example.com/tenant"]);

    let url = "token.example.com/tenant";
    let changed = store
        .change_oidc_provider(&acct, url, &OidcProviderChange::AddClientId("app".into()))
        .await
        .unwrap();
    assert_eq!(changed.client_ids, ["sts.amazonaws.com", "app"]);
    store
        .change_oidc_provider(&acct, url, &OidcProviderChange::AddClientId("app".into()))
        .await
        .expect("adding a present id changes nothing");
    store
        .change_oidc_provider(
            &acct,
            url,
            &OidcProviderChange::RemoveClientId("sts.amazonaws.com".into()),
        )
        .await
        .unwrap();
    store
        .change_oidc_provider(&acct, url, &OidcProviderChange::SetThumbprints(vec![]))
        .await
        .unwrap();
    let over = store
        .change_oidc_provider(
            &acct,
            url,
            &OidcProviderChange::Tag {
                tags: vec![Tag {
                    key: "x".into(),
                    value: "1".into(),
                }],
                max: 1,
            },
        )
        .await;
    assert!(
        matches!(over, Err(StoreError::TagQuotaExceeded)),
        "{over:?}"
    );
    store
        .change_oidc_provider(&acct, url, &OidcProviderChange::Untag(vec!["TEAM".into()]))
        .await
        .unwrap();
    let now = store.get_oidc_provider(&acct, url).await.unwrap().unwrap();
    assert_eq!(now.client_ids, ["app"]);
    assert!(now.thumbprints.is_empty());
    assert!(now.tags.is_empty());
    assert_eq!(now.create_date, at(7));

    // UpdateOpenIDConnectProvider's settings: set, left alone, removed; a provider created
    // with them keeps them.
    let configure =
        |c: Option<Option<&str>>, i: Option<Option<&str>>| OidcProviderChange::Configure {
            context_provider: c.map(|c| c.map(str::to_owned)),
            identity_center_instance_arn: i.map(|i| i.map(str::to_owned)),
        };
    let cp = r#"{"SubjectSourceKey":"sub"}"#;
    let instance = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
    let set = store
        .change_oidc_provider(&acct, url, &configure(Some(Some(cp)), Some(Some(instance))))
        .await
        .unwrap();
    assert_eq!(
        (
            set.context_provider.as_deref(),
            set.identity_center_instance_arn.as_deref()
        ),
        (Some(cp), Some(instance))
    );
    store
        .change_oidc_provider(&acct, url, &configure(Some(None), None))
        .await
        .unwrap();
    let now = store.get_oidc_provider(&acct, url).await.unwrap().unwrap();
    assert_eq!(
        (
            now.context_provider.as_deref(),
            now.identity_center_instance_arn.as_deref()
        ),
        (None, Some(instance))
    );
    assert_eq!(now.client_ids, ["app"], "the other fields are left");
    store
        .change_oidc_provider(&acct, url, &configure(None, Some(None)))
        .await
        .unwrap();
    let now = store.get_oidc_provider(&acct, url).await.unwrap().unwrap();
    assert_eq!(now.identity_center_instance_arn, None);
    let mut configured = provider(&acct, "configured.example.com");
    configured.context_provider = Some(cp.to_owned());
    configured.identity_center_instance_arn = Some(instance.to_owned());
    store.create_oidc_provider(&configured, 100).await.unwrap();
    assert_eq!(
        store
            .get_oidc_provider(&acct, "configured.example.com")
            .await
            .unwrap(),
        Some(configured)
    );
    assert!(matches!(
        store
            .change_oidc_provider(&acct, "nope", &OidcProviderChange::Untag(vec![]))
            .await,
        Err(StoreError::NoSuchOidcProvider)
    ));

    store
        .delete_oidc_provider(&acct, url)
        .await
        .expect("delete");
    assert!(matches!(
        store.delete_oidc_provider(&acct, url).await,
        Err(StoreError::NoSuchOidcProvider)
    ));
    assert!(store
        .get_oidc_provider(&other, url)
        .await
        .unwrap()
        .is_some());
}

pub async fn concurrent_client_id_additions_are_all_kept(store: Arc<dyn Store>) {
    let (acct, _) = account(&store).await;
    let url = "race.example.com";
    let mut p = provider(&acct, url);
    p.client_ids.clear();
    store.create_oidc_provider(&p, 100).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (store, acct) = (store.clone(), acct.clone());
            tokio::spawn(async move {
                store
                    .change_oidc_provider(
                        &acct,
                        url,
                        &OidcProviderChange::AddClientId(format!("client-{i}")),
                    )
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("add");
    }
    let mut ids = store
        .get_oidc_provider(&acct, url)
        .await
        .unwrap()
        .unwrap()
        .client_ids;
    ids.sort();
    assert_eq!(ids.len(), 8, "{ids:?}");
}
