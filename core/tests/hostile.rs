//! Hostile and broken input: exports from compromised hosts and half-copied
//! disks. Every case is generated here (nothing big is committed) and scanned
//! with format auto-detection and with every format forced, whole and in
//! small chunks. Whatever the bytes, a scan must not panic, must finish (a
//! watchdog turns a hang into a failure), must account for every record
//! (`records == analysed + skipped`), must give every skip a reason and a
//! position and every fatal error a message; the memory-heavy cases measure
//! peak RSS (`VmHWM`) in a child process.
//!
//! Regression tests for decoder bugs found by fuzzing (`scripts/fuzz.sh`) are
//! at the end, under "Fuzz regressions".

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use cmdhunt_core::format::{DecodeErrorKind, Format, MAX_RECORD_BYTES};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

mod common;
use common::Rng;
use common::{child_report, scan_in, vm_hwm_bytes, xlsx};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// A Defender `DeviceProcessEvents` header (the rule's columns).
const HEADER: &str =
    "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName\n";

/// A scan that takes longer than this is a hang (debug build, 2 busy cores).
const HANG_LIMIT: Duration = Duration::from_secs(900);

/// Scan `bytes` in `chunk`-byte pushes, format forced or (`None`) sniffed.
fn scan(bytes: &[u8], format: Option<Format>, chunk: usize) -> (FileSummary, Vec<FlaggedRow>) {
    scan_in(bytes, "hostile", format, chunk)
}

/// The counts that must not depend on chunking.
fn counts(s: &FileSummary) -> (Option<Format>, u64, u64, u64, u64, u64) {
    (
        s.format,
        s.records,
        s.analysed(),
        s.skipped,
        s.flagged,
        s.bad_timestamps,
    )
}

/// Counts only: summaries of big inputs are too large to print.
fn brief(s: &FileSummary) -> String {
    let first_skip = s.skips.first().map(|k| (k.position, &k.reason));
    format!(
        "format {:?}, records {}, analysed {}, skipped {}, flagged {}, first skip {:?}, error {:?}",
        s.format,
        s.records,
        s.analysed(),
        s.skipped,
        s.flagged,
        first_skip,
        s.error
    )
}

/// What every scan must keep, whatever its input.
fn assert_sound(case: &str, len: usize, s: &FileSummary, rows: &[FlaggedRow]) {
    let b = brief(s);
    assert_eq!(
        s.records,
        s.analysed() + s.skipped,
        "{case}: accounting: {b}"
    );
    assert_eq!(s.bytes, len as u64, "{case}: bytes counted: {b}");
    assert_eq!(
        s.flagged,
        rows.len() as u64,
        "{case}: one row per flag: {b}"
    );
    for skip in &s.skips {
        assert!(
            !skip.reason.trim().is_empty(),
            "{case}: skip without reason: {b}"
        );
        assert!(
            skip.position.record >= 1,
            "{case}: skip without record number: {skip:?}"
        );
        assert!(
            skip.position.record <= s.records,
            "{case}: skip past the end: {skip:?}"
        );
        assert!(
            skip.position.byte <= len as u64,
            "{case}: skip byte past the end: {skip:?}"
        );
    }
    if let Some(e) = &s.error {
        assert!(
            !e.message.trim().is_empty(),
            "{case}: error without message"
        );
        assert!(
            e.position.byte <= len as u64,
            "{case}: error byte past the end: {e:?}"
        );
    }
}

/// Run `f` on its own thread; a panic fails the test, so does a hang.
fn guarded<T: Send + 'static>(case: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(case.to_owned())
        .stack_size(8 << 20)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn a scan thread");
    match rx.recv_timeout(HANG_LIMIT) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{case}: no result after {HANG_LIMIT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker sends before it ends"),
        },
    }
}

/// Scan `bytes` sniffed and with every format forced, at each of `chunks`;
/// check soundness everywhere and that counts do not depend on chunking.
/// Returns the sniffed scan at the first chunking, and the forced ones.
fn every_way(
    case: &str,
    bytes: Vec<u8>,
    chunks: &'static [usize],
) -> (FileSummary, Vec<FlaggedRow>, Vec<FileSummary>) {
    let name = case.to_owned();
    guarded(case, move || {
        let mut first = None;
        let mut forced = Vec::new();
        for format in std::iter::once(None).chain(Format::ALL.map(Some)) {
            let mut baseline = None;
            for &chunk in chunks {
                let label = format!("{name} ({format:?}, chunks of {chunk})");
                let (summary, rows) = scan(&bytes, format, chunk);
                assert_sound(&label, bytes.len(), &summary, &rows);
                let c = counts(&summary);
                match &baseline {
                    None => baseline = Some(c),
                    Some(b) => assert_eq!(b, &c, "{label}: counts depend on chunking"),
                }
                if format.is_none() && first.is_none() {
                    first = Some((summary, rows));
                } else if chunk == chunks[0] {
                    forced.push(summary);
                }
            }
        }
        let (summary, rows) = first.expect("the sniffed scan ran");
        (summary, rows, forced)
    })
}

