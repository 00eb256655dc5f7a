//! The `Store` conformance suite: the behaviour every storage backend must show, written
//! once against `Arc<dyn Store>`. Each check is a `pub async fn` taking a fresh, empty
//! store and panicking on the first deviation; a backend runs them all with
//! [`conformance_tests!`](crate::conformance_tests), one `#[tokio::test]` per check:
//!
//! ```ignore
//! async fn fresh_store() -> std::sync::Arc<dyn iamd_core::Store> { /* an empty store */ }
//! iamd_core::conformance_tests!(fresh_store);
//! ```
//!
//! The checks need a multi-threaded runtime (the concurrency checks race real tasks), and
//! the crate invoking the macro needs `tokio` (with `macros` and `rt-multi-thread`) as a
//! (dev-)dependency.

use std::collections::HashSet;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::Barrier;

use crate::ids;
use crate::model::{
    AccessKey, KeyOwner, KeyStatus, KeyUsage, NewAccessKey, Tag, User, ACCESS_KEYS_PER_USER,
};
use crate::store::{After, Store, StoreError};

/// Defines one `#[tokio::test]` per conformance check, each on a fresh store made by
/// `$factory`: a path to (or expression for) a function `() -> impl Future<Output =
/// Arc<dyn Store>>`.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@each $factory;
            bootstrap_creates_the_account_once,
            users_are_found_ignoring_case,
            list_users_filters_by_plain_path_prefix,
            list_users_orders_by_lowercased_name,
            list_users_pages_survive_changes_between_pages,
            update_user_renames_and_moves_with_its_keys,
            delete_user_requires_no_keys,
            access_key_quota_is_per_owner,
            access_keys_belong_to_their_owner,
            access_keys_list_in_creation_order_with_keyset_paging,
            concurrent_key_creation_respects_the_quota,
            deleting_a_user_races_key_creation_safely,
            credentials_carry_the_sealed_secret,
            key_usage_keeps_the_newest,
        );
    };
    (@each $factory:expr; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                let store: ::std::sync::Arc<dyn $crate::Store> = ($factory)().await;
                $crate::conformance::$check(store).await;
            }
        )+
    };
}

/// Asserts that `$result` is `Err($pattern)`.
macro_rules! assert_err {
    ($result:expr, $pattern:pat) => {
        match $result {
            Err($pattern) => {}
            other => panic!("expected Err({}), got {:?}", stringify!($pattern), other),
        }
    };
}

/// A whole-second instant `secs` after an arbitrary origin (stores keep seconds).
fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).expect("valid timestamp")
}

fn new_key(account_id: &str, owner: &KeyOwner, created: OffsetDateTime) -> NewAccessKey {
    NewAccessKey {
        access_key_id: ids::access_key_id(account_id),
        account_id: account_id.to_owned(),
        owner: owner.clone(),
        secret: ids::secret_access_key().seal(),
        create_date: created,
    }
}

fn new_user(account_id: &str, name: &str, path: &str) -> User {
    User {
        account_id: account_id.to_owned(),
        user_id: ids::user_id(),
        user_name: name.to_owned(),
        path: path.to_owned(),
        create_date: at(0),
        tags: Vec::new(),
    }
}

fn owner_of(user: &User) -> KeyOwner {
    KeyOwner::User {
        user_id: user.user_id.clone(),
    }
}

/// Bootstraps a fresh account; returns its id and root key.
async fn account(store: &Arc<dyn Store>) -> (String, NewAccessKey) {
    let account_id = ids::account_id();
    let root_key = new_key(&account_id, &KeyOwner::Root, at(0));
    let (created_id, created) = store
        .bootstrap_account(&account_id, root_key.clone())
        .await
        .expect("bootstrap_account");
    assert!(created, "bootstrap on an empty store creates the account");
    assert_eq!(created_id, account_id);
    (account_id, root_key)
}

async fn create(store: &Arc<dyn Store>, account_id: &str, name: &str, path: &str) -> User {
    let user = new_user(account_id, name, path);
    store.create_user(&user).await.expect("create_user");
    user
}

