//! Warming the workers' code before the first file.
//!
//! Chromium runs a wasm function first as its baseline compiler (Liftoff)
//! wrote it, and recompiles it with its optimising one (TurboFan) once it
//! is hot, on background threads, while it keeps running. Without a warm-up
//! that happens during the analyst's first file: on the 2-core benchmark
//! machine the recompilation of the decoders took about 250 ms of CPU in
//! the middle of a 256 MB EVTX scan (the second file picked in the same
//! page ran 544 → 394 ms; a 300 MB CSV 333 → 275 ms: web/README.md,
//! "Warm-up"). The optimised code belongs to the module, which the page
//! and all its workers share.
//!
//! So while the page is idle, one worker (`crate::worker_pool`) scans small
//! synthetic inputs of each format the page splits, through the same
//! [`ScanSession`] and message frames a file's worker uses, whole and as two
//! ranges, so the functions a scan runs hot are recompiled before a file is
//! picked. Its report ([`WarmedUp`]) says what it scanned; the page keeps it
//! on `<html data-warm-up>` for the browser tests.
//!
//! The inputs: the built-in sample export ([`SAMPLE_CSV`]) with its rows
//! repeated, the same records as Defender JSON lines, and a synthetic
//! Sysmon and Security EVTX log ([`cmdhunt_core::synth`]).

use cmdhunt_core::event::{Record, RecordSink, Skip};
use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::split;
use serde::Serialize;

use crate::protocol::{self, FromWorker};
use crate::sample::SAMPLE_CSV;
use crate::session::{ScanSession, PROGRESS_INTERVAL_MS};

/// How many bytes of each input the page's warm-up scans (each is scanned
/// whole and then as two ranges): enough for the hot functions to be
/// recompiled, a few tens of milliseconds in a worker.
pub const WARM_UP_BYTES: usize = 2 << 20;

/// The pieces inputs are pushed in (as a stream's chunks would be).
const PIECE_BYTES: usize = 256 << 10;

/// What the warm-up scanned of one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarmedUp {
    /// The input's name (`warm-up.csv`, `warm-up.jsonl`, `warm-up.evtx`).
    pub name: String,
    /// Its size.
    pub bytes: u64,
    /// Records of the whole scan, flagged rows and skips.
    pub records: u64,
    /// Rows the whole scan flagged.
    pub flagged: u64,
    /// Records skipped.
    pub skipped: u64,
    /// Records of its two-range scan (equal to `records` when it split).
    pub split_records: Option<u64>,
}

/// The synthetic inputs, about `bytes` each: `(name, bytes)`.
pub fn inputs(bytes: usize) -> Vec<(&'static str, Vec<u8>)> {
    let csv = repeated_sample(bytes);
    let jsonl = json_lines(&csv);
    vec![("warm-up.csv", csv), ("warm-up.jsonl", jsonl)]
}

/// The sample export with its records repeated until it holds `bytes`.
fn repeated_sample(bytes: usize) -> Vec<u8> {
    let header_end = SAMPLE_CSV
        .iter()
        .position(|&b| b == b'\n')
        .map_or(SAMPLE_CSV.len(), |i| i + 1);
    let (header, rows) = SAMPLE_CSV.split_at(header_end);
    let mut out = Vec::with_capacity(bytes + SAMPLE_CSV.len());
    out.extend_from_slice(header);
    while out.len() < bytes && !rows.is_empty() {
        out.extend_from_slice(rows);
    }
    out
}

/// The records of a CSV export as JSON lines: one object per record, its
/// fields as strings in column order.
fn json_lines(csv: &[u8]) -> Vec<u8> {
    struct Lines(Vec<u8>);
    impl RecordSink for Lines {
        fn record(&mut self, record: &dyn Record) {
            let object: serde_json::Map<String, serde_json::Value> = record
                .fields()
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            if serde_json::to_writer(&mut self.0, &object).is_ok() {
                self.0.push(b'\n');
            }
        }
        fn skip(&mut self, _: Skip) {}
    }
    let mut lines = Lines(Vec::with_capacity(csv.len() * 2));
    let mut decoder = Format::Csv.decoder();
    let _ = decoder.push(csv, &mut lines);
    let _ = decoder.finish(&mut lines);
    lines.0
}

/// Scan every input of about `bytes` whole and as two ranges, encoding
/// every message as a worker would (and dropping it).
pub fn warm_up(bytes: usize) -> Vec<WarmedUp> {
    let rule = CompiledRule::new();
    inputs(bytes)
        .into_iter()
        .map(|(name, input)| {
            let done = scan_whole(&rule, name, &input);
            let split_records = scan_split(&rule, name, &input);
            WarmedUp {
                name: name.to_owned(),
                bytes: input.len() as u64,
                records: done.records,
                flagged: done.flagged,
                skipped: done.skipped,
                split_records,
            }
        })
        .collect()
}

