//! Access keys: the per-owner quota, ownership, listing order and paging, credentials,
//! last-used tracking.

use std::sync::Arc;

use super::{account, add_key, at, create, key_ids, new_key, new_user, owner_of};
use crate::ids;
use crate::model::Tag;
use crate::model::{AccessKey, KeyOwner, KeyStatus, KeyUsage, NewAccessKey, ACCESS_KEYS_PER_USER};
use crate::store::{key_sort_time, After, Store, StoreError};

pub async fn access_key_quota_is_per_owner(store: Arc<dyn Store>) {
    let (account_id, root_key) = account(&store).await;
    let ann = create(&store, &account_id, "ann", "/").await;
    let ben = create(&store, &account_id, "ben", "/").await;
    let (a, b) = (owner_of(&ann), owner_of(&ben));

    let new = new_key(&account_id, &a, at(10));
    let created = store.create_access_key(&new, 2).await.expect("first key");
    assert_eq!(
        created,
        AccessKey {
            access_key_id: new.access_key_id.clone(),
            account_id: account_id.clone(),
            owner: a.clone(),
            user_name: Some("ann".into()),
            status: KeyStatus::Active,
            create_date: at(10),
        }
    );
    add_key(&store, &account_id, &a, at(11)).await;
    assert_err!(
        store
            .create_access_key(&new_key(&account_id, &a, at(12)), 2)
            .await,
        StoreError::KeyQuotaExceeded
    );

    // Another user, and root, count their own keys.
    add_key(&store, &account_id, &b, at(13)).await;
    add_key(&store, &account_id, &b, at(14)).await;
    let root2 = add_key(&store, &account_id, &KeyOwner::Root, at(15)).await;
    assert_eq!(
        (root2.owner.clone(), root2.user_name.clone()),
        (KeyOwner::Root, None)
    );
    assert_err!(
        store
            .create_access_key(&new_key(&account_id, &KeyOwner::Root, at(16)), 2)
            .await,
        StoreError::KeyQuotaExceeded
    );
    assert_eq!(key_ids(&store, &account_id, &a).await.len(), 2);
    assert_eq!(key_ids(&store, &account_id, &b).await.len(), 2);
    assert_eq!(
        key_ids(&store, &account_id, &KeyOwner::Root).await,
        [root_key.access_key_id.clone(), root2.access_key_id.clone()]
    );

    // The quota is the caller's: a larger one admits more keys.
    store
        .create_access_key(&new_key(&account_id, &a, at(17)), 3)
        .await
        .expect("third key under quota 3");
    assert_err!(
        store
            .create_access_key(&new_key(&account_id, &a, at(18)), 3)
            .await,
        StoreError::KeyQuotaExceeded
    );

    // Deleting a key frees its place.
    store
        .delete_access_key(&account_id, &b, &key_ids(&store, &account_id, &b).await[0])
        .await
        .expect("delete");
    add_key(&store, &account_id, &b, at(19)).await;
    assert_eq!(key_ids(&store, &account_id, &b).await.len(), 2);

    let stranger = new_key(
        &account_id,
        &KeyOwner::User {
            user_id: ids::user_id(),
        },
        at(20),
    );
    assert_err!(
        store.create_access_key(&stranger, 2).await,
        StoreError::NoSuchUser
    );
    let foreign = NewAccessKey {
        account_id: "000000000000".into(),
        ..new_key(&account_id, &a, at(21))
    };
    assert_err!(
        store.create_access_key(&foreign, 5).await,
        StoreError::NoSuchUser
    );
}

