//! `iamd backup` and `iamd restore` as an operator runs them: a backup taken while a
//! client writes through the API holds every write acknowledged before it began, and
//! restores to a store whose keys sign; restore checks what it is given. PostgreSQL's
//! own tools (pg_dump, pg_restore) give a database that serves the same keys.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{iamd_on, iamd_tool, sts_client, temp_dir, ServeProcess, ACCOUNT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_concurrent_writes_restores_every_write_acknowledged_before_it() {
    let dir = temp_dir("backup-src");
    let server = ServeProcess::spawn(&dir, &[]);
    let root = server.root();

    // A key made before anything else, to sign with after the restore.
    root.create_user().user_name("early").send().await.unwrap();
    let early = root
        .create_access_key()
        .user_name("early")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();

    // A client writing users and keys in a loop; each acknowledged pair is recorded.
    let acknowledged: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (root, acknowledged, writing) = (root.clone(), acknowledged.clone(), writing.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while writing.load(Ordering::Relaxed) {
                let name = format!("w{i:05}");
                root.create_user().user_name(&name).send().await.unwrap();
                let key = root
                    .create_access_key()
                    .user_name(&name)
                    .send()
                    .await
                    .unwrap()
                    .access_key
                    .unwrap();
                acknowledged
                    .lock()
                    .unwrap()
                    .push((name, key.access_key_id, key.secret_access_key));
                i += 1;
            }
        })
    };
    while acknowledged.lock().unwrap().len() < 30 {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let file = temp_dir("backup-file").join("backup.iamd");
    let before: Vec<_> = acknowledged.lock().unwrap().clone();
    let backup = {
        let (dir, file) = (dir.clone(), file.clone());
        tokio::task::spawn_blocking(move || {
            iamd_on(&dir, &["backup", "--to", file.to_str().unwrap()])
        })
        .await
        .unwrap()
    };
    let after_backup = acknowledged.lock().unwrap().len();
    assert!(backup.ok, "backup failed: {}", backup.stderr);
    // Some more writes, then stop.
    while acknowledged.lock().unwrap().len() < after_backup + 5 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    writing.store(false, Ordering::Relaxed);
    writer.await.unwrap();
    let all = acknowledged.lock().unwrap().clone();
    eprintln!(
        "backup: {} pairs acknowledged before it began, {} while it ran, {} in all",
        before.len(),
        after_backup - before.len(),
        all.len()
    );
    assert!(
        backup.stdout.contains("master key"),
        "the backup names the master key it needs: {}",
        backup.stdout
    );
    server.stop();

    // Restore into another data directory, with the source's master key.
    let target = temp_dir("backup-dst");
    let key_file = dir.join("master.key");
    let restored = iamd_on(
        &target,
        &[
            "restore",
            "--from",
            file.to_str().unwrap(),
            "--master-key-file",
            key_file.to_str().unwrap(),
        ],
    );
    assert!(restored.ok, "restore failed: {}", restored.stderr);
    std::fs::copy(&key_file, target.join("master.key")).unwrap();
    let server = ServeProcess::spawn(&target, &[]);
    let root = server.root();
    for (name, key_id, _) in &before {
        let keys = root
            .list_access_keys()
            .user_name(name)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!("{name}, acknowledged before the backup, is missing: {e:?}")
            });
        let ids: Vec<_> = keys
            .access_key_metadata()
            .iter()
            .filter_map(|k| k.access_key_id())
            .collect();
        assert_eq!(ids, vec![key_id.as_str()], "{name}'s key");
    }
    // Nothing written after the backup had finished is in it: it is a snapshot.
    let listed = root.list_users().max_items(1000).send().await.unwrap();
    let names: Vec<_> = listed.users().iter().map(|u| u.user_name()).collect();
    for (name, _, _) in &all[after_backup..] {
        assert!(
            !names.contains(&name.as_str()),
            "{name} was written after the backup finished, yet is in it"
        );
    }
    // Keys made before the backup sign requests on the restored store.
    for (key_id, secret) in [
        (early.access_key_id(), early.secret_access_key()),
        (before[0].1.as_str(), before[0].2.as_str()),
    ] {
        let who = sts_client(&server.endpoint, key_id, secret, None)
            .get_caller_identity()
            .send()
            .await
            .expect("a key created before the backup signs on the restored store");
        assert_eq!(who.account(), Some(ACCOUNT));
    }
    server.stop();
    for done in [&dir, &target] {
        let _ = std::fs::remove_dir_all(done);
    }
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[tokio::test]
async fn restore_refuses_a_served_directory_a_wrong_key_and_files_that_are_not_backups() {
    let dir = temp_dir("restore-checks");
    let server = ServeProcess::spawn(&dir, &[]);
    server
        .root()
        .create_user()
        .user_name("kept")
        .send()
        .await
        .unwrap();
    let file = temp_dir("backup-file").join("backup.iamd");
    let file_arg = file.to_str().unwrap();
    let made = iamd_on(&dir, &["backup", "--to", file_arg]);
    assert!(made.ok, "{}", made.stderr);
    let again = iamd_on(&dir, &["backup", "--to", file_arg]);
    assert!(
        !again.ok && again.stderr.contains("never replaces"),
        "{}",
        again.stderr
    );

    // While the server holds the data directory.
    let held = iamd_on(&dir, &["restore", "--from", file_arg]);
    assert!(!held.ok, "restore ran beside a server");
    assert!(
        held.stderr.contains("served by another process"),
        "{}",
        held.stderr
    );
    server.stop();

    // With a master key that is not the one the backup needs.
    let other = temp_dir("restore-other");
    let wrong_key = other.join("wrong.key");
    std::fs::write(&wrong_key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
    let needed = std::fs::read_to_string(dir.join("master.key")).unwrap();
    let wrong = iamd_on(
        &other,
        &[
            "restore",
            "--from",
            file_arg,
            "--master-key-file",
            wrong_key.to_str().unwrap(),
        ],
    );
    assert!(!wrong.ok, "restored with the wrong key");
    assert!(wrong.stderr.contains("master key"), "{}", wrong.stderr);
    assert!(
        !other.join("iamd.sqlite3").exists(),
        "nothing is written when a check fails"
    );
    assert!(
        !wrong.stderr.contains(needed.trim()),
        "the key itself is never printed"
    );

    // Without any key: the data directory has none and none is given.
    let none = iamd_on(&other, &["restore", "--from", file_arg]);
    assert!(
        !none.ok && none.stderr.contains("needs master key"),
        "{}",
        none.stderr
    );

    // Files that are not iamd backups.
    let junk = other.join("junk");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let live_db = dir.join("iamd.sqlite3");
    for not_backup in [&junk, &live_db] {
        let refused = iamd_on(&other, &["restore", "--from", not_backup.to_str().unwrap()]);
        assert!(!refused.ok, "restored {}", not_backup.display());
        assert!(
            refused.stderr.contains("not an iamd backup"),
            "{}",
            refused.stderr
        );
    }

    // Over the original directory, once it is free: the old database is kept.
    let over = iamd_on(&dir, &["restore", "--from", file_arg]);
    assert!(over.ok, "{}", over.stderr);
    assert!(over.stdout.contains("kept as"), "{}", over.stdout);
    let server = ServeProcess::spawn(&dir, &[]);
    server
        .root()
        .get_user()
        .user_name("kept")
        .send()
        .await
        .unwrap();
    server.stop();
    for done in [&dir, &other] {
        let _ = std::fs::remove_dir_all(done);
    }
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[test]
fn backup_of_postgres_points_to_pg_dump() {
    let out = iamd_tool(&[
        "backup".as_ref(),
        "--to".as_ref(),
        "/nonexistent/x".as_ref(),
        "--database-url".as_ref(),
        "postgres://nobody@127.0.0.1:1/none".as_ref(),
    ]);
    assert!(!out.ok);
    assert!(out.stderr.contains("pg_dump"), "{}", out.stderr);
}

/// pg_dump of a served schema, pg_restore into a new database, and iamd on that database
/// serves the same keys.
#[tokio::test]
async fn a_postgres_database_restored_with_pg_restore_serves_the_same_keys() {
    for tool in ["pg_dump", "pg_restore", "psql"] {
        if std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("SKIPPED: PostgreSQL backup test: {tool} is not installed");
            return;
        }
    }
    let Some(base) = iamd_store_postgres::testing::database().await else {
        eprintln!("SKIPPED: PostgreSQL backup test: no PostgreSQL server");
        return;
    };
    let schema = iamd_store_postgres::testing::fresh_schema(&base).await;
    let dir = temp_dir("pg-backup");
    let key_file = dir.join("master.key");
    std::fs::write(&key_file, "ZmlsbGVyLWZpbGxlci1maWxsZXItZmlsbGVyLWZpbGw=\n").unwrap();
    let key_arg = key_file.to_str().unwrap();
    let url = iamd_store_postgres::testing::with_schema(&base, &schema);
    let server = ServeProcess::spawn(
        &dir,
        &["--database-url", &url, "--master-key-file", key_arg],
    );
    let root = server.root();
    root.create_user().user_name("dumped").send().await.unwrap();
    let key = root
        .create_access_key()
        .user_name("dumped")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    server.stop();

    let dump = dir.join("iamd.dump");
    let dumped = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--schema", &schema, "--file"])
        .arg(&dump)
        .arg(&base)
        .output()
        .unwrap();
    assert!(
        dumped.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&dumped.stderr)
    );
    // A new database on the same server.
    let database = format!("iamd_restore_{}", schema.trim_start_matches("iamd_test_"));
    let psql = |sql: &str| {
        let out = std::process::Command::new("psql")
            .args([base.as_str(), "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    psql(&format!("CREATE DATABASE \"{database}\""));
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let restored_base = format!("{prefix}/{database}");
    let restored = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname", &restored_base])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        restored.status.success(),
        "pg_restore: {}",
        String::from_utf8_lossy(&restored.stderr)
    );

    let url = iamd_store_postgres::testing::with_schema(&restored_base, &schema);
    let server = ServeProcess::spawn(
        &dir,
        &["--database-url", &url, "--master-key-file", key_arg],
    );
    let who = sts_client(
        &server.endpoint,
        key.access_key_id(),
        key.secret_access_key(),
        None,
    )
    .get_caller_identity()
    .send()
    .await
    .expect("the key signs on the restored database");
    assert!(who.arn().unwrap().ends_with(":user/dumped"));
    server.stop();
    psql(&format!("DROP DATABASE \"{database}\""));
    iamd_store_postgres::testing::drop_schema(&base, &schema).await;
    let _ = std::fs::remove_dir_all(&dir);
}
