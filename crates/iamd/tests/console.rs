//! The web console: its files are served without a signature and with headers that keep
//! them to this origin; in headless Chromium (Debian's `chromium`, driven by playwright-core
//! from `crates/iamd/console/node_modules`), an operator whose policies allow it signs in
//! with an access key, creates a key for a user (its secret shown once), sees it listed
//! and flagged by age, deactivates and deletes it; then signs out and in again with a
//! console password that must be changed, changes it and acts as that user, then signs in
//! a user with an MFA device with a TOTP code; screenshots are saved under the target dir
//! (`target/tmp/console/console.png`, `console-password.png`, `console-mfa.png`).

mod common;

use common::TestServer;

/// `GET path` over a plain connection: (status, head, body).
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: iamd\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

#[tokio::test]
async fn the_console_files_are_served_unsigned_with_a_strict_policy() {
    let server = TestServer::start().await;
    let addr = server.running.addr;
    let (status, head, body) = get(addr, "/console/").await;
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(
        head.contains("content-security-policy: default-src 'none'; script-src 'self';"),
        "{head}"
    );
    for header in [
        "x-content-type-options: nosniff",
        "x-frame-options: deny",
        "referrer-policy: no-referrer",
        "cache-control: no-store",
    ] {
        assert!(head.contains(header), "{header} missing: {head}");
    }
    assert!(body.contains(r#"<script type="module" src="app.js">"#));
    assert!(
        !body.contains("<script>") && !body.contains("http://") && !body.contains("https://"),
        "no inline script, nothing from elsewhere"
    );
    for (path, kind) in [
        ("/console/app.js", "text/javascript"),
        ("/console/sigv4.js", "text/javascript"),
        ("/console/style.css", "text/css"),
    ] {
        let (status, head, _) = get(addr, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(head.contains(&format!("content-type: {kind}")), "{head}");
    }
    let (status, head, _) = get(addr, "/console").await;
    assert_eq!(status, 301);
    assert!(head.contains("location: /console/"), "{head}");
    let (status, _, _) = get(addr, "/console/../Cargo.toml").await;
    assert_eq!(status, 404);
    let (status, _, _) = get(addr, "/console/nothing.js").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_an_operator_signs_in_creates_and_deactivates_a_key() {
    let console = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("console");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let required = std::env::var_os("IAMD_CONSOLE_E2E").is_some_and(|v| v == "required");
    let missing = if !std::path::Path::new(&chromium).exists() {
        Some(format!(
            "no Chromium at {chromium} (apt-get install -y chromium)"
        ))
    } else if !console.join("node_modules/playwright-core").exists() {
        Some("playwright-core is not installed (npm ci in crates/iamd/console)".to_owned())
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(!required, "IAMD_CONSOLE_E2E=required, but {why}");
        eprintln!("SKIPPED: console test in Chromium: {why}");
        return;
    }

    let server = TestServer::start().await;
    let root = server.root();
    root.create_user().user_name("alice").send().await.unwrap();
    root.create_group()
        .group_name("admins")
        .send()
        .await
        .unwrap();
    let (key_id, secret) = server.user_with_key("operator").await;
    server.allow("operator", "iam:List*").await;
    server.allow("operator", "iam:Get*").await;
    server.allow("operator", "iam:*AccessKey*").await;
    // The operator also has a console password that must be changed at sign-in.
    root.create_login_profile()
        .user_name("operator")
        .password("First-Password-1")
        .password_reset_required(true)
        .send()
        .await
        .unwrap();
    root.update_account_password_policy()
        .allow_users_to_change_password(true)
        .send()
        .await
        .unwrap();
    // And a user with an MFA device, who gives a code at sign-in.
    root.create_user()
        .user_name("mfa-user")
        .send()
        .await
        .unwrap();
    server.allow("mfa-user", "iam:List*").await;
    server.allow("mfa-user", "iam:Get*").await;
    root.create_login_profile()
        .user_name("mfa-user")
        .password("First-Password-1")
        .send()
        .await
        .unwrap();
    let seed = server
        .enabled_mfa_device("mfa-user", "mfa-user-phone")
        .await
        .seed;

    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console");
    std::fs::create_dir_all(&shots).unwrap();
    let screenshot = shots.join("console.png");
    let _ = std::fs::remove_file(&screenshot);
    let endpoint = server.endpoint();
    let out = {
        let screenshot = screenshot.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("node")
                .arg("test/e2e.mjs")
                .current_dir(&console)
                .env("IAMD_ENDPOINT", endpoint)
                .env("IAMD_KEY_ID", key_id)
                .env("IAMD_SECRET", secret)
                .env("IAMD_USER", "alice")
                .env("IAMD_ACCOUNT", common::ACCOUNT)
                .env("IAMD_PASSWORD_USER", "operator")
                .env("IAMD_PASSWORD", "First-Password-1")
                .env("IAMD_MFA_USER", "mfa-user")
                .env("IAMD_MFA_SEED", seed)
                .env("SCREENSHOT", &screenshot)
                .env("CHROMIUM", chromium)
                .output()
                .expect("run node")
        })
        .await
        .unwrap()
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // What the browser did, seen through the API: the key it made (and deactivated) is
    // deleted.
    let made: serde_json::Value = serde_json::from_str(stdout.trim()).expect("the test's JSON");
    let made = made["keyId"].as_str().expect("key id").to_owned();
    assert!(made.starts_with("AKIA"), "{made}");
    let keys = root
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert!(keys.access_key_metadata().is_empty(), "{keys:?}");
    let png = std::fs::read(&screenshot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    eprintln!("console screenshot: {}", screenshot.display());
}