pub async fn access_keys_belong_to_their_owner(store: Arc<dyn Store>) {
    let (account_id, root_key) = account(&store).await;
    let ann = create(&store, &account_id, "ann", "/").await;
    let ben = create(&store, &account_id, "ben", "/").await;
    let (a, b) = (owner_of(&ann), owner_of(&ben));
    let key = add_key(&store, &account_id, &a, at(1)).await;
    let id = key.access_key_id.as_str();

    for owner in [&b, &KeyOwner::Root] {
        assert_err!(
            store
                .update_access_key(&account_id, owner, id, KeyStatus::Inactive)
                .await,
            StoreError::NoSuchAccessKey
        );
        assert_err!(
            store.delete_access_key(&account_id, owner, id).await,
            StoreError::NoSuchAccessKey
        );
    }
    assert_err!(
        store
            .update_access_key("000000000000", &a, id, KeyStatus::Inactive)
            .await,
        StoreError::NoSuchAccessKey
    );
    assert_err!(
        store.delete_access_key("000000000000", &a, id).await,
        StoreError::NoSuchAccessKey
    );
    assert_err!(
        store
            .update_access_key(
                &account_id,
                &a,
                &root_key.access_key_id,
                KeyStatus::Inactive
            )
            .await,
        StoreError::NoSuchAccessKey
    );
    assert_err!(
        store
            .delete_access_key(&account_id, &a, &root_key.access_key_id)
            .await,
        StoreError::NoSuchAccessKey
    );
    let unknown = ids::access_key_id(&account_id);
    assert_err!(
        store
            .update_access_key(&account_id, &a, &unknown, KeyStatus::Active)
            .await,
        StoreError::NoSuchAccessKey
    );
    assert_err!(
        store.delete_access_key(&account_id, &a, &unknown).await,
        StoreError::NoSuchAccessKey
    );

    let listed = store
        .list_access_keys(&account_id, &a, &After::Start, 10)
        .await
        .expect("list");
    assert_eq!(
        listed,
        std::slice::from_ref(&key),
        "refused changes changed nothing"
    );
    let root = store
        .get_credential(&root_key.access_key_id)
        .await
        .expect("get_credential")
        .expect("root");
    assert_eq!(root.key.status, KeyStatus::Active);

    store
        .update_access_key(&account_id, &a, id, KeyStatus::Inactive)
        .await
        .expect("deactivate");
    let listed = store
        .list_access_keys(&account_id, &a, &After::Start, 10)
        .await
        .expect("list");
    assert_eq!(listed[0].status, KeyStatus::Inactive);
    let cred = store
        .get_credential(id)
        .await
        .expect("get_credential")
        .expect("key");
    assert_eq!(cred.key.status, KeyStatus::Inactive);
    store
        .update_access_key(&account_id, &a, id, KeyStatus::Inactive)
        .await
        .expect("setting the same status again is fine");
    store
        .update_access_key(&account_id, &a, id, KeyStatus::Active)
        .await
        .expect("reactivate");
    let cred = store
        .get_credential(id)
        .await
        .expect("get_credential")
        .expect("key");
    assert_eq!(cred.key.status, KeyStatus::Active);

    store
        .update_access_key(
            &account_id,
            &KeyOwner::Root,
            &root_key.access_key_id,
            KeyStatus::Inactive,
        )
        .await
        .expect("root updates its own key");
    let root = store
        .get_credential(&root_key.access_key_id)
        .await
        .expect("get_credential")
        .expect("root");
    assert_eq!(root.key.status, KeyStatus::Inactive);

    store
        .delete_access_key(&account_id, &a, id)
        .await
        .expect("delete");
    assert_eq!(key_ids(&store, &account_id, &a).await, Vec::<String>::new());
    assert!(store
        .get_credential(id)
        .await
        .expect("get_credential")
        .is_none());
    assert!(store
        .get_access_key_last_used(id)
        .await
        .expect("last used")
        .is_none());
    assert_err!(
        store.delete_access_key(&account_id, &a, id).await,
        StoreError::NoSuchAccessKey
    );
    assert_eq!(
        key_ids(&store, &account_id, &KeyOwner::Root).await,
        [root_key.access_key_id]
    );
}

