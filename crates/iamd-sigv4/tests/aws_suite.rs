//! The AWS SigV4 test suite (`../shared/sigv4-test-suite`, one folder a case):
//! every header-signed and query-signed request must verify at the case's
//! timestamp, its canonical request must match byte for byte, and changing
//! one byte of any signed part must make verification fail.

use std::path::{Path, PathBuf};

use iamd_sigv4::{
    canonical_request_with, check_scope, check_time, derive_signing_key, parse, verify_with,
    CanonicalOptions,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sigv4-test-suite")
}

struct Case {
    name: String,
    secret: String,
    service: String,
    now: OffsetDateTime,
    normalize: bool,
}

/// A request as read from a `*-signed-request.txt` file.
#[derive(Clone)]
struct RawRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Minimal raw-HTTP reader for the suite files: request line (the target may
/// contain spaces, so the method ends at the first space and the version
/// starts at the last), `Name:value` lines (repeated names kept in order;
/// lines starting with whitespace continue the previous value, folded to a
/// single space as RFC 7230 obs-fold requires), a blank line, the body.
fn parse_raw(text: &[u8]) -> RawRequest {
    let mut lines = Vec::new();
    let mut rest = text;
    let body;
    loop {
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let line = &rest[..i];
                rest = &rest[i + 1..];
                if line.is_empty() {
                    body = rest.to_vec();
                    break;
                }
                lines.push(String::from_utf8(line.to_vec()).expect("utf8 head"));
            }
            None => {
                if !rest.is_empty() {
                    lines.push(String::from_utf8(rest.to_vec()).expect("utf8 head"));
                }
                body = Vec::new();
                break;
            }
        }
    }
    let request_line = &lines[0];
    let first = request_line.find(' ').expect("method");
    let last = request_line.rfind(' ').expect("version");
    let method = request_line[..first].to_owned();
    let target = request_line[first + 1..last].to_owned();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in &lines[1..] {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut().expect("continuation after a header");
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (n, v) = line.split_once(':').expect("header colon");
            headers.push((n.to_owned(), v.to_owned()));
        }
    }
    RawRequest {
        method,
        target,
        headers,
        body,
    }
}

fn to_parts(raw: &RawRequest) -> Option<http::request::Parts> {
    let mut b = http::Request::builder()
        .method(raw.method.as_str())
        .uri(raw.target.as_str());
    for (n, v) in &raw.headers {
        b = b.header(n.as_str(), v.as_str());
    }
    b.body(()).ok().map(|r| r.into_parts().0)
}

fn load_case(dir: &Path) -> Case {
    let ctx: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("context.json")).expect("context"))
            .expect("json");
    Case {
        name: dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned(),
        secret: ctx["credentials"]["secret_access_key"]
            .as_str()
            .expect("secret")
            .to_owned(),
        service: ctx["service"].as_str().expect("service").to_owned(),
        now: OffsetDateTime::parse(ctx["timestamp"].as_str().expect("ts"), &Rfc3339).expect("ts"),
        normalize: ctx["normalize"].as_bool().expect("normalize"),
    }
}

/// Full server pipeline; returns the first error.
fn run(case: &Case, raw: &RawRequest) -> Result<(), String> {
    let Some(parts) = to_parts(raw) else {
        return Err("not a valid http request".into());
    };
    let opts = CanonicalOptions {
        normalize_path: case.normalize,
    };
    let auth = parse(&parts).map_err(|e| format!("parse: {e:?}"))?;
    check_time(&auth, case.now).map_err(|e| format!("time: {e:?}"))?;
    check_scope(&auth, &case.service).map_err(|e| format!("scope: {e:?}"))?;
    let key = derive_signing_key(
        case.secret.as_bytes(),
        &auth.scope_date,
        &auth.region,
        &auth.service,
    );
    verify_with(&auth, &parts, &raw.body, &key, opts).map_err(|e| format!("verify: {e:?}"))
}

/// Changes one character so that it stays in the same class: `a`→`b`,
/// `z`→`a`, `9`→`0`, `.`→`a`, anything else → `a`.
fn bump(c: char) -> char {
    match c {
        'z' => 'a',
        'Z' => 'A',
        '9' => '0',
        'a'..='y' | 'A'..='Y' | '0'..='8' => char::from(c as u8 + 1),
        _ => 'a',
    }
}

/// Replaces the last char of `s` that satisfies `pred` with `bump(c)`.
fn mutate_last(s: &str, pred: impl Fn(char) -> bool) -> Option<String> {
    let (i, c) = s.char_indices().rev().find(|&(_, c)| pred(c))?;
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..i]);
    out.push(bump(c));
    out.push_str(&s[i + c.len_utf8()..]);
    Some(out)
}

