//! `cargo xtask wasm-test`: run the web crate's wasm-bindgen-test suites in
//! headless Chromium through chromedriver, with the flags that keep Chromium
//! itself off the network.

use std::path::Path;
use std::process::Command;

use crate::tools;

/// Chromium's arguments for tests: the e2e crate's
/// (`tests/browser/chromium-args.txt`, see shared/notes/toolchain.md) and
/// the profile.
pub fn chrome_args(profile_dir: &Path) -> Vec<String> {
    include_str!("../../tests/browser/chromium-args.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .chain([format!("--user-data-dir={}", profile_dir.display())])
        .collect()
}

/// Run `cargo test -p cmdhunt-web --target wasm32-unknown-unknown` in Chromium.
pub fn wasm_test(root: &Path) -> Result<(), String> {
    tools::check_wasm_target()?;
    tools::check_wasm_bindgen(root)?;
    let tmp = root.join("target/xtask-wasm-test");
    let profile = tmp.join("chromium-profile");
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).map_err(|e| format!("{}: {e}", profile.display()))?;
    let args: Vec<String> = chrome_args(&profile)
        .iter()
        .map(|a| format!("{a:?}"))
        .collect();
    let json = format!(
        "{{\"goog:chromeOptions\":{{\"args\":[{}]}}}}",
        args.join(",")
    );
    let caps = tmp.join("webdriver.json");
    std::fs::write(&caps, json).map_err(|e| format!("{}: {e}", caps.display()))?;
    let chromedriver =
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    tools::run(
        Command::new(cargo)
            .current_dir(root)
            .args([
                "test",
                "-p",
                "cmdhunt-web",
                "--target",
                "wasm32-unknown-unknown",
                // Doctests are host tests (cargo test -p cmdhunt-web); on wasm32
                // they are not run by wasm-bindgen-test-runner anyway.
                "--lib",
                "--tests",
            ])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env("CHROMEDRIVER", chromedriver)
            .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &caps)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_flags_are_read_without_their_comments() {
        let args = chrome_args(Path::new("/p"));
        assert!(args.iter().all(|a| a.starts_with("--")), "{args:?}");
        assert_eq!(args[0], "--headless");
        assert!(args.contains(&"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1".into()));
        assert!(args.contains(&"--disable-background-networking".into()));
        assert_eq!(args.last().map(String::as_str), Some("--user-data-dir=/p"));
        assert_eq!(args.len(), 11);
    }
}
