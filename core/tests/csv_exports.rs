//! Every CSV export shape, from real data: the streaming scanner must return
//! exactly what a naive scan returns (the `csv` crate to parse, the reference
//! `has` / `=~` functions to match), whatever the chunk size.

use std::path::PathBuf;

use cmdhunt_core::event::basename;
use cmdhunt_core::format::DecodeErrorKind;
use cmdhunt_core::kql::{equals_ci, has};
use cmdhunt_core::mapping::{classify, normalize_name, Schema, Target};
use cmdhunt_core::matcher::Flags;
use cmdhunt_core::results::{self, Window};
use cmdhunt_core::rule::{FLAGS, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};
use cmdhunt_core::time::Timestamp;

mod common;
use common::shared;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(path)
}

fn scan(bytes: &[u8], chunk: usize) -> (FileSummary, Vec<FlaggedRow>) {
    let rule = cmdhunt_core::matcher::CompiledRule::new();
    let mut s = FileScan::new(&rule, 0, "test.csv", None);
    for c in bytes.chunks(chunk.max(1)) {
        s.push(c);
    }
    s.finish()
}

/// What the rule should return for one row, computed naively.
#[derive(Debug, PartialEq)]
struct Expected {
    timestamp: Option<Timestamp>,
    device: String,
    account: String,
    command_line: String,
    parent: String,
    parent_command_line: String,
    flags: Flags,
}

struct Naive {
    records: u64,
    process_creations: u64,
    shell: u64,
    rows: Vec<Expected>,
}

