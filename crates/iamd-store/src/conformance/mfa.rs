//! Virtual MFA devices: creation, assignment to users, the single use of codes (also
//! under concurrency), the per-user quota, tags, DeleteUser's check and re-sealing seeds.

use std::sync::Arc;

use tokio::sync::Barrier;

use super::{account, at, create, ring};
use crate::ids;
use crate::model::{AccountCounts, MfaDevice, Tag, Tagged, TaggedKind, MFA_DEVICES_PER_USER};
use crate::secret::{Keyring, MasterKey, SealedSecret};
use crate::store::{Reseal, Store, StoreError};

fn new_device(account_id: &str, name: &str, path: &str) -> MfaDevice {
    MfaDevice {
        account_id: account_id.to_owned(),
        serial_number: format!("arn:aws:iam::{account_id}:mfa{path}{name}"),
        device_name: name.to_owned(),
        path: path.to_owned(),
        create_date: at(0),
        enable_date: None,
        user: None,
        tags: Vec::new(),
    }
}

async fn add_device(
    store: &Arc<dyn Store>,
    account_id: &str,
    name: &str,
) -> (MfaDevice, SealedSecret) {
    let device = new_device(account_id, name, "/");
    let seed = ids::secret_access_key().seal(ring());
    store
        .create_mfa_device(&device, &seed)
        .await
        .expect("create_mfa_device");
    (device, seed)
}

fn serials(devices: &[MfaDevice]) -> Vec<&str> {
    devices.iter().map(|d| d.serial_number.as_str()).collect()
}

