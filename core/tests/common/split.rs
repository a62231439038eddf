//! What the split tests (split, split_evtx, split_json) share: a fresh scan
//! as the page sets one up, the whole file's scan they are held to, and
//! pushing bytes in random slices.

use cmdhunt_core::format::Format;
use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

use super::Rng;

/// A scan's summary and rows.
pub type Scan = (FileSummary, Vec<FlaggedRow>);

/// A fresh scan as the page sets one up (all fields kept, hardened rules
/// when given).
pub fn fresh<'r>(
    rule: &'r CompiledRule,
    hardened: Option<&'r HardenedRules>,
    format: Option<Format>,
) -> FileScan<'r> {
    let scan = FileScan::new(rule, 1, "big", format);
    match hardened {
        Some(h) => scan.hardened(h),
        None => scan,
    }
}

/// Push `data` in random slices of at most `max` bytes.
pub fn feed(push: &mut dyn FnMut(&[u8]), data: &[u8], rng: &mut Rng, max: usize) {
    let mut at = 0;
    while at < data.len() {
        let end = (at + rng.below(max) + 1).min(data.len());
        push(&data[at..end]);
        at = end;
    }
}

/// The whole file in one scan (64 KiB chunks).
pub fn whole(rule: &CompiledRule, hardened: Option<&HardenedRules>, data: &[u8]) -> Scan {
    let mut scan = fresh(rule, hardened, None);
    for c in data.chunks(64 << 10) {
        scan.push(c);
    }
    scan.finish()
}

/// `got` (a split scan's merged result) is `want` (the whole scan's): skip
/// by skip, the summary, row by row; the first difference names `what`.
pub fn assert_same(what: &str, got: &Scan, want: &Scan) {
    let (g, w) = (&got.0, &want.0);
    assert_eq!(g.skips.len(), w.skips.len(), "{what}: skips");
    for (i, (a, b)) in g.skips.iter().zip(&w.skips).enumerate() {
        assert_eq!(a, b, "{what}: skip {i}");
    }
    assert_eq!(g, w, "{what}: summary differs");
    assert_eq!(got.1.len(), want.1.len(), "{what}: row count differs");
    for (i, (g, w)) in got.1.iter().zip(&want.1).enumerate() {
        assert_eq!(g, w, "{what}: row {i} differs");
    }
}
