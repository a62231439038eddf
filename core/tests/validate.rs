//! `validation`: the Atomic-test table on real Sysmon and Security logs,
//! checked against what the logs contain (read here from the decoders'
//! raw fields, without the validation code).

mod common;

use cmdhunt_core::event::RecordClass;
use cmdhunt_core::format::{sniff, Format};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::FileScan;
use cmdhunt_core::validation::{FileResult, FileValidation, Report, TESTS};

use common::{read, shared, Collect};

const PANACHE_ATOMIC: &str =
    "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx";
const PANACHE_EDR: &str =
    "sysmon-evtx/AutomatedTestingTools/panache_sysmon_vs_EDRTestingScript.evtx";
const TASK_4698: &str = "sysmon-evtx/Execution/temp_scheduled_task_4698_4699.evtx";
const TASK_4688: &str =
    "security-4688/TA0002-Execution/T1053.005-Scheduled Task/ID4688-Scheduled task creation.evtx";
const TASK_SYSTEM: &str =
    "security-4688/TA0002-Execution/T1053.005-Scheduled Task/ID4688-4698 Persistent scheduled task with SYSTEM privileges creation.evtx";
const USER_CREATION: &str = "security-4688/TA0003-Persistence/T1136-Create account/ID4688-User creation via commandline.evtx";
const SAMPLE_SECURITY: &str = "evtx-samples/samples/security.evtx";
const SAMPLE_SYSMON: &str = "evtx-samples/samples/sysmon.evtx";
const OTRF_SCHTASK: &str = "otrf/schtask_create_2020-12-1907003032.json";
const XML_ATOMIC: &str = "xml/PanacheSysmon_vs_AtomicRedTeam01.events.xml";
const DEFENDER: &str = "defender/advanced_hunting_test.csv";

const ALL: [&str; 11] = [
    PANACHE_ATOMIC,
    PANACHE_EDR,
    TASK_4698,
    TASK_4688,
    TASK_SYSTEM,
    USER_CREATION,
    SAMPLE_SECURITY,
    SAMPLE_SYSMON,
    OTRF_SCHTASK,
    XML_ATOMIC,
    DEFENDER,
];

fn validate(files: &[&str], slice: usize) -> Vec<FileResult> {
    let rule = CompiledRule::new();
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let bytes = read(&shared(f));
            let mut v = FileValidation::new(&rule, i as u32, f, None);
            for c in bytes.chunks(slice) {
                v.push(c);
            }
            v.finish()
        })
        .collect()
}

/// Every record of a file with its class and raw fields.
fn records(path: &str) -> Collect {
    let bytes = read(&shared(path));
    let format = sniff(&bytes[..bytes.len().min(4096)]).expect(path);
    let mut d = Format::decoder(format);
    let mut sink = Collect::default();
    d.push(&bytes, &mut sink).expect(path);
    d.finish(&mut sink).expect(path);
    sink
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name || k.ends_with(&format!(".{name}")))
        .map_or("", |(_, v)| v.as_str())
}

fn base(path: &str) -> String {
    path.rsplit(['\\', '/'])
        .next()
        .unwrap_or(path)
        .to_lowercase()
}

