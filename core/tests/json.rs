//! The JSON decoder on every JSON file of the shared data, on each export
//! shape, and on broken input. Record counts are checked against counts the
//! test makes itself (lines that open an object, serde_json's own stream).

use std::path::{Path, PathBuf};

use cmdhunt_core::event::ProcessEvent;
use cmdhunt_core::event::{Position, Record, RecordClass, RecordSink, Skip};
use cmdhunt_core::format::json::JsonDecoder;
use cmdhunt_core::format::{DecodeError, DecodeErrorKind, Decoder, Format};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::{self, Window};
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

mod common;
use common::Rng;
use common::{read, shared};

fn scan_as(bytes: &[u8], chunk: usize, format: Option<Format>) -> (FileSummary, Vec<FlaggedRow>) {
    let rule = CompiledRule::new();
    let mut s = FileScan::new(&rule, 0, "test.json", format);
    for c in bytes.chunks(chunk.max(1)) {
        s.push(c);
    }
    s.finish()
}

fn scan(bytes: &[u8], chunk: usize) -> (FileSummary, Vec<FlaggedRow>) {
    scan_as(bytes, chunk, Some(Format::Json))
}

/// What a decoder handed over, kept whole.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Event {
        position: Position,
        class: RecordClass,
        event: ProcessEvent,
        fields: Vec<(String, String)>,
    },
    Skipped(Skip),
}

#[derive(Default)]
struct Collect(Vec<Item>);

impl RecordSink for Collect {
    fn record(&mut self, r: &dyn Record) {
        self.0.push(Item::Event {
            position: r.position(),
            class: r.class(),
            event: r.event(),
            fields: r.fields(),
        });
    }
    fn skip(&mut self, skip: Skip) {
        self.0.push(Item::Skipped(skip));
    }
}

fn decode(bytes: &[u8], chunk: usize) -> (Vec<Item>, Result<(), DecodeError>) {
    let mut d = JsonDecoder::new();
    let mut sink = Collect::default();
    for c in bytes.chunks(chunk.max(1)) {
        d.push(c, &mut sink).expect("push never fails");
    }
    let end = d.finish(&mut sink);
    (sink.0, end)
}

/// An event as the tests look at it: class, projection, original fields.
type Seen<'a> = (&'a RecordClass, &'a ProcessEvent, &'a [(String, String)]);

fn events(items: &[Item]) -> Vec<Seen<'_>> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Event {
                class,
                event,
                fields,
                ..
            } => Some((class, event, fields.as_slice())),
            Item::Skipped(_) => None,
        })
        .collect()
}

fn skips(items: &[Item]) -> Vec<&Skip> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Skipped(s) => Some(s),
            Item::Event { .. } => None,
        })
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Every file under `dir` whose extension starts with `json` (`.json`, `.jsonl`, `.jsoncls`).
fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.starts_with("json"))
        {
            out.push(path);
        }
    }
}

/// Independent count 1: lines whose first byte opens an object (JSON lines,
/// and the pretty-printed objects run together, whose nested objects are indented).
fn lines_opening_objects(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .filter(|l| l.trim_start_matches('\u{feff}').starts_with('{'))
        .count()
}

/// Independent count 2: serde_json's own streaming parser.
fn serde_values(bytes: &[u8]) -> usize {
    serde_json::Deserializer::from_slice(bytes)
        .into_iter::<serde_json::Value>()
        .inspect(|v| assert!(v.is_ok(), "the shared data is valid JSON"))
        .count()
}