async fn add_key(
    store: &Arc<dyn Store>,
    account_id: &str,
    owner: &KeyOwner,
    created: OffsetDateTime,
) -> AccessKey {
    store
        .create_access_key(&new_key(account_id, owner, created), ACCESS_KEYS_PER_USER)
        .await
        .expect("create_access_key")
}

async fn names(store: &Arc<dyn Store>, account_id: &str, prefix: &str) -> Vec<String> {
    store
        .list_users(account_id, prefix, &After::Start, 1000)
        .await
        .expect("list_users")
        .into_iter()
        .map(|u| u.user_name)
        .collect()
}

async fn key_ids(store: &Arc<dyn Store>, account_id: &str, owner: &KeyOwner) -> Vec<String> {
    store
        .list_access_keys(account_id, owner, &After::Start, 1000)
        .await
        .expect("list_access_keys")
        .into_iter()
        .map(|k| k.access_key_id)
        .collect()
}

pub async fn bootstrap_creates_the_account_once(store: Arc<dyn Store>) {
    let first_id = ids::account_id();
    assert_eq!(
        store.get_account(&first_id).await.expect("get_account"),
        None
    );

    let root_key = new_key(&first_id, &KeyOwner::Root, at(5));
    let (id, created) = store
        .bootstrap_account(&first_id, root_key.clone())
        .await
        .expect("bootstrap");
    assert_eq!((id.as_str(), created), (first_id.as_str(), true));
    let account = store
        .get_account(&first_id)
        .await
        .expect("get_account")
        .expect("account exists");
    assert_eq!(account.account_id, first_id);
    assert_eq!(
        account.create_date,
        at(5),
        "the account is as old as its root key"
    );

    // A second bootstrap (another node, a restart) finds the account and adds nothing.
    let second_id = std::iter::repeat_with(ids::account_id)
        .find(|id| *id != first_id)
        .expect("a second account id");
    let other_key = new_key(&second_id, &KeyOwner::Root, at(9));
    let (id, created) = store
        .bootstrap_account(&second_id, other_key.clone())
        .await
        .expect("bootstrap");
    assert_eq!((id.as_str(), created), (first_id.as_str(), false));
    assert_eq!(
        store.get_account(&second_id).await.expect("get_account"),
        None
    );
    assert!(store
        .get_credential(&other_key.access_key_id)
        .await
        .expect("get_credential")
        .is_none());

    let root = store
        .get_credential(&root_key.access_key_id)
        .await
        .expect("get_credential")
        .expect("the root key exists");
    assert_eq!(root.key.owner, KeyOwner::Root);
    assert_eq!(root.key.account_id, first_id);
    assert_eq!(root.key.status, KeyStatus::Active);
    assert!(root.user.is_none());
    assert_eq!(root.secret, root_key.secret);

    let keys = store
        .list_access_keys(&first_id, &KeyOwner::Root, &After::Start, 100)
        .await
        .expect("list_access_keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].access_key_id, root_key.access_key_id);
    assert_eq!(keys[0].user_name, None);
    assert_eq!(keys[0].create_date, at(5));
}

pub async fn users_are_found_ignoring_case(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let mut alice = new_user(&account_id, "Alice", "/eng/");
    alice.create_date = at(42);
    alice.tags = vec![
        Tag {
            key: "team".into(),
            value: "storage".into(),
        },
        Tag {
            key: "Cost-Center".into(),
            value: "42".into(),
        },
        Tag {
            key: "a".into(),
            value: String::new(),
        },
    ];
    store.create_user(&alice).await.expect("create_user");

    for name in ["Alice", "alice", "ALICE", "aLiCe"] {
        let found = store.get_user(&account_id, name).await.expect("get_user");
        assert_eq!(
            found.as_ref(),
            Some(&alice),
            "get_user({name}) returns the stored user, tags in order"
        );
    }
    assert_eq!(
        store
            .get_user(&account_id, "alicia")
            .await
            .expect("get_user"),
        None
    );
    assert_eq!(
        store
            .get_user("000000000000", "alice")
            .await
            .expect("get_user"),
        None,
        "other account"
    );

    let twin = new_user(&account_id, "aLICE", "/other/");
    assert_err!(store.create_user(&twin).await, StoreError::AlreadyExists);
    let found = store
        .get_user(&account_id, "alice")
        .await
        .expect("get_user")
        .expect("alice");
    assert_eq!(found.user_id, alice.user_id, "the first user is kept");
    assert_eq!(found.user_name, "Alice");

    let bob = create(&store, &account_id, "bob", "/").await;
    let found = store
        .get_user(&account_id, "BOB")
        .await
        .expect("get_user")
        .expect("bob");
    assert_eq!(found, bob);
    assert!(found.tags.is_empty());
}

pub async fn list_users_filters_by_plain_path_prefix(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    create(&store, &account_id, "lifecycle", "/test-lifecycle-path/").await;
    create(&store, &account_id, "life", "/test-life/").await;
    create(&store, &account_id, "rooted", "/").await;
    create(&store, &account_id, "underscore", "/a_b/").await;
    create(&store, &account_id, "anychar", "/axb/").await;
    create(&store, &account_id, "percent", "/a%b/").await;
    create(&store, &account_id, "percentless", "/ab/").await;

    assert_eq!(
        names(&store, &account_id, "/test-life").await,
        ["life", "lifecycle"]
    );
    assert_eq!(names(&store, &account_id, "/test-life/").await, ["life"]);
    assert_eq!(
        names(&store, &account_id, "/test-lifecycle-path/").await,
        ["lifecycle"]
    );
    assert_eq!(
        names(&store, &account_id, "/TEST-LIFE").await,
        Vec::<String>::new(),
        "paths are case-sensitive"
    );
    assert_eq!(
        names(&store, &account_id, "/a_").await,
        ["underscore"],
        "`_` is not a wildcard"
    );
    assert_eq!(
        names(&store, &account_id, "/a%").await,
        ["percent"],
        "`%` is not a wildcard"
    );
    assert_eq!(
        names(&store, &account_id, "/nowhere/").await,
        Vec::<String>::new()
    );
    assert_eq!(
        names(&store, &account_id, "/").await,
        [
            "anychar",
            "life",
            "lifecycle",
            "percent",
            "percentless",
            "rooted",
            "underscore"
        ]
    );

    let users = store
        .list_users(&account_id, "/test-lifecycle", &After::Start, 10)
        .await
        .expect("list_users");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].path, "/test-lifecycle-path/");
    assert_eq!(users[0].account_id, account_id);
    assert_eq!(users[0].create_date, at(0));
}

