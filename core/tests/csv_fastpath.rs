//! The CSV fast paths (block record splitter, raw `ProcessCreated` check,
//! ISO timestamp reader, borrowed UTF-8 fields) must not change a single
//! result: a scan of generated `DeviceProcessEvents` exports, cut into random
//! chunks, is compared field by field with a naive scan built from the `csv`
//! crate and the reference KQL functions (`kql::has`, `kql::equals_ci`).
//!
//! The exports come from the benchmark's generator (`bench/src/gen.rs`), in
//! its "variety" mode too: other action types, mixed and unreadable
//! timestamps, non-ASCII command lines, CRLF line ends, embedded line breaks.

#[allow(dead_code)]
#[path = "../../bench/src/catalog.rs"]
mod catalog;
#[allow(dead_code)]
#[path = "../../bench/src/gen.rs"]
mod gen;

use std::collections::BTreeMap;

use cmdhunt_core::event::{Position, ProcessEvent};
use cmdhunt_core::format::Format;
use cmdhunt_core::kql::{equals_ci, has};
use cmdhunt_core::mapping;
use cmdhunt_core::matcher::{CompiledRule, Flags, Verdict};
use cmdhunt_core::rule::{Column, FLAGS, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};
use cmdhunt_core::time::Timestamp;

mod common;
use common::Rng;

/// The naive scan: `csv` crate records, reference functions, no shortcuts.
fn reference_scan(data: &[u8]) -> (FileSummary, Vec<FlaggedRow>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut records = reader.records();
    let header: Vec<String> = records
        .next()
        .expect("a header")
        .expect("a readable header")
        .iter()
        .map(str::to_string)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (c_time, c_action, c_file) = (col("Timestamp"), col("ActionType"), col("FileName"));
    let (c_cmd, c_parent) = (col("ProcessCommandLine"), col("InitiatingProcessFileName"));
    let (c_device, c_account) = (col("DeviceName"), col("AccountName"));
    let c_parent_cmd = col("InitiatingProcessCommandLine");

    let mut s = FileSummary {
        name: "generated.csv".into(),
        format: Some(Format::Csv),
        bytes: data.len() as u64,
        ..FileSummary::default()
    };
    let mut rows = Vec::new();
    for record in records {
        let record = record.expect("generated CSV is well formed");
        let p = record.position().expect("csv positions");
        // After a CRLF, csv-core ends the record at the `\r` and reports the
        // next one as starting on the `\n`, on the line before; cmdhunt
        // reports the record's first byte and line.
        let at_lf = data.get(p.byte() as usize) == Some(&b'\n');
        let position = Position {
            byte: p.byte() + u64::from(at_lf),
            line: p.line() + u64::from(at_lf),
            record: p.record(),
        };
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        s.records += 1;
        if let Err(label) = mapping::classify(Some(&field(c_action)), None) {
            *s.other_events.entry(label).or_insert(0) += 1;
            continue;
        }
        s.process_creations += 1;
        let text = field(c_time);
        let timestamp = if text.trim().is_empty() {
            None
        } else {
            let parsed = Timestamp::parse(&text);
            if parsed.is_none() {
                s.bad_timestamps += 1;
                if s.first_bad_timestamp.is_none() {
                    s.first_bad_timestamp = Some((position, text.clone()));
                }
            }
            parsed
        };
        if let Some(t) = timestamp {
            s.newest = Some(s.newest.map_or(t, |n| n.max(t)));
            s.oldest = Some(s.oldest.map_or(t, |o| o.min(t)));
        }
        if !equals_ci(&field(c_file), "cmd.exe") {
            continue;
        }
        s.shell += 1;
        s.shell_times.add(timestamp);
        let (cmd, parent) = (field(c_cmd), field(c_parent));
        let set = |text: &str, list: &[cmdhunt_core::rule::Needle]| {
            list.iter()
                .enumerate()
                .filter(|(_, n)| has(text, n.value))
                .fold(0u32, |acc, (i, _)| acc | 1 << i)
        };
        let flags = Flags(FLAGS.map(|f| {
            let text = match f.column {
                Column::ProcessCommandLine => &cmd,
                Column::InitiatingProcessFileName => &parent,
            };
            f.needles.iter().any(|n| has(text, n))
        }));
        let verdict = Verdict {
            patterns: set(&cmd, &SUSPICIOUS_PATTERNS),
            parents: set(&parent, &SUSPICIOUS_PARENTS),
            flags,
        };
        if !verdict.is_flagged() {
            continue;
        }
        s.flagged += 1;
        for (count, on) in s.flag_counts.iter_mut().zip(flags.0) {
            *count += u64::from(on);
        }
        rows.push(FlaggedRow {
            event: ProcessEvent {
                timestamp,
                device_name: field(c_device),
                account_name: field(c_account),
                file_name: field(c_file),
                process_command_line: cmd,
                initiating_process_file_name: parent,
                initiating_process_command_line: field(c_parent_cmd),
                parent_inferred: false,
            },
            verdict,
            detection: Default::default(),
            hardened: Default::default(),
            file: 0,
            position,
            fields: header
                .iter()
                .enumerate()
                .map(|(i, name)| (name.clone(), field(i)))
                .collect(),
        });
    }
    (s, rows)
}

