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