/// The counts the table should show, from the raw records:
/// `[test][signal]`, and per test the rows with its flag.
fn oracle(files: &[&str]) -> (Vec<Vec<u64>>, Vec<u64>) {
    let mut counts: Vec<Vec<u64>> = TESTS.iter().map(|t| vec![0; t.expected.len()]).collect();
    let mut fired = vec![0; TESTS.len()];
    let rule = CompiledRule::new();
    for f in files {
        for (_, class, fields) in &records(f).records {
            let label = match class {
                RecordClass::Other(l) => l.as_str(),
                RecordClass::ProcessCreation => "creation",
            };
            let image = {
                let i = get(fields, "Image");
                base(if i.is_empty() {
                    get(fields, "NewProcessName")
                } else {
                    i
                })
            };
            let parent = {
                let p = get(fields, "ParentImage");
                base(if p.is_empty() {
                    get(fields, "ParentProcessName")
                } else {
                    p
                })
            };
            let cmd = get(fields, "CommandLine").to_lowercase();
            let creation = label == "creation";
            let shell = creation && image == "cmd.exe";
            // test 1
            counts[0][0] += u64::from(shell && cmd.contains("certutil -urlcache"));
            counts[0][1] += u64::from(creation && image == "certutil.exe" && parent == "cmd.exe");
            let defender_connection =
                ["ConnectionSuccess", "ConnectionFailed", "ConnectionAttempt"]
                    .iter()
                    .any(|a| label == format!("ActionType {a}"));
            counts[0][2] += u64::from(
                label == "Sysmon event 3"
                    && get(fields, "DestinationIp") == "127.0.0.1"
                    && get(fields, "DestinationPort") == "8080"
                    || defender_connection
                        && get(fields, "RemoteIP") == "127.0.0.1"
                        && get(fields, "RemotePort") == "8080",
            );
            // test 2
            counts[1][0] += u64::from(shell && cmd.contains("vssadmin"));
            // test 3
            counts[2][0] += u64::from(creation && image == "schtasks.exe" && parent == "cmd.exe");
            counts[2][1] += u64::from(
                label == "Security event 4698"
                    && get(fields, "TaskName")
                        .to_lowercase()
                        .contains("df00tech-test")
                    || label == "ActionType ScheduledTaskCreated"
                        && get(fields, "AdditionalFields")
                            .to_lowercase()
                            .contains("df00tech-test"),
            );
            // test 4
            counts[3][0] += u64::from(shell && cmd.contains("net user"));
            counts[3][1] += u64::from(
                label == "Security event 4720" || label == "ActionType UserAccountCreated",
            );
            counts[3][2] += u64::from(
                label == "Security event 4732"
                    || label == "ActionType UserAccountAddedToLocalGroup",
            );
        }
        let bytes = read(&shared(f));
        let mut scan = FileScan::new(&rule, 0, f, None);
        scan.push(&bytes);
        for row in scan.finish().1 {
            for (t, test) in TESTS.iter().enumerate() {
                fired[t] += u64::from(row.verdict.flags.0[test.flag]);
            }
        }
    }
    (counts, fired)
}

#[test]
fn the_table_counts_what_the_logs_contain() {
    let results = validate(&ALL, 64 << 10);
    let report = Report::build(&results);
    let (counts, fired) = oracle(&ALL);
    for (t, test) in report.tests.iter().enumerate() {
        for (s, signal) in test.signals.iter().enumerate() {
            assert_eq!(
                signal.count,
                counts[t][s],
                "test {} {}",
                t + 1,
                signal.expected
            );
            assert_eq!(signal.present, counts[t][s] > 0);
            assert_eq!(signal.first.is_some(), signal.present);
        }
        assert_eq!(test.rule.rows, fired[t], "test {} rule", t + 1);
        assert_eq!(test.rule.fired, fired[t] > 0);
        assert_eq!(test.rule.reason.is_none(), test.rule.fired);
    }
    // the logs hold each kind of signal at least once, and miss some
    let present: Vec<bool> = report
        .tests
        .iter()
        .flat_map(|t| t.signals.iter().map(|s| s.present))
        .collect();
    assert!(
        present.iter().any(|p| *p) && present.iter().any(|p| !*p),
        "{present:?}"
    );
}