pub async fn list_users_orders_by_lowercased_name(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let created = [
        "bob", "Alice", "carol", "ALAN", "Zed", "a-b", "a_b", "a+b", "A.b", "a=b", "a@b", "a,b",
        "a1",
    ];
    for name in created {
        create(&store, &account_id, name, "/").await;
    }
    let mut expected: Vec<&str> = created.to_vec();
    // Byte order of the lower-cased names: what every backend must agree on.
    expected.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names(&store, &account_id, "/").await, expected);

    let first_three = store
        .list_users(&account_id, "/", &After::Start, 3)
        .await
        .expect("list_users");
    let first_three: Vec<&str> = first_three.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(first_three, expected[..3]);

    // `After` is the lower-cased name and is exclusive.
    let after_alice = store
        .list_users(&account_id, "/", &After::UserName("alice".into()), 2)
        .await
        .expect("list_users");
    let after_alice: Vec<&str> = after_alice.iter().map(|u| u.user_name.as_str()).collect();
    let i = expected.iter().position(|n| *n == "Alice").expect("Alice");
    assert_eq!(after_alice, expected[i + 1..i + 3]);

    // A position that names no user still works: everything sorting after it.
    let after_b = store
        .list_users(&account_id, "/", &After::UserName("b".into()), 100)
        .await
        .expect("list_users");
    let after_b: Vec<&str> = after_b.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(after_b, ["bob", "carol", "Zed"]);
    let past_end = store
        .list_users(&account_id, "/", &After::UserName("zed".into()), 100)
        .await
        .expect("list_users");
    assert!(past_end.is_empty());
    let none = store
        .list_users(&account_id, "/", &After::Start, 0)
        .await
        .expect("list_users");
    assert!(none.is_empty(), "limit 0 lists nothing");
}