/// One-byte (one-character) mutations of every signed part of the request.
fn mutations(raw: &RawRequest, signed_headers: &[String]) -> Vec<(String, RawRequest)> {
    let mut out = Vec::new();
    // Method.
    let mut m = raw.clone();
    m.method = mutate_last(&raw.method, |c| c.is_ascii_alphanumeric()).expect("method");
    out.push(("method".to_owned(), m));
    // Path: the last non-slash character. Changing it always survives
    // normalization (a changed last segment is never popped; `..`→`.a` or
    // `.`→`a` adds a segment); a path of only slashes gains a segment.
    let (path, query) = match raw.target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (raw.target.clone(), None),
    };
    let new_path = mutate_last(&path, |c| c != '/').unwrap_or_else(|| format!("{path}a"));
    let mut m = raw.clone();
    m.target = match &query {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    out.push(("path".to_owned(), m));
    // Query: the last alphanumeric character of every parameter (the
    // signature parameter included; any failure counts).
    if let Some(q) = &query {
        let params: Vec<&str> = q.split('&').collect();
        for (i, p) in params.iter().enumerate() {
            let Some(mp) = mutate_last(p, |c| c.is_ascii_alphanumeric()) else {
                continue;
            };
            let mut ps: Vec<String> = params.iter().map(|s| (*s).to_owned()).collect();
            ps[i] = mp;
            let mut m = raw.clone();
            m.target = format!("{path}?{}", ps.join("&"));
            out.push((format!("query param {p}"), m));
        }
    }
    // Each signed header: the first occurrence's last alphanumeric character.
    for name in signed_headers {
        let Some(idx) = raw
            .headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
        else {
            continue;
        };
        let mut m = raw.clone();
        m.headers[idx].1 =
            mutate_last(&raw.headers[idx].1, |c| c.is_ascii_alphanumeric()).expect("alnum value");
        out.push((format!("header {name}"), m));
    }
    // Body: change its last byte, or add one to an empty body.
    let mut m = raw.clone();
    match m.body.last_mut() {
        Some(b) => *b = if *b == b'a' { b'b' } else { b'a' },
        None => m.body.push(b'a'),
    }
    out.push(("body".to_owned(), m));
    out
}

#[test]
fn aws_sigv4_test_suite() {
    let dir = suite_dir();
    if !dir.is_dir() {
        eprintln!("skipped: suite not found at {}", dir.display());
        return;
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read suite")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("context.json").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 30,
        "expected the full suite, got {}",
        dirs.len()
    );

    let mut verified = 0;
    let mut mutated = 0;
    let mut failures = Vec::new();
    for d in &dirs {
        let case = load_case(d);
        for kind in ["header", "query"] {
            let text = std::fs::read(d.join(format!("{kind}-signed-request.txt"))).expect("req");
            let expected_creq =
                std::fs::read_to_string(d.join(format!("{kind}-canonical-request.txt")))
                    .expect("creq");
            let mut raw = parse_raw(&text);
            let label = format!("{}/{kind}", case.name);

            // A raw space in the request target (get-space-*) is not valid
            // HTTP: hyper rejects it and `http::Uri` cannot hold it, so such
            // a request can never reach the server. A real client sends
            // `%20`, and for non-S3 services signs the path encoded once more
            // (`%2520`, botocore and aws-sdk-rust alike). So for these cases
            // we send `%20`, expect the double-encoded canonical URI, and
            // skip the signature (it was computed over the unsendable form).
            let unsendable = raw.target.contains(' ');
            if unsendable {
                raw.target = raw.target.replace(' ', "%20");
            }
            // post-sts-header-after, presigned: the signer appended
            // X-Amz-Security-Token to the query *after* signing (the token is
            // not in the expected canonical request). Spec §5.5 requires every
            // query parameter but X-Amz-Signature to be signed, which is what
            // botocore and aws-sdk-rust do (post-sts-header-before shows that
            // form, and it passes). We keep the token signed, so this request
            // must be rejected; the header variant passes (an unsigned token
            // header is simply not part of the canonical request).
            if case.name == "post-sts-header-after" && kind == "query" {
                match run(&case, &raw) {
                    Err(e) if e.contains("does not match") => {}
                    other => failures.push(format!("{label}: expected a mismatch, got {other:?}")),
                }
                continue;
            }
            let parts = to_parts(&raw).unwrap_or_else(|| panic!("{label}: bad request"));
            let auth = match parse(&parts) {
                Ok(a) => a,
                Err(e) => {
                    failures.push(format!("{label}: parse: {e:?}"));
                    continue;
                }
            };
            let opts = CanonicalOptions {
                normalize_path: case.normalize,
            };
            let creq = canonical_request_with(&auth, &parts, &raw.body, opts);
            let want = if unsendable {
                let mut lines: Vec<String> = expected_creq.split('\n').map(str::to_owned).collect();
                lines[1] = lines[1].replace("%20", "%2520");
                lines.join("\n")
            } else {
                expected_creq.clone()
            };
            if creq.as_deref() != Ok(want.as_str()) {
                failures.push(format!(
                    "{label}: canonical request differs\n--- want\n{want}\n--- got\n{creq:?}"
                ));
                continue;
            }
            if unsendable {
                continue;
            }
            if let Err(e) = run(&case, &raw) {
                failures.push(format!("{label}: {e}"));
                continue;
            }
            verified += 1;
            for (what, m) in mutations(&raw, &auth.signed_headers) {
                mutated += 1;
                if run(&case, &m).is_ok() {
                    failures.push(format!(
                        "{label}: mutation of {what} still verifies: {} {}",
                        m.method, m.target
                    ));
                }
            }
        }
    }
    eprintln!(
        "{} cases, {verified} signed requests verified, {mutated} mutations rejected",
        dirs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