#[test]
fn every_shared_json_file_decodes_with_counts_matching_an_independent_count() {
    let mut files = Vec::new();
    json_files(&shared(""), &mut files);
    assert!(files.len() >= 140, "found only {} JSON files", files.len());
    let mut total = 0;
    for path in &files {
        let bytes = read(path);
        let (summary, _) = scan_as(&bytes, 64 << 10, None);
        let name = path.display();
        assert_eq!(summary.format, Some(Format::Json), "{name} sniffed");
        assert_eq!(summary.error, None, "{name}");
        assert_eq!(summary.skipped, 0, "{name}: {:?}", summary.skips.first());
        let lines = lines_opening_objects(&bytes) as u64;
        assert_eq!(
            summary.records, lines,
            "{name}: records vs lines opening objects"
        );
        if bytes.len() < 4 << 20 {
            assert_eq!(
                summary.records,
                serde_values(&bytes) as u64,
                "{name}: vs serde_json"
            );
        }
        if name.to_string().contains("/otrf/") {
            // Mordor JSON lines: Sysmon 1 and Security 4688 counted on the raw
            // lines; cmd.exe runs `schtasks /create` only in the schtask dataset
            // (the other tools run without cmd.exe).
            assert_eq!(
                summary.process_creations,
                creations_in_lines(&bytes),
                "{name}"
            );
            assert_eq!(summary.bad_timestamps, 0, "{name}");
            let flagged = if name.to_string().contains("schtask_create") {
                2
            } else {
                0
            };
            assert_eq!(summary.flagged, flagged, "{name}");
        }
        assert_eq!(summary.records, summary.analysed(), "{name}");
        if bytes.len() > 100_000 || name.to_string().contains("defender") {
            eprintln!(
                "{}: {} records, {} process creations, {} cmd.exe, {} flagged",
                path.file_name().unwrap_or_default().to_string_lossy(),
                summary.records,
                summary.process_creations,
                summary.shell,
                summary.flagged
            );
        }
        total += summary.records;
    }
    eprintln!("{} JSON files, {total} records", files.len());
}

#[path = "json/shapes.rs"]
mod shapes;

#[test]
fn evtx_dump_pretty_json_with_record_lines_equals_its_json_lines() {
    // The same events, as evtx_dump writes them by default (`Record N` then a
    // pretty-printed object) and as JSON lines.
    let lines = read(&shared(
        "xml/PanacheSysmon_vs_AtomicRedTeam01.evtx_dump.jsonl",
    ));
    let mut pretty = String::new();
    for (i, line) in String::from_utf8_lossy(&lines).lines().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line).expect("valid line");
        pretty.push_str(&format!("Record {}\n", i + 1));
        pretty.push_str(&serde_json::to_string_pretty(&value).expect("pretty"));
        pretty.push('\n');
    }
    let (a, rows_a) = scan(&lines, 64 << 10);
    let (b, rows_b) = scan_as(pretty.as_bytes(), 4096, None);
    assert_eq!(
        b.format,
        Some(Format::Json),
        "`Record 1` then `{{` is sniffed as JSON"
    );
    assert_eq!(b.skipped, 0, "{:?}", b.skips.first());
    assert_eq!(
        (
            a.records,
            a.process_creations,
            a.shell,
            a.flagged,
            &a.other_events
        ),
        (
            b.records,
            b.process_creations,
            b.shell,
            b.flagged,
            &b.other_events
        )
    );
    assert_eq!(a.records, 565);
    let key = |r: &FlaggedRow| (r.event.clone(), r.verdict);
    assert_eq!(
        rows_a.iter().map(key).collect::<Vec<_>>(),
        rows_b.iter().map(key).collect::<Vec<_>>()
    );
    assert!(!rows_a.is_empty());
}

// ---------------------------------------------------------------------------
// Broken input: skips and errors with positions, never a panic.

#[test]
fn a_value_nested_two_million_deep_is_one_skip() {
    let n = 2_000_000;
    let mut closed = "[".repeat(n);
    closed.push_str(&"]".repeat(n));
    closed.push_str("\n{\"EventID\":1}\n");
    for chunk in [closed.len(), 64 << 10] {
        let (items, end) = decode(closed.as_bytes(), chunk);
        assert_eq!(end, Ok(()));
        let s = skips(&items);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, DecodeErrorKind::JsonTooDeep, "{}", s[0].reason);
        assert_eq!((s[0].position.byte, s[0].position.record), (1, 1));
        assert_eq!(events(&items).len(), 1, "the value after it is still read");
    }
    // Unclosed, object keys all the way down.
    let open = "{\"a\":".repeat(n);
    let (items, end) = decode(open.as_bytes(), 1 << 20);
    assert_eq!(end, Ok(()));
    let s = skips(&items);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].kind, DecodeErrorKind::Truncated, "{}", s[0].reason);
    assert!(s[0].reason.contains("nested too deep"), "{}", s[0].reason);
}

