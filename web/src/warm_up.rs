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
//! Sysmon and Security EVTX log ([`cmdhunt_core::synth`]) [`EVTX_SCALE`]
//! times as large: an EVTX decoder's hot functions run once per 64 KiB
//! chunk, each a loop over the chunk's records, and with the log the size
//! of the others (32 chunks) the decode of a 256 MB synthetic log still
//! recompiled 260 ms of functions (V8's log, 96 functions; 115 ms with a
//! log four times as large).

use cmdhunt_core::event::{Record, RecordClass, RecordSink, Skip};
use cmdhunt_core::feed::Feed;
use cmdhunt_core::format::evtx::EvtxDecoder;
use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::split;
use serde::Serialize;

use crate::protocol;
use crate::sample::SAMPLE_CSV;
use crate::session::{ScanSession, PROGRESS_INTERVAL_MS};
use crate::split_job::{cut_of, SplitOut};
use crate::state::{Action, AppState, NewFile};

/// How many bytes of each input the page's warm-up scans (each is scanned
/// whole and then as two ranges): enough for the hot functions to be
/// recompiled, a few tens of milliseconds in a worker.
pub const WARM_UP_BYTES: usize = 2 << 20;

/// How many times [`WARM_UP_BYTES`] (or the bytes asked for) the EVTX input is.
pub const EVTX_SCALE: usize = 4;

/// The job number of the scratch page's one file (the first the page gives).
const JOB: u32 = 1;

/// The pieces inputs are pushed in: small, so that the functions called
/// once per piece are called often enough to count as hot.
const PIECE_BYTES: usize = 16 << 10;

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
    /// For the EVTX log: records (and skips) of its first `bytes`
    /// ([`rendered_part`]) decoded with every record rendered
    /// ([`EvtxDecoder::rendering_every_record`]).
    pub rendered: Option<u64>,
}

/// The synthetic inputs, about `bytes` each (the EVTX log [`EVTX_SCALE`]
/// times that): `(name, bytes)`.
pub fn inputs(bytes: usize) -> Vec<(&'static str, Vec<u8>)> {
    let csv = repeated_sample(bytes);
    let jsonl = json_lines(&csv);
    let evtx = cmdhunt_core::synth::log_of_size(bytes.saturating_mul(EVTX_SCALE), EVTX_SEED);
    vec![
        ("warm-up.csv", csv),
        ("warm-up.jsonl", jsonl),
        ("warm-up.evtx", evtx),
    ]
}

/// The sample export with its records repeated until it holds `bytes`,
/// each copy a year earlier than the one before (so that the times span
/// years, as a long export's do, and the timeline coarsens its bins).
fn repeated_sample(bytes: usize) -> Vec<u8> {
    let header_end = SAMPLE_CSV
        .iter()
        .position(|&b| b == b'\n')
        .map_or(SAMPLE_CSV.len(), |i| i + 1);
    let (header, rows) = SAMPLE_CSV.split_at(header_end);
    let mut out = Vec::with_capacity(bytes + SAMPLE_CSV.len());
    out.extend_from_slice(header);
    for copy in 0.. {
        if out.len() >= bytes || rows.is_empty() {
            break;
        }
        let year = format!("{:04}-", SAMPLE_YEAR - copy % 400);
        let from = out.len();
        out.extend_from_slice(rows);
        let years = rows.windows(SAMPLE_YEAR_TEXT.len()).enumerate();
        for (at, _) in years.filter(|(_, w)| *w == SAMPLE_YEAR_TEXT) {
            out[from + at..from + at + year.len()].copy_from_slice(year.as_bytes());
        }
    }
    out
}

/// The seed of the synthetic EVTX log's host ([`cmdhunt_core::synth`]).
const EVTX_SEED: u64 = 0x5eed;

/// The year of the sample's times.
const SAMPLE_YEAR: usize = 2024;
const SAMPLE_YEAR_TEXT: &[u8] = b"2024-";

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