fn decode_text(bytes: &[u8]) -> String {
    match bytes {
        [0xFF, 0xFE, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        [0xFE, 0xFF, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn naive_scan(bytes: &[u8]) -> Naive {
    let text = decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| normalize_name(h).to_string())
        .collect();
    let schema = Schema::resolve(&headers);
    let mut out = Naive {
        records: 0,
        process_creations: 0,
        shell: 0,
        rows: Vec::new(),
    };
    for record in reader.records() {
        let record = record.unwrap();
        out.records += 1;
        let get = |t: Target| -> String {
            let Some((i, transform)) = schema.get(t) else {
                return String::new();
            };
            let v = record.get(i).unwrap_or("");
            match transform {
                cmdhunt_core::mapping::Transform::Basename => basename(v).to_string(),
                cmdhunt_core::mapping::Transform::UserPart => {
                    v.rsplit('\\').next().unwrap_or(v).to_string()
                }
                cmdhunt_core::mapping::Transform::Verbatim => v.to_string(),
            }
        };
        let action = schema
            .get(Target::ActionType)
            .map(|_| get(Target::ActionType));
        let event_id = schema.get(Target::EventId).map(|_| get(Target::EventId));
        if classify(action.as_deref(), event_id.as_deref()).is_err() {
            continue;
        }
        out.process_creations += 1;
        if !equals_ci(&get(Target::FileName), "cmd.exe") {
            continue;
        }
        out.shell += 1;
        let cmd = get(Target::ProcessCommandLine);
        let parent = get(Target::InitiatingProcessFileName);
        let flagged = SUSPICIOUS_PATTERNS.iter().any(|p| has(&cmd, p.value))
            || SUSPICIOUS_PARENTS.iter().any(|p| has(&parent, p.value));
        if !flagged {
            continue;
        }
        let flags = Flags(FLAGS.map(|f| {
            let hay = match f.column {
                cmdhunt_core::rule::Column::ProcessCommandLine => &cmd,
                cmdhunt_core::rule::Column::InitiatingProcessFileName => &parent,
            };
            f.needles.iter().any(|n| has(hay, n))
        }));
        out.rows.push(Expected {
            timestamp: Timestamp::parse(&get(Target::Timestamp)),
            device: get(Target::DeviceName),
            account: get(Target::AccountName),
            command_line: cmd,
            parent,
            parent_command_line: get(Target::InitiatingProcessCommandLine),
            flags,
        });
    }
    out
}

fn actual(rows: &[FlaggedRow]) -> Vec<Expected> {
    rows.iter()
        .map(|r| Expected {
            timestamp: r.event.timestamp,
            device: r.event.device_name.clone(),
            account: r.event.account_name.clone(),
            command_line: r.event.process_command_line.clone(),
            parent: r.event.initiating_process_file_name.clone(),
            parent_command_line: r.event.initiating_process_command_line.clone(),
            flags: r.verdict.flags,
        })
        .collect()
}

/// (file, expected flagged rows — a floor that proves the file exercises the rule)
fn files() -> Vec<(PathBuf, usize)> {
    vec![
        (shared("defender/advanced_hunting_test.csv"), 0),
        (shared("defender/mde_proc_cs1.csv"), 20),
        (shared("defender/processes_on_host.csv"), 0),
        (shared("defender/process_tree.csv"), 0),
        (fixture("sentinel_portal_utf16le.csv"), 20),
        (fixture("defender_portal.csv"), 20),
        (fixture("sysmon_fields.csv"), 10),
        (fixture("security_4688_no_parent.csv"), 0),
    ]
}

#[test]
fn every_csv_shape_matches_the_naive_scan() {
    for (path, min_rows) in files() {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let want = naive_scan(&bytes);
        let (summary, rows) = scan(&bytes, 64 << 10);
        let name = path.display();
        assert_eq!(summary.error, None, "{name}");
        assert_eq!(summary.skipped, 0, "{name}: {:?}", summary.skips);
        assert_eq!(summary.records, want.records, "{name}: records");
        assert_eq!(
            summary.process_creations, want.process_creations,
            "{name}: process creations"
        );
        assert_eq!(
            summary.records,
            summary.analysed() + summary.skipped,
            "{name}: accounting"
        );
        assert_eq!(summary.shell, want.shell, "{name}: cmd.exe");
        assert_eq!(actual(&rows), want.rows, "{name}: rows");
        assert!(rows.len() >= min_rows, "{name}: only {} rows", rows.len());
        // Every process creation of these exports has a readable time.
        assert_eq!(
            summary.bad_timestamps, 0,
            "{name}: {:?}",
            summary.first_bad_timestamp
        );
    }
}

#[test]
fn results_do_not_depend_on_chunk_boundaries() {
    for (path, _) in files() {
        let bytes = std::fs::read(&path).unwrap();
        let whole = scan(&bytes, bytes.len());
        let mut sizes = vec![7, 64 << 10, 1 << 20];
        if bytes.len() < 200_000 {
            sizes.push(1);
        }
        for size in sizes {
            assert_eq!(
                scan(&bytes, size),
                whole,
                "{} in {size}-byte chunks",
                path.display()
            );
        }
    }
}

/// `without_fields` (the CLI's mode) changes nothing but the rows' original
/// fields, which stay empty; the default keeps every field in source order.
#[test]
fn without_fields_keeps_everything_but_the_fields() {
    let rule = cmdhunt_core::matcher::CompiledRule::new();
    for (path, _) in files() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display();
        let (summary, rows) = scan(&bytes, 64 << 10);
        let mut lean = FileScan::new(&rule, 0, "test.csv", None).without_fields();
        lean.push(&bytes);
        let (lean_summary, lean_rows) = lean.finish();
        assert_eq!(lean_summary, summary, "{name}");
        assert_eq!(lean_rows.len(), rows.len(), "{name}");
        for (lean, full) in lean_rows.iter().zip(&rows) {
            assert!(lean.fields.is_empty(), "{name}");
            assert!(!full.fields.is_empty(), "{name}");
            let command_line = &full.event.process_command_line;
            assert!(
                full.fields.iter().any(|(_, v)| v == command_line),
                "{name}: the command line is among the fields"
            );
            let mut stripped = full.clone();
            stripped.fields.clear();
            assert_eq!(lean, &stripped, "{name}");
        }
    }
}

#[test]
fn timeline_export_rows_are_right() {
    // The older Defender timeline schema: CreatedProcessName / Process_CommandLine / ComputerDnsName.
    let bytes = std::fs::read(shared("defender/mde_proc_cs1.csv")).unwrap();
    let (summary, rows) = scan(&bytes, 1 << 16);
    let order = results::select(&rows, &Window::All, summary.newest);
    let newest = &rows[order[0]];
    assert_eq!(
        newest.event.timestamp.unwrap().to_string(),
        "2021-06-25T00:47:43.1438670Z"
    );
    assert_eq!(newest.event.initiating_process_file_name, "rundll32.exe");
    assert!(newest.verdict.flags.suspicious_parent());
    assert_eq!(
        newest.position.record,
        1 + rows_before(&bytes, newest.position.line)
    );
    // The 24h window anchored at the newest event keeps only the last day.
    let day = results::select(&rows, &Window::default(), summary.newest);
    assert!(!day.is_empty() && day.len() < order.len());
    let cutoff = summary
        .newest
        .unwrap()
        .minus(cmdhunt_core::time::Duration::from_secs(86_400));
    assert!(day
        .iter()
        .all(|&i| rows[i].event.timestamp.unwrap() > cutoff));
}

/// Records that start before `line` (header excluded), counted independently.
fn rows_before(bytes: &[u8], line: u64) -> u64 {
    let text = decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .filter(|r| r.position().map_or(0, |p| p.line()) < line)
        .count() as u64
}

#[test]
fn parent_is_inferred_for_4688_without_parent_process_name() {
    // A hand-written chain (tests/data/README.md): rundll32 starts cmd.exe, whose
    // 4688 has no ParentProcessName; a second computer reuses the same ids.
    let bytes = std::fs::read(fixture("security_4688_inference.csv")).unwrap();
    let (summary, rows) = scan(&bytes, 5);
    assert_eq!(summary.records, 5);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let row = &rows[0];
    assert_eq!(row.event.device_name, "WS1");
    assert_eq!(row.event.initiating_process_file_name, "rundll32.exe");
    assert!(row.event.parent_inferred);
    assert!(row.verdict.flags.suspicious_parent());
}

#[test]
fn missing_required_columns_are_named() {
    let (summary, rows) = scan(
        b"Timestamp,DeviceName,ProcessCommandLine\n2024-01-01T00:00:00Z,a,b\n",
        3,
    );
    let err = summary.error.expect("an error");
    assert_eq!(err.kind, DecodeErrorKind::MissingColumns, "{err}");
    // The words name the columns wanted (the contract with the reader).
    assert!(err.message.contains("FileName"), "{}", err.message);
    assert!(
        err.message.contains("InitiatingProcessFileName"),
        "{}",
        err.message
    );
    assert!(
        !err.message.contains("ProcessCommandLine ("),
        "{}",
        err.message
    );
    assert_eq!(err.position.line, 1);
    assert!(rows.is_empty());
}

#[test]
fn headers_match_case_insensitively_with_suffixes_in_any_order() {
    let csv =
        "\u{feff}initiatingprocessfilename,PROCESSCOMMANDLINE,filename,Timestamp [UTC],Extra\r\n\
               winword.exe,cmd /c whoami,CMD.EXE,2024-01-01T00:00:00Z,x\r\n\
               winword.exe,cmd /c whoami,cmd.exe ,2024-01-01T00:00:00Z,x\r\n";
    let (summary, rows) = scan(csv.as_bytes(), 4);
    assert_eq!((summary.records, summary.shell, rows.len()), (2, 1, 1)); // "cmd.exe " is not =~ "cmd.exe"
    assert!(rows[0].verdict.flags.suspicious_parent());
}

#[test]
fn quoted_fields_keep_commas_quotes_and_newlines() {
    let csv = "Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
               2024-01-01T00:00:00Z,cmd.exe,\"cmd /c \"\"reg add\"\" x,\ny\",explorer.exe\n\
               2024-01-01T00:00:01Z,cmd.exe,\"for /f \"\"x\"\"\",explorer.exe\n";
    let (summary, rows) = scan(csv.as_bytes(), 1);
    assert_eq!(summary.records, 2);
    assert_eq!(
        rows[0].event.process_command_line,
        "cmd /c \"reg add\" x,\ny"
    );
    assert_eq!(rows[1].event.process_command_line, "for /f \"x\"");
    assert_eq!(rows[1].position.line, 4);
}