#[test]
fn depth_limit_is_serde_jsons_own() {
    let nested = |levels: usize| format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels));
    let (items, _) = decode(nested(127).as_bytes(), 1000);
    assert_eq!(skips(&items), Vec::<&Skip>::new());
    let (_, _, fields) = events(&items)[0];
    assert_eq!(fields[0].0, vec!["a"; 127].join("."));
    let (items, _) = decode(nested(128).as_bytes(), 1000);
    assert_eq!(skips(&items)[0].kind, DecodeErrorKind::JsonTooDeep);
    // serde_json draws the line at the same depth.
    assert!(serde_json::from_str::<serde_json::Value>(&nested(128)).is_err());
    assert!(serde_json::from_str::<serde_json::Value>(&nested(127)).is_ok());
}

/// The first `n` lines of a real JSON lines file.
fn otrf_lines(n: usize) -> Vec<String> {
    let bytes = read(&shared(
        "otrf/cmd_bitsadmin_download_psh_script_2020-10-2302365189.json",
    ));
    String::from_utf8_lossy(&bytes)
        .lines()
        .take(n)
        .map(str::to_string)
        .collect()
}

#[test]
fn a_line_cut_short_is_reported_and_the_next_line_read() {
    let mut lines = otrf_lines(10);
    let cut = lines[4].len() / 2;
    lines[4].truncate(cut);
    let text = lines.join("\n") + "\n";
    for chunk in [1, 7, text.len()] {
        let (items, end) = decode(text.as_bytes(), chunk);
        assert_eq!(end, Ok(()));
        assert_eq!(events(&items).len(), 9);
        let s = skips(&items);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].position.line, s[0].position.record), (5, 5));
        let byte: usize = lines[..4].iter().map(|l| l.len() + 1).sum();
        assert_eq!(s[0].position.byte, byte as u64);
        assert_eq!(s[0].kind, DecodeErrorKind::Truncated, "{}", s[0].reason);
    }
}

#[test]
fn a_file_cut_short_reports_its_last_value() {
    let lines = otrf_lines(4);
    let mut text = lines[..3].join("\n") + "\n";
    text.push_str(&lines[3][..lines[3].len() / 2]);
    let (items, end) = decode(text.as_bytes(), 7);
    assert_eq!(end, Ok(()));
    assert_eq!(events(&items).len(), 3);
    let s = skips(&items);
    assert_eq!(
        (s.len(), s[0].position.line, s[0].position.record),
        (1, 4, 4)
    );
    assert_eq!(s[0].kind, DecodeErrorKind::Truncated, "{}", s[0].reason);

    // A truncated array: the complete elements count, the cut one is
    // skipped, and the file is reported as truncated.
    let text = format!("[{},\n{}", lines[0], &lines[1][..40]);
    let (items, end) = decode(text.as_bytes(), 3);
    assert_eq!((events(&items).len(), skips(&items).len()), (1, 1));
    let err = end.expect_err("truncated array");
    assert_eq!(err.kind, DecodeErrorKind::Truncated, "{err}");
    assert_eq!((err.position.line, err.position.byte), (1, 0));
}

#[test]
fn malformed_values_are_skipped_with_serde_jsons_message() {
    let text = "{\"EventID\":1}\n{\"EventID\": tru}\n\"just a string\"\nhello there\nRecord 12\n,\n[1, {\"EventID\":1}, null]\n{\"EventID\":4688}\n";
    let (items, end) = decode(text.as_bytes(), 2);
    assert_eq!(end, Ok(()));
    let s = skips(&items);
    let got: Vec<(u64, u64, DecodeErrorKind)> = s
        .iter()
        .map(|s| (s.position.line, s.position.record, s.kind))
        .collect();
    let not_event = DecodeErrorKind::JsonNotEvent;
    assert_eq!(
        got,
        vec![
            (2, 2, DecodeErrorKind::JsonSyntax),
            (3, 3, not_event),
            (4, 4, not_event),
            (7, 5, not_event),
            (7, 7, not_event)
        ]
    );
    // serde_json's own words say what is wrong.
    assert!(
        s[0].reason
            .starts_with("invalid JSON: expected ident at line 1 column"),
        "{}",
        s[0].reason
    );
    assert_eq!(events(&items).len(), 3);
    // The summary counts each skip once, with the records.
    let (summary, _) = scan(text.as_bytes(), 3);
    assert_eq!((summary.records, summary.skipped), (8, 5));
}