/// Scan every input of about `bytes` whole and as two ranges, as a file's
/// workers and the page would: every message is framed, read back and
/// applied to a scratch page state (through a [`SplitJob`] for the ranges),
/// whose account of the file is reported.
pub fn warm_up(bytes: usize) -> Vec<WarmedUp> {
    let rule = CompiledRule::new();
    inputs(bytes)
        .into_iter()
        .map(|(name, input)| {
            let whole = scan_whole(&rule, name, &input);
            WarmedUp {
                name: name.to_owned(),
                bytes: input.len() as u64,
                records: whole.records,
                flagged: whole.flagged,
                skipped: whole.skipped,
                split_records: scan_split(&rule, name, &input).map(|s| s.records),
                rendered: (cmdhunt_core::format::sniff(&input) == Some(Format::Evtx))
                    .then(|| rendered(rendered_part(&input, bytes))),
            }
        })
        .collect()
}

/// The part of the EVTX input the warm-up renders: its first `bytes`, cut
/// at a chunk boundary (a log of its own).
pub fn rendered_part(input: &[u8], bytes: usize) -> &[u8] {
    use cmdhunt_core::format::evtx::{CHUNK_BYTES, FILE_HEADER_BYTES};
    let chunks = bytes.saturating_sub(FILE_HEADER_BYTES) / CHUNK_BYTES;
    &input[..input
        .len()
        .min(FILE_HEADER_BYTES + chunks.max(1) * CHUNK_BYTES)]
}

/// The records (and skips) of `log`, each rendered by `evtx` and read from
/// its XML, as a scan reads them: the path of the records real logs hold
/// that cannot be read from their values (the synthetic log has none).
/// Without it, a real log's first scan recompiled about 350 ms of that
/// path's functions (V8's log: 68 functions, `evtx`'s renderer first).
fn rendered(log: &[u8]) -> u64 {
    /// Counts what it is given, asking each process creation what the
    /// scan asks.
    struct Read(u64);
    impl RecordSink for Read {
        fn record(&mut self, r: &dyn Record) {
            self.0 += 1;
            if r.class() == RecordClass::ProcessCreation {
                let _ = (r.timestamp(), r.file_name(), r.process_ids());
                let _ = r.event();
            }
        }
        fn skip(&mut self, _: Skip) {
            self.0 += 1;
        }
    }
    let decoder = Box::new(EvtxDecoder::rendering_every_record());
    let mut feed = Feed::with_decoder(Format::Evtx, decoder);
    let mut read = Read(0);
    for piece in log.chunks(PIECE_BYTES) {
        feed.push(piece, &mut read);
    }
    let _ = feed.finish(&mut read);
    read.0
}

/// A worker's messages: a session fed `input` in pieces, framed.
struct Worker<'r> {
    session: ScanSession<'r>,
    name: &'static str,
    now: f64,
}

impl<'r> Worker<'r> {
    fn push(&mut self, input: &[u8], frames: &mut Vec<Vec<u8>>) {
        for piece in input.chunks(PIECE_BYTES) {
            self.now += PROGRESS_INTERVAL_MS;
            let messages = self.session.push(piece, self.now);
            frames.extend(messages.iter().map(|m| protocol::frame(m, self.name)));
        }
    }

    fn end_range(&mut self, frames: &mut Vec<Vec<u8>>) {
        let (messages, _) = self.session.end_range();
        frames.extend(messages.iter().map(|m| protocol::frame(m, self.name)));
    }

    fn finish(self, frames: &mut Vec<Vec<u8>>) {
        let messages = self.session.finish();
        frames.extend(messages.iter().map(|m| protocol::frame(m, self.name)));
    }
}

/// A scratch page state holding file `name` of `size` bytes, started.
fn page_state(name: &str, size: usize) -> AppState {
    let mut state = AppState::default();
    state.apply(Action::AddFiles(vec![NewFile::new(name, size as u64)]));
    state.apply(Action::Started {
        job: JOB,
        now_ms: 0.0,
    });
    state
}

/// The page's account of its one file once it is done.
fn account(state: &AppState) -> Account {
    let file = state.files.first();
    Account {
        records: file.map_or(0, |f| f.live.records),
        flagged: state.rows.len() as u64,
        skipped: file.map_or(0, |f| f.live.skipped),
    }
}

/// What the scratch page shows of a file.
struct Account {
    records: u64,
    flagged: u64,
    skipped: u64,
}