pub async fn list_users_pages_survive_changes_between_pages(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    // Even users stay throughout; odd ones are deleted at some point during the walk.
    for i in 0..20 {
        create(&store, &account_id, &format!("User{i:02}"), "/p/").await;
    }
    create(&store, &account_id, "outside", "/q/").await;
    let stable: Vec<String> = (0..20).step_by(2).map(|i| format!("User{i:02}")).collect();

    let mut seen: Vec<String> = Vec::new();
    let mut after = After::Start;
    let mut page_no = 0;
    loop {
        let page = store
            .list_users(&account_id, "/p/", &after, 3)
            .await
            .expect("list_users");
        assert!(page.len() <= 3, "limit is respected");
        let Some(last) = page.last() else { break };
        after = After::UserName(last.user_name.to_lowercase());
        seen.extend(page.iter().map(|u| u.user_name.clone()));
        assert!(page.iter().all(|u| u.path == "/p/"));

        // Between pages: delete an odd user not yet seen and the last one seen (the
        // cursor's own user), add users before and after the cursor.
        page_no += 1;
        let unseen = format!("User{:02}", 6 * page_no + 1);
        match store.delete_user(&account_id, &unseen).await {
            Ok(()) | Err(StoreError::NoSuchUser) => {}
            Err(e) => panic!("delete_user({unseen}): {e:?}"),
        }
        if last.user_name.ends_with(['1', '3', '5', '7', '9']) {
            store
                .delete_user(&account_id, &last.user_name)
                .await
                .expect("delete the cursor's user");
        }
        create(&store, &account_id, &format!("Aaa{page_no:02}"), "/p/").await;
        create(
            &store,
            &account_id,
            &format!("User{:02}x", 3 * page_no + 4),
            "/p/",
        )
        .await;
        assert!(page_no < 50, "paging terminates");
    }

    let lowered: Vec<String> = seen.iter().map(|n| n.to_lowercase()).collect();
    assert!(
        lowered.windows(2).all(|w| w[0] < w[1]),
        "pages are in order, nothing repeated: {seen:?}"
    );
    for name in &stable {
        assert!(
            seen.contains(name),
            "{name} existed throughout and was skipped: {seen:?}"
        );
    }
    assert!(
        !seen.iter().any(|n| n.starts_with("Aaa")),
        "users added before the cursor are not listed"
    );
    assert!(!seen.contains(&"outside".to_owned()));
}

