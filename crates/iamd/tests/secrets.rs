//! Secrets stay secret: never in the logs at any level, on either backend; encrypted in the
//! database; files readable by their owner alone; and `iamd rekey` moves every secret to a
//! new master key while keys made under the old one keep working.
//!
//! These run the `iamd` binary (`IAMD_TEST_BIN` names another build to check, e.g. an
//! older one) with its output captured.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};

use common::{iam_client, sts_client, temp_dir, ROOT_KEY, ROOT_SECRET};
use iamd_core::secret::{Keyring, MasterKey};
use iamd_core::Store;
use iamd_store_postgres::testing;

const ACCOUNT: &str = "210987654321";

fn binary() -> PathBuf {
    std::env::var_os("IAMD_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_iamd")))
}

/// A running `iamd serve`, everything it writes (stdout and stderr) captured.
struct Server {
    child: Child,
    endpoint: String,
    output: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

/// Runs `iamd ARGS` under umask 022 with `IAMD_LOG=trace` and the root key given through
/// the environment (so that no secret is printed by design), plus `env`.
fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(binary())
        .args(args)
        .env("IAMD_LOG", "trace")
        .env("IAMD_ROOT_ACCESS_KEY_ID", ROOT_KEY)
        .env("IAMD_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET)
        .env("IAMD_ACCOUNT_ID", ACCOUNT)
        .env_remove("IAMD_MASTER_KEY")
        .env_remove("IAMD_MASTER_KEY_FILE")
        .env_remove("IAMD_DATABASE_URL")
        .env_remove("IAMD_DATA_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

// The child is kept in the returned value, which waits for it in `stop`.
#[allow(clippy::zombie_processes)]
fn serve(args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut child = command(&all, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn iamd");
    let output = Arc::new(Mutex::new(Vec::new()));
    let (lines, listening) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    let out = output.clone();
    let stdout_reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let mut all = out.lock().unwrap();
            all.extend_from_slice(line.as_bytes());
            all.push(b'\n');
            let _ = lines.send(line);
        }
    });
    let mut stderr = child.stderr.take().expect("stderr");
    let out = output.clone();
    let stderr_reader = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let endpoint = loop {
        match listening.recv() {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix("iamd: listening on ") {
                    break rest.split_whitespace().next().unwrap().to_owned();
                }
            }
            Err(_) => {
                let status = child.wait();
                let _ = stderr_reader.join();
                panic!(
                    "iamd exited ({status:?}) before listening:\n{}",
                    String::from_utf8_lossy(&output.lock().unwrap())
                );
            }
        }
    };
    Server {
        child,
        endpoint,
        output,
        readers: vec![stdout_reader, stderr_reader],
    }
}

impl Server {
    /// SIGTERM, then everything the process wrote.
    fn stop(mut self) -> String {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
        let status = self.child.wait().expect("wait");
        for r in self.readers.drain(..) {
            r.join().expect("output reader");
        }
        let output = String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned();
        assert!(status.success(), "iamd failed: {output}");
        output
    }
}