fn scan_whole(rule: &CompiledRule, name: &'static str, input: &[u8]) -> Account {
    let mut state = page_state(name, input.len());
    let Ok(session) = ScanSession::new(rule, JOB, 0, name, None) else {
        return account(&state);
    };
    let mut worker = Worker {
        session,
        name,
        now: 0.0,
    };
    let mut frames = Vec::new();
    worker.push(input, &mut frames);
    worker.finish(&mut frames);
    for frame in frames {
        if let Ok(message) = protocol::unframe(&frame) {
            state.apply(Action::Worker(message, PROGRESS_INTERVAL_MS));
        }
    }
    account(&state)
}

/// Scan `input` as two ranges cut where the page would cut it, and merge
/// them as the page does; `None` when the page would not split it.
fn scan_split(rule: &CompiledRule, name: &'static str, input: &[u8]) -> Option<Account> {
    let size = input.len() as u64;
    let head = &input[..input.len().min(split::HEAD_BYTES)];
    let (start, end) = split::window(size, 0.5);
    let window = (start, &input[start as usize..end as usize]);
    let cut = cut_of(head, size, None).or_else(|| cut_of(head, size, Some(window)))?;
    let [first, second] = cut.ranges(size).map(|range| {
        // As the page tells them: a later range's format is forced.
        let format = (range.start > 0).then(|| range.kind.format().name());
        let session = ScanSession::new(rule, JOB, 0, name, format).ok()?;
        let session = session.for_range(&range, Some(&cut.header)).ok()?;
        Some(Worker {
            session,
            name,
            now: 0.0,
        })
    });
    let (first, second, job) = (first?, second?, cut.job(JOB, size));
    let cut = cut.boundary as usize;
    // As on the page: the first range's worker reads its bytes (and, for
    // an EVTX log or JSON lines, waits for the page's word), the second
    // reads its own, then the first finishes.
    let (mut first, mut second) = (first, second);
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    first.push(&input[..cut], &mut a);
    first.end_range(&mut a);
    second.push(&input[cut..], &mut b);
    second.end_range(&mut b);
    second.finish(&mut b);
    first.finish(&mut c);
    let mut state = page_state(name, input.len());
    let mut job = job;
    let ranges = a.iter().map(|f| (0, f)).chain(b.iter().map(|f| (1, f)));
    for (range, frame) in ranges.chain(c.iter().map(|f| (0, f))) {
        let Ok(message) = protocol::unframe(frame) else {
            continue;
        };
        for out in job.receive(range, message) {
            match out {
                SplitOut::Message(m) => state.apply(Action::Worker(m, PROGRESS_INTERVAL_MS)),
                SplitOut::Read(bytes) => state.apply(Action::Read {
                    job: JOB,
                    bytes,
                    now_ms: PROGRESS_INTERVAL_MS,
                }),
                SplitOut::StopSecond | SplitOut::Decide(_) => {}
            }
        }
    }
    Some(account(&state))
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
        assert_eq!(names, ["warm-up.csv", "warm-up.jsonl", "warm-up.evtx"]);
        for (w, (_, input)) in report.iter().zip(inputs(WARM_UP_BYTES)) {
            let (summary, rows) = scan_all(&input, 0, None);
            // (The EVTX log is whole chunks, up to that size.)
            assert!(w.bytes >= WARM_UP_BYTES as u64 * 9 / 10, "{w:?}");
            assert_eq!(
                (w.records, w.flagged, w.skipped),
                (summary.records, rows.len() as u64, summary.skipped),
                "{w:?}"
            );
            assert!(w.records > 1000 && w.flagged > 50, "{w:?}");
            assert_eq!(w.split_records, Some(w.records), "{w:?}");
            // The EVTX log's first part, every record rendered: the records
            // the value path reads in the same bytes.
            if w.name.ends_with(".evtx") {
                let (part, _) = scan_all(rendered_part(&input, WARM_UP_BYTES), 0, None);
                assert!(part.records > 1000, "{part:?}");
                assert_eq!(w.rendered, Some(part.records), "{w:?}");
            } else {
                assert_eq!(w.rendered, None, "{w:?}");
            }
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