fn scan_in_chunks(
    rule: &CompiledRule,
    data: &[u8],
    seed: u64,
    max: u64,
) -> (FileSummary, Vec<FlaggedRow>) {
    let mut scan = FileScan::new(rule, 0, "generated.csv", None);
    let mut sizes = Rng(seed);
    let mut at = 0;
    while at < data.len() {
        let end = (at + sizes.below(max as usize) + 1).min(data.len());
        scan.push(&data[at..end]);
        at = end;
    }
    scan.finish()
}

fn generated(seed: u64, bytes: u64, crlf: bool, variety: bool) -> (Vec<u8>, gen::GenStats) {
    let mut data = Vec::new();
    let opts = gen::GenOptions {
        seed,
        target_bytes: bytes,
        crlf,
        variety,
    };
    let stats = gen::generate(&opts, &mut data).expect("writing to memory");
    (data, stats)
}

fn assert_same(
    what: &str,
    got: &(FileSummary, Vec<FlaggedRow>),
    want: &(FileSummary, Vec<FlaggedRow>),
) {
    assert_eq!(got.0, want.0, "{what}: summary differs");
    assert_eq!(got.1.len(), want.1.len(), "{what}: row count differs");
    for (g, w) in got.1.iter().zip(&want.1) {
        assert_eq!(g, w, "{what}: row at {} differs", w.position);
    }
}

#[test]
fn generated_exports_scan_like_the_naive_reference_whatever_the_chunking() {
    let rule = CompiledRule::new();
    let cases = [
        (11, 3_000_000, false, true),
        (12, 2_000_000, true, true),
        (13, 2_000_000, false, false),
        (14, 1_000_000, true, false),
    ];
    for (seed, bytes, crlf, variety) in cases {
        let (data, stats) = generated(seed, bytes, crlf, variety);
        let want = reference_scan(&data);
        let what = format!("seed {seed}, crlf {crlf}, variety {variety}");
        // The reference agrees with the generator's own expectation...
        assert_eq!(want.0.records, stats.records, "{what}");
        assert_eq!(want.0.flagged, stats.flagged, "{what}");
        assert_eq!(want.0.shell, stats.shell, "{what}");
        // ...and the inputs exercise what they should.
        assert!(
            want.0.flagged > 0 && stats.multiline > 0,
            "{what}: {stats:?}"
        );
        if variety {
            assert!(
                want.0.bad_timestamps > 0 && !want.0.other_events.is_empty(),
                "{what}"
            );
        }
        // Whole file at once, big chunks (like the CLI), browser-sized, tiny.
        let whole = {
            let mut scan = FileScan::new(&rule, 0, "generated.csv", None);
            scan.push(&data);
            scan.finish()
        };
        assert_same(&format!("{what}, one push"), &whole, &want);
        for (chunk_seed, max) in [(1, 1 << 20), (2, 64 << 10), (3, 4096), (4, 97)] {
            let got = scan_in_chunks(&rule, &data, seed * 100 + chunk_seed, max);
            assert_same(&format!("{what}, chunks up to {max}"), &got, &want);
        }
    }
}

#[test]
fn other_events_are_counted_by_label() {
    // The variety corpus has ActionTypes that are not process creations; their
    // labels must come out exactly as the slow path spells them.
    let (data, _) = generated(21, 400_000, false, true);
    let want = reference_scan(&data);
    let labels: BTreeMap<_, _> = want.0.other_events.clone();
    assert!(
        labels.keys().any(|l| l == "ActionType FileCreated"),
        "{labels:?}"
    );
    let got = scan_in_chunks(&CompiledRule::new(), &data, 5, 1000);
    assert_eq!(got.0.other_events, labels);
}
