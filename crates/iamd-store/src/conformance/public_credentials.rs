//! SSH public keys and signing certificates: a user's, within the quota of their kind,
//! duplicates refused (an SSH key within its user's, a certificate within the account's),
//! listed in upload order (by user, or the whole account), status changes, exact ids, and
//! DeleteUser refused while any is left.

use std::sync::Arc;

use super::{account, at, create};
use crate::ids;
use crate::model::{KeyStatus, PublicCredential, PublicCredentialKind};
use crate::store::{Store, StoreError};

const SSH: PublicCredentialKind = PublicCredentialKind::SshPublicKey;
const CERT: PublicCredentialKind = PublicCredentialKind::SigningCertificate;

fn credential(
    account_id: &str,
    user: &str,
    kind: PublicCredentialKind,
    fingerprint: &str,
    secs: i64,
) -> PublicCredential {
    PublicCredential {
        account_id: account_id.to_owned(),
        kind,
        credential_id: match kind {
            SSH => ids::ssh_public_key_id(account_id),
            CERT => format!("CERT{}", fingerprint.to_uppercase()),
        },
        user_name: user.to_owned(),
        body: format!("body of {fingerprint}"),
        fingerprint: fingerprint.to_owned(),
        status: KeyStatus::Active,
        upload_date: at(secs),
    }
}

fn ids_of(found: Vec<PublicCredential>) -> Vec<String> {
    found.into_iter().map(|c| c.credential_id).collect()
}

pub async fn public_credentials_are_kept_per_user_with_quotas(store: Arc<dyn Store>) {
    let (acct, _) = account(&store).await;
    create(&store, &acct, "Dev", "/").await;
    create(&store, &acct, "ops", "/").await;

    // SSH keys: five per user, a key once per user.
    let mut keys = Vec::new();
    for i in 0..5 {
        let key = credential(&acct, "dev", SSH, &format!("k{i}"), 1); // one second: upload order holds
        store
            .upload_public_credential(&key, 5)
            .await
            .expect("upload, the user found ignoring case");
        keys.push(key);
    }
    let again = store
        .upload_public_credential(&credential(&acct, "Dev", SSH, "k0", 9), 5)
        .await;
    assert!(
        matches!(again, Err(StoreError::DuplicatePublicCredential)),
        "{again:?}"
    );
    let over = store
        .upload_public_credential(&credential(&acct, "Dev", SSH, "k9", 9), 5)
        .await;
    assert!(
        matches!(over, Err(StoreError::PublicCredentialQuotaExceeded)),
        "{over:?}"
    );
    let theirs = credential(&acct, "ops", SSH, "k0", 10);
    store
        .upload_public_credential(&theirs, 5)
        .await
        .expect("another user may hold the same SSH key");
    let missing = store
        .upload_public_credential(&credential(&acct, "nobody", SSH, "k1", 11), 5)
        .await;
    assert!(
        matches!(missing, Err(StoreError::NoSuchUser)),
        "{missing:?}"
    );

    let listed = store
        .list_public_credentials(&acct, Some("DEV"), SSH)
        .await
        .expect("list");
    assert_eq!(listed[0].user_name, "Dev", "the owner's stored name");
    assert_eq!(
        listed[0],
        PublicCredential {
            user_name: "Dev".into(),
            ..keys[0].clone()
        }
    );
    assert_eq!(
        ids_of(listed),
        keys.iter()
            .map(|k| k.credential_id.clone())
            .collect::<Vec<_>>()
    );
    let everyone = store
        .list_public_credentials(&acct, None, SSH)
        .await
        .expect("every user's");
    assert_eq!(everyone.len(), 6);
    let none = store
        .list_public_credentials(&acct, Some("dev"), CERT)
        .await
        .expect("no certificates");
    assert!(none.is_empty());

    // Certificates: two per user, a certificate once per account.
    let c1 = credential(&acct, "dev", CERT, "c1", 20);
    let c2 = credential(&acct, "dev", CERT, "c2", 21);
    store.upload_public_credential(&c1, 2).await.expect("c1");
    store.upload_public_credential(&c2, 2).await.expect("c2");
    let over = store
        .upload_public_credential(&credential(&acct, "dev", CERT, "c3", 22), 2)
        .await;
    assert!(
        matches!(over, Err(StoreError::PublicCredentialQuotaExceeded)),
        "{over:?}"
    );
    let elsewhere = store
        .upload_public_credential(&credential(&acct, "ops", CERT, "c1", 23), 2)
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::DuplicatePublicCredential)),
        "a certificate is the account's once: {elsewhere:?}"
    );

    // Status changes and deletion by exact id, of the user's own of that kind.
    store
        .update_public_credential(
            &acct,
            "dev",
            SSH,
            &keys[1].credential_id,
            KeyStatus::Inactive,
        )
        .await
        .expect("deactivate");
    let listed = store
        .list_public_credentials(&acct, Some("dev"), SSH)
        .await
        .expect("list");
    assert_eq!(
        listed.iter().map(|k| k.status).collect::<Vec<_>>(),
        [
            KeyStatus::Active,
            KeyStatus::Inactive,
            KeyStatus::Active,
            KeyStatus::Active,
            KeyStatus::Active
        ]
    );
    for (user, kind, id) in [
        ("dev", SSH, theirs.credential_id.clone()),
        ("dev", SSH, keys[0].credential_id.to_lowercase()),
        ("dev", CERT, keys[0].credential_id.clone()),
        ("ops", CERT, c1.credential_id.clone()),
    ] {
        let found = store.delete_public_credential(&acct, user, kind, &id).await;
        assert!(
            matches!(found, Err(StoreError::NoSuchPublicCredential)),
            "{user} {kind:?} {id}: {found:?}"
        );
        let found = store
            .update_public_credential(&acct, user, kind, &id, KeyStatus::Inactive)
            .await;
        assert!(
            matches!(found, Err(StoreError::NoSuchPublicCredential)),
            "{found:?}"
        );
    }
    let nobody = store
        .update_public_credential(
            &acct,
            "nobody",
            SSH,
            &keys[0].credential_id,
            KeyStatus::Active,
        )
        .await;
    assert!(matches!(nobody, Err(StoreError::NoSuchUser)), "{nobody:?}");

    // DeleteUser: certificates are named first, then SSH keys.
    let refused = store.delete_user(&acct, "dev").await;
    assert!(
        matches!(refused, Err(StoreError::UserHasPublicCredentials(CERT))),
        "{refused:?}"
    );
    for c in [&c1, &c2] {
        store
            .delete_public_credential(&acct, "dev", CERT, &c.credential_id)
            .await
            .expect("delete certificate");
    }
    let refused = store.delete_user(&acct, "dev").await;
    assert!(
        matches!(refused, Err(StoreError::UserHasPublicCredentials(SSH))),
        "{refused:?}"
    );
    for k in &keys {
        store
            .delete_public_credential(&acct, "dev", SSH, &k.credential_id)
            .await
            .expect("delete key");
    }
    store
        .delete_user(&acct, "dev")
        .await
        .expect("then the user goes");
    store
        .upload_public_credential(&credential(&acct, "ops", CERT, "c1", 30), 2)
        .await
        .expect("a deleted certificate may be uploaded again");
    let left = store
        .list_public_credentials(&acct, None, SSH)
        .await
        .expect("list");
    assert_eq!(ids_of(left), std::slice::from_ref(&theirs.credential_id));
}