#[test]
fn a_value_over_the_record_cap_is_skipped_and_the_next_read() {
    let cap = cmdhunt_core::format::MAX_RECORD_BYTES;
    let mut text = String::with_capacity(cap + 200);
    text.push_str("{\"CommandLine\":\"");
    text.push_str(&"x".repeat(cap));
    text.push_str("\"}\n{\"EventID\":1}\n");
    let (items, end) = decode(text.as_bytes(), 1 << 20);
    assert_eq!(end, Ok(()));
    let s = skips(&items);
    assert_eq!(s.len(), 1);
    assert_eq!(
        s[0].kind,
        DecodeErrorKind::RecordTooLarge,
        "{}",
        s[0].reason
    );
    assert_eq!(events(&items).len(), 1);
    assert_eq!(
        events(&items)[0].2[0],
        ("EventID".to_string(), "1".to_string())
    );
}

#[test]
fn empty_input_is_an_error_and_utf16_is_read() {
    for text in ["", "  \n\n", "Record 1\n"] {
        let (items, end) = decode(text.as_bytes(), 1);
        assert!(items.is_empty());
        assert_eq!(end.expect_err(text).kind, DecodeErrorKind::Empty);
    }
    let text =
        "{\"EventID\":1,\"Image\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"Note\":\"é€😀\"}\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (a, _) = decode(text.as_bytes(), 1);
    let (b, end) = decode(&utf16, 1);
    assert_eq!(end, Ok(()));
    assert_eq!(events(&a)[0].2, events(&b)[0].2);
    assert_eq!(events(&b)[0].1.file_name, "cmd.exe");
}

// ---------------------------------------------------------------------------
// Real data.

#[test]
fn chunk_size_never_changes_the_result() {
    let small = shared("sigma-regression/rules/windows/process_creation/proc_creation_win_findstr_recon_everyone/47e4bab7-c626-47dc-967b-255608c9a920.json");
    let bytes = read(&small);
    let whole = scan(&bytes, bytes.len());
    assert_eq!(whole.0.records, 3);
    assert_eq!(scan(&bytes, 1), whole);
    let (items, _) = decode(&bytes, bytes.len());
    assert_eq!(decode(&bytes, 1).0, items);
    for big in [
        "otrf/aptsimulator_cobaltstrike_2021-06-11T21081492.json",
        "otrf/empire_wmic_add_user_backdoor_2020-09-14080546.json",
    ] {
        let bytes = read(&shared(big));
        let reference = scan(&bytes, 64 << 10);
        assert_eq!(scan(&bytes, bytes.len()), reference, "{big} whole");
        if bytes.len() < 8 << 20 {
            assert_eq!(scan(&bytes, 7), reference, "{big} @7");
        }
    }
}

/// Process creations counted on the raw lines: Sysmon event 1 and Security 4688.
fn creations_in_lines(bytes: &[u8]) -> u64 {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| {
            let id = |n: &str| {
                l.contains(&format!("\"EventID\":{n},"))
                    || l.contains(&format!("\"EventID\":{n}}}"))
            };
            (l.contains("\"SourceName\":\"Microsoft-Windows-Sysmon\"") && id("1"))
                || (l.contains("\"SourceName\":\"Microsoft-Windows-Security-Auditing\"")
                    && id("4688"))
        })
        .count() as u64
}

#[test]
fn otrf_datasets_yield_their_on_target_process_creations() {
    // (file, image, command-line text, how many such process creations:
    // each is logged by Sysmon and by Security 4688).
    let table = [
        (
            "cmd_bitsadmin_download_psh_script_2020-10-2302365189.json",
            "bitsadmin.exe",
            "/transfer /Download",
            2,
        ),
        (
            "cmd_dumping_ntds_dit_file_volume_shadow_copy.json",
            "vssadmin.exe",
            "create shadow /for=C:",
            2,
        ),
        (
            "cmd_mshta_vbscript_execute_psh_2020-10-2202580804.json",
            "mshta.exe",
            "vbscript:Execute(",
            2,
        ),
        (
            "empire_wmic_add_user_backdoor_2020-09-14080546.json",
            "WMIC.exe",
            "process call create \"net user /add",
            2,
        ),
        (
            "empire_wmic_add_user_backdoor_2020-09-14080546.json",
            "net.exe",
            "net user /add backdoor",
            2,
        ),
        (
            "schtask_create_2020-12-1907003032.json",
            "schtasks.exe",
            "/create /F /tn",
            2,
        ),
        (
            "cmd_psexec_lsa_secrets_dump_2020-10-1903305471.json",
            "reg.exe",
            "save HKLM\\security\\policy\\secrets",
            2,
        ),
    ];
    let mut decoded: Vec<(&str, Vec<ProcessEvent>)> = Vec::new();
    for (file, image, text, count) in table {
        if !decoded.iter().any(|(f, _)| *f == file) {
            let bytes = read(&shared(&format!("otrf/{file}")));
            let mut d = JsonDecoder::new();
            let mut sink = Creations::default();
            for c in bytes.chunks(64 << 10) {
                d.push(c, &mut sink).expect("push");
            }
            assert_eq!(d.finish(&mut sink), Ok(()));
            decoded.push((file, sink.0));
        }
        let creations = &decoded.iter().find(|(f, _)| *f == file).expect("decoded").1;
        let found = creations
            .iter()
            .filter(|e| {
                e.file_name.eq_ignore_ascii_case(image)
                    && e.process_command_line.contains(text)
                    && e.timestamp.is_some()
                    && !e.device_name.is_empty()
                    && !e.initiating_process_file_name.is_empty()
            })
            .count();
        assert_eq!(found, count, "{file}: {image} {text}");
    }
}

