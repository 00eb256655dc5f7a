//! What checking one MFA code costs in CPU, without the store: opening the sealed seed
//! (AES-256-GCM), decoding its Base32, and the worst case of `mfa::check_code` (the code
//! of the oldest step in the drift window: three HMAC-SHA-1s). BENCHMARKS.md has figures:
//!
//! ```text
//! cargo run --release -j2 -p iamd-core --example totp_cost
//! ```

use std::hint::black_box;
use std::time::Instant;

use iamd_core::ids;
use iamd_core::mfa::{self, CodeCheck};
use iamd_core::secret::Keyring;

fn main() {
    let keyring = Keyring::generate();
    let seed = ids::mfa_seed();
    let sealed = seed.seal(&keyring);
    let now = time::OffsetDateTime::now_utc();
    let key = mfa::base32_decode(seed.expose()).expect("base32");
    let oldest = mfa::step_of(now) - mfa::DRIFT_STEPS;
    let code = format!("{:06}", mfa::totp(&key, oldest as u64));
    let n: u32 = 200_000;

    let start = Instant::now();
    for _ in 0..n {
        let opened = black_box(&sealed).open(&keyring).expect("opens");
        let key = mfa::base32_decode(opened.expose()).expect("base32");
        let check = mfa::check_code(&key, black_box(now), black_box(&code), None);
        assert_eq!(check, CodeCheck::Fresh(oldest));
    }
    let full = start.elapsed() / n;

    let start = Instant::now();
    for _ in 0..n {
        black_box(mfa::check_code(
            &key,
            black_box(now),
            black_box(&code),
            None,
        ));
    }
    let codes = start.elapsed() / n;

    let start = Instant::now();
    for s in 0..u64::from(n) {
        black_box(mfa::totp(black_box(&key), s));
    }
    let one = start.elapsed() / n;

    println!("one verification (open seed, decode, 3 codes): {full:?}");
    println!("the 3 codes alone: {codes:?}");
    println!("one TOTP (HMAC-SHA-1): {one:?}");
}
