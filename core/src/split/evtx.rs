//! One EVTX log scanned as `k` byte ranges (by `k` workers on the page), with
//! results identical to a scan of the whole file.
//!
//! An EVTX file is a 4 KiB file header and 64 KiB chunks, each with its own
//! string and template tables, so a range may start at any chunk boundary.
//! What the decoder carries from chunk to chunk, and how a range after the
//! first gets it:
//!
//! - the file header: only its magic is read (its chunk count, "dirty" flag
//!   and checksums are not trusted: every 64 KiB block is tried), so each
//!   range's decoder is fed the file's own 4 KiB header first;
//! - the chunk number and file offset (in every position and in skip reasons
//!   such as "chunk 12: ..."): a range's decoder is given one all-zero 64 KiB
//!   block for each chunk before the range, which the decoder counts as
//!   unused space (it reports nothing for it), so its chunk numbers and byte
//!   offsets are the file's own ([`EvtxRangeScan::after`]); the blocks are
//!   passed over in O(1), not fed ([`FileScan::push_zeros`]), with the same
//!   result as feeding them;
//! - the running record number (positions' `record`): [`super::merge`] adds
//!   the records of the ranges before;
//! - the template and field-map caches: keyed by content, they only save work;
//! - the last partial chunk (a file cut inside a chunk): ranges end on chunk
//!   boundaries, so only the last range holds it, and reads it as the whole
//!   scan does;
//! - Security 4688 parent inference: a 4688 event without `ParentProcessName`
//!   takes its parent from an *earlier* process creation of the same file
//!   ([`crate::scan`]). A range whose scan looked up such a parent and did
//!   not find it ([`FileScan::parents_not_found`]) may have missed one before
//!   its start: its seam fails ([`EvtxRangeScan::stands_alone`]) and the
//!   range before reads on through it (the rescan), as a CSV seam inside a
//!   quoted field does. A later range that reads on may then miss a parent
//!   itself: it stops standing alone, and the range before *it* reads on
//!   through both (the first range's scanner always can). Sysmon logs and
//!   Security logs that name the parent (Windows 10 and later) never need it.
//!
//! Nothing in the file header makes a split unsound, so [`plan`] refuses
//! only what is not an EVTX file (no `ElfFile` magic, a header cut short) and
//! files with fewer than two chunks' worth of bytes after the header.
//!
//! # The protocol
//!
//! 1. [`plan`] reads the first 4 KiB and the file's size and cuts it into up
//!    to `k` ranges on chunk boundaries.
//! 2. Range 0 is scanned by [`EvtxRangeScan::first`]; range `i > 0` by
//!    [`EvtxRangeScan::after`] (fed the file header and its zero blocks,
//!    then its bytes). Ranges are independent: scan them at once.
//! 3. Seams in order, with a stack of accepted scanners, all kept open
//!    (range 0's at the bottom). If range `i` [stands
//!    alone](EvtxRangeScan::stands_alone), push its scanner. Otherwise drop
//!    range `i`'s work, and let the top scanner read on from its end through
//!    range `i` (the rescan); if it then no longer stands alone, drop it too
//!    and let the next one down read on through both, until one stands
//!    (range 0's always does).
//! 4. Finish the stack's scanners, bottom up, into parts;
//!    [`super::merge_all`] folds them into the whole file's summary and rows.
//!
//! ```
//! # fn demo(file: &[u8]) -> Option<()> {
//! use cmdhunt_core::format::Format;
//! use cmdhunt_core::matcher::CompiledRule;
//! use cmdhunt_core::scan::FileScan;
//! use cmdhunt_core::split::{evtx, merge_all};
//!
//! let rule = CompiledRule::new();
//! let size = file.len() as u64;
//! let plan = evtx::plan(&file[..file.len().min(evtx::HEADER_BYTES)], size, 4)?;
//! let header = &file[..evtx::HEADER_BYTES];
//! // Each range on its own worker (here, in turn).
//! let mut scans: Vec<_> = plan
//!     .ranges()
//!     .map(|(start, end)| {
//!         let mut range = if start == 0 {
//!             evtx::EvtxRangeScan::first(FileScan::new(&rule, 0, "big.evtx", None))
//!         } else {
//!             let scan = FileScan::new(&rule, 0, "big.evtx", Some(Format::Evtx));
//!             evtx::EvtxRangeScan::after(scan, header, start).expect("a planned start")
//!         };
//!         for chunk in file[start as usize..end as usize].chunks(1 << 20) {
//!             range.push(chunk);
//!         }
//!         (range, start, end)
//!     })
//!     .collect();
//! // The seams, in order: accepted scanners stay open until the end.
//! let mut stack: Vec<(evtx::EvtxRangeScan, u64)> = Vec::new();
//! for (range, start, end) in scans.drain(..) {
//!     if start == 0 || range.stands_alone() {
//!         stack.push((range, end));
//!         continue;
//!     }
//!     loop {
//!         // The rescan: the top scanner reads on through this range.
//!         let (top, top_end) = stack.last_mut()?;
//!         top.push(&file[*top_end as usize..end as usize]);
//!         *top_end = end;
//!         if top.stands_alone() {
//!             break;
//!         }
//!         stack.pop(); // it missed a parent: the one before reads on
//!     }
//! }
//! let parts = stack.into_iter().map(|(s, _)| s.finish()).collect();
//! let (summary, rows) = merge_all(parts)?;
//! # let _ = (summary, rows);
//! # Some(())
//! # }
//! # demo(b"not an evtx file");
//! ```
//!
//! On the page, `summary().bytes` of a later range counts the header and
//! zero blocks it was fed: progress should use [`EvtxRangeScan::bytes`].