pub async fn mfa_devices_are_created_enabled_listed_and_deleted(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let alice = create(&store, &account_id, "alice", "/").await;
    create(&store, &account_id, "bob", "/").await;
    let mut tagged = new_device(&account_id, "Phone", "/team/");
    tagged.tags = vec![Tag {
        key: "k".into(),
        value: "v".into(),
    }];
    let seed = ids::secret_access_key().seal(ring());
    store
        .create_mfa_device(&tagged, &seed)
        .await
        .expect("create_mfa_device");
    let mut clash = tagged.clone();
    clash.serial_number = clash
        .serial_number
        .to_uppercase()
        .replace("ARN:AWS:IAM", "arn:aws:iam");
    assert_err!(
        store.create_mfa_device(&clash, &seed).await,
        StoreError::AlreadyExists
    );
    let (other, _) = add_device(&store, &account_id, "other").await;

    // Found ignoring case, with its tags; the seed only through get_mfa_secret.
    let upper = tagged.serial_number.to_uppercase();
    let found = store
        .get_mfa_device(&account_id, &upper)
        .await
        .expect("get_mfa_device")
        .expect("found ignoring case");
    assert_eq!(found, tagged);
    let secret = store
        .get_mfa_secret(&account_id, &tagged.serial_number)
        .await
        .expect("get_mfa_secret")
        .expect("found");
    assert_eq!(secret.seed, seed);
    assert_eq!(secret.last_step, None);
    assert!(store
        .get_mfa_device(&account_id, "arn:aws:iam::000000000000:mfa/none")
        .await
        .expect("get_mfa_device")
        .is_none());

    // Enabling: missing user, then missing device; then once only.
    assert_err!(
        store
            .enable_mfa_device(&account_id, "nobody", &tagged.serial_number, 10, at(5), 8)
            .await,
        StoreError::NoSuchUser
    );
    assert_err!(
        store
            .enable_mfa_device(
                &account_id,
                "alice",
                "arn:aws:iam::1:mfa/none",
                10,
                at(5),
                8
            )
            .await,
        StoreError::NoSuchMfaDevice
    );
    store
        .enable_mfa_device(&account_id, "ALICE", &upper, 10, at(5), 8)
        .await
        .expect("enable");
    assert_err!(
        store
            .enable_mfa_device(&account_id, "bob", &tagged.serial_number, 20, at(6), 8)
            .await,
        StoreError::MfaDeviceInUse
    );
    let found = store
        .get_mfa_device(&account_id, &tagged.serial_number)
        .await
        .expect("get_mfa_device")
        .expect("found");
    assert_eq!(found.enable_date, Some(at(5)));
    assert_eq!(
        found.user.as_ref().map(|u| &u.user_id),
        Some(&alice.user_id)
    );
    let secret = store
        .get_mfa_secret(&account_id, &tagged.serial_number)
        .await
        .expect("get_mfa_secret")
        .expect("found");
    assert_eq!(secret.last_step, Some(10));

    // Listings.
    let listed = store
        .list_user_mfa_devices(&account_id, "alice", None, 100)
        .await
        .expect("list_user_mfa_devices");
    assert_eq!(serials(&listed), [tagged.serial_number.as_str()]);
    assert!(store
        .list_user_mfa_devices(&account_id, "bob", None, 100)
        .await
        .expect("list_user_mfa_devices")
        .is_empty());
    assert_err!(
        store
            .list_user_mfa_devices(&account_id, "nobody", None, 100)
            .await,
        StoreError::NoSuchUser
    );
    let list = |assigned| {
        let store = Arc::clone(&store);
        let account_id = account_id.clone();
        async move {
            store
                .list_mfa_devices(&account_id, assigned, None, 100)
                .await
                .expect("list_mfa_devices")
        }
    };
    // In lower-cased serial-number order: `/other` before `/team/Phone`.
    assert_eq!(
        serials(&list(None).await),
        [other.serial_number.as_str(), tagged.serial_number.as_str()]
    );
    let assigned = list(Some(true)).await;
    assert_eq!(serials(&assigned), [tagged.serial_number.as_str()]);
    assert_eq!(
        assigned[0].user.as_ref().map(|u| u.user_name.as_str()),
        Some("alice")
    );
    assert_eq!(
        serials(&list(Some(false)).await),
        [other.serial_number.as_str()]
    );
    let first = other.serial_number.to_lowercase();
    let page = store
        .list_mfa_devices(&account_id, None, Some(&first), 1)
        .await
        .expect("list_mfa_devices");
    assert_eq!(serials(&page), [tagged.serial_number.as_str()]);
    assert_eq!(
        store.count_account(&account_id).await.expect("count"),
        AccountCounts {
            users: 2,
            root_access_keys: 1,
            mfa_devices: 2,
            mfa_devices_in_use: 1,
            ..AccountCounts::default()
        }
    );

    // Tags, as for every taggable kind.
    let entity = Tagged::new(TaggedKind::MfaDevice, &upper);
    store
        .tag_entity(
            &account_id,
            entity,
            &[Tag {
                key: "K".into(),
                value: "w".into(),
            }],
            50,
        )
        .await
        .expect("tag_entity");
    assert_eq!(
        store
            .list_entity_tags(&account_id, entity)
            .await
            .expect("list_entity_tags"),
        [Tag {
            key: "K".into(),
            value: "w".into()
        }]
    );
    assert_err!(
        store
            .list_entity_tags(
                &account_id,
                Tagged::new(TaggedKind::MfaDevice, "arn:aws:iam::1:mfa/none")
            )
            .await,
        StoreError::NoSuchMfaDevice
    );

    // A user with a device is not deleted; an enabled device is not deleted.
    assert_err!(
        store.delete_user(&account_id, "alice").await,
        StoreError::UserHasMfaDevices
    );
    assert_err!(
        store
            .delete_mfa_device(&account_id, &tagged.serial_number)
            .await,
        StoreError::MfaDeviceInUse
    );
    // Deactivating: only for the user it is enabled for.
    assert_err!(
        store
            .deactivate_mfa_device(&account_id, "bob", &tagged.serial_number)
            .await,
        StoreError::NoSuchMfaDevice
    );
    assert_err!(
        store
            .deactivate_mfa_device(&account_id, "nobody", &tagged.serial_number)
            .await,
        StoreError::NoSuchUser
    );
    store
        .deactivate_mfa_device(&account_id, "alice", &upper)
        .await
        .expect("deactivate");
    assert_eq!(list(Some(true)).await.len(), 0);
    store
        .delete_mfa_device(&account_id, &upper)
        .await
        .expect("delete_mfa_device");
    assert_err!(
        store
            .delete_mfa_device(&account_id, &tagged.serial_number)
            .await,
        StoreError::NoSuchMfaDevice
    );
    assert!(store
        .get_mfa_device(&account_id, &tagged.serial_number)
        .await
        .expect("get_mfa_device")
        .is_none());
    store
        .delete_user(&account_id, "alice")
        .await
        .expect("alice has no device left");
    // The name is free again.
    store
        .create_mfa_device(&tagged, &seed)
        .await
        .expect("create again");
    assert!(store
        .list_entity_tags(&account_id, Tagged::new(TaggedKind::MfaDevice, &upper))
        .await
        .expect("list_entity_tags")
        .iter()
        .all(|t| t.key == "k"));
}

