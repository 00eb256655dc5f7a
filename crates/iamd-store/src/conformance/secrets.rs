//! Re-sealing stored secrets: legacy `plain:` rows at start, every row under a new master
//! key for `iamd rekey`, batch by batch.

use std::sync::Arc;

use super::{account, create, new_key, owner_of};
use crate::ids;
use crate::model::{KeyOwner, ACCESS_KEYS_PER_USER};
use crate::secret::{Keyring, MasterKey, SealedSecret, SecretKey};
use crate::store::{Reseal, Store, StoreError};

/// Every stored secret of the account: (key id or role name, stored form).
async fn stored(
    store: &Arc<dyn Store>,
    keys: &[String],
    roles: &[(String, String)],
) -> Vec<SealedSecret> {
    let mut all = Vec::new();
    for id in keys {
        let cred = store.get_credential(id).await.expect("get_credential");
        all.push(cred.expect("key exists").secret);
    }
    for (account_id, name) in roles {
        let role = store.get_role(account_id, name).await.expect("get_role");
        all.push(role.expect("role exists").session_secret);
    }
    all
}

pub async fn secrets_are_resealed_in_batches(store: Arc<dyn Store>) {
    let (account_id, root_key) = account(&store).await;
    let (a_text, b_text) = (MasterKey::generate().1, MasterKey::generate().1);
    let key = |text: &str| MasterKey::from_base64(text).expect("a valid key");
    let ring_a = Keyring::new(key(&a_text));
    let ring_b = Keyring::new(key(&b_text));
    // The root key, made by `account`, is under the suite's key: the ring holds it too.
    let ring_b_and_a = Keyring::new(key(&b_text))
        .with_old(key(&a_text))
        .with_old(key(super::ring_text()));

    // Seven plain keys (the root's, sealed by `account` under the suite's key, aside), and
    // three plain roles; one more key already under A.
    let mut keys = Vec::new();
    let mut clear = Vec::new();
    for i in 0..4 {
        let user = create(&store, &account_id, &format!("u{i}"), "/").await;
        for _ in 0..2 {
            let secret = ids::secret_access_key();
            let sealed = if keys.len() == 7 {
                secret.seal(&ring_a)
            } else {
                secret.seal_plain()
            };
            let new = crate::model::NewAccessKey {
                secret: sealed,
                ..new_key(&account_id, &owner_of(&user), super::at(i))
            };
            store
                .create_access_key(&new, ACCESS_KEYS_PER_USER)
                .await
                .expect("create_access_key");
            keys.push(new.access_key_id);
            clear.push(secret);
        }
    }
    let mut roles = Vec::new();
    for i in 0..3 {
        let secret = ids::secret_access_key();
        let mut role = super::roles::new_role(&account_id, &format!("r{i}"), "/");
        role.session_secret = secret.seal_plain();
        store.create_role(&role).await.expect("create_role");
        roles.push((account_id.clone(), role.role_name));
        clear.push(secret);
    }
    let check_opens = |all: &[SealedSecret], ring: &Keyring, clear: &[SecretKey]| {
        for (sealed, secret) in all.iter().zip(clear) {
            assert_eq!(&sealed.open(ring).expect("opens"), secret);
        }
    };

    // Start-up: the plain ones (7 keys, 3 roles), in batches of 2, all under A.
    let n = store
        .reseal_secrets(&ring_a, Reseal::Plain, 2)
        .await
        .expect("reseal plain");
    assert_eq!(n, 10);
    let all = stored(&store, &keys, &roles).await;
    assert!(all.iter().all(|s| s.key_id() == Some(ring_a.current_id())));
    check_opens(&all, &ring_a, &clear);
    assert_eq!(
        store
            .reseal_secrets(&ring_a, Reseal::Plain, 2)
            .await
            .expect("again"),
        0,
        "nothing plain is left"
    );

    // Rekey to B with A still held: everything not under B (the root key included).
    let n = store
        .reseal_secrets(&ring_b_and_a, Reseal::NotCurrent, 3)
        .await
        .expect("rekey");
    assert_eq!(n, 12, "8 keys, 3 roles and the root key");
    let all = stored(&store, &keys, &roles).await;
    assert!(all.iter().all(|s| s.key_id() == Some(ring_b.current_id())));
    check_opens(&all, &ring_b, &clear);
    let root = store
        .get_credential(&root_key.access_key_id)
        .await
        .expect("get_credential")
        .expect("root key");
    assert_eq!(root.secret.key_id(), Some(ring_b.current_id()));
    assert_eq!(
        store
            .reseal_secrets(&ring_b, Reseal::NotCurrent, 3)
            .await
            .expect("again"),
        0
    );

    // A secret under a key the ring lacks stops the work with an error, not a panic.
    let stray = store
        .create_access_key(
            &crate::model::NewAccessKey {
                secret: ids::secret_access_key().seal(&Keyring::generate()),
                ..new_key(&account_id, &KeyOwner::Root, super::at(9))
            },
            ACCESS_KEYS_PER_USER,
        )
        .await
        .expect("create_access_key");
    match store.reseal_secrets(&ring_b, Reseal::NotCurrent, 3).await {
        Err(StoreError::Backend(msg)) => assert!(msg.contains(&stray.access_key_id), "{msg}"),
        other => panic!("expected a backend error, got {other:?}"),
    }
}