use alloc::vec::Vec;

use super::RangePart;
use crate::format::evtx::{CHUNK_BYTES, FILE_HEADER_BYTES};
use crate::scan::{FileScan, FileSummary, FlaggedRow};

/// The bytes of the file's start [`plan`] and [`EvtxRangeScan::after`]
/// need: the 4 KiB file header.
pub const HEADER_BYTES: usize = FILE_HEADER_BYTES;

/// The most ranges [`plan`] makes.
pub const MAX_RANGES: usize = 8;

const FILE_MAGIC: &[u8; 8] = b"ElfFile\0";

/// Where an EVTX file is cut: each range's first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvtxPlan {
    /// The ranges' first bytes, increasing: 0, then chunk boundaries
    /// (`4096 + n * 65536`).
    pub starts: Vec<u64>,
    /// The file's size (the last range's end).
    pub size: u64,
}

impl EvtxPlan {
    /// The ranges as `[start, end)` byte offsets, in file order.
    pub fn ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let ends = self.starts.iter().skip(1).copied().chain([self.size]);
        self.starts.iter().copied().zip(ends)
    }

    /// How many ranges.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Never true for a plan [`plan`] made (it makes two ranges or more).
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}

/// Whether `offset` is a chunk's first byte (where a range may start).
pub fn is_chunk_start(offset: u64) -> bool {
    offset >= FILE_HEADER_BYTES as u64
        && (offset - FILE_HEADER_BYTES as u64) % CHUNK_BYTES as u64 == 0
}

/// Plan up to `ranges` ranges (at most [`MAX_RANGES`]) of an EVTX file of
/// `size` bytes whose first bytes are `head` (at least [`HEADER_BYTES`]),
/// with as many chunks in each as can be. Fewer ranges when the file has
/// fewer chunks; `None` (scan it whole) when it is not an EVTX file, its
/// header is cut short, or there are not two ranges to make.
pub fn plan(head: &[u8], size: u64, ranges: usize) -> Option<EvtxPlan> {
    if head.len() < FILE_HEADER_BYTES || !head.starts_with(FILE_MAGIC) {
        return None;
    }
    let body = size.checked_sub(FILE_HEADER_BYTES as u64)?;
    let chunks = body.div_ceil(CHUNK_BYTES as u64);
    let n = (ranges.min(MAX_RANGES) as u64).min(chunks);
    if n < 2 {
        return None;
    }
    let starts = (0..n)
        .map(|i| match i {
            0 => 0,
            _ => FILE_HEADER_BYTES as u64 + i * chunks / n * CHUNK_BYTES as u64,
        })
        .collect();
    Some(EvtxPlan { starts, size })
}

/// A scan of one range of an EVTX file.
pub struct EvtxRangeScan<'r> {
    scan: FileScan<'r>,
    /// The range's first byte in the file.
    start: u64,
    /// The range's bytes read so far.
    bytes: u64,
}

impl<'r> EvtxRangeScan<'r> {
    /// The first range (from byte 0); `scan` is a fresh [`FileScan`] set up
    /// as for the whole file.
    pub fn first(scan: FileScan<'r>) -> Self {
        EvtxRangeScan {
            scan,
            start: 0,
            bytes: 0,
        }
    }

