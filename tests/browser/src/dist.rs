//! Building the page once per test process with `cargo xtask dist`.
//!
//! `scripts/test-web.sh` builds `dist/` itself and then sets
//! `CMDHUNT_E2E_DIST_FRESH=1`, so the tests use it as is; otherwise (for
//! example inside `cargo test --workspace`) the first test to need the page
//! runs `cargo xtask dist` and every other test waits for it. With
//! `CMDHUNT_E2E_DIST=<dir>` that directory is tested as it is.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::paths;

static BUILT: OnceLock<Result<(), String>> = OnceLock::new();

/// The two entry points the tests open.
pub fn index_html() -> PathBuf {
    paths::dist_dir().join("index.html")
}

/// The self-contained single file.
pub fn single_file() -> PathBuf {
    paths::dist_dir().join("cmdhunt.html")
}

/// Make sure `dist/index.html` and `dist/cmdhunt.html` are built from the
/// current sources (once per process).
pub fn ensure_built() -> Result<(), crate::Error> {
    BUILT.get_or_init(build).clone().map_err(Into::into)
}

fn build() -> Result<(), String> {
    let fresh = std::env::var("CMDHUNT_E2E_DIST_FRESH").is_ok_and(|v| v == "1")
        || std::env::var_os(paths::DIST_OVERRIDE).is_some_and(|v| !v.is_empty());
    if !fresh {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        eprintln!("cmdhunt-e2e: building the page with `cargo xtask dist` (once per test run)");
        let status = Command::new(cargo)
            .args(["xtask", "dist"])
            .current_dir(paths::repo_root())
            .status()
            .map_err(|e| format!("could not run `cargo xtask dist`: {e}"))?;
        if !status.success() {
            return Err(format!(
                "`cargo xtask dist` failed ({status}); the page cannot be tested. \
                 Run `bash scripts/setup.sh --browser` for the tools it needs."
            ));
        }
    }
    for file in [index_html(), single_file()] {
        if !file.is_file() {
            return Err(format!(
                "{} is missing after `cargo xtask dist`",
                file.display()
            ));
        }
    }
    Ok(())
}
