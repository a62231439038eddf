//! Shared harness for the cmdhunt fuzz targets: scan fuzzer bytes with
//! [`FileScan`] in fuzzer-chosen chunks, then check the invariants every scan
//! must keep whatever the input (accounting, reasons, positions).

use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow, MAX_SKIPS_KEPT};

/// Split a fuzz input into a chunking seed (its first byte) and the file bytes.
///
/// Seed corpora made by `scripts/fuzz.sh` carry one extra leading byte for this.
pub fn split_input(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&seed, rest)) => (seed, rest),
        None => (0, data),
    }
}

/// Chunk lengths chosen by `seed`: seed 0 is the whole file in one push;
/// otherwise a xorshift sequence of lengths in `1..=max`, where `max` grows
/// with the seed's high bits (1 byte up to 64 KiB), so boundaries land in
/// every state of a decoder.
pub fn chunks(seed: u8, bytes: &[u8]) -> Vec<&[u8]> {
    if seed == 0 {
        return vec![bytes];
    }
    let max = 1usize << (seed >> 4); // 1 .. 32768
    let mut state = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let n = (state.wrapping_mul(0x2545_F491_4F6C_DD1D) % max as u64) as usize + 1;
        let (head, tail) = rest.split_at(n.min(rest.len()));
        out.push(head);
        rest = tail;
    }
    out
}

/// Scan `bytes` (format forced, or sniffed when `None`) pushed in `chunks`.
pub fn scan(
    rule: &CompiledRule,
    format: Option<Format>,
    parts: &[&[u8]],
) -> (FileSummary, Vec<FlaggedRow>) {
    let mut scan = FileScan::new(rule, 0, "fuzz", format);
    for part in parts {
        scan.push(part);
    }
    scan.finish()
}

/// The invariants of any finished scan; panics (a fuzz crash) when one fails.
pub fn check(summary: &FileSummary, rows: &[FlaggedRow], total_bytes: usize) {
    assert_eq!(
        summary.records,
        summary.analysed() + summary.skipped,
        "records == analysed + skipped: {summary:?}"
    );
    assert_eq!(summary.bytes, total_bytes as u64, "every byte counted");
    assert_eq!(
        summary.flagged,
        rows.len() as u64,
        "one row per flagged record"
    );
    assert!(summary.shell <= summary.process_creations);
    assert!(summary.flagged <= summary.shell);
    assert_eq!(
        summary.skips.len() as u64,
        summary.skipped.min(MAX_SKIPS_KEPT as u64),
        "skips kept in detail"
    );
    for skip in &summary.skips {
        assert!(
            !skip.reason.trim().is_empty(),
            "skip without a reason: {skip:?}"
        );
    }
    if let Some(error) = &summary.error {
        assert!(!error.message.trim().is_empty(), "error without a message");
    }
    for row in rows {
        assert!(
            row.position.record <= summary.records,
            "row past the last record: {row:?}"
        );
        assert!(row.verdict.is_flagged());
    }
}

/// One fuzz iteration for a forced format (or sniffing, when `None`).
pub fn run(format: Option<Format>, data: &[u8]) {
    thread_local! {
        static RULE: CompiledRule = CompiledRule::new();
    }
    let (seed, bytes) = split_input(data);
    let parts = chunks(seed, bytes);
    RULE.with(|rule| {
        let (summary, rows) = scan(rule, format, &parts);
        check(&summary, &rows, bytes.len());
    });
}
