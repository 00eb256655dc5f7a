//! Service-specific credentials: a user's, per service within the quota, listed in
//! creation order (by user, by service, or the whole account), status and password
//! changes, exact ids, and DeleteUser refused while any is left.

use std::sync::Arc;

use super::{account, at, create};
use crate::ids;
use crate::model::{KeyStatus, ServiceCredential};
use crate::store::{Store, StoreError};

fn credential(account_id: &str, user: &str, service: &str, secs: i64) -> ServiceCredential {
    ServiceCredential {
        account_id: account_id.to_owned(),
        credential_id: ids::service_credential_id(account_id),
        user_name: user.to_owned(),
        service_name: service.to_owned(),
        service_user_name: format!("{user}-at-{account_id}"),
        password: ids::secret_access_key().seal(super::ring()),
        status: KeyStatus::Active,
        create_date: at(secs),
    }
}

pub async fn service_credentials_are_kept_per_user_and_service(store: Arc<dyn Store>) {
    let (acct, _) = account(&store).await;
    create(&store, &acct, "Dev", "/").await;
    create(&store, &acct, "ops", "/").await;
    let cc = "codecommit.amazonaws.com";
    let ks = "cassandra.amazonaws.com";
    let first = credential(&acct, "dev", cc, 1);
    store
        .create_service_credential(&first, 2)
        .await
        .expect("create, the user found ignoring case");
    let second = credential(&acct, "Dev", cc, 2);
    store
        .create_service_credential(&second, 2)
        .await
        .expect("second");
    let over = store
        .create_service_credential(&credential(&acct, "Dev", cc, 3), 2)
        .await;
    assert!(
        matches!(over, Err(StoreError::ServiceCredentialQuotaExceeded)),
        "{over:?}"
    );
    let keyspaces = credential(&acct, "Dev", ks, 4);
    store
        .create_service_credential(&keyspaces, 2)
        .await
        .expect("another service has its own quota");
    let theirs = credential(&acct, "ops", cc, 5);
    store
        .create_service_credential(&theirs, 2)
        .await
        .expect("ops");
    let missing = store
        .create_service_credential(&credential(&acct, "nobody", cc, 6), 2)
        .await;
    assert!(
        matches!(missing, Err(StoreError::NoSuchUser)),
        "{missing:?}"
    );

    let ids = |found: Vec<ServiceCredential>| -> Vec<String> {
        found.into_iter().map(|c| c.credential_id).collect()
    };
    let listed = store
        .list_service_credentials(&acct, Some("DEV"), None)
        .await
        .expect("list");
    assert_eq!(listed[0].user_name, "Dev", "the owner's stored name");
    assert_eq!(listed[0].password, first.password, "the sealed password");
    assert_eq!(
        ids(listed),
        [&first, &second, &keyspaces].map(|c| c.credential_id.clone())
    );
    let by_service = store
        .list_service_credentials(&acct, Some("dev"), Some(ks))
        .await
        .expect("by service");
    assert_eq!(ids(by_service), vec![keyspaces.credential_id.clone()]);
    let everyone = store
        .list_service_credentials(&acct, None, Some(cc))
        .await
        .expect("every user's");
    assert_eq!(
        ids(everyone),
        [&first, &second, &theirs].map(|c| c.credential_id.clone())
    );
    let nobody = store
        .list_service_credentials(&acct, Some("nobody"), None)
        .await;
    assert!(matches!(nobody, Err(StoreError::NoSuchUser)), "{nobody:?}");

    store
        .update_service_credential(&acct, "dev", &first.credential_id, KeyStatus::Inactive)
        .await
        .expect("deactivate");
    let new_password = ids::secret_access_key().seal(super::ring());
    let reset = store
        .reset_service_credential(&acct, "dev", &first.credential_id, &new_password)
        .await
        .expect("reset");
    assert_eq!(
        (reset.status, &reset.password),
        (KeyStatus::Inactive, &new_password)
    );
    // Another user's credential, or an id in another case, is not this user's.
    for id in [
        theirs.credential_id.clone(),
        first.credential_id.to_lowercase(),
    ] {
        let found = store.delete_service_credential(&acct, "dev", &id).await;
        assert!(
            matches!(found, Err(StoreError::NoSuchServiceCredential)),
            "{found:?}"
        );
    }
    let nobody = store
        .update_service_credential(&acct, "nobody", &first.credential_id, KeyStatus::Active)
        .await;
    assert!(matches!(nobody, Err(StoreError::NoSuchUser)), "{nobody:?}");

    let refused = store.delete_user(&acct, "ops").await;
    assert!(
        matches!(refused, Err(StoreError::UserHasServiceCredentials)),
        "{refused:?}"
    );
    store
        .delete_service_credential(&acct, "ops", &theirs.credential_id)
        .await
        .expect("delete");
    store
        .delete_user(&acct, "ops")
        .await
        .expect("then the user goes");
    let left = store
        .list_service_credentials(&acct, None, None)
        .await
        .expect("list");
    assert_eq!(left.len(), 3);
}
