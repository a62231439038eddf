//! Passing over zero bytes unread (`FileScan::push_zeros`, what
//! `split::evtx::EvtxRangeScan::after` does for the chunks before a later
//! range) gives exactly what feeding them does: the same summary (bytes,
//! counts, every skip with its chunk number, byte and words) and the same
//! rows (every position), on the real logs in ../shared/data, at every chunk
//! boundary of the small ones and at seeded random ones of the big ones,
//! and where the decoder cannot pass over them in O(1) (inside the file
//! header, inside a chunk, a length that is not whole chunks, a scan that
//! has not recognised its format yet).

mod common;

use common::split::{assert_same, fresh, whole, Scan};
use common::{evtx_files, read, shared, Rng};

use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::FileScan;
use cmdhunt_core::split::evtx::{EvtxRangeScan, HEADER_BYTES};

/// The file header's bytes (chunks start after it).
const HEADER: usize = HEADER_BYTES;
const CHUNK: usize = 65536;
static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// `head`, then `zeros` zero bytes, then `tail`, in one scan; the zeros
/// either fed in pieces of at most 64 KiB or passed over with `push_zeros`.
fn scan(
    rule: &CompiledRule,
    format: Option<Format>,
    head: &[u8],
    zeros: usize,
    tail: &[u8],
    pass_over: bool,
) -> Scan {
    let mut s = fresh(rule, None, format);
    s.push(head);
    if pass_over {
        s.push_zeros(zeros as u64);
    } else {
        let mut left = zeros;
        while left > 0 {
            let n = left.min(CHUNK);
            s.push(&ZEROS[..n]);
            left -= n;
        }
    }
    for c in tail.chunks(CHUNK) {
        s.push(c);
    }
    s.finish()
}

/// A later range as `EvtxRangeScan::after` sets it up, against the same
/// range fed its zero blocks one by one (what `after` did before): equal
/// summaries and rows. Returns the rows and skips compared.
fn compare_range(rule: &CompiledRule, what: &str, data: &[u8], start: usize) -> (usize, usize) {
    let header = &data[..HEADER];
    let fed = scan(
        rule,
        Some(Format::Evtx),
        header,
        start - HEADER,
        &data[start..],
        false,
    );
    let scan = FileScan::new(rule, 1, "big", Some(Format::Evtx));
    let mut range =
        EvtxRangeScan::after(scan, &data[..HEADER_BYTES], start as u64).expect("a chunk boundary");
    for c in data[start..].chunks(CHUNK) {
        range.push(c);
    }
    let part = range.finish();
    assert_same(
        &format!("{what} from {start}"),
        &(part.summary, part.rows),
        &fed,
    );
    (fed.1.len(), fed.0.skips.len())
}

fn boundaries(size: usize) -> Vec<usize> {
    (1..)
        .map(|n| HEADER + n * CHUNK)
        .take_while(|&b| b < size)
        .collect()
}

/// Every shared log with more than one chunk, at every chunk boundary (up
/// to 20) or 20 seeded random ones: passed over = fed. Later ranges hold
/// flagged rows and skips, so their positions and skip words (which name
/// the chunk) are compared too.
#[test]
fn passing_over_the_chunks_before_a_range_equals_feeding_them() {
    let rule = CompiledRule::new();
    let mut rng = Rng(15);
    let (mut logs, mut ranges, mut rows, mut skips) = (0, 0, 0, 0);
    for path in evtx_files(&shared("")) {
        let data = read(&path);
        let mut starts = boundaries(data.len());
        if starts.is_empty() {
            continue;
        }
        if starts.len() > 20 {
            starts = (0..20).map(|_| starts[rng.below(starts.len())]).collect();
        }
        logs += 1;
        for start in starts {
            let (r, s) = compare_range(&rule, &path.display().to_string(), &data, start);
            ranges += 1;
            rows += r;
            skips += s;
        }
    }
    assert!(logs >= 15, "{logs} logs");
    assert!(
        rows >= 50 && skips >= 10,
        "{ranges} ranges: {rows} rows, {skips} skips"
    );
}

/// The same on a log damaged here (a chunk zeroed, a chunk's magic broken,
/// cut inside a chunk): skips after the zeros name their chunk.
#[test]
fn passing_over_equals_feeding_on_damaged_logs() {
    let rule = CompiledRule::new();
    let base = read(&shared(
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    ));
    let at = |n: usize| HEADER + n * CHUNK;
    let mut zeroed = base.clone();
    zeroed[at(3)..at(4)].fill(0);
    let mut magic = base.clone();
    magic[at(4)..at(4) + 8].copy_from_slice(b"XXXXXXXX");
    let cut = base[..at(4) + 30_000].to_vec();
    let mut skips = 0;
    for (what, data) in [("zeroed", &zeroed), ("magic", &magic), ("cut", &cut)] {
        for start in boundaries(data.len()) {
            skips += compare_range(&rule, what, data, start).1;
        }
    }
    assert!(skips >= 10, "{skips} skips");
}

/// Zeros the decoder cannot pass over in O(1) are fed: the result is still
/// feeding's, wherever they fall (and the whole log's, when they replace
/// bytes that were zero).
#[test]
fn zeros_anywhere_give_the_result_of_feeding_them() {
    let rule = CompiledRule::new();
    let data = read(&shared("evtx-samples/samples/security.evtx"));
    let mut rng = Rng(7);
    // (bytes before the zeros, how many zeros)
    let mut cases = vec![
        (0, HEADER),           // before the format is recognised
        (100, CHUNK),          // inside the file header
        (HEADER, CHUNK - 8),   // not whole chunks
        (HEADER, 3 * CHUNK),   // whole chunks at a boundary (O(1))
        (HEADER + 512, CHUNK), // inside a chunk
        (HEADER + CHUNK, 0),   // nothing
    ];
    for _ in 0..8 {
        cases.push((rng.below(data.len()), rng.below(3 * CHUNK)));
    }
    for (format, name) in [(Some(Format::Evtx), "forced"), (None, "sniffed")] {
        for &(head, zeros) in &cases {
            let what = format!("{name}: {head} bytes, then {zeros} zeros");
            let fed = scan(&rule, format, &data[..head], zeros, &data[head..], false);
            let passed = scan(&rule, format, &data[..head], zeros, &data[head..], true);
            assert_same(&what, &passed, &fed);
        }
    }
    // Chunks after the header that are zero anyway: the whole log's result.
    let mut blank = data[..HEADER].to_vec();
    blank.resize(HEADER + 2 * CHUNK, 0);
    blank.extend_from_slice(&data[HEADER..]);
    let want = whole(&rule, None, &blank);
    let got = scan(
        &rule,
        None,
        &data[..HEADER],
        2 * CHUNK,
        &data[HEADER..],
        true,
    );
    assert_same("two blank chunks after the header", &got, &want);
    assert!(want.0.records > 1000, "{}", want.0.records);
}