/// Chunkings for small inputs: whole, byte by byte, odd, page-sized.
const SMALL: &[usize] = &[usize::MAX, 1, 7, 4096];
/// Chunkings for inputs of many megabytes.
const BIG: &[usize] = &[1 << 20, 65_521];

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut out = HEADER.as_bytes().to_vec();
    for row in rows {
        out.extend_from_slice(row.as_bytes());
        out.push(b'\n');
    }
    out
}

/// A flagged cmd.exe row whose command line is `cmd`.
fn flagged_row(cmd: &str) -> String {
    format!("2024-05-01T10:00:00Z,ws1,bob,cmd.exe,\"{cmd}\",explorer.exe")
}

fn json_line(cmd: &str) -> String {
    let cmd = cmd.replace('\\', "\\\\");
    format!(
        "{{\"Timestamp\":\"2024-05-01T10:00:00Z\",\"DeviceName\":\"ws1\",\"AccountName\":\"bob\",\
         \"ActionType\":\"ProcessCreated\",\"FileName\":\"cmd.exe\",\"ProcessCommandLine\":\"{cmd}\",\
         \"InitiatingProcessFileName\":\"explorer.exe\"}}\n"
    )
}

#[test]
fn empty_file_is_an_error_naming_it() {
    let (s, _, forced) = every_way("empty", Vec::new(), SMALL);
    assert_eq!(s.records, 0);
    let e = s.error.expect("an empty file is reported");
    assert_eq!(e.kind, DecodeErrorKind::Empty, "{e}");
    // Forced CSV says why it read nothing too.
    assert!(forced[0].error.is_some(), "{}", brief(&forced[0]));
}

#[test]
fn whitespace_only_file_is_an_error() {
    let (s, _, _) = every_way("blank", b" \r\n\t\n\n".to_vec(), SMALL);
    assert_eq!(s.records, 0);
    assert!(s.error.is_some(), "{}", brief(&s));
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5EED);
    for (i, prefix) in [&b""[..], b"ElfFile\0", b"PK\x03\x04", b"{", b"<", b"a,b\n"]
        .iter()
        .enumerate()
    {
        let mut bytes = prefix.to_vec();
        bytes.extend(rng.bytes(256 << 10));
        every_way(
            &format!("random {i} ({prefix:?})"),
            bytes,
            &[usize::MAX, 4093],
        );
    }
}

/// Fuzz/hostile regression: a file cut (or zeroed) inside a chunk lost the
/// chunk's later records silently (`evtx` takes zeroes for free space); each
/// record the chunk header lists is now read or reported as skipped.
#[test]
fn evtx_cut_mid_chunk_reports_every_listed_record() {
    let path = format!("{DATA}/evtx-samples/samples/security.evtx");
    let full = std::fs::read(&path).expect("read shared EVTX sample");
    let two_chunks = &full[..4096 + 2 * 65536];
    let (whole, _) = scan(two_chunks, None, usize::MAX);
    assert_eq!(whole.format, Some(Format::Evtx));
    assert_eq!(
        (whole.skipped, &whole.error),
        (0, &None),
        "{}",
        brief(&whole)
    );
    let (first_chunk, _) = scan(&full[..4096 + 65536], None, usize::MAX);
    assert!(first_chunk.records > 0 && first_chunk.records < whole.records);
    // Cut in the middle of the second chunk: the records before the cut are
    // read, the rest are skips naming the record and the cut.
    let cut = 4096 + 65536 + 30_000;
    let (s, _, _) = every_way("evtx cut", full[..cut].to_vec(), &[usize::MAX, 4096, 777]);
    assert_eq!(s.format, Some(Format::Evtx));
    assert_eq!(s.records, whole.records, "{}", brief(&s));
    assert!(s.analysed() > first_chunk.records, "{}", brief(&s));
    assert!(s.skipped > 0, "{}", brief(&s));
    for skip in &s.skips {
        assert_eq!(skip.kind, DecodeErrorKind::Truncated, "{}", skip.reason);
        assert!(skip.position.byte <= cut as u64, "{skip:?}");
    }
    // The same chunk zeroed from there on (a half-copied disk): same account.
    let mut zeroed = two_chunks.to_vec();
    zeroed[cut..].fill(0);
    let (s, _, _) = every_way("evtx zeroed tail", zeroed, &[usize::MAX, 4096]);
    assert_eq!(s.records, whole.records, "{}", brief(&s));
    assert!(s.skipped > 0, "{}", brief(&s));
    for skip in &s.skips {
        assert_eq!(skip.kind, DecodeErrorKind::EvtxRecord, "{}", skip.reason);
    }
    // Cut just after the file header: no chunk at all.
    let (s, _, _) = every_way("evtx header only", full[..4096].to_vec(), SMALL);
    assert_eq!((s.format, s.records), (Some(Format::Evtx), 0));
    // Cut inside the file header.
    let (s, _, _) = every_way("evtx cut header", full[..100].to_vec(), SMALL);
    assert_eq!(s.records, 0);
    assert_eq!(
        s.error.as_ref().map(|e| e.kind),
        Some(DecodeErrorKind::Truncated),
        "{}",
        brief(&s)
    );
}