pub async fn access_keys_list_in_creation_order_with_keyset_paging(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let carl = create(&store, &account_id, "carl", "/").await;
    let other = create(&store, &account_id, "other", "/").await;
    let owner = owner_of(&carl);
    let mut expected: Vec<(i64, String)> = Vec::new();
    for secs in [5, 1, 1, 3, 1, 8] {
        let key = store
            .create_access_key(&new_key(&account_id, &owner, at(secs)), 100)
            .await
            .expect("create_access_key");
        assert_eq!(key.create_date, at(secs));
        expected.push((key_sort_time(at(secs)), key.access_key_id));
    }
    add_key(&store, &account_id, &owner_of(&other), at(2)).await;
    expected.sort();
    let expected_ids: Vec<String> = expected.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(
        key_ids(&store, &account_id, &owner).await,
        expected_ids,
        "ordered by (create_date, id)"
    );

    let listed = store
        .list_access_keys(&account_id, &owner, &After::Start, 100)
        .await
        .expect("list");
    assert!(listed
        .iter()
        .all(|k| k.user_name.as_deref() == Some("carl") && k.owner == owner));
    assert!(listed
        .iter()
        .all(|k| k.account_id == account_id && k.status == KeyStatus::Active));

    // Page by 2 from the keyset position of the last key; between pages delete a key not
    // yet listed, and add one that sorts after the cursor and one that sorts before it.
    let mut seen: Vec<String> = Vec::new();
    let mut after = After::Start;
    let mut deleted: Vec<String> = Vec::new();
    let mut added_late: Vec<String> = Vec::new();
    let mut added_early: Vec<String> = Vec::new();
    for round in 0.. {
        let page = store
            .list_access_keys(&account_id, &owner, &after, 2)
            .await
            .expect("list");
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = After::key(last);
        seen.extend(page.iter().map(|k| k.access_key_id.clone()));
        if round == 0 {
            let victim = expected_ids[4].clone();
            store
                .delete_access_key(&account_id, &owner, &victim)
                .await
                .expect("delete");
            deleted.push(victim);
            let late = store
                .create_access_key(&new_key(&account_id, &owner, at(6)), 100)
                .await
                .expect("create");
            added_late.push(late.access_key_id);
            let early = store
                .create_access_key(&new_key(&account_id, &owner, at(0)), 100)
                .await
                .expect("create");
            added_early.push(early.access_key_id);
        }
        assert!(round < 20, "paging terminates");
    }
    let mut want: Vec<String> = expected_ids
        .iter()
        .filter(|id| !deleted.contains(id))
        .cloned()
        .collect();
    want.insert(want.len() - 1, added_late[0].clone()); // at(6) sorts before the at(8) key
    assert_eq!(seen, want);
    assert!(!seen.contains(&added_early[0]));

    let after_first = After::Key {
        created: expected[0].0,
        access_key_id: expected[0].1.clone(),
    };
    let rest = store
        .list_access_keys(&account_id, &owner, &after_first, 1)
        .await
        .expect("list");
    assert_eq!(rest.len(), 1, "limit is respected");
    assert_eq!(
        rest[0].access_key_id, expected[1].1,
        "the position is exclusive"
    );
}
pub async fn credentials_carry_the_sealed_secret(store: Arc<dyn Store>) {
    let (account_id, root_key) = account(&store).await;
    let mut gail = new_user(&account_id, "Gail", "/ops/");
    gail.create_date = at(7);
    store.create_user(&gail).await.expect("create_user");
    let secret = ids::secret_access_key();
    let new = NewAccessKey {
        secret: secret.seal(super::ring()),
        ..new_key(&account_id, &owner_of(&gail), at(8))
    };
    store
        .create_access_key(&new, ACCESS_KEYS_PER_USER)
        .await
        .expect("create_access_key");

    let cred = store
        .get_credential(&new.access_key_id)
        .await
        .expect("get_credential")
        .expect("key exists");
    assert_eq!(cred.secret.as_stored(), new.secret.as_stored());
    assert_eq!(
        cred.secret.open(super::ring()).expect("known scheme"),
        secret
    );
    assert_eq!(
        cred.key,
        AccessKey {
            access_key_id: new.access_key_id.clone(),
            account_id: account_id.clone(),
            owner: owner_of(&gail),
            user_name: Some("Gail".into()),
            status: KeyStatus::Active,
            create_date: at(8),
        }
    );
    let user = cred.user.expect("a user's key carries its user");
    assert_eq!(
        (
            user.account_id.as_str(),
            user.user_id.as_str(),
            user.user_name.as_str(),
            user.path.as_str()
        ),
        (account_id.as_str(), gail.user_id.as_str(), "Gail", "/ops/")
    );
    assert_eq!(user.create_date, at(7));
    assert_eq!(
        user.arn(),
        format!("arn:aws:iam::{account_id}:user/ops/Gail")
    );

    let root = store
        .get_credential(&root_key.access_key_id)
        .await
        .expect("get_credential")
        .expect("root key");
    assert_eq!(root.secret, root_key.secret);
    assert_eq!((root.key.owner, root.key.user_name), (KeyOwner::Root, None));
    assert!(root.user.is_none());

    assert!(store
        .get_credential(&ids::access_key_id(&account_id))
        .await
        .expect("get_credential")
        .is_none());
    assert!(store
        .get_credential("")
        .await
        .expect("get_credential")
        .is_none());
}