/// Push `input` through `session` in pieces, then finish it; the final summary.
fn run(
    mut session: ScanSession<'_>,
    name: &str,
    input: &[u8],
    end_range: bool,
) -> cmdhunt_core::scan::FileSummary {
    let mut now = 0.0;
    let mut done = Default::default();
    let mut encode = |messages: Vec<FromWorker>| {
        for message in messages {
            std::hint::black_box(protocol::frame(&message, name));
            if let FromWorker::Done { summary, .. } = message {
                done = *summary;
            }
        }
    };
    for piece in input.chunks(PIECE_BYTES) {
        now += PROGRESS_INTERVAL_MS;
        encode(session.push(piece, now));
    }
    if end_range {
        encode(session.end_range().0);
    }
    encode(session.finish());
    done
}

fn scan_whole(rule: &CompiledRule, name: &str, input: &[u8]) -> cmdhunt_core::scan::FileSummary {
    match ScanSession::new(rule, 0, 0, name, None) {
        Ok(session) => run(session, name, input, false),
        Err(_) => Default::default(),
    }
}

/// Scan `input` as two ranges cut where the page would cut it; the
/// records of both, or `None` when the page would not split it.
fn scan_split(rule: &CompiledRule, name: &str, input: &[u8]) -> Option<u64> {
    let size = input.len() as u64;
    let head = &input[..input.len().min(split::HEAD_BYTES)];
    let (start, end) = split::window(size, 0.5);
    let window = &input[start as usize..end as usize];
    let session = |format| ScanSession::new(rule, 0, 0, name, format).ok();
    let (first, second) = match cmdhunt_core::format::sniff(head)? {
        Format::Csv => {
            let plan = split::plan(head, window, start, size)?;
            let cut = plan.boundary as usize;
            let header = &input[..plan.header_end];
            let first = run(session(None)?.first_range(&plan), name, &input[..cut], true);
            let second = session(Some("csv"))?.later_range(header, plan.boundary);
            (first, run(second, name, &input[cut..], true))
        }
        Format::Json => {
            let plan = split::json::plan(head, &[(start, window)], size)?;
            let cut = *plan.starts.first()? as usize;
            let first = session(None)?.json_first_range(plan.bom, cut as u64);
            let first = run(first, name, &input[..cut], true);
            let second = session(Some("json"))?.json_later_range(cut as u64);
            (first, run(second, name, &input[cut..], true))
        }
        Format::Evtx => {
            let plan = split::evtx::plan(head, size, 2)?;
            let (_, cut) = plan.ranges().next()?;
            let cut_at = cut as usize;
            let first = run(
                session(None)?.evtx_first_range(),
                name,
                &input[..cut_at],
                true,
            );
            let header = &input[..split::evtx::HEADER_BYTES];
            let second = session(Some("evtx"))?.evtx_later_range(header, cut).ok()?;
            (first, run(second, name, &input[cut_at..], true))
        }
        _ => return None,
    };
    Some(first.records + second.records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::scan_all;

    /// Every input reads to what a file's scan finds in it, and splits.
    #[test]
    fn every_input_scans_whole_and_split_to_the_core_s_counts() {
        let report = warm_up(WARM_UP_BYTES);
        let names: Vec<&str> = report.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["warm-up.csv", "warm-up.jsonl"]);
        for (w, (_, input)) in report.iter().zip(inputs(WARM_UP_BYTES)) {
            let (summary, rows) = scan_all(&input, 0, None);
            assert!(w.bytes >= WARM_UP_BYTES as u64, "{w:?}");
            assert_eq!(
                (w.records, w.flagged, w.skipped),
                (summary.records, rows.len() as u64, summary.skipped),
                "{w:?}"
            );
            assert!(w.records > 1000 && w.flagged > 100, "{w:?}");
            assert_eq!(w.split_records, Some(w.records), "{w:?}");
        }
    }

    /// The JSON lines input holds the CSV's records, as JSON.
    #[test]
    fn the_json_lines_are_the_csv_records() {
        let inputs = inputs(64 << 10);
        let (csv, jsonl) = (&inputs[0].1, &inputs[1].1);
        assert_eq!(cmdhunt_core::format::sniff(jsonl), Some(Format::Json));
        let (a, rows_a) = scan_all(csv, 0, None);
        let (b, rows_b) = scan_all(jsonl, 0, None);
        assert_eq!((a.records, a.flagged), (b.records, b.flagged));
        let lines = |rows: &[cmdhunt_core::scan::FlaggedRow]| -> Vec<String> {
            rows.iter()
                .map(|r| r.event.process_command_line.clone())
                .collect()
        };
        assert_eq!(lines(&rows_a), lines(&rows_b));
    }
}