#[test]
fn csv_unbalanced_quote_is_one_skip_to_the_end() {
    let bytes = csv(&[
        &flagged_row("cmd /c reg add HKCU\\a"),
        &flagged_row("cmd /c reg add HKCU\\b"),
        "2024-05-01T10:00:00Z,ws1,bob,cmd.exe,\"cmd /c reg add HKCU\\c,explorer.exe",
        "2024-05-01T10:00:00Z,ws1,bob,cmd.exe,cmd /c reg add HKCU\\d,explorer.exe",
    ]);
    let (s, rows, _) = every_way("unbalanced quote", bytes, SMALL);
    assert_eq!(s.format, Some(Format::Csv));
    assert_eq!(
        (s.records, s.flagged, s.skipped),
        (3, 2, 1),
        "{}",
        brief(&s)
    );
    let skip = &s.skips[0];
    assert_eq!(skip.kind, DecodeErrorKind::CsvQuote, "{}", skip.reason);
    assert_eq!((skip.position.record, skip.position.line), (3, 4));
    assert_eq!(rows[1].event.process_command_line, "cmd /c reg add HKCU\\b");
}

/// A command line of `len` bytes: a flagged prefix, then `A`s.
fn long_command(len: usize) -> String {
    let mut cmd = String::from("cmd /c reg add HKCU\\x /d ");
    cmd.extend(std::iter::repeat_n('A', len - cmd.len()));
    cmd
}

#[test]
fn csv_30_mb_field_is_analysed_whole() {
    let cmd = long_command(30 << 20);
    let bytes = csv(&[&flagged_row(&cmd), &flagged_row("cmd /c reg add HKCU\\y")]);
    let (s, rows, _) = every_way("csv 30 MB field", bytes, BIG);
    assert_eq!(
        (s.records, s.flagged, s.skipped),
        (2, 2, 0),
        "{}",
        brief(&s)
    );
    assert_eq!(rows[0].event.process_command_line, cmd);
}

#[test]
fn json_30_mb_field_is_analysed_whole() {
    let cmd = long_command(30 << 20);
    let mut bytes = json_line(&cmd).into_bytes();
    bytes.extend(json_line("cmd /c reg add HKCU\\y").bytes());
    let (s, rows, _) = every_way("json 30 MB field", bytes, BIG);
    assert_eq!(s.format, Some(Format::Json));
    assert_eq!(
        (s.records, s.flagged, s.skipped),
        (2, 2, 0),
        "{}",
        brief(&s)
    );
    assert_eq!(rows[0].event.process_command_line, cmd);
}