pub async fn key_usage_keeps_the_newest(store: Arc<dyn Store>) {
    let (account_id, root_key) = account(&store).await;
    let hank = create(&store, &account_id, "hank", "/").await;
    let k1 = add_key(&store, &account_id, &owner_of(&hank), at(1)).await;
    let k2 = add_key(&store, &account_id, &owner_of(&hank), at(2)).await;
    let id = k1.access_key_id.clone();
    let usage = |id: &str, secs: i64, service: &str, region: &str| KeyUsage {
        access_key_id: id.to_owned(),
        when: at(secs),
        service: service.to_owned(),
        region: region.to_owned(),
    };
    let last_used = |id: String| {
        let store = Arc::clone(&store);
        async move {
            store
                .get_access_key_last_used(&id)
                .await
                .expect("get_access_key_last_used")
        }
    };

    assert_eq!(
        last_used(id.clone()).await,
        Some((k1.clone(), None)),
        "never used"
    );
    store
        .record_key_usage(&[])
        .await
        .expect("an empty batch is fine");

    store
        .record_key_usage(&[usage(&id, 100, "iam", "us-east-1")])
        .await
        .expect("record");
    assert_eq!(
        last_used(id.clone()).await,
        Some((k1.clone(), Some(usage(&id, 100, "iam", "us-east-1"))))
    );

    store
        .record_key_usage(&[usage(&id, 50, "sts", "eu-west-1")])
        .await
        .expect("record");
    assert_eq!(
        last_used(id.clone()).await.and_then(|(_, u)| u),
        Some(usage(&id, 100, "iam", "us-east-1")),
        "an older use is ignored"
    );

    let unknown = ids::access_key_id(&account_id);
    store
        .record_key_usage(&[
            usage(&unknown, 300, "iam", "us-east-1"),
            usage(&id, 200, "sts", "eu-west-1"),
            usage(&k2.access_key_id, 150, "iam", "ap-south-1"),
            usage(&root_key.access_key_id, 10, "sts", "us-east-1"),
        ])
        .await
        .expect("unknown keys are ignored");
    assert_eq!(
        last_used(id.clone()).await.and_then(|(_, u)| u),
        Some(usage(&id, 200, "sts", "eu-west-1"))
    );
    let (key2, used2) = last_used(k2.access_key_id.clone()).await.expect("k2");
    assert_eq!(key2, k2);
    assert_eq!(
        used2,
        Some(usage(&k2.access_key_id, 150, "iam", "ap-south-1"))
    );
    let (root, root_used) = last_used(root_key.access_key_id.clone())
        .await
        .expect("root key");
    assert_eq!((root.owner, root.user_name), (KeyOwner::Root, None));
    assert_eq!(
        root_used,
        Some(usage(&root_key.access_key_id, 10, "sts", "us-east-1"))
    );
    assert_eq!(last_used(unknown).await, None);

    // The same instant again (another node's flush) is accepted.
    store
        .record_key_usage(&[usage(&id, 200, "iam", "us-west-2")])
        .await
        .expect("record");
    assert_eq!(
        last_used(id.clone()).await.and_then(|(_, u)| u),
        Some(usage(&id, 200, "iam", "us-west-2"))
    );

    // The key's metadata follows its owner.
    store
        .update_user(&account_id, "hank", Some("Henry"), None)
        .await
        .expect("rename");
    let (key, _) = last_used(id.clone()).await.expect("k1");
    assert_eq!(key.user_name.as_deref(), Some("Henry"));
}

