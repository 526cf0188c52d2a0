//! Helpers shared by the CLI's integration tests: run the real `timbrel` binary.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `timbrel` binary with `args` in `dir`.
pub fn timbrel(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timbrel"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("failed to start the timbrel binary")
}

/// Asserts success and returns stdout as text.
pub fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "timbrel failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("stdout is not UTF-8")
}