    /// A later range starting at chunk boundary `start`: `header` (the
    /// file's first [`HEADER_BYTES`]) and one zero block per chunk before
    /// `start` are fed to `scan` first. `scan` should force
    /// [`Format::Evtx`](crate::format::Format::Evtx) and be set up as the
    /// first range's (hardened rules, fields). `None` when `start` is not a
    /// chunk boundary or `header` is not an EVTX file header.
    pub fn after(mut scan: FileScan<'r>, header: &[u8], start: u64) -> Option<Self> {
        if header.len() != FILE_HEADER_BYTES || !header.starts_with(FILE_MAGIC) {
            return None;
        }
        if !is_chunk_start(start) {
            return None;
        }
        scan.push(header);
        // One zero block per chunk before the range, passed over unread
        // (the same result as feeding them: `FileScan::push_zeros`).
        scan.push_zeros(start - FILE_HEADER_BYTES as u64);
        Some(EvtxRangeScan {
            scan,
            start,
            bytes: 0,
        })
    }

    /// Feed the range's next bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        self.scan.push(chunk);
    }

    /// After the range's last byte: whether its result is the whole scan's
    /// for these bytes (no 4688 parent was looked up before its start). When
    /// not, the range before reads on through this one (the rescan).
    /// Always `true` for the first range.
    pub fn stands_alone(&self) -> bool {
        self.start == 0 || self.scan.parents_not_found() == 0
    }

    /// The summary so far (its `bytes` include the header and zero blocks
    /// fed to a later range: use [`bytes`](Self::bytes) for progress).
    pub fn summary(&self) -> &FileSummary {
        self.scan.summary()
    }

    /// Rows flagged since the last call (positions relative to the range:
    /// place them with [`shift`](Self::shift) once the records before the
    /// range are known).
    pub fn take_rows(&mut self) -> Vec<FlaggedRow> {
        self.scan.take_rows()
    }

    /// How this range's positions move into the file's, given the records
    /// before its start (byte offsets are already the file's).
    pub fn shift(&self, records_before: u64) -> super::Shift {
        super::Shift {
            byte: 0,
            line: 0,
            record: records_before,
        }
    }

    /// The range's bytes read so far (the rescan's included).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// End of the range: its part for [`super::merge_all`].
    pub fn finish(self) -> RangePart {
        let (summary, rows) = self.scan.finish();
        RangePart {
            summary,
            rows,
            start: self.start,
            // The header and zero blocks stand for the bytes before the
            // range: byte offsets need no shift.
            prefix: self.start,
            prefix_newlines: 0,
            newlines: 0,
            bytes: self.bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> Vec<u8> {
        let mut h = FILE_MAGIC.to_vec();
        h.resize(FILE_HEADER_BYTES, 0);
        h
    }

    #[test]
    fn plans_cut_on_chunk_boundaries() {
        let h = head();
        let chunk = CHUNK_BYTES as u64;
        let size = FILE_HEADER_BYTES as u64 + 10 * chunk;
        let p = plan(&h, size, 4).expect("plan");
        assert_eq!(p.starts.len(), 4);
        assert_eq!(p.starts[0], 0);
        assert!(p.starts[1..].iter().all(|s| is_chunk_start(*s)));
        let ranges: Vec<_> = p.ranges().collect();
        assert_eq!(ranges.last().map(|r| r.1), Some(size));
        assert!(ranges
            .windows(2)
            .all(|w| w[0].1 == w[1].0 && w[0].0 < w[0].1));
        // A last partial chunk counts as a chunk.
        assert_eq!(
            plan(&h, FILE_HEADER_BYTES as u64 + chunk + 1, 4).map(|p| p.len()),
            Some(2)
        );
        // One chunk, or none: nothing to split.
        assert_eq!(plan(&h, FILE_HEADER_BYTES as u64 + chunk, 4), None);
        assert_eq!(plan(&h, 100, 2), None);
        // Not EVTX, or a header cut short.
        assert_eq!(plan(b"ElfFile\0", size, 2), None);
        let mut other = h.clone();
        other[0] = b'X';
        assert_eq!(plan(&other, size, 2), None);
        // At most MAX_RANGES, at most one per chunk.
        assert_eq!(plan(&h, size, 50).map(|p| p.len()), Some(MAX_RANGES));
        assert_eq!(
            plan(&h, FILE_HEADER_BYTES as u64 + 3 * chunk, 8).map(|p| p.len()),
            Some(3)
        );
    }
}