pub async fn a_user_is_read_with_its_keys_in_listing_order(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let mut ann = new_user(&account_id, "Ann", "/team/");
    ann.tags = vec![
        Tag {
            key: "b".into(),
            value: "2".into(),
        },
        Tag {
            key: "a".into(),
            value: "1".into(),
        },
    ];
    store.create_user(&ann).await.expect("create_user");
    let ben = create(&store, &account_id, "ben", "/").await;
    let a = owner_of(&ann);
    // Created out of listing order; ben's key must not come along.
    add_key(&store, &account_id, &a, at(20)).await;
    add_key(&store, &account_id, &owner_of(&ben), at(15)).await;
    add_key(&store, &account_id, &a, at(10)).await;

    let (user, keys) = store
        .get_user_with_keys(&account_id, "ANN")
        .await
        .expect("get_user_with_keys")
        .expect("ann, found ignoring case");
    let alone = store
        .get_user(&account_id, "ann")
        .await
        .expect("get_user")
        .expect("ann");
    assert_eq!(user, alone, "the same user, tags in order, as get_user");
    assert_eq!(user.tags, ann.tags);
    let listed = store
        .list_access_keys(&account_id, &a, &After::Start, 10)
        .await
        .expect("list");
    assert_eq!(
        keys, listed,
        "the same keys, in the same order, as the listing"
    );
    assert_eq!(
        keys.iter().map(|k| k.create_date).collect::<Vec<_>>(),
        [at(10), at(20)]
    );

    let (user, keys) = store
        .get_user_with_keys(&account_id, "ben")
        .await
        .expect("get_user_with_keys")
        .expect("ben");
    assert_eq!((user.user_name.as_str(), keys.len()), ("ben", 1));
    let cid = create(&store, &account_id, "cid", "/").await;
    let (user, keys) = store
        .get_user_with_keys(&account_id, "cid")
        .await
        .expect("get_user_with_keys")
        .expect("cid");
    assert_eq!((user, keys), (cid, Vec::new()), "a user without keys");

    assert!(store
        .get_user_with_keys(&account_id, "nobody")
        .await
        .expect("get_user_with_keys")
        .is_none());
    let other_account = std::iter::repeat_with(ids::account_id)
        .find(|id| *id != account_id)
        .expect("another account id");
    assert!(store
        .get_user_with_keys(&other_account, "ann")
        .await
        .expect("get_user_with_keys")
        .is_none());
}

/// `get_user_with_keys` answers from the same state as the listing after every kind of
/// change: a key's status, a deleted key, a recorded use, a renamed and moved user, a
/// deleted user. (Backends may keep the user and its keys together; this holds them to it.)
pub async fn a_user_read_with_its_keys_follows_every_change(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let ida = create(&store, &account_id, "ida", "/").await;
    let owner = owner_of(&ida);
    let read = |name: &'static str| {
        let (store, account_id) = (Arc::clone(&store), account_id.clone());
        async move {
            store
                .get_user_with_keys(&account_id, name)
                .await
                .expect("get_user_with_keys")
        }
    };
    let listed = || {
        let (store, account_id, owner) = (Arc::clone(&store), account_id.clone(), owner.clone());
        async move {
            store
                .list_access_keys(&account_id, &owner, &After::Start, 10)
                .await
                .expect("list_access_keys")
        }
    };
    let k1 = add_key(&store, &account_id, &owner, at(1)).await;
    let k2 = add_key(&store, &account_id, &owner, at(2)).await;

    store
        .update_access_key(&account_id, &owner, &k1.access_key_id, KeyStatus::Inactive)
        .await
        .expect("deactivate");
    let (_, keys) = read("ida").await.expect("ida");
    assert_eq!(keys, listed().await);
    assert_eq!(
        keys.iter().map(|k| k.status).collect::<Vec<_>>(),
        [KeyStatus::Inactive, KeyStatus::Active]
    );

    store
        .record_key_usage(&[KeyUsage {
            access_key_id: k2.access_key_id.clone(),
            when: at(50),
            service: "iam".to_owned(),
            region: "us-east-1".to_owned(),
        }])
        .await
        .expect("record_key_usage");
    store
        .delete_access_key(&account_id, &owner, &k1.access_key_id)
        .await
        .expect("delete");
    let (_, keys) = read("ida").await.expect("ida");
    assert_eq!(keys, listed().await);
    assert_eq!(
        keys.iter()
            .map(|k| k.access_key_id.as_str())
            .collect::<Vec<_>>(),
        [k2.access_key_id.as_str()]
    );

    store
        .update_user(&account_id, "ida", Some("Ivy"), Some("/moved/"))
        .await
        .expect("rename");
    assert!(read("ida").await.is_none(), "the old name is gone");
    let (user, keys) = read("ivy").await.expect("found by its new name");
    assert_eq!(
        (user.user_name.as_str(), user.path.as_str()),
        ("Ivy", "/moved/")
    );
    assert_eq!(keys, listed().await);
    assert_eq!(keys[0].user_name.as_deref(), Some("Ivy"));

    store
        .delete_access_key(&account_id, &owner, &k2.access_key_id)
        .await
        .expect("delete the last key");
    let (_, keys) = read("ivy").await.expect("ivy");
    assert!(keys.is_empty(), "no keys left: {keys:?}");
    store
        .delete_user(&account_id, "Ivy")
        .await
        .expect("delete_user");
    assert!(read("ivy").await.is_none(), "deleted");
}
