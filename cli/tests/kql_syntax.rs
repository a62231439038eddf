//! The exported KQL is accepted by Microsoft's own Kusto parser and
//! analyzer (Kusto.Language, npm `@kusto/language-service-next`, run with
//! Node) against the `DeviceProcessEvents` columns: no diagnostics at all,
//! for the published rule and for tuned ones (edited lists with quotes,
//! backslashes, tabs, newlines and non-ASCII, allowlists with `has`, `=~`,
//! regex and expiry, windows, empty lists, the presets). A broken query is
//! refused, so the check can fail.
//!
//! Needs `node` and `npm` (as the page's build does); the package is
//! installed once into cargo's test temp dir at the pinned version.

use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "@kusto/language-service-next@12.4.1";

fn cmdhunt(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_cmdhunt"))
        .args(args)
        .output()
        .expect("run cmdhunt");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The directory holding `node_modules/@kusto/language-service-next`.
fn kusto_language() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kusto-language");
    let installed = dir.join("node_modules/@kusto/language-service-next/package.json");
    if !installed.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let o = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(PACKAGE)
            .output()
            .expect("npm (needed to install Kusto.Language)");
        assert!(
            o.status.success(),
            "npm install {PACKAGE}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    dir
}

/// Run the checker over `files`; (success, output).
fn check(files: &[PathBuf]) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kql/check.js");
    let o = Command::new("node")
        .arg(script)
        .args(files)
        .env("NODE_PATH", kusto_language().join("node_modules"))
        .output()
        .expect("node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

#[test]
fn exported_kql_parses_and_analyzes_without_diagnostics() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("kql-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let presets_on = {
        let mut c: serde_json::Value =
            serde_json::from_str(&cmdhunt(&["config", "--presets"])).unwrap();
        for e in c["allowlist"].as_array_mut().unwrap() {
            e["enabled"] = serde_json::Value::Bool(true);
        }
        c.to_string()
    };
    // (name, config; None for the rule as published)
    let configs: Vec<(&str, Option<String>)> = vec![
        ("published", None),
        ("presets", Some(presets_on)),
        (
            "hostile",
            Some(
                r#"{"version": 1, "window": "7d",
                 "SuspiciousPatterns": ["reg add", "say \"hi\" \\\\srv\\share", "tab\there", "ünï", "> \\\\pipe\\", "line\nbreak", "it's"],
                 "SuspiciousParents": ["outlook.exe", "it's.exe"],
                 "allowlist": [
                  {"id": "sccm", "reason": "ConfigMgr\nclient // not a comment end", "when": [
                     {"field": "InitiatingProcessFileName", "match": "=~", "value": "ccmexec.exe"},
                     {"field": "ProcessCommandLine", "match": "has", "value": "schtasks /create"}]},
                  {"id": "build", "reason": "build farm", "expires": "2099-01-31", "when": [
                     {"field": "DeviceName", "match": "regex", "value": "(?i)^build-\\d+\\.corp\\\\x\"y$"}]},
                  {"id": "acct", "reason": "r", "when": [
                     {"field": "AccountName", "match": "=~", "value": ""},
                     {"field": "InitiatingProcessCommandLine", "match": "has", "value": "deploy.ps1"}]},
                  {"id": "off", "reason": "r", "enabled": false, "when": [{"field": "AccountName", "match": "=~", "value": "svc"}]},
                  {"id": "gone", "reason": "r", "expires": "2020-01-01", "when": [{"field": "AccountName", "match": "=~", "value": "old"}]}
                 ]}"#
                .to_string(),
            ),
        ),
        ("empty-lists", Some(r#"{"version": 1, "window": "all", "SuspiciousPatterns": [], "SuspiciousParents": []}"#.into())),
        ("anchored", Some(r#"{"version": 1, "window": "90m", "anchor": "2024-05-01T12:00:00Z"}"#.into())),
    ];
    let mut files = Vec::new();
    for (name, config) in &configs {
        let kql = match config {
            None => cmdhunt(&["rule", "--as", "kql"]),
            Some(text) => {
                let path = dir.join(format!("{name}.json"));
                std::fs::write(&path, text).unwrap();
                cmdhunt(&["rule", "--config", path.to_str().unwrap(), "--as", "kql"])
            }
        };
        let path = dir.join(format!("{name}.kql"));
        std::fs::write(&path, kql).unwrap();
        files.push(path);
    }
    let (ok, out) = check(&files);
    assert!(ok, "{out}");
    for f in &files {
        let line = format!("{}: 0 diagnostics, 0 errors", f.display());
        assert!(out.lines().any(|l| l == line), "{line:?} not in\n{out}");
    }
    // the checker refuses a broken query: an unknown column, a missing parenthesis
    let broken = dir.join("broken.kql");
    std::fs::write(
        &broken,
        "DeviceProcessEvents\n| where Foo has \"x\"\n| where not(DeviceName =~ \"x\"\n",
    )
    .unwrap();
    let (ok, out) = check(&[broken]);
    assert!(!ok && out.contains("2 errors"), "{out}");
}
