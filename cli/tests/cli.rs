//! The `cmdhunt` command-line contract, run as a process on real exports.

use std::io::Write;
use std::process::{Command, Output, Stdio};

mod common;
use common::{cmdhunt, json_lines, repo, shared, stderr, stdout};

const KEYS: [&str; 13] = [
    "Timestamp",
    "DeviceName",
    "AccountName",
    "ProcessCommandLine",
    "InitiatingProcessFileName",
    "InitiatingProcessCommandLine",
    "CertutilAbuse",
    "ScheduledTask",
    "UserCreation",
    "ShadowDelete",
    "SuspiciousParent",
    "Matched",
    "Source",
];

#[test]
fn ndjson_has_the_projection_in_order_sorted_newest_first() {
    let file = shared("defender/mde_proc_cs1.csv");
    let o = cmdhunt(&["scan", "--window", "all", "--format", "ndjson", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let rows = json_lines(&o);
    assert!(rows.len() >= 20, "{} rows", rows.len());
    for line in text.lines() {
        // Key order is part of the contract: check it on the raw text.
        let mut at = 0;
        for key in KEYS {
            let pos = line[at..]
                .find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{key} in {line}"));
            at += pos;
        }
    }
    let times: Vec<&str> = rows
        .iter()
        .map(|r| r["Timestamp"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "sorted by Timestamp desc"
    );
    for r in &rows {
        assert_eq!(r["Source"]["file"], file.as_str());
        assert!(r["Source"]["record"].as_u64().unwrap() >= 1);
        assert!(!r["Matched"].as_array().unwrap().is_empty());
        for flag in &KEYS[6..11] {
            assert!(r[flag].is_boolean(), "{flag}");
        }
    }
    // stderr carries the per-file account.
    let err = stderr(&o);
    assert!(err.contains("1564 records"), "{err}");
    assert!(err.contains(&format!("{} flagged", rows.len())), "{err}");
}

#[test]
fn default_window_is_24h_before_the_newest_event() {
    let file = shared("defender/mde_proc_cs1.csv");
    let all = json_lines(&cmdhunt(&[
        "scan", "--window", "all", "--format", "ndjson", &file,
    ]));
    let day = json_lines(&cmdhunt(&["scan", "--format", "ndjson", &file]));
    assert!(
        !day.is_empty() && day.len() < all.len(),
        "{} of {}",
        day.len(),
        all.len()
    );
    assert_eq!(day[0], all[0]);
    let anchored = json_lines(&cmdhunt(&[
        "scan",
        "--window",
        "1h",
        "--anchor",
        "2021-06-24T11:00:00Z",
        "--format",
        "ndjson",
        &file,
    ]));
    // The window is (anchor - 1h, anchor]: later events are out (README, "The `has` model").
    let want: Vec<_> = all
        .iter()
        .filter(|r| {
            let t = r["Timestamp"].as_str().unwrap();
            t > "2021-06-24T10:00:00.0000000Z" && t <= "2021-06-24T11:00:00.0000000Z"
        })
        .collect();
    assert!(!want.is_empty() && want.len() < all.len());
    assert_eq!(anchored.iter().collect::<Vec<_>>(), want);
    // Nothing happened in the last 24 hours of real time in a 2021 export.
    let now = cmdhunt(&["scan", "--anchor", "now", "--format", "ndjson", &file]);
    assert_eq!((now.status.code(), stdout(&now).len()), (Some(0), 0));
}

#[test]
fn zero_hits_exit_zero() {
    let o = cmdhunt(&["scan", &shared("defender/advanced_hunting_test.csv")]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("No rows flagged"));
    assert!(stderr(&o).contains("26 records"), "{}", stderr(&o));
}

#[test]
fn unreadable_input_exits_one_and_the_rest_is_reported() {
    let good = repo("tests/data/defender_portal.csv");
    let o = cmdhunt(&[
        "scan",
        "--window",
        "all",
        "--format",
        "ndjson",
        "/nonexistent/export.csv",
        &good,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/export.csv: cannot open"),
        "{}",
        stderr(&o)
    );
    assert!(json_lines(&o).len() >= 20);
    // A file that is no export at all.
    let o = cmdhunt(&["scan", &repo("README.md")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_two() {
    for args in [
        &["scan"][..],
        &["scan", "--format", "xml", "x"],
        &["bogus"],
        &[],
    ] {
        let o = cmdhunt(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("Usage:"));
    }
}

#[test]
fn stdin_is_read_for_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cmdhunt"))
        .args(["scan", "--window", "all", "--format", "ndjson", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n2024-01-01T00:00:00Z,cmd.exe,net user /add x y,a\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let rows = json_lines(&o);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["UserCreation"], true);
    assert_eq!(rows[0]["Matched"], serde_json::json!(["net user /add"]));
}

#[test]
fn csv_output_parses_back() {
    let o = cmdhunt(&[
        "scan",
        "--window",
        "all",
        "--format",
        "csv",
        &repo("tests/data/sysmon_fields.csv"),
    ]);
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..11], &KEYS[..11]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.len() >= 10);
    assert!(rows.iter().any(|r| &r[7] == "true"), "a ScheduledTask row");
}

#[test]
fn terminal_table_escapes_control_characters() {
    let dir = std::env::temp_dir().join(format!("cmdhunt-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ansi.csv");
    std::fs::write(
        &file,
        "Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
         2024-01-01T00:00:00Z,cmd.exe,\"reg add \u{1b}[2J\u{202e}x\",explorer.exe\n",
    )
    .unwrap();
    let o = cmdhunt(&["scan", "--window", "all", file.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{202e}'),
        "{out:?}"
    );
    assert!(out.contains("reg add \\u{1b}[2J\\u{202e}x"), "{out}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn rule_prints_the_kql_verbatim() {
    let o = cmdhunt(&["rule"]);
    let text = stdout(&o);
    let kql = std::fs::read_to_string(repo("core/src/rule.kql")).unwrap();
    assert!(text.contains(kql.trim_end()));
    assert!(text.contains("T1059.003"));
    assert!(text.contains("ShadowDelete"));
}

#[test]
fn readme_field_mapping_table_is_current() {
    let o = cmdhunt(&["mapping"]);
    assert_eq!(o.status.code(), Some(0));
    let table = stdout(&o);
    assert!(table.contains("| `FileName` |"), "{table}");
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "README.md's field mapping table is stale: replace it with the output of `cmdhunt mapping`"
    );
}

#[test]
fn the_output_is_the_same_for_any_number_of_jobs() {
    // Real exports of every text and binary format, an unreadable path
    // between them, and the same file twice: with the files scanned one at
    // a time or several at once, stdout, stderr and the exit status agree,
    // and the accounts keep the files' order.
    let files = [
        shared("defender/mde_proc_cs1.csv"),
        shared("sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"),
        "/nonexistent/export.csv".to_string(),
        shared("evtx-samples/samples/sample_with_a_bad_chunk_magic.evtx"),
        shared("otrf/cmd_mshta_vbscript_execute_psh_2020-10-2202580804.json"),
        repo("tests/data/defender_portal.csv"),
        shared("defender/mde_proc_cs1.csv"),
    ];
    let run = |jobs: &str| {
        let mut args = vec![
            "scan", "--window", "all", "--format", "ndjson", "--jobs", jobs,
        ];
        args.extend(files.iter().map(String::as_str));
        cmdhunt(&args)
    };
    let one = run("1");
    assert_eq!(one.status.code(), Some(1), "{}", stderr(&one));
    let rows = json_lines(&one);
    let one_stderr = stderr(&one);
    let sources: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r["Source"]["file"].as_str().expect("file name"))
        .collect();
    assert!(
        sources.len() >= 3,
        "rows from several files expected: {sources:?}"
    );
    let accounts: Vec<&str> = one_stderr
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("cmdhunt: ") && !l.starts_with("total: "))
        .collect();
    assert_eq!(accounts.len(), files.len(), "{one_stderr}");
    for (line, file) in accounts.iter().zip(&files) {
        assert!(line.starts_with(file.as_str()), "{line:?} is not {file}'s");
    }
    for jobs in ["2", "3", "16"] {
        let many = run(jobs);
        assert_eq!(many.status.code(), one.status.code(), "--jobs {jobs}");
        assert_eq!(stdout(&many), stdout(&one), "stdout with --jobs {jobs}");
        assert_eq!(stderr(&many), one_stderr, "stderr with --jobs {jobs}");
    }
}

/// Cells of `cmdhunt scan --format csv` output, parsed by the `csv` crate as
/// a spreadsheet import would read them (header skipped).
fn csv_cells(o: &Output) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(o.stdout.as_slice());
    reader
        .records()
        .map(|r| r.expect("valid CSV").iter().map(String::from).collect())
        .collect()
}

#[test]
fn csv_output_neutralises_formulas_and_ndjson_keeps_the_raw_text() {
    // tests/data/formula_injection.csv: DeviceName `=HYPERLINK(...)`, a command
    // line `=cmd|' /C calc'!A0 ...`, cells starting with + - @ TAB and CR.
    let file = repo("tests/data/formula_injection.csv");
    let csv_out = cmdhunt(&["scan", "--window", "all", "--format", "csv", &file]);
    assert_eq!(csv_out.status.code(), Some(0), "{}", stderr(&csv_out));
    let rows = csv_cells(&csv_out);
    assert_eq!(rows.len(), 4, "every fixture row is flagged");
    let mut neutralised = 0;
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} would be read as a formula"
            );
            neutralised += usize::from(cell.starts_with('\''));
        }
    }
    // 11 dangerous cells in the fixture (4 + 5 + 2 by row); `HKCU\=x` is safe.
    assert_eq!(neutralised, 11, "{rows:?}");
    assert!(rows
        .iter()
        .any(|r| r.contains(&"'=HYPERLINK(\"http://127.0.0.1/x\",\"open\")".to_string())));

    // NDJSON is data for programs: the exact text.
    let nd = cmdhunt(&["scan", "--window", "all", "--format", "ndjson", &file]);
    let names: Vec<String> = json_lines(&nd)
        .iter()
        .map(|r| r["DeviceName"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"=HYPERLINK(\"http://127.0.0.1/x\",\"open\")".to_string()));
    assert!(names.contains(&"+dev01".to_string()));

    // --csv-raw: the exact text, for tools that want it.
    let raw = cmdhunt(&[
        "scan",
        "--window",
        "all",
        "--format",
        "csv",
        "--csv-raw",
        &file,
    ]);
    assert_eq!(raw.status.code(), Some(0), "{}", stderr(&raw));
    let raw_rows = csv_cells(&raw);
    assert!(raw_rows
        .iter()
        .any(|r| r.contains(&"=HYPERLINK(\"http://127.0.0.1/x\",\"open\")".to_string())));
    assert!(raw_rows.iter().flatten().all(|c| !c.starts_with('\'')));
}
