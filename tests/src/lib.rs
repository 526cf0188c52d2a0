//! Support code for the real-host tests: where the built bundles are, a small CLAP host built on
//! `clack-host`, deterministic test signals, snare hits with a known strike position, and training
//! the plugin through its `Train` parameter; and realistic material from real drum kits in rooms
//! (`kit`), scored against its ground truth.
//!
//! The tests in `tests/tests/` load the *built* plugin (`target/bundled/Timbrel.clap`), exactly as
//! a DAW would: nothing here links against the plugin crate.
//!
//! Environment:
//! - `TIMBREL_HOST_TESTS=1` turns the host tests on (`tests/run.sh` sets it). Without it every
//!   host test prints a note and passes, so that `cargo test --workspace` in a fresh checkout
//!   without bundles stays green. With it, a missing bundle is a failure.
//! - `TIMBREL_BUNDLE_DIR` overrides where the bundles are (default `<workspace>/target/bundled`).

pub mod clap;
pub mod drums;
pub mod kit;
pub mod signal;
pub mod train;

use std::path::PathBuf;

/// The command that builds the bundles these tests load.
pub const BUNDLE_COMMAND: &str = "cargo xtask bundle timbrel --release";

/// Whether the host tests should run (`TIMBREL_HOST_TESTS=1`). When they should not, prints why,
/// so that a skipped run is visible in `cargo test -- --nocapture` output.
pub fn host_tests_enabled(test: &str) -> bool {
    match std::env::var("TIMBREL_HOST_TESTS") {
        Ok(v) if v == "1" || v.eq_ignore_ascii_case("true") => true,
        _ => {
            eprintln!(
                "{test}: skipped; set TIMBREL_HOST_TESTS=1 (tests/run.sh does) after `{BUNDLE_COMMAND}`"
            );
            false
        }
    }
}

/// The value of environment variable `name` parsed as `T`; `None` when it is unset or does not
/// parse (the reports' settings: `WINDOW=512`, `NEW_STROKE=6`...).
pub fn env_parsed<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The directory holding `Timbrel.clap` and `Timbrel.vst3`.
pub fn bundle_dir() -> PathBuf {
    match std::env::var_os("TIMBREL_BUNDLE_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("bundled"),
    }
}

/// Path of the built CLAP plugin. Panics with the build command if it is missing.
pub fn clap_bundle() -> PathBuf {
    let path = bundle_dir().join("Timbrel.clap");
    assert!(
        path.exists(),
        "{} does not exist: run `{BUNDLE_COMMAND}` first (or set TIMBREL_BUNDLE_DIR)",
        path.display()
    );
    path
}