#[test]
fn record_over_the_cap_is_skipped_and_the_next_is_read() {
    let cmd = long_command(MAX_RECORD_BYTES + (1 << 20));
    let mut bytes = csv(&[&flagged_row(&cmd), &flagged_row("cmd /c reg add HKCU\\y")]);
    let (s, rows, _) = every_way("csv over cap", std::mem::take(&mut bytes), &[1 << 20]);
    assert_eq!(
        (s.records, s.skipped, s.flagged),
        (2, 1, 1),
        "{}",
        brief(&s)
    );
    assert_eq!(
        s.skips[0].kind,
        DecodeErrorKind::RecordTooLarge,
        "{}",
        s.skips[0].reason
    );
    assert_eq!(
        (s.skips[0].position.record, s.skips[0].position.line),
        (1, 2)
    );
    assert_eq!(rows[0].position.record, 2);
    assert_eq!(rows[0].event.process_command_line, "cmd /c reg add HKCU\\y");

    let mut bytes = json_line(&cmd).into_bytes();
    drop(cmd);
    bytes.extend(json_line("cmd /c reg add HKCU\\y").bytes());
    let (s, rows, _) = every_way("json over cap", bytes, &[1 << 20]);
    assert_eq!(
        (s.records, s.skipped, s.flagged),
        (2, 1, 1),
        "{}",
        brief(&s)
    );
    assert_eq!(s.skips[0].position.record, 1);
    assert_eq!(rows[0].event.process_command_line, "cmd /c reg add HKCU\\y");
}

#[test]
fn invalid_utf8_is_replaced_not_lost() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"2024-05-01T10:00:00Z,ws\xff\xfe1,bob,cmd.exe,cmd /c reg add \xc3\x28x,explorer.exe\n",
    );
    bytes.extend_from_slice(b"2024-05-01T10:00:00Z,ws2,b\x80ob,cmd.exe,cmd /c dir,winword.exe\n");
    let (s, rows, _) = every_way("csv invalid utf-8", bytes, SMALL);
    assert_eq!((s.records, s.flagged), (2, 2), "{}", brief(&s));
    assert_eq!(rows[0].event.device_name, "ws\u{FFFD}\u{FFFD}1");
    assert_eq!(
        rows[0].event.process_command_line,
        "cmd /c reg add \u{FFFD}(x"
    );
    assert_eq!(rows[1].event.account_name, "b\u{FFFD}ob");

    let mut bytes = json_line("cmd /c reg add \u{1}x").into_bytes();
    let at = bytes.iter().position(|&b| b == 1).expect("marker");
    bytes[at] = 0xff;
    bytes.extend(json_line("cmd /c reg add y").bytes());
    let (s, _, _) = every_way("json invalid utf-8", bytes, SMALL);
    // Each line is analysed or skipped with a reason; none vanishes.
    assert_eq!(s.records, 2, "{}", brief(&s));
    assert!(s.flagged >= 1, "{}", brief(&s));
}

/// Hostile-input regression: UTF-16 without a byte-order mark was read as
/// UTF-8 and refused with a misleading "header lacks required columns"; it
/// is now recognised and read, LE and BE, in CSV, JSON and XML.
#[test]
fn utf16_without_bom_is_read() {
    let csv_text = String::from_utf8(csv(&[&flagged_row("cmd /c reg add HKCU\\a")])).unwrap();
    let json_text = json_line("cmd /c reg add HKCU\\a");
    for (name, text, format) in [
        ("csv", &csv_text, Format::Csv),
        ("json", &json_text, Format::Json),
    ] {
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (order, bytes) in [("LE", le), ("BE", be)] {
            let (s, rows, _) =
                every_way(&format!("{name} UTF-16 {order} without BOM"), bytes, SMALL);
            assert_eq!(
                (s.format, s.records, s.flagged),
                (Some(format), 1, 1),
                "{}",
                brief(&s)
            );
            assert_eq!(rows[0].event.process_command_line, "cmd /c reg add HKCU\\a");
        }
    }
}

/// The "billion laughs" entity bomb around an event that would be flagged.
fn billion_laughs() -> Vec<u8> {
    let mut x = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        let refs = format!("&{prev};").repeat(10);
        x.push_str(&format!("<!ENTITY lol{i} \"{refs}\">\n"));
    }
    x.push_str(
        "]>\n<Events><Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\
         <System><Provider Name=\"Microsoft-Windows-Sysmon\"/><EventID>1</EventID>\
         <TimeCreated SystemTime=\"2024-05-01T10:00:00.000Z\"/><Computer>ws1</Computer></System>\
         <EventData><Data Name=\"Image\">C:\\Windows\\System32\\cmd.exe</Data>\
         <Data Name=\"CommandLine\">cmd /c reg add &lol9;</Data>\
         <Data Name=\"ParentImage\">C:\\x\\winword.exe</Data>\
         <Data Name=\"User\">D\\bob</Data></EventData></Event></Events>\n",
    );
    x.into_bytes()
}

#[test]
fn xml_entity_bomb_is_not_expanded() {
    let (s, rows, _) = every_way("billion laughs", billion_laughs(), SMALL);
    assert_eq!(s.format, Some(Format::Xml));
    assert_eq!(s.records, 1, "{}", brief(&s));
    for row in &rows {
        assert!(
            row.event.process_command_line.len() < 1000,
            "entity expanded"
        );
    }
}