pub async fn update_user_renames_and_moves_with_its_keys(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let mut dave = new_user(&account_id, "dave", "/a/");
    dave.tags = vec![Tag {
        key: "k".into(),
        value: "v".into(),
    }];
    store.create_user(&dave).await.expect("create_user");
    let key = add_key(&store, &account_id, &owner_of(&dave), at(1)).await;
    assert_eq!(key.user_name.as_deref(), Some("dave"));

    store
        .update_user(&account_id, "DAVE", Some("David"), Some("/b/"))
        .await
        .expect("rename and move");
    assert_eq!(
        store.get_user(&account_id, "dave").await.expect("get_user"),
        None
    );
    let david = store
        .get_user(&account_id, "david")
        .await
        .expect("get_user")
        .expect("renamed");
    assert_eq!(david.user_id, dave.user_id);
    assert_eq!(
        (david.user_name.as_str(), david.path.as_str()),
        ("David", "/b/")
    );
    assert_eq!(david.tags, dave.tags, "tags stay");
    assert_eq!(david.create_date, dave.create_date);

    let keys = store
        .list_access_keys(&account_id, &owner_of(&dave), &After::Start, 10)
        .await
        .expect("list_access_keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys[0].user_name.as_deref(),
        Some("David"),
        "keys follow the user"
    );
    let cred = store
        .get_credential(&key.access_key_id)
        .await
        .expect("get_credential")
        .expect("key exists");
    assert_eq!(cred.key.user_name.as_deref(), Some("David"));
    let user = cred.user.expect("a user's key");
    assert_eq!(
        (user.user_name.as_str(), user.path.as_str()),
        ("David", "/b/")
    );
    assert_eq!(
        names(&store, &account_id, "/a/").await,
        Vec::<String>::new()
    );
    assert_eq!(names(&store, &account_id, "/b/").await, ["David"]);

    create(&store, &account_id, "erin", "/").await;
    assert_err!(
        store
            .update_user(&account_id, "david", Some("ERIN"), None)
            .await,
        StoreError::AlreadyExists
    );
    assert_err!(
        store
            .update_user(&account_id, "david", Some("Erin"), Some("/moved/"))
            .await,
        StoreError::AlreadyExists
    );
    let unchanged = store
        .get_user(&account_id, "david")
        .await
        .expect("get_user")
        .expect("david");
    assert_eq!(
        (unchanged.user_name.as_str(), unchanged.path.as_str()),
        ("David", "/b/"),
        "a refused update changes nothing"
    );

    store
        .update_user(&account_id, "david", Some("DAVID"), None)
        .await
        .expect("a case-only rename is allowed");
    let upper = store
        .get_user(&account_id, "David")
        .await
        .expect("get_user")
        .expect("DAVID");
    assert_eq!(
        (upper.user_name.as_str(), upper.path.as_str()),
        ("DAVID", "/b/")
    );

    store
        .update_user(&account_id, "david", None, Some("/c/"))
        .await
        .expect("move only");
    let moved = store
        .get_user(&account_id, "david")
        .await
        .expect("get_user")
        .expect("DAVID");
    assert_eq!(
        (moved.user_name.as_str(), moved.path.as_str()),
        ("DAVID", "/c/")
    );

    assert_err!(
        store
            .update_user(&account_id, "nobody", Some("x"), None)
            .await,
        StoreError::NoSuchUser
    );
    assert_err!(
        store
            .update_user("000000000000", "david", None, Some("/d/"))
            .await,
        StoreError::NoSuchUser
    );
}

pub async fn delete_user_requires_no_keys(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    assert_err!(
        store.delete_user(&account_id, "ghost").await,
        StoreError::NoSuchUser
    );

    let mut frank = new_user(&account_id, "frank", "/");
    frank.tags = vec![Tag {
        key: "old".into(),
        value: "tag".into(),
    }];
    store.create_user(&frank).await.expect("create_user");
    let owner = owner_of(&frank);
    let k1 = add_key(&store, &account_id, &owner, at(1)).await;
    let k2 = add_key(&store, &account_id, &owner, at(2)).await;

    assert_err!(
        store.delete_user(&account_id, "frank").await,
        StoreError::UserHasAccessKeys
    );
    store
        .delete_access_key(&account_id, &owner, &k1.access_key_id)
        .await
        .expect("delete k1");
    assert_err!(
        store.delete_user(&account_id, "Frank").await,
        StoreError::UserHasAccessKeys
    );
    assert!(
        store
            .get_user(&account_id, "frank")
            .await
            .expect("get_user")
            .is_some(),
        "a refused delete keeps the user"
    );
    store
        .delete_access_key(&account_id, &owner, &k2.access_key_id)
        .await
        .expect("delete k2");

    store
        .delete_user(&account_id, "FRANK")
        .await
        .expect("delete_user");
    assert_eq!(
        store
            .get_user(&account_id, "frank")
            .await
            .expect("get_user"),
        None
    );
    assert_err!(
        store.delete_user(&account_id, "frank").await,
        StoreError::NoSuchUser
    );
    assert_eq!(names(&store, &account_id, "/").await, Vec::<String>::new());

    let again = create(&store, &account_id, "frank", "/").await;
    assert_ne!(again.user_id, frank.user_id);
    let found = store
        .get_user(&account_id, "frank")
        .await
        .expect("get_user")
        .expect("frank again");
    assert_eq!(found.user_id, again.user_id);
    assert!(found.tags.is_empty(), "the old user's tags went with it");
    assert_eq!(
        key_ids(&store, &account_id, &owner_of(&again)).await,
        Vec::<String>::new()
    );
    assert_err!(
        store
            .create_access_key(&new_key(&account_id, &owner, at(3)), ACCESS_KEYS_PER_USER)
            .await,
        StoreError::NoSuchUser
    );
}

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
    assert_eq!(listed, [key.clone()], "refused changes changed nothing");
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
        expected.push((at(secs).unix_timestamp(), key.access_key_id));
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
        after = After::Key {
            created: last.create_date.unix_timestamp(),
            access_key_id: last.access_key_id.clone(),
        };
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