/// What these public logs are known to hold, test by test (read from them
/// with `evtx_dump`; see PROVENANCE.md for their origin).
#[test]
fn what_each_log_holds() {
    // (files, test, signal: Some(index) or None for the rule, present / fired, text in the evidence, note or reason)
    type Case = (
        &'static [&'static str],
        usize,
        Option<usize>,
        bool,
        &'static str,
    );
    let cases: [Case; 14] = [
        // Atomic Red Team run: cmd.exe /c "vssadmin.exe delete shadows /all /quiet"
        (
            &[PANACHE_ATOMIC],
            2,
            Some(0),
            true,
            "vssadmin.exe delete shadows",
        ),
        (&[PANACHE_ATOMIC], 2, None, false, "`.exe` suffix"),
        (&[PANACHE_ATOMIC], 3, Some(0), true, "SCHTASKS"),
        (&[PANACHE_ATOMIC], 3, None, true, "SCHTASKS /Create"),
        // EDR testing script: cmd /c certutil.exe -urlcache -split -f https://...
        (&[PANACHE_EDR], 1, Some(0), false, "certutil.exe -urlcache"),
        (
            &[PANACHE_EDR],
            1,
            Some(2),
            false,
            "network connections elsewhere",
        ),
        (&[PANACHE_EDR], 1, None, false, "`.exe` suffix"),
        // Security: schtasks.exe started by cmd.exe (4688), a 4698 for another task
        (&[TASK_4688], 3, Some(0), true, "tasks_test_hacker2"),
        (&[TASK_4698], 3, Some(1), false, r"\CYAlyNSS"),
        (&[TASK_SYSTEM], 3, Some(1), false, r"\eviltask"),
        // Security: account toto3 created and added to Users
        (&[USER_CREATION], 4, Some(1), true, "toto3"),
        (&[USER_CREATION], 4, Some(2), true, "added to Users"),
        // Defender advanced hunting: a connection to 127.0.0.1 on another port, another task
        (
            &[DEFENDER],
            1,
            Some(2),
            false,
            "svchost.exe to 127.0.0.1:47001",
        ),
        (
            &[DEFENDER],
            3,
            Some(1),
            false,
            "Queued Schedule created for queued alerts",
        ),
    ];
    for (files, test, signal, want, text) in cases {
        let report = Report::build(&validate(files, 64 << 10));
        let t = &report.tests[test - 1];
        match signal {
            Some(s) => {
                let g = &t.signals[s];
                assert_eq!(g.present, want, "{files:?} test {test}: {}", g.expected);
                let said = match (&g.first, &g.note) {
                    (Some(e), _) => e.text.clone(),
                    (None, Some(n)) => n.clone(),
                    (None, None) => String::new(),
                };
                assert!(
                    said.contains(text),
                    "{files:?} test {test} {}: {said}",
                    g.expected
                );
            }
            None => {
                assert_eq!(t.rule.fired, want, "{files:?} test {test}: {:?}", t.rule);
                let said = match (&t.rule.first, &t.rule.reason) {
                    (Some(e), _) => e.text.clone(),
                    (None, Some(r)) => r.clone(),
                    (None, None) => String::new(),
                };
                assert!(said.contains(text), "{files:?} test {test}: {said}");
            }
        }
    }
}

#[test]
fn reasons_for_a_rule_that_cannot_fire() {
    // (command line of cmd.exe, test, reason contains); the rule must not fire
    let cases = [
        ("cmd.exe /c vssadmin list shadows", 2, "vssadmin list"),
        (
            "cmd.exe /c vssadmin  delete  shadows /all",
            2,
            "repeated spaces",
        ),
        (
            "cmd.exe /c c^ertutil -urlcache -f http://127.0.0.1:8080/a a",
            1,
            "carets",
        ),
        (
            "cmd.exe /c net user bob P@ss /add",
            4,
            "no cmd.exe command line of the test has `net user /add`",
        ),
        (
            "cmd.exe /c dir",
            3,
            "no cmd.exe process creation with 'schtasks'",
        ),
    ];
    let rule = CompiledRule::new();
    for (cmd, test, why) in cases {
        let csv = format!(
            "Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n2024-05-01T10:00:00Z,cmd.exe,\"{cmd}\",explorer.exe\n"
        );
        let mut v = FileValidation::new(&rule, 0, "t.csv", None);
        v.push(csv.as_bytes());
        let report = Report::build(&[v.finish()]);
        let r = &report.tests[test - 1].rule;
        assert!(!r.fired, "{cmd}");
        let reason = r.reason.as_deref().unwrap();
        assert!(reason.contains(why), "{cmd}: {reason}");
    }
    // and when it fires there is no reason
    let csv = "Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n2024-05-01T10:00:00Z,cmd.exe,cmd /c net user /add bob,explorer.exe\n";
    let mut v = FileValidation::new(&rule, 0, "t.csv", None);
    v.push(csv.as_bytes());
    let report = Report::build(&[v.finish()]);
    assert!(report.tests[3].rule.fired && report.tests[3].rule.reason.is_none());
    assert!(report.tests[3].signals[0].present);
}

#[test]
fn any_chunking_and_the_scan_account_are_unchanged() {
    let files = [PANACHE_ATOMIC, USER_CREATION, OTRF_SCHTASK, XML_ATOMIC];
    let whole = validate(&files, 64 << 10);
    let small = validate(&files, 4093);
    assert_eq!(Report::build(&whole), Report::build(&small));
    let rule = CompiledRule::new();
    for (f, result) in files.iter().zip(&whole) {
        let bytes = read(&shared(f));
        let mut scan = FileScan::new(&rule, 0, f, None).without_fields();
        scan.push(&bytes);
        let (summary, rows) = scan.finish();
        assert_eq!(result.summary.other_events, summary.other_events, "{f}");
        assert_eq!(
            (result.summary.records, result.summary.flagged),
            (summary.records, summary.flagged),
            "{f}"
        );
        assert_eq!(result.rows.len(), rows.len(), "{f}");
    }
    // the Security events the table reads are still other events of the scan
    let users = &whole[1].summary.other_events;
    assert_eq!(users.get("Security event 4720"), Some(&1));
    assert_eq!(users.get("Security event 4732"), Some(&1));
}

