//! `cmdhunt scan --config`, `cmdhunt rule --as kql|sigma` and `cmdhunt
//! config`, run as a process on real exports.

use std::path::PathBuf;

use cmdhunt_core::kql::decode_string_literal;
use cmdhunt_core::tuning::{presets, Config};
use serde_json::Value;

mod common;
use common::{cmdhunt, json_lines, shared, stderr, stdout};

/// A config written to a fresh temporary file.
fn config_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cmdhunt-tuning-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const MDE: &str = "defender/mde_proc_cs1.csv";

#[test]
fn a_config_with_the_rules_own_values_changes_nothing() {
    // file <- CLI: `cmdhunt config --presets` writes what the core reads back
    let o = cmdhunt(&["config", "--presets"]);
    assert!(o.status.success());
    let written = Config::parse(&stdout(&o)).unwrap();
    let mut want = Config::default();
    want.allowlist.entries = presets();
    assert_eq!(written, want);
    let path = config_file("presets.json", &stdout(&o));
    let file = shared(MDE);
    for format in ["ndjson", "csv", "table"] {
        let plain = cmdhunt(&["scan", "--window", "all", "--format", format, &file]);
        let tuned = cmdhunt(&[
            "scan",
            "--window",
            "all",
            "--format",
            format,
            "--config",
            path.to_str().unwrap(),
            &file,
        ]);
        assert!(tuned.status.success(), "{}", stderr(&tuned));
        assert_eq!(stdout(&plain), stdout(&tuned), "{format}");
        assert!(!stdout(&plain).is_empty());
    }
    let e = stderr(&cmdhunt(&[
        "scan",
        "--config",
        path.to_str().unwrap(),
        &file,
    ]));
    assert!(
        e.contains("allowlist preset-backup-vss: disabled, not applied"),
        "{e}"
    );
}

#[test]
fn the_allowlist_suppresses_exactly_the_rows_it_names_and_counts_them() {
    let file = shared(MDE);
    let all = json_lines(&cmdhunt(&[
        "scan", "--window", "all", "--format", "ndjson", &file,
    ]));
    // the rows each entry names, read from the unfiltered output
    let parent = |r: &Value| {
        r["InitiatingProcessFileName"]
            .as_str()
            .unwrap()
            .to_lowercase()
    };
    let cmd = |r: &Value| r["ProcessCommandLine"].as_str().unwrap().to_string();
    let mshta: Vec<&Value> = all.iter().filter(|r| parent(r) == "mshta.exe").collect();
    let netstat: Vec<&Value> = all
        .iter()
        .filter(|r| cmd(r).contains("netstat -ano"))
        .collect();
    assert!(!mshta.is_empty() && !netstat.is_empty());
    let path = config_file(
        "allow.json",
        r#"{"version": 1, "window": "all", "allowlist": [
          {"id": "mshta-test", "reason": "lab", "when": [{"field": "InitiatingProcessFileName", "match": "=~", "value": "MSHTA.exe"}]},
          {"id": "netstat", "reason": "lab", "when": [{"field": "ProcessCommandLine", "match": "regex", "value": "netstat\\s+-ano"}]},
          {"id": "expired", "reason": "old", "expires": "2021-01-01", "when": [{"field": "ProcessCommandLine", "match": "has", "value": "cmd.exe"}]}
        ]}"#,
    );
    let config = path.to_str().unwrap();
    let o = cmdhunt(&["scan", "--config", config, "--format", "ndjson", &file]);
    assert!(o.status.success());
    let e = stderr(&o);
    for line in [
        format!(
            "allowlist mshta-test: {} rows suppressed (lab)",
            mshta.len()
        ),
        format!("allowlist netstat: {} rows suppressed (lab)", netstat.len()),
        "allowlist expired: expired 2021-01-01T00:00:00.0000000Z, not applied".to_string(),
        format!(
            "allowlist: {} of {} rows in window suppressed (--show-suppressed prints them)",
            mshta.len() + netstat.len(),
            all.len()
        ),
    ] {
        assert!(e.lines().any(|l| l == line), "{line:?} not in\n{e}");
    }
    let kept = json_lines(&o);
    let named = |r: &Value| parent(r) == "mshta.exe" || cmd(r).contains("netstat -ano");
    let want: Vec<&Value> = all.iter().filter(|r| !named(r)).collect();
    assert_eq!(kept.iter().collect::<Vec<_>>(), want);

    // --show-suppressed: every row, in the rule's order, the suppressed ones marked
    let shown = json_lines(&cmdhunt(&[
        "scan",
        "--config",
        config,
        "--show-suppressed",
        "--format",
        "ndjson",
        &file,
    ]));
    assert_eq!(shown.len(), all.len());
    for (row, plain) in shown.iter().zip(&all) {
        let mut without = row.clone();
        let by = without
            .as_object_mut()
            .unwrap()
            .remove("SuppressedBy")
            .unwrap();
        assert_eq!(&without, plain);
        let mut want_by = Vec::new();
        if parent(plain) == "mshta.exe" {
            want_by.push("mshta-test");
        }
        if cmd(plain).contains("netstat -ano") {
            want_by.push("netstat");
        }
        assert_eq!(by, serde_json::json!(want_by), "{plain}");
    }
    // CSV: the same marks in a SuppressedBy column; table: a marker
    let csv = stdout(&cmdhunt(&[
        "scan",
        "--config",
        config,
        "--show-suppressed",
        "--format",
        "csv",
        &file,
    ]));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().next_back(),
        Some("SuppressedBy")
    );
    let marks: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[14].to_string())
        .collect();
    let want: Vec<String> = shown
        .iter()
        .map(|r| {
            let ids: Vec<&str> = r["SuppressedBy"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            ids.join("; ")
        })
        .collect();
    assert_eq!(marks, want);
    let table = stdout(&cmdhunt(&[
        "scan",
        "--config",
        config,
        "--show-suppressed",
        &file,
    ]));
    assert_eq!(
        table.matches("SUPPRESSED by mshta-test").count(),
        mshta.len()
    );
}

