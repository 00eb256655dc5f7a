//! Users: case-insensitive names, path-prefix listing and its paging, rename, delete.

use std::sync::Arc;

use super::{account, add_key, at, create, key_ids, names, new_key, new_user, owner_of};
use crate::model::{Tag, ACCESS_KEYS_PER_USER};
use crate::store::{After, Store, StoreError};

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
