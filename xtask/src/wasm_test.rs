//! `cargo xtask wasm-test`: run the web crate's wasm-bindgen-test suites in
//! headless Chromium through chromedriver, with the flags that keep Chromium
//! itself off the network.

use std::path::Path;
use std::process::Command;

use crate::tools;

/// Chromium's arguments for tests (see shared/notes/toolchain.md).
pub fn chrome_args(profile_dir: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-features=NetworkTimeServiceQuerying",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ]
    .iter()
    .map(|s| s.to_string())
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