#[test]
fn json_nested_two_million_deep_is_skipped() {
    const DEPTH: usize = 2_000_000;
    for (name, open, close) in [("arrays", "[", "]"), ("objects", "{\"a\":", "}")] {
        let mut bytes = open.repeat(DEPTH);
        bytes.push('1');
        bytes.push_str(&close.repeat(DEPTH));
        bytes.push('\n');
        bytes.push_str(&json_line("cmd /c reg add HKCU\\y"));
        let (s, rows, _) = every_way(
            &format!("json deep {name}"),
            bytes.into_bytes(),
            &[usize::MAX, 4096],
        );
        assert_eq!(s.format, Some(Format::Json));
        assert!(s.skipped >= 1 || s.error.is_some(), "{name}: {}", brief(&s));
        if name == "objects" {
            // A deep object stands alone, the next line is still read.
            assert_eq!(
                (s.records, s.skipped, s.flagged),
                (2, 1, 1),
                "{name}: {}",
                brief(&s)
            );
            assert_eq!(
                s.skips[0].kind,
                DecodeErrorKind::JsonTooDeep,
                "{}",
                s.skips[0].reason
            );
            assert_eq!(rows[0].position.record, 2);
        }
    }
}

#[test]
fn csv_duplicate_headers_keep_the_first_and_every_field() {
    let bytes = b"Timestamp,DeviceName,FileName,ProcessCommandLine,ProcessCommandLine,InitiatingProcessFileName,FileName\n\
                  2024-05-01T10:00:00Z,ws1,cmd.exe,cmd /c reg add HKCU\\a,cmd /c dir,explorer.exe,notepad.exe\n"
        .to_vec();
    let (s, rows, _) = every_way("duplicate headers", bytes, SMALL);
    assert_eq!((s.records, s.flagged), (1, 1), "{}", brief(&s));
    assert_eq!(rows[0].event.process_command_line, "cmd /c reg add HKCU\\a");
    let values: Vec<&str> = rows[0].fields.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(values.len(), 7);
    assert!(values.contains(&"cmd /c dir") && values.contains(&"notepad.exe"));
}

#[test]
fn out_of_range_timestamps_are_counted_and_the_rows_kept() {
    let bad = [
        "0000-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-02-30T00:00:00Z",
        "2024-05-01T24:00:01Z",
        "99999999999999999999999",
        "-1",
    ];
    let mut rows: Vec<String> = bad
        .iter()
        .map(|t| format!("{t},ws1,bob,cmd.exe,cmd /c reg add HKCU\\x,explorer.exe"))
        .collect();
    rows.push(flagged_row("cmd /c reg add HKCU\\ok"));
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let (s, flagged, _) = every_way("bad timestamps", csv(&refs), SMALL);
    assert_eq!((s.records, s.flagged), (8, 8), "{}", brief(&s));
    assert_eq!(s.bad_timestamps, bad.len() as u64);
    let (position, text) = s.first_bad_timestamp.expect("first bad time kept");
    assert_eq!((position.record, text.as_str()), (1, bad[0]));
    assert_eq!(
        flagged
            .iter()
            .filter(|r| r.event.timestamp.is_none())
            .count(),
        bad.len()
    );
}

#[test]
fn nul_bytes_are_data_not_terminators() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"2024-05-01T10:00:00Z,w\0s1,bob,cmd.exe,cmd /c reg\0 add x & reg add y,explorer.exe\n",
    );
    bytes.extend_from_slice(b"\0\0\0\0\n");
    bytes.extend_from_slice(b"2024-05-01T10:00:00Z,ws2,bob,cmd.exe,cmd /c dir,winword.exe\n");
    let (s, rows, _) = every_way("csv nul", bytes, SMALL);
    assert_eq!(
        (s.records, s.skipped, s.flagged),
        (3, 0, 2),
        "{}",
        brief(&s)
    );
    assert_eq!(rows[0].event.device_name, "w\0s1");

    let mut bytes = json_line("cmd /c reg add x").into_bytes();
    bytes.extend_from_slice(b"\0\0\0\n");
    bytes.extend(json_line("cmd /c reg add y").bytes());
    let (s, _, _) = every_way("json nul", bytes, SMALL);
    assert_eq!(s.flagged, 2, "{}", brief(&s));
    assert!(s.skipped >= 1, "stray NULs reported: {}", brief(&s));
}

