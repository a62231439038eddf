//! `cmdhunt validate`, run as a process on real Atomic Red Team logs.

use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::validation::{FileValidation, Report};

mod common;
use common::{cmdhunt, shared};

const FILES: [&str; 3] = [
    "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    "sysmon-evtx/AutomatedTestingTools/panache_sysmon_vs_EDRTestingScript.evtx",
    "security-4688/TA0003-Persistence/T1136-Create account/ID4688-User creation via commandline.evtx",
];

/// The core's table for the same files, read whole.
fn core_report(paths: &[String]) -> Report {
    let rule = CompiledRule::new();
    let results: Vec<_> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut v = FileValidation::new(&rule, i as u32, p, None);
            v.push(&std::fs::read(p).unwrap());
            v.finish()
        })
        .collect();
    Report::build(&results)
}

#[test]
fn json_is_the_cores_table_and_the_table_shows_it() {
    let paths: Vec<String> = FILES.iter().map(|f| shared(f)).collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let o = cmdhunt(&[&["validate", "--format", "json"][..], &args].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = core_report(&paths);
    assert_eq!(
        String::from_utf8(o.stdout).unwrap().trim_end(),
        report.to_json(&paths)
    );
    // test 2 of these logs: cmd.exe ran vssadmin, ShadowDelete did not fire (the .exe spelling)
    let t2 = &report.tests[1];
    assert!(t2.signals[0].present && !t2.rule.fired);

    let o = cmdhunt(&[&["validate"][..], &args].concat());
    assert!(o.status.success());
    let table = String::from_utf8(o.stdout).unwrap();
    for t in &report.tests {
        assert!(
            table.contains(&format!("\nTest {}: {}\n", t.test.number, t.test.name)),
            "{table}"
        );
        for s in &t.signals {
            let mark = if s.present { "yes" } else { "NO " };
            let line = format!("  [{mark}] {} ({})\n", s.expected, s.count);
            assert!(table.contains(&line), "{line:?} not in {table}");
        }
        let rule_line = if t.rule.fired {
            format!("  rule: {} fired on {} rows\n", t.rule.flag, t.rule.rows)
        } else {
            format!(
                "  rule: {} did not fire: {}\n",
                t.rule.flag,
                t.rule.reason.as_deref().unwrap()
            )
        };
        assert!(table.contains(&rule_line), "{rule_line:?} not in {table}");
    }
    // per-file accounts on stderr, as scan writes them
    let e = String::from_utf8(o.stderr).unwrap();
    assert_eq!(
        e.lines().filter(|l| l.contains(" records: ")).count(),
        FILES.len(),
        "{e}"
    );
}

#[test]
fn exit_codes() {
    assert_eq!(cmdhunt(&["validate"]).status.code(), Some(2));
    assert_eq!(
        cmdhunt(&["validate", "--format", "xml", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(
        cmdhunt(&["validate", "--bogus", "x"]).status.code(),
        Some(2)
    );
    let o = cmdhunt(&["validate", "/no/such/file.evtx", &shared(FILES[2])]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("[yes] Security 4720: user account created (1)"),
        "{out}"
    );
}

#[test]
fn a_config_validates_the_tuned_rule() {
    let dir = std::env::temp_dir().join(format!("cmdhunt-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tuning.json");
    let text = r#"{"version": 1, "allowlist": [{"id": "spawn", "reason": "lab", "when": [{"field": "ProcessCommandLine", "match": "has", "value": "/TN spawn"}]}]}"#;
    std::fs::write(&path, text).unwrap();
    let file = shared(FILES[0]);
    let o = cmdhunt(&[
        "validate",
        "--config",
        path.to_str().unwrap(),
        "--format",
        "json",
        &file,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rule = &json["tests"][2]["rule"];
    let plain: serde_json::Value =
        serde_json::from_slice(&cmdhunt(&["validate", "--format", "json", &file]).stdout).unwrap();
    let before = plain["tests"][2]["rule"]["rows"].as_u64().unwrap();
    let suppressed = rule["suppressed"].as_u64().unwrap();
    assert!(suppressed > 0);
    assert_eq!(rule["rows"].as_u64().unwrap() + suppressed, before);
    assert_eq!(plain["tests"][2]["rule"]["suppressed"], 0);
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"version": 1, "mode": "fast"}"#).unwrap();
    let o = cmdhunt(&["validate", "--config", bad.to_str().unwrap(), &file]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("$.mode"));
}
