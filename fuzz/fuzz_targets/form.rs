//! `Params::parse` on arbitrary bytes, as a query string and as a body, their merge, and
//! the look-ups the handler makes. Never panics; the merge keeps "the body wins".
#![no_main]

use iamd_protocol::{FormError, Params};
use libfuzzer_sys::fuzz_target;

/// Names the handler and the operations read, plus the SigV4 ones `parse` sets aside.
const NAMES: &[&str] = &[
    "Action",
    "Version",
    "UserName",
    "Marker",
    "MaxItems",
    "",
    "X-Amz-Signature",
    "X-Amz-Credential",
];
const LISTS: &[&str] = &["Tags", "PolicyInputList", "TagKeys", ""];

fn look_up(p: &Params, extra: &[&str]) {
    for name in NAMES.iter().chain(extra) {
        let _ = p.get(name);
    }
    for name in LISTS.iter().chain(extra) {
        let members = p.members(name);
        assert!(
            members.windows(2).all(|w| w[0].0 <= w[1].0),
            "members not sorted"
        );
    }
    for auth in ["X-Amz-Algorithm", "X-Amz-Signature", "X-Amz-Security-Token"] {
        assert_eq!(p.get(auth), None, "SigV4 parameter {auth} kept");
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte splits the rest into a query string and a body.
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut) * rest.len() / 256;
    let (query, body) = rest.split_at(cut);

    // A name taken from the input itself, so that `get`/`members` also see names that
    // are present (the text before the first `=`, if it is UTF-8).
    let first_name = body
        .split(|&b| b == b'=' || b == b'&')
        .next()
        .unwrap_or(b"");
    let first_name = std::str::from_utf8(first_name).unwrap_or("");
    let extra = [first_name, first_name.split('.').next().unwrap_or("")];

    if let Ok(whole) = Params::parse(rest) {
        look_up(&whole, &extra);
    }
    let (Ok(q), Ok(b)) = (Params::parse(query), Params::parse(body)) else {
        return;
    };
    look_up(&q, &extra);
    look_up(&b, &extra);
    // Each side is within `MAX_PARAMS` (it parsed); together they may not be.
    let merged = match Params::merged(q.clone(), b.clone()) {
        Ok(merged) => merged,
        Err(e) => {
            assert_eq!(
                e,
                FormError::TooManyParams,
                "merging only fails on the count"
            );
            return;
        }
    };
    look_up(&merged, &extra);
    for name in NAMES.iter().chain(&extra) {
        assert_eq!(
            merged.get(name),
            b.get(name).or_else(|| q.get(name)),
            "merge: the body must win for {name:?}"
        );
    }
});
