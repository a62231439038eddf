//! Issue 10, item 10: CI cannot pass without running its steps.
//! `scripts/test.sh` and `scripts/test-web.sh` run here in a scratch copy of
//! the repository's layout with a fake `cargo` (which logs what it is asked
//! and plays an xtask without `wasm-test`) and stub setup and parity
//! scripts. Before: `test.sh` skipped every browser test when
//! `test-web.sh` lost its exec bit, and `test-web.sh` skipped the wasm tests
//! when `cargo xtask`'s usage text no longer named `wasm-test`, both ending
//! in success.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cmdhunt_e2e::tmp::TempDir;
use cmdhunt_e2e::{paths, Error};

/// The fake `cargo`: logs its arguments; `cargo xtask` alone prints a usage
/// without `wasm-test`; `cargo xtask wasm-test` fails as an unknown command
/// unless `FAKE_WASM_TEST_OK` is set; everything else succeeds.
const FAKE_CARGO: &str = r#"#!/usr/bin/env bash
echo "cargo $*" >> "$FAKE_LOG"
if [ "$*" = "xtask" ]; then echo "usage: cargo xtask dist|serve"; exit 2; fi
if [ "$*" = "xtask wasm-test" ] && [ -z "${FAKE_WASM_TEST_OK:-}" ]; then
  echo "unknown command wasm-test" >&2; exit 2
fi
exit 0
"#;

fn write(path: &Path, text: &str, mode: u32) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// A scratch repository with the real test scripts and stubs around them.
fn scratch() -> Result<TempDir, Error> {
    let dir = TempDir::new("ci")?;
    let root = dir.path();
    for script in ["test.sh", "test-web.sh"] {
        let text = std::fs::read_to_string(paths::repo_root().join("scripts").join(script))?;
        write(&root.join("scripts").join(script), &text, 0o755)?;
    }
    write(&root.join("scripts/setup.sh"), "exit 0\n", 0o755)?;
    write(&root.join("bench/evtx-wasm/parity.sh"), "exit 0\n", 0o755)?;
    write(&root.join("bin/cargo"), FAKE_CARGO, 0o755)?;
    Ok(dir)
}

fn run(root: &Path, script: &str, wasm_test_ok: bool) -> Result<(Output, String), Error> {
    let log: PathBuf = root.join("cargo.log");
    let path = format!(
        "{}:{}",
        root.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .arg(root.join("scripts").join(script))
        .env("PATH", path)
        .env("FAKE_LOG", &log)
        .env_remove("FAKE_WASM_TEST_OK");
    if wasm_test_ok {
        command.env("FAKE_WASM_TEST_OK", "1");
    }
    let output = command.output()?;
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    Ok((output, log))
}

#[test]
fn test_web_fails_when_the_wasm_tests_cannot_run() -> Result<(), Error> {
    let dir = scratch()?;
    let (out, log) = run(dir.path(), "test-web.sh", false)?;
    assert!(
        log.contains("cargo xtask wasm-test"),
        "the wasm tests were not even tried:\n{log}"
    );
    assert!(
        !out.status.success(),
        "test-web.sh passed without its wasm tests:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // With every step working it passes, having run them all.
    let (out, log) = run(dir.path(), "test-web.sh", true)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "cargo xtask dist",
        "cargo xtask wasm-test",
        "cargo test -p cmdhunt-e2e",
    ] {
        assert!(log.contains(step), "{step} did not run:\n{log}");
    }
    Ok(())
}

#[test]
fn test_sh_runs_the_browser_tests_without_their_exec_bit() -> Result<(), Error> {
    let dir = scratch()?;
    let web = dir.path().join("scripts/test-web.sh");
    std::fs::set_permissions(&web, std::fs::Permissions::from_mode(0o644))?;
    let (out, log) = run(dir.path(), "test.sh", true)?;
    assert!(
        log.contains("cargo xtask dist") && log.contains("cargo test -p cmdhunt-e2e"),
        "test.sh skipped the browser tests:\n{log}"
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A missing step is a failure, not a skip.
    std::fs::remove_file(&web)?;
    let (out, _) = run(dir.path(), "test.sh", true)?;
    assert!(
        !out.status.success(),
        "test.sh passed without scripts/test-web.sh"
    );
    Ok(())
}