/// Keeps the process creations only.
#[derive(Default)]
struct Creations(Vec<ProcessEvent>);

impl RecordSink for Creations {
    fn record(&mut self, r: &dyn Record) {
        if r.class() == RecordClass::ProcessCreation {
            self.0.push(r.event());
        }
    }
    fn skip(&mut self, skip: Skip) {
        panic!("unexpected skip {skip:?}");
    }
}

#[test]
fn otrf_schtask_dataset_flags_cmd_running_schtasks_create() {
    let bytes = read(&shared("otrf/schtask_create_2020-12-1907003032.json"));
    let (summary, rows) = scan(&bytes, 64 << 10);
    assert_eq!((summary.shell, summary.flagged), (2, 2));
    assert_eq!(summary.flag_counts, [0, 2, 0, 0, 0]);
    let mut providers = Vec::new();
    for i in results::select(&rows, &Window::All, summary.newest) {
        let row = &rows[i];
        assert!(row.verdict.flags.scheduled_task());
        assert!(row.event.process_command_line.starts_with("\"C:\\Windows\\system32\\cmd.exe\" /C schtasks /create /F /tn \\Microsoft\\Windows\\SoftwareProtectionPlatform\\EventCacheManager"));
        assert_eq!(
            row.event.initiating_process_file_name.to_lowercase(),
            "powershell.exe"
        );
        assert!(row.event.device_name.starts_with("WORKSTATION5"));
        providers.push(field(&row.fields, "SourceName").unwrap_or("").to_string());
    }
    providers.sort();
    assert_eq!(
        providers,
        [
            "Microsoft-Windows-Security-Auditing",
            "Microsoft-Windows-Sysmon"
        ]
    );
}

// ---------------------------------------------------------------------------
// Cross-format parity: the same events as EVTX and as JSON.

/// What the rule returns for a file, in its order: projected event and verdict.
fn rule_output(summary: &FileSummary, rows: &[FlaggedRow]) -> Vec<String> {
    results::select(rows, &Window::All, summary.newest)
        .into_iter()
        .map(|i| format!("{:?} {:?}", rows[i].event, rows[i].verdict))
        .collect()
}

fn assert_same_events(json: &Path, evtx: &Path) -> (FileSummary, usize) {
    let (j, j_rows) = scan_as(&read(json), 64 << 10, None);
    let (e, e_rows) = scan_as(&read(evtx), 64 << 10, None);
    let name = json.display();
    assert_eq!(
        (j.format, e.format),
        (Some(Format::Json), Some(Format::Evtx)),
        "{name}"
    );
    assert_eq!(
        (&j.error, &e.error, j.skipped, e.skipped),
        (&None, &None, 0, 0),
        "{name}"
    );
    assert_eq!(
        (
            j.records,
            j.process_creations,
            j.shell,
            j.flagged,
            j.flag_counts,
            &j.other_events
        ),
        (
            e.records,
            e.process_creations,
            e.shell,
            e.flagged,
            e.flag_counts,
            &e.other_events
        ),
        "{name}"
    );
    assert_eq!((j.newest, j.oldest), (e.newest, e.oldest), "{name}");
    let rows = rule_output(&j, &j_rows);
    assert_eq!(rows, rule_output(&e, &e_rows), "{name}");
    (j, rows.len())
}

