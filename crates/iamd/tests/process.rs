//! The `iamd` binary as an operator runs it: printed address, SIGTERM, kill -9 durability,
//! one server per data directory.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{iam_client, temp_dir, ROOT_KEY, ROOT_SECRET};

struct Proc {
    child: Child,
    endpoint: String,
    stdout_lines: Vec<String>,
}

// The child is handed to the caller, which waits for it.
#[allow(clippy::zombie_processes)]
fn spawn(data_dir: &std::path::Path, with_root_env: bool) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iamd"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("IAMD_LOG", "warn")
        .env_remove("IAMD_ROOT_ACCESS_KEY_ID")
        .env_remove("IAMD_ROOT_SECRET_ACCESS_KEY")
        .env_remove("IAMD_ACCOUNT_ID")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if with_root_env {
        cmd.env("IAMD_ROOT_ACCESS_KEY_ID", ROOT_KEY)
            .env("IAMD_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET)
            .env("IAMD_ACCOUNT_ID", "210987654321");
    }
    let mut child = cmd.spawn().expect("spawn iamd");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut stdout_lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read stdout") == 0 {
            let status = child.wait();
            panic!("iamd exited ({status:?}) before listening: {stdout_lines:?}");
        }
        let line = line.trim_end().to_owned();
        stdout_lines.push(line.clone());
        if let Some(rest) = line.strip_prefix("iamd: listening on ") {
            let endpoint = rest.split_whitespace().next().unwrap().to_owned();
            return Proc {
                child,
                endpoint,
                stdout_lines,
            };
        }
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
}

#[tokio::test]
async fn generated_root_credentials_are_printed_once_and_work() {
    let dir = temp_dir("gen");
    let mut p = spawn(&dir, false);
    let find = |prefix: &str, lines: &[String]| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix).map(str::to_owned))
            .expect(prefix)
    };
    let key = find("iamd: root access key id: ", &p.stdout_lines);
    let secret = find("iamd: root secret access key: ", &p.stdout_lines);
    assert_eq!(secret.len(), 40);
    iam_client(&p.endpoint, &key, &secret)
        .list_access_keys()
        .send()
        .await
        .unwrap();
    signal(&p.child, "-TERM");
    assert!(p.child.wait().unwrap().success());
    // Second start: the account exists; nothing secret is printed again.
    let mut p = spawn(&dir, false);
    assert!(
        !p.stdout_lines.iter().any(|l| l.contains("secret")),
        "{:?}",
        p.stdout_lines
    );
    iam_client(&p.endpoint, &key, &secret)
        .list_access_keys()
        .send()
        .await
        .unwrap();
    signal(&p.child, "-TERM");
    assert!(p.child.wait().unwrap().success());
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let dir = temp_dir("kill9");
    let mut p = spawn(&dir, true);
    let root = iam_client(&p.endpoint, ROOT_KEY, ROOT_SECRET);
    let mut created = Vec::new();
    for i in 0..20 {
        let name = format!("user{i}");
        root.create_user().user_name(&name).send().await.unwrap();
        let key = root
            .create_access_key()
            .user_name(&name)
            .send()
            .await
            .unwrap();
        created.push((name, key.access_key.unwrap().access_key_id));
    }
    signal(&p.child, "-KILL");
    let _ = p.child.wait();
    let mut p = spawn(&dir, true);
    let root = iam_client(&p.endpoint, ROOT_KEY, ROOT_SECRET);
    for (name, key) in &created {
        let keys = root
            .list_access_keys()
            .user_name(name)
            .send()
            .await
            .unwrap();
        assert_eq!(
            keys.access_key_metadata()[0].access_key_id(),
            Some(key.as_str())
        );
    }
    signal(&p.child, "-TERM");
    assert!(p.child.wait().unwrap().success());
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    let dir = temp_dir("term");
    let mut p = spawn(&dir, true);
    let root = iam_client(&p.endpoint, ROOT_KEY, ROOT_SECRET);
    let mut calls = Vec::new();
    for i in 0..16 {
        let root = root.clone();
        calls.push(tokio::spawn(async move {
            root.create_user().user_name(format!("t{i}")).send().await
        }));
    }
    // Signal while the calls are under way: each either completed before the listener
    // closed or never reached the server, and none is cut off mid-answer.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    signal(&p.child, "-TERM");
    let status = tokio::task::spawn_blocking(move || p.child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    let mut answered = 0;
    for c in calls {
        match c.await.unwrap() {
            Ok(_) => answered += 1,
            Err(aws_sdk_iam::error::SdkError::ServiceError(e)) => {
                panic!("service error during shutdown: {e:?}")
            }
            Err(_) => {} // connection refused after the listener closed
        }
    }
    // Every answered create is durable.
    let mut p = spawn(&dir, true);
    let root = iam_client(&p.endpoint, ROOT_KEY, ROOT_SECRET);
    let users = root.list_users().send().await.unwrap();
    assert!(
        users.users().len() >= answered,
        "{} < {answered}",
        users.users().len()
    );
    signal(&p.child, "-TERM");
    assert!(p.child.wait().unwrap().success());
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_is_refused() {
    let dir = temp_dir("twice");
    let mut first = spawn(&dir, true);
    let second = Command::new(env!("CARGO_BIN_EXE_iamd"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env("IAMD_LOG", "warn")
        .env("IAMD_ROOT_ACCESS_KEY_ID", ROOT_KEY)
        .env("IAMD_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET)
        .env("IAMD_ACCOUNT_ID", "210987654321")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn a second iamd");
    let pid = second.id();
    let (done, outcome) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(second.wait_with_output());
    });
    let output = match outcome.recv_timeout(std::time::Duration::from_secs(30)) {
        Ok(output) => output.expect("wait for the second iamd"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("a second iamd on the same data directory kept running");
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("is in use by another process"),
        "says why: {stderr}"
    );
    // The first one goes on serving, and once it stops the directory is free again.
    let root = iam_client(&first.endpoint, ROOT_KEY, ROOT_SECRET);
    root.create_user().user_name("still").send().await.unwrap();
    signal(&first.child, "-TERM");
    assert!(first.child.wait().unwrap().success());
    let mut again = spawn(&dir, true);
    let root = iam_client(&again.endpoint, ROOT_KEY, ROOT_SECRET);
    root.get_user().user_name("still").send().await.unwrap();
    signal(&again.child, "-TERM");
    assert!(again.child.wait().unwrap().success());
}
