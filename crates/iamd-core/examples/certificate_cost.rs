//! What UploadServerCertificate's checks and UploadSSHPublicKey's parsing cost: reads a PEM
//! certificate and its private key (and, if given, an OpenSSH public key), then runs
//! `server_certificate::check_upload` (parse the certificate, derive the key's public half
//! with `ring`, compare) and `RsaKey::parse` + `fingerprint` `N` times each on one thread
//! and prints the medians. Run it with a release build:
//!
//! ```text
//! openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=bench -keyout key.pem -out cert.pem
//! openssl rsa -in key.pem -traditional -out key-pkcs1.pem
//! ssh-keygen -q -t rsa -b 2048 -N '' -f id_rsa
//! cargo run --release -j2 -p iamd-core --example certificate_cost -- \
//!     cert.pem key.pem key-pkcs1.pem id_rsa.pub 200
//! ```

use std::time::Instant;

use iamd_core::public_key::RsaKey;
use iamd_core::server_certificate::check_upload;

fn median_ms(n: usize, mut f: impl FnMut()) -> (f64, f64, f64) {
    let mut times: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[n / 2], times[0], times[n - 1])
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cert, key, key_pkcs1, ssh, ..] = args.as_slice() else {
        eprintln!("usage: certificate_cost CERT.pem KEY.pem KEY-PKCS1.pem ID.pub [N]");
        std::process::exit(2);
    };
    let n: usize = args
        .get(4)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200)
        .max(1);
    let read = |p: &str| std::fs::read_to_string(p).expect("readable");
    let (cert, key, key_pkcs1, ssh) = (read(cert), read(key), read(key_pkcs1), read(ssh));
    for (what, key) in [("PKCS #8", &key), ("PKCS #1", &key_pkcs1)] {
        let (median, min, max) = median_ms(n, || {
            check_upload(&cert, key, None).expect("the key is the certificate's");
        });
        println!(
            "server certificate check, {what} key, x{n}: median {median:.3} ms, min {min:.3} ms, max {max:.3} ms"
        );
    }
    let (median, min, max) = median_ms(n, || {
        let k = RsaKey::parse(&ssh).expect("an ssh-rsa key");
        assert_eq!(k.fingerprint().len(), 47);
    });
    println!("ssh-rsa parse + MD5 fingerprint, x{n}: median {median:.3} ms, min {min:.3} ms, max {max:.3} ms");
}