#[test]
fn sigma_regression_json_gives_what_its_evtx_gives() {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    json_files(&shared("sigma-regression"), &mut files);
    for json in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let evtx = json.with_extension("evtx");
        if evtx.exists() {
            dirs.push((json.clone(), evtx));
        }
    }
    assert_eq!(dirs.len(), 138);
    let (mut records, mut creations, mut shell, mut flagged) = (0, 0, 0, 0);
    let mut cmd_images = 0;
    for (json, evtx) in &dirs {
        let (summary, rows) = assert_same_events(json, evtx);
        records += summary.records;
        creations += summary.process_creations;
        shell += summary.shell;
        flagged += rows;
        cmd_images += sysmon_cmd_events(&read(json));
    }
    eprintln!(
        "sigma regression: {records} events, {creations} process creations, {shell} cmd.exe, \
         {flagged} rows flagged, all as the EVTX gives them"
    );
    // cmd.exe events counted by walking serde_json values of the same files.
    assert_eq!(shell, cmd_images);
    assert!(shell > 0);
}

/// Sysmon event 1 whose `Image` is cmd.exe, found with serde_json alone.
fn sysmon_cmd_events(bytes: &[u8]) -> u64 {
    serde_json::Deserializer::from_slice(bytes)
        .into_iter::<serde_json::Value>()
        .filter_map(Result::ok)
        .filter(|v| {
            let event = &v["Event"];
            let provider = &event["System"]["Provider"]["#attributes"]["Name"];
            let image = event["EventData"]["Image"].as_str().unwrap_or("");
            provider == "Microsoft-Windows-Sysmon"
                && event["System"]["EventID"] == 1
                && image.to_lowercase().ends_with("\\cmd.exe")
        })
        .count() as u64
}

#[test]
fn panache_sysmon_json_lines_give_what_the_evtx_gives() {
    let (summary, flagged) = assert_same_events(
        &shared("xml/PanacheSysmon_vs_AtomicRedTeam01.evtx_dump.jsonl"),
        &shared("sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"),
    );
    assert_eq!((summary.records, flagged), (565, 21));
}

#[test]
fn defender_json_lines_map_their_columns_directly() {
    // Microsoft365DefenderEvents.json: Defender XDR rows as JSON lines, no
    // wrapper; nested AdditionalFields / RawEventData objects are flattened.
    let bytes = read(&shared("defender/Microsoft365DefenderEvents.json"));
    let (summary, rows) = scan(&bytes, 1000);
    assert!(rows.is_empty());
    let labels: Vec<(&str, u64)> = summary
        .other_events
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        labels,
        [
            ("ActionType Add delegated permission grant.", 1),
            ("ActionType Directory Services replication", 2),
            ("ActionType LdapSearch", 5),
            ("ActionType MailItemsAccessed", 1),
        ]
    );
    let (items, _) = decode(&bytes, 1000);
    let (_, event, fields) = events(&items)[7];
    assert_eq!(
        field(fields, "RawEventData.Operation"),
        Some("MailItemsAccessed")
    );
    assert_eq!(
        field(fields, "AdditionalFields.IsSatelliteProvider"),
        Some("false")
    );
    assert_eq!(
        event.timestamp.map(|t| t.to_string()).as_deref(),
        field(fields, "Timestamp")
            .and_then(cmdhunt_core::time::Timestamp::parse)
            .map(|t| t.to_string())
            .as_deref()
    );
}