#[test]
fn header_only_is_zero_records_without_error() {
    for bytes in [HEADER.as_bytes(), HEADER.trim_end().as_bytes()] {
        let (s, _, _) = every_way("header only", bytes.to_vec(), SMALL);
        assert_eq!((s.format, s.records), (Some(Format::Csv), 0));
        assert!(s.error.is_none(), "{}", brief(&s));
    }
    let (s, _, _) = every_way("empty json array", b"[]\n".to_vec(), SMALL);
    assert_eq!((s.format, s.records), (Some(Format::Json), 0));
    assert!(s.error.is_none(), "{}", brief(&s));
}

#[test]
fn mixed_line_ends_give_clean_values() {
    let bytes = b"Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName\r\n\
                  2024-05-01T10:00:00Z,ws1,bob,cmd.exe,cmd /c reg add a,explorer.exe\r\n\
                  2024-05-01T10:00:01Z,ws2,bob,cmd.exe,cmd /c reg add b,winword.exe\n\
                  \r\n\
                  2024-05-01T10:00:02Z,ws3,bob,cmd.exe,\"cmd /c reg add c\r\nnext\",explorer.exe\r\n\
                  2024-05-01T10:00:03Z,ws4,bob,cmd.exe,cmd /c reg add d,explorer.exe"
        .to_vec();
    let (s, rows, _) = every_way("crlf mix", bytes, SMALL);
    assert_eq!((s.records, s.flagged), (4, 4), "{}", brief(&s));
    let lines: Vec<(&str, &str, u64)> = rows
        .iter()
        .map(|r| {
            let e = &r.event;
            (
                e.process_command_line.as_str(),
                e.initiating_process_file_name.as_str(),
                r.position.line,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("cmd /c reg add a", "explorer.exe", 2),
            ("cmd /c reg add b", "winword.exe", 3),
            ("cmd /c reg add c\r\nnext", "explorer.exe", 5),
            ("cmd /c reg add d", "explorer.exe", 7),
        ]
    );
}

/// `tests/data/xss_corpus.csv` (see tests/data/README.md): markup, script
/// URLs, attribute breakouts, bidi overrides and terminal escapes in every
/// attacker-controlled field, and a 1 MiB command line. Every row must be
/// flagged (so it reaches the table) with its text exactly as the file has it,
/// as an independent CSV reader (the `csv` crate) reads it.
#[test]
fn xss_corpus_rows_are_all_flagged_with_exact_text() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/xss_corpus.csv");
    let bytes = std::fs::read(path).expect("read the XSS corpus fixture");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let expected: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_owned).collect())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (s, rows, _) = every_way("xss corpus", bytes, &[usize::MAX, 4096, 1]);
    assert_eq!(s.format, Some(Format::Csv));
    assert_eq!(
        (s.records, s.skipped),
        (expected.len() as u64, 0),
        "{}",
        brief(&s)
    );
    assert_eq!(rows.len(), expected.len(), "every row is flagged");
    assert!(expected
        .iter()
        .any(|r| r[column("ProcessCommandLine")].len() > 1 << 20));
    for (row, want) in rows.iter().zip(&expected) {
        let e = &row.event;
        let got = [
            &e.device_name,
            &e.account_name,
            &e.process_command_line,
            &e.initiating_process_file_name,
            &e.initiating_process_command_line,
        ];
        let names = [
            "DeviceName",
            "AccountName",
            "ProcessCommandLine",
            "InitiatingProcessFileName",
            "InitiatingProcessCommandLine",
        ];
        for (value, name) in got.into_iter().zip(names) {
            assert!(
                *value == want[column(name)],
                "{name} changed at {}",
                row.position
            );
        }
        let fields: Vec<(String, String)> =
            header.iter().cloned().zip(want.iter().cloned()).collect();
        assert!(row.fields == fields, "fields changed at {}", row.position);
    }
}

/// A one-sheet workbook: a header row and a flagged row, then `extra` rows.
fn workbook(extra: &str) -> Vec<u8> {
    let header = [
        "Timestamp",
        "DeviceName",
        "FileName",
        "ProcessCommandLine",
        "InitiatingProcessFileName",
    ];
    let row = [
        "2024-05-01T10:00:00Z",
        "ws1",
        "cmd.exe",
        "cmd /c reg add x",
        "explorer.exe",
    ];
    let rows = format!("{}{}{extra}", xlsx::row(1, &header), xlsx::row(2, &row));
    xlsx::workbook(xlsx::SHEET, &rows)
}

