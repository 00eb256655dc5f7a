//! `cargo run -p iamd-codegen` (or `scripts/codegen`): writes
//! `crates/iamd-protocol/src/generated/` from the service models in
//! `crates/iamd-protocol/data/`. `cargo run -p iamd-codegen -- --check` fails when the
//! checked-in output differs from what the models give (the `generated_code_is_fresh`
//! test runs the same check).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let root = root();
    let files = iamd_codegen::generate(&root.join("crates/iamd-protocol/data"));
    let out_dir = root.join("crates/iamd-protocol/src/generated");
    let mut stale = Vec::new();
    for (name, text) in &files {
        let path = out_dir.join(name);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != *text {
            if check {
                stale.push(path.display().to_string());
            } else {
                std::fs::create_dir_all(&out_dir).expect("create the output directory");
                std::fs::write(&path, text).expect("write generated code");
                println!("wrote {}", path.display());
            }
        }
    }
    if !stale.is_empty() {
        eprintln!(
            "generated code is stale (run scripts/codegen): {}",
            stale.join(", ")
        );
        std::process::exit(1);
    }
}