#[test]
fn mangled_input_never_panics_and_never_depends_on_chunking() {
    // Real events in three shapes, then bytes that matter to the scanner
    // inserted, deleted and swapped at random.
    let lines = otrf_lines(6).join("\n");
    let pretty = String::from_utf8_lossy(&read(&shared(
        "sigma-regression/rules/windows/process_creation/proc_creation_win_findstr_recon_everyone/47e4bab7-c626-47dc-967b-255608c9a920.json",
    )))
    .into_owned();
    let tables = r#"{"tables":[{"name":"t","columns":[{"name":"EventID"},{"name":"Image"}],"rows":[[1,"C:\\cmd.exe"],[4688,"x"]]}],"Results":[{"EventID":1}]}"#;
    let alphabet = b"{}[]\":,\\\n \rR0xe";
    let mut rng = Rng(0x5eed_cafe);
    for round in 0..300 {
        let base = [lines.as_str(), pretty.as_str(), tables][round % 3];
        let mut bytes = base.as_bytes().to_vec();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(3) {
                0 => bytes.insert(at, alphabet[rng.below(alphabet.len())]),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at.max(1)),
            }
        }
        let whole = decode(&bytes, bytes.len());
        for chunk in [1, 2, 3, 5, 64] {
            assert_eq!(decode(&bytes, chunk), whole, "round {round} @{chunk}");
        }
        // Every event and skip has a distinct, increasing record number.
        let numbers: Vec<u64> = whole
            .0
            .iter()
            .map(|i| match i {
                Item::Event { position, .. } => position.record,
                Item::Skipped(s) => s.position.record,
            })
            .collect();
        assert_eq!(
            numbers,
            (1..=numbers.len() as u64).collect::<Vec<_>>(),
            "round {round}"
        );
    }
}

/// Counts records, and how many had arrived when each push returned.
#[derive(Default)]
struct Arrivals {
    records: usize,
}

impl RecordSink for Arrivals {
    fn record(&mut self, _: &dyn Record) {
        self.records += 1;
    }
    fn skip(&mut self, skip: Skip) {
        panic!("unexpected skip {skip:?}");
    }
}

#[test]
fn arrays_results_and_table_rows_are_streamed_not_parsed_whole() {
    let n = 2000;
    let event =
        r#"{"EventID":1,"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c dir"}"#;
    let events = vec![event; n].join(",\n");
    let rows = vec![r#"[1,"C:\\Windows\\System32\\cmd.exe","cmd /c dir"]"#; n].join(",");
    let shapes = [
        format!("[{events}]"),
        format!(r#"{{"Schema":[],"Results":[{events}]}}"#),
        format!(
            r#"{{"tables":[{{"name":"t","columns":[{{"name":"EventID"}},{{"name":"Image"}},{{"name":"CommandLine"}}],"rows":[{rows}]}}]}}"#
        ),
    ];
    for text in shapes {
        let mut d = JsonDecoder::new();
        let mut sink = Arrivals::default();
        let half = text.len() / 2;
        for c in text.as_bytes()[..half].chunks(1024) {
            d.push(c, &mut sink).expect("push");
        }
        // Half the bytes in, about half the events are out already.
        let at_half = sink.records;
        assert!(
            at_half > n * 2 / 5 && at_half < n * 3 / 5,
            "{at_half} of {n}"
        );
        d.push(&text.as_bytes()[half..], &mut sink).expect("push");
        d.finish(&mut sink).expect("finish");
        assert_eq!(sink.records, n);
    }
}

#[test]
fn splunk_raw_xml_events_give_what_their_json_lines_give() {
    // The same 565 events: rendered as Event XML, each wrapped the way a Splunk
    // JSON export of `XmlWinEventLog` writes it, and as evtx_dump JSON lines.
    let xml = String::from_utf8_lossy(&read(&shared(
        "xml/PanacheSysmon_vs_AtomicRedTeam01.events.xml",
    )))
    .into_owned();
    let mut splunk = String::new();
    for piece in xml.split("<Event xmlns=").skip(1) {
        let end = piece.find("</Event>").expect("closed event") + "</Event>".len();
        let raw = format!("<Event xmlns={}", &piece[..end]);
        let line = serde_json::json!({
            "preview": false,
            "result": {"_time": "2019-07-19T00:00:00.000+00:00", "host": "splunk-fwd",
                       "sourcetype": "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
                       "_raw": raw}
        });
        splunk.push_str(&line.to_string());
        splunk.push('\n');
    }
    let (s, s_rows) = scan(splunk.as_bytes(), 64 << 10);
    let lines = read(&shared(
        "xml/PanacheSysmon_vs_AtomicRedTeam01.evtx_dump.jsonl",
    ));
    let (j, j_rows) = scan(&lines, 64 << 10);
    assert_eq!(s.skipped, 0);
    assert_eq!(
        (
            s.records,
            s.process_creations,
            s.shell,
            s.flagged,
            &s.other_events
        ),
        (
            j.records,
            j.process_creations,
            j.shell,
            j.flagged,
            &j.other_events
        )
    );
    assert_eq!((s.records, s.flagged), (565, 21));
    assert_eq!(rule_output(&s, &s_rows), rule_output(&j, &j_rows));
}