/// Fuzz regression (xlsx target): the decoder read the sheet as one dense
/// range, so a 2 KB workbook with cells at A1 and XFD1048576 asked for 550 GB
/// and aborted the process; a hostile cell reference (`ABCDEFGHIJ3`)
/// overflowed calamine's column arithmetic. Rows are now streamed, and a row
/// beyond Excel's last column is a skip with a reason.
#[test]
fn xlsx_dimension_bombs_stream_row_by_row() {
    let (s, rows, _) = every_way("xlsx plain", workbook(""), SMALL);
    assert_eq!(
        (s.format, s.records, s.flagged),
        (Some(Format::Xlsx), 1, 1),
        "{}",
        brief(&s)
    );
    assert_eq!(rows[0].position.line, 2);

    let far = "<row r=\"1048576\"><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>x</t></is></c></row>";
    let (s, _, _) = every_way("xlsx far corner", workbook(far), &[usize::MAX, 4096]);
    assert_eq!(
        (s.records, s.analysed(), s.flagged),
        (2, 2, 1),
        "{}",
        brief(&s)
    );

    let beyond = "<row r=\"3\"><c r=\"XFE3\" t=\"inlineStr\"><is><t>x</t></is></c></row>\
                  <row r=\"4\"><c r=\"ABCDEFGHIJ4\" t=\"inlineStr\"><is><t>x</t></is></c></row>\
                  <row r=\"5\"><c r=\"C5\" t=\"inlineStr\"><is><t>cmd.exe</t></is></c></row>";
    let (s, _, _) = every_way("xlsx beyond XFD", workbook(beyond), &[usize::MAX, 4096]);
    assert!(s.records >= 3 && s.skipped >= 1, "{}", brief(&s));
    assert_eq!(
        s.skips[0].kind,
        DecodeErrorKind::XlsxRowTooWide,
        "{}",
        s.skips[0].reason
    );
    assert_eq!(s.skips[0].position.line, 3);
}

// ---------------------------------------------------------------------------
// Peak memory, measured in a child process (`VmHWM` of a fresh test binary).

/// One mebibyte.
const MIB: u64 = 1 << 20;

/// Push `total` bytes of `unit` repeated, in pieces of about 1 MiB.
fn push_repeated(scan: &mut FileScan<'_>, unit: &[u8], total: u64) {
    let piece = unit.repeat((MIB as usize / unit.len()).max(1));
    let mut left = total;
    while left > 0 {
        let n = left.min(piece.len() as u64) as usize;
        scan.push(&piece[..n]);
        left -= n as u64;
    }
}

/// `count` CSV rows, one flagged cmd.exe row in 10,000 (flagged rows are kept).
fn push_csv_rows(scan: &mut FileScan<'_>, count: u64) {
    let mut block = String::new();
    for i in 0..count {
        if i % 10_000 == 0 {
            block.push_str(&flagged_row(&format!("cmd /c reg add HKCU\\{i}")));
        } else {
            block.push_str(&format!(
                "2024-05-01T10:00:00Z,ws{},bob,powershell.exe,powershell -nop -c Get-Item {i},explorer.exe",
                i % 97
            ));
        }
        block.push('\n');
        if block.len() > MIB as usize {
            scan.push(block.as_bytes());
            block.clear();
        }
    }
    scan.push(block.as_bytes());
}

/// `count` JSON lines, one flagged cmd.exe event in 10,000.
fn push_json_lines(scan: &mut FileScan<'_>, count: u64) {
    let mut block = String::new();
    for i in 0..count {
        let cmd = format!("cmd /c reg add HKCU\\{i}");
        let line = json_line(&cmd);
        if i % 10_000 == 0 {
            block.push_str(&line);
        } else {
            block.push_str(&line.replace("cmd.exe", "powershell.exe"));
        }
        if block.len() > MIB as usize {
            scan.push(block.as_bytes());
            block.clear();
        }
    }
    scan.push(block.as_bytes());
}

