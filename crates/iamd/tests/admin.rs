//! `iamd admin …` as an operator runs it, beside and without a server: listings and the
//! credential report read a snapshot while a server holds the data directory; a new root
//! key, deactivating and deleting keys need the directory free.

mod common;

use std::time::Duration;

use common::{iam_client, iamd_on, temp_dir, ServeProcess, ACCOUNT, ROOT_KEY};

/// AWS's credential report columns, in order (IAM User Guide, "Getting credential reports").
const REPORT_HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// The line of `listing` for `key_id`, split on white space.
fn row_of<'a>(listing: &'a str, key_id: &str) -> Vec<&'a str> {
    listing
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(key_id))
        .unwrap_or_else(|| panic!("{key_id} not listed:\n{listing}"))
        .split_whitespace()
        .collect()
}

#[tokio::test]
async fn reads_run_beside_a_server_and_writes_wait_for_the_directory() {
    let dir = temp_dir("admin");
    let server = ServeProcess::spawn(&dir, &[]);
    let root = server.root();
    root.create_user().user_name("alice").send().await.unwrap();
    root.create_user().user_name("bob").send().await.unwrap();
    root.create_login_profile()
        .user_name("bob")
        .password("Correct-Horse-9-Battery")
        .send()
        .await
        .unwrap();
    let key = root
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let alice = iam_client(
        &server.endpoint,
        key.access_key_id(),
        key.secret_access_key(),
    );
    // A use of alice's key (refused or not, it is recorded), which the server writes to
    // the store within a second or so.
    let _ = alice.list_users().send().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    // Beside the server: the listing, on a snapshot, until the use is in the store.
    let listing = loop {
        let listing = iamd_on(&dir, &["admin", "list-users"]);
        assert!(listing.ok, "{}", listing.stderr);
        if row_of(&listing.stdout, key.access_key_id())[5] != "never" {
            break listing;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the use never reaches the store:\n{}",
            listing.stdout
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(listing.stderr.contains("snapshot"), "{}", listing.stderr);
    let root_row = row_of(&listing.stdout, ROOT_KEY);
    assert_eq!(root_row[0], "<root>");
    assert_eq!(root_row[2], "Active");
    let alice_row = row_of(&listing.stdout, key.access_key_id());
    assert_eq!(
        (alice_row[0], alice_row[2], alice_row[4]),
        ("alice", "Active", "0"),
        "user, status, age in days"
    );
    assert_ne!(alice_row[5], "never", "the last use is shown");
    assert_eq!(&alice_row[6..], ["iam", common::REGION]);
    assert!(
        listing.stdout.lines().any(|l| l.starts_with("bob ")),
        "a user without keys is listed too:\n{}",
        listing.stdout
    );
    assert!(
        !listing.stdout.contains(key.secret_access_key()),
        "no secret is ever listed"
    );

    // The credential report, in AWS's columns.
    let report = iamd_on(&dir, &["admin", "credential-report"]);
    assert!(report.ok, "{}", report.stderr);
    let lines: Vec<&str> = report.stdout.lines().collect();
    assert_eq!(lines[0], REPORT_HEADER);
    let columns = |line: &str| line.split(',').map(str::to_owned).collect::<Vec<_>>();
    let root_line = columns(lines[1]);
    assert_eq!(root_line.len(), 22);
    assert_eq!(root_line[0], "<root_account>");
    assert_eq!(root_line[1], format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(root_line[8], "true", "the root's key is active");
    let alice_line = columns(lines.iter().find(|l| l.starts_with("alice,")).unwrap());
    assert_eq!(alice_line.len(), 22);
    assert_eq!(alice_line[3], "false", "alice has no password");
    assert_eq!(&alice_line[8..9], ["true"]);
    assert!(alice_line[10].ends_with("+00:00"), "{alice_line:?}");
    assert_eq!(&alice_line[11..13], [common::REGION, "iam"]);
    assert_eq!(&alice_line[13..15], ["false", "N/A"], "no second key");
    let bob_line = columns(lines.iter().find(|l| l.starts_with("bob,")).unwrap());
    assert_eq!(bob_line[3], "true", "bob has a password");
    assert_eq!(bob_line[4], "no_information", "never used");
    assert_eq!(bob_line[8], "false", "bob has no key");
    // GetCredentialReport's CSV for the same state, line for line (one builder serves
    // both), but for when the root key was last used, which these very calls move.
    root.generate_credential_report().send().await.unwrap();
    let api = root.get_credential_report().send().await.unwrap();
    let api = String::from_utf8(api.content.unwrap().into_inner()).unwrap();
    assert!(report.stdout.ends_with('\n') && !api.ends_with('\n'));
    let without_root_use = |line: &str| {
        let mut columns = columns(line);
        if columns[0] == "<root_account>" {
            columns.remove(10);
        }
        columns
    };
    assert_eq!(
        report
            .stdout
            .lines()
            .map(without_root_use)
            .collect::<Vec<_>>(),
        api.lines().map(without_root_use).collect::<Vec<_>>(),
        "admin:\n{}\nAPI:\n{api}",
        report.stdout
    );

    // Writes are refused while the server holds the directory, and change nothing.
    for args in [
        vec!["admin", "create-root-key"],
        vec!["admin", "deactivate-key", key.access_key_id()],
        vec!["admin", "delete-key", key.access_key_id()],
    ] {
        let refused = iamd_on(&dir, &args);
        assert!(!refused.ok, "{args:?} ran beside the server");
        assert!(
            refused.stderr.contains("served by another process"),
            "{}",
            refused.stderr
        );
    }
    alice
        .get_user()
        .send()
        .await
        .expect_err("alice may not GetUser");
    let keys = root.list_access_keys().send().await.unwrap();
    assert_eq!(keys.access_key_metadata().len(), 1, "no root key was made");
    server.stop();

    // With the directory free: a new root key (printed once), and alice's key deactivated.
    let made = iamd_on(&dir, &["admin", "create-root-key"]);
    assert!(made.ok, "{}", made.stderr);
    let field = |prefix: &str| {
        made.stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {}", made.stdout))
            .to_owned()
    };
    let (new_id, new_secret) = (
        field("iamd: root access key id: "),
        field("iamd: root secret access key: "),
    );
    let off = iamd_on(&dir, &["admin", "deactivate-key", key.access_key_id()]);
    assert!(off.ok, "{}", off.stderr);
    assert!(off.stdout.contains("of alice"), "{}", off.stdout);
    let unknown = iamd_on(&dir, &["admin", "deactivate-key", "AKIANOSUCHKEY0000000"]);
    assert!(
        !unknown.ok && unknown.stderr.contains("no access key"),
        "{}",
        unknown.stderr
    );

    let server = ServeProcess::spawn(&dir, &[]);
    let new_root = iam_client(&server.endpoint, &new_id, &new_secret);
    let users = new_root
        .list_users()
        .send()
        .await
        .expect("the new root key works");
    assert_eq!(users.users().len(), 2);
    let refused = iam_client(
        &server.endpoint,
        key.access_key_id(),
        key.secret_access_key(),
    )
    .list_access_keys()
    .send()
    .await
    .expect_err("a deactivated key signs nothing");
    assert_eq!(
        common::err_of(refused).0,
        "InvalidClientTokenId",
        "an inactive key is refused as AWS refuses it"
    );
    let keys = new_root
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys.access_key_metadata()[0].status().map(|s| s.as_str()),
        Some("Inactive")
    );
    server.stop();

    // The root now has two keys: a third is refused, with the way out; delete-key frees one.
    let full = iamd_on(&dir, &["admin", "create-root-key"]);
    assert!(
        !full.ok && full.stderr.contains("delete-key"),
        "{}",
        full.stderr
    );
    let gone = iamd_on(&dir, &["admin", "delete-key", ROOT_KEY]);
    assert!(gone.ok, "{}", gone.stderr);
    let listing = iamd_on(&dir, &["admin", "list-users"]);
    assert!(
        listing.ok && !listing.stdout.contains(ROOT_KEY),
        "{}",
        listing.stdout
    );
    assert!(
        !listing.stderr.contains("snapshot"),
        "no server: read in place"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_data_directory_has_nothing_to_administer() {
    let dir = temp_dir("admin-empty");
    let out = iamd_on(&dir, &["admin", "list-users"]);
    assert!(!out.ok);
    assert!(out.stderr.contains("no database"), "{}", out.stderr);
    assert!(
        !dir.join("iamd.sqlite3").exists(),
        "admin creates no database"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// On PostgreSQL the admin commands run beside the serving nodes, which see a deactivated
/// key within their cache's lifetime.
#[tokio::test]
async fn on_postgres_admin_commands_run_beside_the_nodes() {
    let Some(base) = iamd_store_postgres::testing::database().await else {
        eprintln!("SKIPPED: iamd admin on PostgreSQL: no PostgreSQL server");
        return;
    };
    let schema = iamd_store_postgres::testing::fresh_schema(&base).await;
    let url = iamd_store_postgres::testing::with_schema(&base, &schema);
    let dir = temp_dir("admin-pg");
    let key_file = dir.join("master.key");
    std::fs::write(&key_file, "ZmlsbGVyLWZpbGxlci1maWxsZXItZmlsbGVyLWZpbGw=\n").unwrap();
    let key_arg = key_file.to_str().unwrap();
    let server = ServeProcess::spawn(
        &dir,
        &["--database-url", &url, "--master-key-file", key_arg],
    );
    let root = server.root();
    root.create_user().user_name("carol").send().await.unwrap();
    let key = root
        .create_access_key()
        .user_name("carol")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let carol = iam_client(
        &server.endpoint,
        key.access_key_id(),
        key.secret_access_key(),
    );
    carol
        .get_user()
        .send()
        .await
        .expect_err("carol may not GetUser, but is authenticated");

    let admin = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--database-url", &url, "--master-key-file", key_arg]);
        let all: Vec<&std::ffi::OsStr> = all.iter().map(std::ffi::OsStr::new).collect();
        common::iamd_tool(&all)
    };
    let listing = admin(&["admin", "list-users"]);
    assert!(listing.ok, "{}", listing.stderr);
    assert_eq!(row_of(&listing.stdout, key.access_key_id())[0], "carol");
    let off = admin(&["admin", "deactivate-key", key.access_key_id()]);
    assert!(off.ok, "{}", off.stderr);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let refused = carol.get_user().send().await.expect_err("still refused");
        if common::err_of(refused).0 == "InvalidClientTokenId" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the node never sees the key deactivated"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let made = admin(&["admin", "create-root-key"]);
    assert!(made.ok, "{}", made.stderr);
    let secret = made
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("iamd: root secret access key: "))
        .expect("the secret is printed")
        .to_owned();
    let id = made
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("iamd: root access key id: "))
        .expect("the key id is printed")
        .to_owned();
    iam_client(&server.endpoint, &id, &secret)
        .list_users()
        .send()
        .await
        .expect("the node takes the new root key");
    server.stop();
    iamd_store_postgres::testing::drop_schema(&base, &schema).await;
    let _ = std::fs::remove_dir_all(&dir);
}