#[test]
fn edited_lists_drive_the_rows_and_the_matched_names() {
    let file = shared(MDE);
    let path = config_file(
        "lists.json",
        r#"{"version": 1, "window": "all", "SuspiciousPatterns": ["netstat -ano", "ipconfig /all"], "SuspiciousParents": []}"#,
    );
    let config = path.to_str().unwrap();
    let rows = json_lines(&cmdhunt(&[
        "scan", "--config", config, "--format", "ndjson", &file,
    ]));
    assert!(!rows.is_empty());
    for r in &rows {
        let cmd = r["ProcessCommandLine"].as_str().unwrap();
        let mut want = Vec::new();
        if cmd.contains("netstat -ano") {
            want.push("netstat -ano");
        }
        if cmd.contains("ipconfig /all") {
            want.push("ipconfig /all");
        }
        assert!(!want.is_empty(), "{cmd}");
        assert_eq!(r["Matched"], serde_json::json!(want), "{cmd}");
        assert_eq!(r["SuspiciousParent"], false);
    }
    // the same rows and names as CSV (Matched is column 11)
    let csv = stdout(&cmdhunt(&[
        "scan", "--config", config, "--format", "csv", &file,
    ]));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let got: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[3].to_string(), r[11].to_string())
        })
        .collect();
    let want: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let names: Vec<&str> = r["Matched"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            (
                r["ProcessCommandLine"].as_str().unwrap().to_string(),
                names.join("; "),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn command_line_options_override_the_file() {
    let file = shared(MDE);
    // the file's window (24h back from 2021-06-01) holds no row; --window all overrides it
    let path = config_file(
        "window.json",
        r#"{"version": 1, "window": "24h", "anchor": "2021-06-01T00:00:00Z"}"#,
    );
    let config = path.to_str().unwrap();
    let none = json_lines(&cmdhunt(&[
        "scan", "--config", config, "--format", "ndjson", &file,
    ]));
    assert!(none.is_empty());
    let all = json_lines(&cmdhunt(&[
        "scan", "--config", config, "--window", "all", "--format", "ndjson", &file,
    ]));
    let plain = json_lines(&cmdhunt(&[
        "scan", "--window", "all", "--format", "ndjson", &file,
    ]));
    assert_eq!(all, plain);
    // --anchor overrides the file's anchor and keeps its 24h window
    let newest = json_lines(&cmdhunt(&[
        "scan", "--config", config, "--anchor", "newest", "--format", "ndjson", &file,
    ]));
    let plain_24h = json_lines(&cmdhunt(&[
        "scan", "--window", "24h", "--format", "ndjson", &file,
    ]));
    assert_eq!(newest, plain_24h);
    assert!(!newest.is_empty() && newest.len() < plain.len());
}

#[test]
fn bad_configs_are_usage_errors_that_name_the_place() {
    let file = shared(MDE);
    let cases = [
        (
            "syntax.json",
            "{\"version\": 1,\n \"window\": }",
            "config line 2, column 12:",
        ),
        (
            "version.json",
            r#"{"version": 7}"#,
            "config $.version: version 7 is not supported",
        ),
        (
            "regex.json",
            r#"{"version": 1, "allowlist": [{"id": "x", "reason": "r", "when": [{"field": "DeviceName", "match": "regex", "value": "("}]}]}"#,
            "config $.allowlist[0].when[0].value: is not a valid regular expression",
        ),
    ];
    for (name, text, message) in cases {
        let path = config_file(name, text);
        for args in [
            vec!["scan", "--config", path.to_str().unwrap(), file.as_str()],
            vec!["rule", "--config", path.to_str().unwrap(), "--as", "kql"],
        ] {
            let o = cmdhunt(&args);
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
            assert!(stdout(&o).is_empty());
        }
    }
    let o = cmdhunt(&["scan", "--config", "/no/such/config.json", &file]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--config /no/such/config.json: cannot read"));
    for bad in [
        &["rule", "--as", "yaml"][..],
        &["rule", "--config"],
        &["rule", "--bogus"],
        &["config", "--nope"],
        &["scan", "--show-suppressed=yes", "x"],
    ] {
        assert_eq!(cmdhunt(bad).status.code(), Some(2), "{bad:?}");
    }
}

/// The decoded values of `let NAME = dynamic([...]);`: each literal cut out
/// by its quotes and decoded with the core's `decode_string_literal` (the
/// decoding the rule's own tests use on `rule.kql`).
fn dynamic_list(query: &str, name: &str) -> Vec<String> {
    let head = format!("let {name} = dynamic([");
    let start = query.find(&head).unwrap_or_else(|| panic!("no {head}")) + head.len();
    let body = &query[start..];
    let mut out = Vec::new();
    let mut i = 0;
    let bytes = body.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b']' => return out,
            b'"' => {
                let mut j = i + 1;
                while bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                out.push(decode_string_literal(&body[i..=j]).unwrap());
                i = j + 1;
            }
            b',' | b' ' | b'\n' | b'\r' => i += 1,
            other => panic!("unexpected {:?}", other as char),
        }
    }
    panic!("{name} not closed")
}

#[test]
fn exported_kql_lists_equal_the_config_file() {
    let text = r#"{"version": 1, "window": "7d",
        "SuspiciousPatterns": ["reg add", "say \"hi\"", "> \\\\pipe\\", "tab\there", "ünï"],
        "SuspiciousParents": ["outlook.exe", "it's.exe"],
        "allowlist": [{"id": "a", "reason": "b", "when": [{"field": "DeviceName", "match": "has", "value": "x\"y"}]}]}"#;
    let config = Config::parse(text).unwrap();
    let path = config_file("kql.json", text);
    let o = cmdhunt(&["rule", "--config", path.to_str().unwrap(), "--as", "kql"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let kql = stdout(&o);
    assert_eq!(dynamic_list(&kql, "SuspiciousPatterns"), config.patterns);
    assert_eq!(dynamic_list(&kql, "SuspiciousParents"), config.parents);
    assert!(kql.contains("| where Timestamp > ago(7d)\n"));
    assert!(
        kql.contains("| where not(DeviceName has \"x\\\"y\")\n"),
        "{kql}"
    );
    // without a config: the published rule
    let plain = stdout(&cmdhunt(&["rule", "--as", "kql"]));
    let body: Vec<&str> = plain.lines().skip_while(|l| l.starts_with("//")).collect();
    assert_eq!(body.join("\n"), cmdhunt_core::rule::KQL_TEXT.trim_end());
}

fn sigma_event(image: &str, command_line: &str, parent: &str, computer: &str) -> sigma_rust::Event {
    sigma_rust::Event::from([
        ("Image", image),
        ("OriginalFileName", "Cmd.Exe"),
        ("CommandLine", command_line),
        ("ParentImage", parent),
        ("Computer", computer),
        ("User", "CORP\\bob"),
    ])
}

#[test]
fn exported_sigma_is_a_process_creation_rule_that_sigma_rust_parses_and_evaluates() {
    let path = config_file(
        "sigma.json",
        r#"{"version": 1,
          "SuspiciousPatterns": ["reg add", "> \\\\pipe\\", "a*b?"],
          "allowlist": [
            {"id": "build farm", "reason": "builds", "when": [{"field": "DeviceName", "match": "=~", "value": "build01"}]},
            {"id": "sccm", "reason": "deploy", "when": [
              {"field": "InitiatingProcessFileName", "match": "=~", "value": "ccmexec.exe"},
              {"field": "ProcessCommandLine", "match": "regex", "value": "(?i)\\bsetup\\.bat\\b"}]},
            {"id": "off", "reason": "later", "enabled": false, "when": [{"field": "AccountName", "match": "=~", "value": "bob"}]}
          ]}"#,
    );
    let o = cmdhunt(&["rule", "--config", path.to_str().unwrap(), "--as", "sigma"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let yaml = stdout(&o);
    let rule = sigma_rust::rule_from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(rule.logsource.category.as_deref(), Some("process_creation"));
    assert_eq!(rule.logsource.product.as_deref(), Some("windows"));
    assert!(rule
        .tags
        .as_ref()
        .unwrap()
        .contains(&"attack.t1059.003".to_string()));
    assert!(rule.id.as_deref().is_some_and(|id| id.len() == 36));
    let cmd = r"C:\Windows\System32\cmd.exe";
    let explorer = r"C:\Windows\explorer.exe";
    // (event, matches)
    let cases = [
        (
            sigma_event(cmd, r"cmd /c reg add HKCU\x", explorer, "ws1"),
            true,
        ),
        (
            sigma_event(cmd, r"cmd /c echo x > \\pipe\evil", explorer, "ws1"),
            true,
        ),
        (
            sigma_event(cmd, r"cmd /c echo x > \pipe\evil", explorer, "ws1"),
            false,
        ),
        (sigma_event(cmd, "cmd /c echo a*b?", explorer, "ws1"), true),
        (
            sigma_event(cmd, "cmd /c echo axxbc", explorer, "ws1"),
            false,
        ),
        (sigma_event(cmd, "cmd /c dir", explorer, "ws1"), false),
        (
            sigma_event(
                cmd,
                "cmd /c dir",
                r"C:\Program Files\Microsoft Office\WINWORD.EXE",
                "ws1",
            ),
            true,
        ),
        (
            sigma_event(
                r"C:\Windows\System32\notepad.exe",
                "reg add x",
                explorer,
                "ws1",
            ),
            true,
        ), // OriginalFileName says cmd
        // the allowlist: by computer, and by parent and command line together
        (
            sigma_event(cmd, r"cmd /c reg add HKCU\x", explorer, "BUILD01"),
            false,
        ),
        (
            sigma_event(
                cmd,
                r"cmd /c reg add x & setup.bat",
                r"C:\Windows\CCM\CcmExec.exe",
                "ws1",
            ),
            false,
        ),
        (
            sigma_event(
                cmd,
                r"cmd /c reg add x",
                r"C:\Windows\CCM\CcmExec.exe",
                "ws1",
            ),
            true,
        ),
        // a disabled entry does not filter
        (sigma_event(cmd, r"cmd /c reg add x", explorer, "ws2"), true),
    ];
    for (i, (event, want)) in cases.iter().enumerate() {
        assert_eq!(rule.is_match(event), *want, "case {i}\n{yaml}");
    }
    let not_cmd = sigma_rust::Event::from([
        ("Image", r"C:\Windows\System32\notepad.exe"),
        ("OriginalFileName", "NOTEPAD.EXE"),
        ("CommandLine", "reg add x"),
        ("ParentImage", explorer),
    ]);
    assert!(!rule.is_match(&not_cmd));
}

#[test]
fn the_configs_mode_applies_unless_mode_is_given() {
    let file = shared(MDE);
    let path = config_file(
        "mode.json",
        r#"{"version": 1, "mode": "hardened", "window": "all"}"#,
    );
    let config = path.to_str().unwrap();
    let from_file = cmdhunt(&["scan", "--config", config, "--format", "ndjson", &file]);
    let flag = cmdhunt(&[
        "scan", "--mode", "hardened", "--window", "all", "--format", "ndjson", &file,
    ]);
    assert_eq!(stdout(&from_file), stdout(&flag));
    assert!(json_lines(&from_file)
        .iter()
        .all(|r| r.get("Detection").is_some()));
    assert!(
        stderr(&from_file).contains("config: mode hardened, "),
        "{}",
        stderr(&from_file)
    );
    let overridden = cmdhunt(&[
        "scan", "--config", config, "--mode", "parity", "--format", "ndjson", &file,
    ]);
    let plain = cmdhunt(&["scan", "--window", "all", "--format", "ndjson", &file]);
    assert_eq!(stdout(&overridden), stdout(&plain));
    assert!(stderr(&overridden).contains("config: mode parity (--mode; the file says hardened), "));
}

/// Every row the rule returns on a real Sysmon log is matched by the
/// exported Sigma rule (Sigma's `contains` is a superset of `has`), and an
/// allowlist entry filters exactly its rows out of the Sigma matches too.
#[test]
fn exported_sigma_matches_every_row_of_a_real_sysmon_log() {
    use cmdhunt_core::matcher::CompiledRule;
    use cmdhunt_core::scan::FileScan;
    let path = shared("sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx");
    let rule = CompiledRule::new();
    let mut scan = FileScan::new(&rule, 0, &path, None);
    scan.push(&std::fs::read(&path).unwrap());
    let (_, rows) = scan.finish();
    assert!(rows.len() > 10, "{}", rows.len());
    let config_path = config_file(
        "sigma-real.json",
        r#"{"version": 1, "allowlist": [{"id": "hive-saves", "reason": "lab", "when": [
            {"field": "InitiatingProcessFileName", "match": "=~", "value": "powershell.exe"},
            {"field": "ProcessCommandLine", "match": "has", "value": "reg save"}]}]}"#,
    );
    for (config, filtered) in [(None, false), (Some(config_path.to_str().unwrap()), true)] {
        let mut args = vec!["rule", "--as", "sigma"];
        if let Some(c) = config {
            args.extend(["--config", c]);
        }
        let yaml = stdout(&cmdhunt(&args));
        let sigma = sigma_rust::rule_from_yaml(&yaml).unwrap();
        let mut matched = 0;
        for row in &rows {
            let field = |name: &str| {
                row.fields
                    .iter()
                    .find(|(k, _)| k == name)
                    .map_or(String::new(), |(_, v)| v.clone())
            };
            let names = [
                "Image",
                "OriginalFileName",
                "CommandLine",
                "ParentImage",
                "Computer",
                "User",
            ];
            let values: Vec<String> = names.iter().map(|n| field(n)).collect();
            let event = sigma_rust::Event::from([
                (names[0], values[0].as_str()),
                (names[1], values[1].as_str()),
                (names[2], values[2].as_str()),
                (names[3], values[3].as_str()),
                (names[4], values[4].as_str()),
                (names[5], values[5].as_str()),
            ]);
            let allowlisted = filtered
                && row
                    .event
                    .initiating_process_file_name
                    .eq_ignore_ascii_case("powershell.exe")
                && row
                    .event
                    .process_command_line
                    .to_lowercase()
                    .contains("reg save");
            assert_eq!(sigma.is_match(&event), !allowlisted, "{:?}", row.event);
            matched += usize::from(!allowlisted);
        }
        assert!(
            matched > 0 && (!filtered || matched < rows.len()),
            "{matched} of {}",
            rows.len()
        );
    }
}