/// Scan a generated input, never holding all of it. Returns the summary, the
/// flagged rows and the input size.
fn stream_case(case: &str) -> (FileSummary, Vec<FlaggedRow>, u64) {
    let rule = CompiledRule::new();
    let mut scan = FileScan::new(&rule, 0, case, None);
    let over_cap = MAX_RECORD_BYTES as u64 + 16 * MIB;
    match case {
        "csv_over_cap" => {
            scan.push(HEADER.as_bytes());
            push_csv_rows(&mut scan, 100_000);
            scan.push(b"2024-05-01T10:00:00Z,ws1,bob,cmd.exe,\"cmd /c reg add ");
            push_repeated(&mut scan, b"A", over_cap);
            scan.push(b"\",explorer.exe\n");
            push_csv_rows(&mut scan, 100_000);
        }
        "csv_big" => {
            scan.push(HEADER.as_bytes());
            push_csv_rows(&mut scan, 3_000_000);
        }
        "json_over_cap" => {
            push_json_lines(&mut scan, 100_000);
            scan.push(br#"{"FileName":"cmd.exe","ProcessCommandLine":"cmd /c reg add "#);
            push_repeated(&mut scan, b"A", over_cap);
            scan.push(b"\"}\n");
            push_json_lines(&mut scan, 100_000);
        }
        "json_big" => push_json_lines(&mut scan, 1_200_000),
        "json_deep" => {
            push_repeated(&mut scan, b"[", 50 * MIB);
            push_repeated(&mut scan, b"]", 50 * MIB);
            push_json_lines(&mut scan, 10);
        }
        "xml_bomb" => scan.push(&billion_laughs()),
        "evtx_big" => {
            let path = format!("{DATA}/evtx-samples/samples/security.evtx");
            let file = std::fs::read(path).expect("read shared EVTX sample");
            scan.push(&file);
            let chunks = &file[4096..];
            let mut total = file.len() as u64;
            while total < 256 * MIB {
                scan.push(chunks);
                total += chunks.len() as u64;
            }
        }
        other => panic!("unknown case {other}"),
    }
    let bytes = scan.summary().bytes;
    let (summary, rows) = scan.finish();
    (summary, rows, bytes)
}

/// The child side of [`peak_rss`]: scans the case named by
/// `HOSTILE_RSS_CASE` and prints its account and peak RSS.
#[test]
#[ignore = "run by the rss_* tests in a child process"]
fn rss_child() {
    let case = std::env::var("HOSTILE_RSS_CASE").expect("HOSTILE_RSS_CASE names a case");
    let (s, rows, bytes) = stream_case(&case);
    assert_sound(&case, bytes as usize, &s, &rows);
    println!(
        "RSS-RESULT bytes={bytes} records={} skipped={} flagged={} error={} vmhwm={}",
        s.records,
        s.skipped,
        s.flagged,
        s.error.is_some(),
        vm_hwm_bytes()
    );
}

/// Run `case` in a fresh test process; returns its `key=value` report.
fn peak_rss(case: &str) -> std::collections::HashMap<String, u64> {
    child_report("HOSTILE_RSS_CASE", case)
}

#[test]
fn rss_over_cap_records_stay_under_three_caps() {
    for case in ["csv_over_cap", "json_over_cap"] {
        let r = peak_rss(case);
        assert_eq!((r["records"], r["skipped"]), (200_001, 1), "{case}: {r:?}");
        assert_eq!(r["flagged"], 20, "{case}: {r:?}");
        assert!(r["bytes"] > MAX_RECORD_BYTES as u64, "{case}: {r:?}");
        let bound = 3 * MAX_RECORD_BYTES as u64;
        assert!(
            r["vmhwm"] < bound,
            "{case}: peak RSS {} >= {bound}",
            r["vmhwm"]
        );
    }
}

#[test]
fn rss_big_files_stay_far_below_their_size() {
    for (case, records) in [("csv_big", 3_000_000), ("json_big", 1_200_000)] {
        let r = peak_rss(case);
        assert_eq!((r["records"], r["skipped"]), (records, 0), "{case}: {r:?}");
        assert!(r["bytes"] > 200 * MIB, "{case}: {r:?}");
        assert!(
            r["vmhwm"] < 64 * MIB,
            "{case}: peak RSS {} of {} bytes",
            r["vmhwm"],
            r["bytes"]
        );
    }
    let r = peak_rss("evtx_big");
    assert!(r["bytes"] >= 256 * MIB && r["records"] > 100_000, "{r:?}");
    assert!(r["vmhwm"] < 64 * MIB, "evtx_big: peak RSS {}", r["vmhwm"]);
}

#[test]
fn rss_bombs_stay_small() {
    let r = peak_rss("json_deep");
    assert_eq!((r["records"], r["skipped"]), (11, 1), "{r:?}");
    assert!(r["vmhwm"] < 64 * MIB, "json_deep: peak RSS {}", r["vmhwm"]);
    let r = peak_rss("xml_bomb");
    assert_eq!(r["records"], 1, "{r:?}");
    assert!(r["vmhwm"] < 64 * MIB, "xml_bomb: peak RSS {}", r["vmhwm"]);
}