pub async fn concurrent_key_creation_respects_the_quota(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    let user = create(&store, &account_id, "busy", "/").await;
    let owner = owner_of(&user);
    let start = Arc::new(Barrier::new(24));
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let (store, start, key) = (
                Arc::clone(&store),
                Arc::clone(&start),
                new_key(&account_id, &owner, at(1)),
            );
            tokio::spawn(async move {
                start.wait().await;
                store.create_access_key(&key, ACCESS_KEYS_PER_USER).await
            })
        })
        .collect();
    let mut created = HashSet::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(key) => {
                created.insert(key.access_key_id);
            }
            Err(StoreError::KeyQuotaExceeded) => refused += 1,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!((created.len(), refused), (2, 22));
    let listed: HashSet<String> = key_ids(&store, &account_id, &owner)
        .await
        .into_iter()
        .collect();
    assert_eq!(listed, created);
}

pub async fn deleting_a_user_races_key_creation_safely(store: Arc<dyn Store>) {
    let (account_id, _) = account(&store).await;
    for round in 0..20 {
        let name = format!("racer{round}");
        let user = create(&store, &account_id, &name, "/").await;
        let owner = owner_of(&user);
        let key = new_key(&account_id, &owner, at(round));
        let start = Arc::new(Barrier::new(2));
        let deleting = {
            let (store, start, account_id, name) = (
                Arc::clone(&store),
                Arc::clone(&start),
                account_id.clone(),
                name.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                store.delete_user(&account_id, &name).await
            })
        };
        let creating = {
            let (store, start, key) = (Arc::clone(&store), Arc::clone(&start), key.clone());
            tokio::spawn(async move {
                start.wait().await;
                store.create_access_key(&key, ACCESS_KEYS_PER_USER).await
            })
        };
        let deleted = deleting.await.expect("delete task");
        let created = creating.await.expect("create task");
        let credential = store
            .get_credential(&key.access_key_id)
            .await
            .expect("get_credential");
        let remaining = store.get_user(&account_id, &name).await.expect("get_user");
        match (deleted, created) {
            (Ok(()), Err(StoreError::NoSuchUser)) => {
                assert!(remaining.is_none(), "round {round}: the user was deleted");
                assert!(
                    credential.is_none(),
                    "round {round}: no key outlives its user"
                );
            }
            (Err(StoreError::UserHasAccessKeys), Ok(_)) => {
                assert_eq!(
                    remaining.map(|u| u.user_id),
                    Some(user.user_id.clone()),
                    "round {round}"
                );
                let credential = credential.expect("the key exists");
                assert_eq!(
                    credential.user.map(|u| u.user_id),
                    Some(user.user_id.clone())
                );
            }
            (deleted, created) => {
                panic!("round {round}: inconsistent outcome: {deleted:?} / {created:?}")
            }
        }
        assert_eq!(
            key_ids(&store, &account_id, &owner).await.len(),
            usize::from(
                store
                    .get_user(&account_id, &name)
                    .await
                    .expect("get_user")
                    .is_some()
            )
        );
    }
}

pub async fn credentials_carry_the_sealed_secret(store: Arc<dyn Store>) {
    let (account_id, root_key) = account(&store).await;
    let mut gail = new_user(&account_id, "Gail", "/ops/");
    gail.create_date = at(7);
    store.create_user(&gail).await.expect("create_user");
    let secret = ids::secret_access_key();
    let new = NewAccessKey {
        secret: secret.seal(),
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
    assert_eq!(cred.secret.open().expect("known scheme"), secret);
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