#[test]
fn json_carries_the_table() {
    let results = validate(&[PANACHE_ATOMIC, USER_CREATION], 64 << 10);
    let report = Report::build(&results);
    let names: Vec<String> = [PANACHE_ATOMIC, USER_CREATION]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let json: serde_json::Value = serde_json::from_str(&report.to_json(&names)).unwrap();
    assert_eq!(json["files"][1], USER_CREATION);
    let tests = json["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 4);
    for (j, t) in tests.iter().zip(&report.tests) {
        assert_eq!(j["test"], t.test.number);
        assert_eq!(j["rule"]["fired"], t.rule.fired);
        assert_eq!(j["rule"]["flag"], t.rule.flag);
        assert_eq!(j["rule"]["reason"].as_str(), t.rule.reason.as_deref());
        for (js, s) in j["signals"].as_array().unwrap().iter().zip(&t.signals) {
            assert_eq!(js["present"], s.present);
            assert_eq!(js["count"], s.count);
            assert_eq!(js["expected"], s.expected);
            if let Some(e) = &s.first {
                assert_eq!(js["first"]["record"], e.position.record);
                assert_eq!(js["first"]["file"], names[e.file].as_str());
            }
        }
    }
}

#[test]
fn an_allowlist_that_hides_a_tests_detection_is_reported() {
    use cmdhunt_core::time::Timestamp;
    use cmdhunt_core::tuning::Config;
    let results = validate(&[PANACHE_ATOMIC], 64 << 10);
    let plain = Report::build(&results);
    let scheduled = &plain.tests[2].rule;
    assert!(scheduled.fired && scheduled.suppressed == 0);
    let tasks: Vec<&str> = results[0]
        .rows
        .iter()
        .filter(|r| r.verdict.flags.scheduled_task())
        .map(|r| r.event.process_command_line.as_str())
        .collect();
    assert_eq!(tasks.len() as u64, scheduled.rows);
    let spawn = tasks.iter().filter(|c| c.contains("/TN spawn")).count() as u64;
    assert!(spawn > 0 && spawn < scheduled.rows);
    let now = Timestamp::parse("2026-12-03T00:00:00Z").unwrap();
    // (entry, rows kept, rows suppressed, reason contains)
    let cases = [
        (
            r#"{"id": "all-tasks", "reason": "r", "when": [{"field": "ProcessCommandLine", "match": "has", "value": "schtasks"}]}"#,
            0,
            scheduled.rows,
            Some("suppresses them (all-tasks)"),
        ),
        (
            r#"{"id": "spawn", "reason": "r", "when": [{"field": "ProcessCommandLine", "match": "has", "value": "/TN spawn"}]}"#,
            scheduled.rows - spawn,
            spawn,
            None,
        ),
        (
            r#"{"id": "old", "reason": "r", "expires": "2020-01-01", "when": [{"field": "ProcessCommandLine", "match": "has", "value": "schtasks"}]}"#,
            scheduled.rows,
            0,
            None,
        ),
    ];
    for (entry, kept, suppressed, why) in cases {
        let config =
            Config::parse(&format!(r#"{{"version": 1, "allowlist": [{entry}]}}"#)).unwrap();
        let report = Report::build_tuned(&results, Some(&config.allowlist), now);
        let r = &report.tests[2].rule;
        assert_eq!(
            (r.rows, r.suppressed, r.fired),
            (kept, suppressed, kept > 0),
            "{entry}"
        );
        match why {
            Some(text) => assert!(
                r.reason.as_deref().unwrap().contains(text),
                "{:?}",
                r.reason
            ),
            None => assert!(r.reason.is_none()),
        }
        // the other tests are untouched by an entry that names only schtasks
        for t in [0, 1, 3] {
            assert_eq!(report.tests[t], plain.tests[t]);
        }
    }
}
