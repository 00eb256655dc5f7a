//! What one password verification costs with iamd's argon2id parameters: hashes a
//! password once, then verifies it `N` times (default 50) on one thread and prints the
//! median, the fastest and the slowest. Run it with a release build:
//!
//! ```text
//! cargo run --release -j2 -p iamd-core --example argon2_cost -- 50
//! ```

use std::time::Instant;

use iamd_core::password::{hash_password, verify_password, ARGON2_M_KIB, ARGON2_P, ARGON2_T};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50)
        .max(1);
    let started = Instant::now();
    let hash = hash_password("Correct-Horse-Battery-9").expect("hash");
    let hashing = started.elapsed();
    let mut times: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            assert!(verify_password("Correct-Horse-Battery-9", &hash));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "argon2id m={ARGON2_M_KIB} KiB t={ARGON2_T} p={ARGON2_P}: hash {:.1} ms; verify x{n}: median {:.1} ms, min {:.1} ms, max {:.1} ms",
        hashing.as_secs_f64() * 1000.0,
        times[n / 2],
        times[0],
        times[n - 1]
    );
}