pub async fn mfa_codes_are_used_once_and_the_quota_holds(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create(&store, &account_id, "alice", "/").await;
    let (device, _) = add_device(&store, &account_id, "d0").await;
    let serial = &device.serial_number;
    assert!(store
        .use_mfa_step(&account_id, serial, 100)
        .await
        .expect("use"));
    assert!(!store
        .use_mfa_step(&account_id, serial, 100)
        .await
        .expect("replay"));
    assert!(!store
        .use_mfa_step(&account_id, serial, 99)
        .await
        .expect("older"));
    assert!(store
        .use_mfa_step(&account_id, serial, 101)
        .await
        .expect("newer"));
    assert_err!(
        store
            .use_mfa_step(&account_id, "arn:aws:iam::1:mfa/none", 5)
            .await,
        StoreError::NoSuchMfaDevice
    );
    // Enabling with codes no newer than the last used one is refused.
    assert_err!(
        store
            .enable_mfa_device(
                &account_id,
                "alice",
                serial,
                101,
                at(1),
                MFA_DEVICES_PER_USER
            )
            .await,
        StoreError::MfaDeviceInUse
    );
    store
        .enable_mfa_device(
            &account_id,
            "alice",
            serial,
            102,
            at(1),
            MFA_DEVICES_PER_USER,
        )
        .await
        .expect("enable");
    for i in 1..MFA_DEVICES_PER_USER {
        let (d, _) = add_device(&store, &account_id, &format!("d{i}")).await;
        store
            .enable_mfa_device(
                &account_id,
                "alice",
                &d.serial_number,
                1,
                at(1),
                MFA_DEVICES_PER_USER,
            )
            .await
            .expect("within the quota");
    }
    let (extra, _) = add_device(&store, &account_id, "extra").await;
    assert_err!(
        store
            .enable_mfa_device(
                &account_id,
                "alice",
                &extra.serial_number,
                1,
                at(1),
                MFA_DEVICES_PER_USER
            )
            .await,
        StoreError::MfaDeviceQuotaExceeded
    );
}

pub async fn concurrent_uses_of_one_code_let_one_win(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let (device, _) = add_device(&store, &account_id, "shared").await;
    for step in 1..=5 {
        let start = Arc::new(Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (store, start, account_id, serial) = (
                    Arc::clone(&store),
                    Arc::clone(&start),
                    account_id.clone(),
                    device.serial_number.clone(),
                );
                tokio::spawn(async move {
                    start.wait().await;
                    store.use_mfa_step(&account_id, &serial, step).await
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            if task.await.expect("task").expect("use_mfa_step") {
                won += 1;
            }
        }
        assert_eq!(won, 1, "exactly one use of step {step} is accepted");
    }
}

pub async fn mfa_seeds_are_resealed(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let device = new_device(&account_id, "plain", "/");
    let clear = ids::secret_access_key();
    store
        .create_mfa_device(&device, &clear.seal_plain())
        .await
        .expect("create_mfa_device");
    let (_, text) = MasterKey::generate();
    let ring_a = Keyring::new(MasterKey::from_base64(&text).expect("a valid key"))
        .with_old(MasterKey::from_base64(super::ring_text()).expect("a valid key"));
    let n = store
        .reseal_secrets(&ring_a, Reseal::Plain, 10)
        .await
        .expect("reseal");
    assert_eq!(n, 1, "the plain seed, and nothing else");
    let sealed = store
        .get_mfa_secret(&account_id, &device.serial_number)
        .await
        .expect("get_mfa_secret")
        .expect("found")
        .seed;
    assert_eq!(sealed.key_id(), Some(ring_a.current_id()));
    assert_eq!(sealed.open(&ring_a).expect("opens"), clear);
}