/// Creates keys (a user's, a second root key), uses them, gets a session token and assumes
/// a role, using each. Returns every secret and token the clients were given.
async fn exercise(endpoint: &str) -> Vec<String> {
    let root = iam_client(endpoint, ROOT_KEY, ROOT_SECRET);
    let mut secrets = vec![ROOT_SECRET.to_owned()];
    root.create_user().user_name("alice").send().await.unwrap();
    let key = root
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    secrets.push(key.secret_access_key.clone());
    let root_key2 = root
        .create_access_key()
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    secrets.push(root_key2.secret_access_key.clone());
    // A virtual MFA device's seed is a secret too.
    let device = root
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("alice-phone")
        .send()
        .await
        .unwrap();
    let seed = device
        .virtual_mfa_device
        .unwrap()
        .base32_string_seed
        .unwrap();
    secrets.push(String::from_utf8(seed.into_inner()).unwrap());
    // A server certificate's private key: sealed, never returned. Looked for whole, and by
    // its longest alphanumeric run (which no form or log encoding would change).
    let key_pair = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["secret.example".to_owned()])
        .expect("params")
        .self_signed(&key_pair)
        .expect("certificate");
    let private_key = key_pair.serialize_pem();
    root.upload_server_certificate()
        .server_certificate_name("edge")
        .certificate_body(cert.pem())
        .private_key(&private_key)
        .send()
        .await
        .unwrap();
    let got = root
        .get_server_certificate()
        .server_certificate_name("edge")
        .send()
        .await
        .unwrap();
    let run = private_key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .max_by_key(|run| run.len())
        .unwrap_or_default()
        .to_owned();
    assert!(run.len() >= 16, "{}", run.len());
    assert!(
        !format!("{got:?}").contains(&run),
        "GetServerCertificate returns no key"
    );
    secrets.push(private_key.clone());
    secrets.push(run);
    iam_client(
        endpoint,
        &root_key2.access_key_id,
        &root_key2.secret_access_key,
    )
    .list_users()
    .send()
    .await
    .unwrap();
    root.put_user_policy()
        .user_name("alice")
        .policy_name("all")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    iam_client(endpoint, &key.access_key_id, &key.secret_access_key)
        .list_access_keys()
        .send()
        .await
        .unwrap();

    // Console passwords: set by root, changed by alice, checked at the sign-in endpoint
    // (a wrong one too); none may reach the logs or the database in clear.
    let passwords = [
        "Secret-Console-Pa55-1",
        "Secret-Console-Pa55-2",
        "Secret-Wrong-Pa55-3",
    ];
    root.create_login_profile()
        .user_name("alice")
        .password(passwords[0])
        .send()
        .await
        .unwrap();
    iam_client(endpoint, &key.access_key_id, &key.secret_access_key)
        .change_password()
        .old_password(passwords[0])
        .new_password(passwords[1])
        .send()
        .await
        .unwrap();
    let addr: std::net::SocketAddr = endpoint.trim_start_matches("http://").parse().unwrap();
    for (password, want) in [(passwords[2], 401), (passwords[1], 200)] {
        let body = format!(r#"{{"account":"{ACCOUNT}","user":"alice","password":"{password}"}}"#);
        let request = format!(
            "POST /iamd/v1/sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let (status, _) = common::raw_http(addr, request.as_bytes()).await;
        assert_eq!(status, want);
    }
    secrets.extend(passwords.iter().map(|p| (*p).to_owned()));

    let alice = sts_client(endpoint, &key.access_key_id, &key.secret_access_key, None);
    let session = alice.get_session_token().send().await.unwrap();
    let c = session.credentials.unwrap();
    secrets.push(c.secret_access_key.clone());
    secrets.push(c.session_token.clone());
    sts_client(
        endpoint,
        &c.access_key_id,
        &c.secret_access_key,
        Some(&c.session_token),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();

    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/alice"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let role = root
        .create_role()
        .role_name("Deployer")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let assumed = alice
        .assume_role()
        .role_arn(role.arn)
        .role_session_name("deploy")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials.unwrap();
    secrets.push(c.secret_access_key.clone());
    secrets.push(c.session_token.clone());
    sts_client(
        endpoint,
        &c.access_key_id,
        &c.secret_access_key,
        Some(&c.session_token),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();
    secrets
}

/// The role's session secret, in clear, read back from the store with the keyring.
async fn role_secret(store: &dyn Store, keyring: &Keyring) -> String {
    let role = store
        .get_role(ACCOUNT, "Deployer")
        .await
        .expect("get_role")
        .expect("the role exists");
    role.session_secret
        .open(keyring)
        .expect("opens")
        .expose()
        .to_owned()
}

/// Every stored secret column of the account's keys and the role.
async fn stored_columns(store: &dyn Store) -> Vec<String> {
    let mut columns = Vec::new();
    for owner in [None, Some("alice")] {
        let owner = match owner {
            None => iamd_core::model::KeyOwner::Root,
            Some(name) => store
                .get_user(ACCOUNT, name)
                .await
                .unwrap()
                .expect("alice")
                .owner(),
        };
        let keys = store
            .list_access_keys(ACCOUNT, &owner, &iamd_core::After::Start, 100)
            .await
            .unwrap();
        for k in keys {
            let cred = store.get_credential(&k.access_key_id).await.unwrap();
            columns.push(cred.expect("key").secret.as_stored().to_owned());
        }
    }
    let role = store.get_role(ACCOUNT, "Deployer").await.unwrap().unwrap();
    columns.push(role.session_secret.as_stored().to_owned());
    assert_eq!(columns.len(), 4, "two root keys, alice's, the role's");
    columns
}

fn assert_absent(what: &str, haystack: &[u8], secrets: &[String]) {
    for secret in secrets {
        let found = haystack
            .windows(secret.len())
            .any(|w| w == secret.as_bytes());
        assert!(!found, "{what} holds a secret in clear ({}…)", &secret[..8]);
    }
}

fn database_files(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in ["iamd.sqlite3", "iamd.sqlite3-wal"] {
        if let Ok(b) = std::fs::read(dir.join(name)) {
            bytes.extend(b);
        }
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_the_logs_or_the_database_files_on_sqlite() {
    let dir = temp_dir("sec-sqlite");
    let data_dir = dir.to_str().unwrap();
    let server = serve(&["--data-dir", data_dir], &[]);
    let mut secrets = exercise(&server.endpoint).await;
    let while_running = database_files(&dir);
    let output = server.stop();
    assert!(output.contains("iamd listening"), "{output}");
    let after = database_files(&dir);

    // The role's session secret, in clear, to look for it too. (A build without
    // encryption makes no key file; its plain rows open with any key.)
    let keyring = Keyring::new(
        iamd_store_sqlite::read_master_key(&dir.join("master.key"))
            .unwrap_or_else(|_| MasterKey::generate().0),
    );
    let store = iamd_store_sqlite::SqliteStore::open(&dir.join("iamd.sqlite3")).expect("open");
    secrets.push(role_secret(&store, &keyring).await);
    let columns = stored_columns(&store).await;
    drop(store);

    assert_absent("iamd's output", output.as_bytes(), &secrets);
    assert_absent(
        "the database files while iamd ran",
        &while_running,
        &secrets,
    );
    assert_absent("the database files after iamd stopped", &after, &secrets);
    for column in columns {
        assert!(
            column.starts_with("aes256gcm:"),
            "stored as {}",
            &column[..12]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_the_logs_or_the_database_on_postgres() {
    let Some(base) = testing::database().await else {
        return;
    };
    let schema = testing::fresh_schema(&base).await;
    let url = testing::with_schema(&base, &schema);
    let (key, key_text) = MasterKey::generate();
    let dir = temp_dir("sec-pg");
    let server = serve(
        &["--data-dir", dir.to_str().unwrap()],
        &[
            ("IAMD_DATABASE_URL", url.as_str()),
            ("IAMD_MASTER_KEY", key_text.as_str()),
        ],
    );
    let mut secrets = exercise(&server.endpoint).await;
    let output = server.stop();
    assert!(output.contains("iamd listening"), "{output}");

    let keyring = Keyring::new(key);
    let store = iamd_store_postgres::connect(&url).await.expect("connect");
    secrets.push(role_secret(&store, &keyring).await);
    assert_absent("iamd's output", output.as_bytes(), &secrets);
    // Nor even sealed ones: the driver's statement log (with parameters) is silenced.
    assert!(
        !output.contains("with parameters"),
        "the PostgreSQL driver logged statement parameters"
    );
    assert!(
        !output.contains(key_text.as_str()),
        "the master key is in the output"
    );
    let columns = stored_columns(&store).await;
    assert_absent("the stored columns", columns.concat().as_bytes(), &secrets);
    for column in &columns {
        assert!(
            column.starts_with("aes256gcm:"),
            "stored as {}",
            &column[..12]
        );
    }
    testing::drop_schema(&base, &schema).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    // A fresh data directory, created by iamd under umask 022.
    let parent = temp_dir("modes");
    let fresh = parent.join("data");
    // And one an older version left world-readable (the empty database file is a new
    // database to SQLite).
    let old = parent.join("old");
    std::fs::create_dir(&old).unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(old.join("iamd.sqlite3"), b"").unwrap();
    std::fs::set_permissions(
        old.join("iamd.sqlite3"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    for dir in [&fresh, &old] {
        let server = serve(&["--data-dir", dir.to_str().unwrap()], &[]);
        exercise(&server.endpoint).await;
        let mut files = vec![(dir.clone(), 0o700)];
        for name in [
            "iamd.sqlite3",
            "iamd.sqlite3-wal",
            "iamd.sqlite3-shm",
            "iamd.sqlite3-lock",
            "master.key",
        ] {
            files.push((dir.join(name), 0o600));
        }
        for (path, expected) in &files {
            assert_eq!(
                mode(path),
                *expected,
                "{} is {:o} while iamd runs",
                path.display(),
                mode(path)
            );
        }
        server.stop();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{} after stop", path.display());
        }
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_path_of_ones_own_leaves_its_directory_mode_alone() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let shared = temp_dir("custom-path");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    let url = format!("sqlite://{}", shared.join("mine.sqlite3").display());
    let data = shared.join("unused");
    let server = serve(
        &["--data-dir", data.to_str().unwrap()],
        &[("IAMD_DATABASE_URL", url.as_str())],
    );
    assert_eq!(
        mode(&shared),
        0o755,
        "a directory iamd does not own is left as it is"
    );
    for name in [
        "mine.sqlite3",
        "mine.sqlite3-wal",
        "mine.sqlite3-lock",
        "master.key",
    ] {
        assert_eq!(mode(&shared.join(name)), 0o600, "{name}");
    }
    server.stop();
}

/// Writes a new master key to `dir/name`; returns its path.
fn key_file(dir: &Path, name: &str) -> (PathBuf, Keyring) {
    let (key, text) = MasterKey::generate();
    let path = dir.join(name);
    std::fs::write(&path, format!("{}\n", text.as_str())).unwrap();
    (path, Keyring::new(key))
}

fn run(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = command(args, env).output().expect("run iamd");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "iamd {args:?} failed: {text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_made_under_key_a_authenticates_after_rekey_to_key_b_on_sqlite() {
    let dir = temp_dir("rekey");
    let keys = temp_dir("rekey-keys");
    let (a, _) = key_file(&keys, "a.key");
    let (b, ring_b) = key_file(&keys, "b.key");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let data = dir.to_str().unwrap();

    let server = serve(&["--data-dir", data, "--master-key-file", a], &[]);
    let root = iam_client(&server.endpoint, ROOT_KEY, ROOT_SECRET);
    let key = user_with_own_key(&root, "kept").await;
    server.stop();

    let out = run(
        &[
            "rekey",
            "--data-dir",
            data,
            "--master-key-file",
            b,
            "--old-master-key-file",
            a,
        ],
        &[],
    );
    assert!(out.contains("re-sealed 2 secrets"), "{out}");

    // Only B now: the key made under A authenticates, and every secret is under B.
    let server = serve(&["--data-dir", data, "--master-key-file", b], &[]);
    let client = iam_client(&server.endpoint, &key.access_key_id, &key.secret_access_key);
    client
        .list_access_keys()
        .send()
        .await
        .expect("the key authenticates");
    iam_client(&server.endpoint, ROOT_KEY, ROOT_SECRET)
        .list_access_keys()
        .user_name("kept")
        .send()
        .await
        .unwrap();
    server.stop();
    let store = iamd_store_sqlite::SqliteStore::open(&dir.join("iamd.sqlite3")).expect("open");
    let cred = store
        .get_credential(&key.access_key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cred.secret.key_id(), Some(ring_b.current_id()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rekey_on_postgres_while_a_node_holding_both_keys_serves() {
    let Some(base) = testing::database().await else {
        return;
    };
    let schema = testing::fresh_schema(&base).await;
    let url = testing::with_schema(&base, &schema);
    let keys = temp_dir("rekey-pg");
    let (a, _) = key_file(&keys, "a.key");
    let (b, ring_b) = key_file(&keys, "b.key");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let data = keys.to_str().unwrap();
    let env = [("IAMD_DATABASE_URL", url.as_str())];

    // 0. A node on A makes a key.
    let server = serve(&["--data-dir", data, "--master-key-file", a], &env);
    let root = iam_client(&server.endpoint, ROOT_KEY, ROOT_SECRET);
    let key = user_with_own_key(&root, "kept").await;
    server.stop();
    // 1. Every node gets both keys, B current.
    let both = serve(
        &[
            "--data-dir",
            data,
            "--master-key-file",
            b,
            "--old-master-key-file",
            a,
        ],
        &env,
    );
    let client = iam_client(&both.endpoint, &key.access_key_id, &key.secret_access_key);
    client
        .list_access_keys()
        .send()
        .await
        .expect("the key authenticates");
    // 2. rekey, while that node serves; the key works before and after.
    let out = run(
        &[
            "rekey",
            "--data-dir",
            data,
            "--master-key-file",
            b,
            "--old-master-key-file",
            a,
        ],
        &env,
    );
    assert!(out.contains("re-sealed 2 secrets"), "{out}");
    client
        .list_access_keys()
        .send()
        .await
        .expect("the key authenticates");
    both.stop();
    // 3. Drop A.
    let server = serve(&["--data-dir", data, "--master-key-file", b], &env);
    let client = iam_client(&server.endpoint, &key.access_key_id, &key.secret_access_key);
    client
        .list_access_keys()
        .send()
        .await
        .expect("the key authenticates");
    server.stop();
    let store = iamd_store_postgres::connect(&url).await.expect("connect");
    let cred = store
        .get_credential(&key.access_key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cred.secret.key_id(), Some(ring_b.current_id()));
    testing::drop_schema(&base, &schema).await;
}

/// A new user allowed to manage its own keys, and a key of its own.
async fn user_with_own_key(
    root: &aws_sdk_iam::Client,
    name: &str,
) -> aws_sdk_iam::types::AccessKey {
    root.create_user().user_name(name).send().await.unwrap();
    root.put_user_policy()
        .user_name(name)
        .policy_name("own-keys")
        .policy_document(common::SELF_SERVICE_POLICY)
        .send()
        .await
        .unwrap();
    root.create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap()
}
