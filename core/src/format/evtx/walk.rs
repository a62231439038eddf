//! A chunk's records found by their headers alone, without `evtx` building
//! each one (the walk its iterator makes before it builds a record).
//!
//! `evtx`'s record iterator builds every record's content (every value of
//! its template instance, typed, in a new vector) before handing it on; the
//! value path (`super::template`) then reads the same values again from the
//! chunk bytes. For a record the value path can read whole, that build is
//! wasted, and it was the largest cost of an EVTX scan. The decoder walks
//! the chunk with [`Walk`] instead, and hands a record to `evtx` only when it
//! must: a header [`Walk`] cannot take, a record the value path cannot read,
//! one whose template `evtx` has not been seen to build (`Shape::trusted`
//! in `super::template`), or a rendering the scan asks for
//! (`super::value_record`). From the first such record on, the rest of the
//! chunk is `evtx`'s, as before.
//!
//! [`Walk`] takes a record exactly where `evtx`'s iterator does, by the same
//! public header reader (`EvtxRecordHeader::from_bytes_at`): from the chunk
//! header on, record after record, up to the free space or the chunk's last
//! record; anything else (a bad header) ends the walk there, and `evtx`
//! reads on from that point, with its error and its resync.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use evtx::{EvtxChunk, EvtxChunkHeader, EvtxRecord, EvtxRecordHeader};

use super::{read_u32, Render, CHUNK_HEADER_BYTES, RECORD_HEADER_BYTES};

/// The nodes `evtx` may build for the records of one chunk before it
/// refuses to build more is 786,432 (it admits a record while 262,144 of
/// its 1,048,576 are left); records whose node bound
/// ([`super::values::Values::node_bound`]) would take the walk's total past
/// half of that go to `evtx`, so the limit is never near for a walked record.
pub(super) const NODE_ALLOWANCE: usize = 393_216;

/// A record's place in its chunk: all the value path reads of it.
#[derive(Debug, Clone, Copy)]
pub(super) struct RecordBytes<'d> {
    /// The chunk's bytes (template definitions and names are found there).
    pub(super) data: &'d [u8],
    /// Where the record's BinXML starts in the chunk.
    pub(super) binxml_offset: u64,
    /// The BinXML's size (the record's, less its header and size copy).
    pub(super) binxml_size: u32,
}

impl<'d> RecordBytes<'d> {
    /// The bytes of a record `evtx` built.
    pub(super) fn of(record: &evtx::EvtxRecord<'d>) -> Self {
        RecordBytes {
            data: record.chunk.data,
            binxml_offset: record.binxml_offset,
            binxml_size: record.binxml_size,
        }
    }

    /// The offset of the record's header in its chunk.
    pub(super) fn start(&self) -> u64 {
        self.binxml_offset
            .saturating_sub(RECORD_HEADER_BYTES as u64)
    }

    /// Where the record ends in its chunk (after the copy of its size).
    pub(super) fn end(&self) -> u64 {
        self.binxml_offset + u64::from(self.binxml_size) + 4
    }

    /// Whether the record repeats its size at its end, as every written
    /// record does (one cut off or zeroed there was parsed from padding).
    pub(super) fn size_repeated(&self) -> bool {
        let copy = usize::try_from(self.end() - 4).map_or(0, |at| read_u32(self.data, at));
        u64::from(copy) == self.end() - self.start()
    }
}

/// A record the walk found: its id and bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Walked<'d> {
    /// The record's `EventRecordID` (from its header).
    pub(super) id: u64,
    /// Its bytes.
    pub(super) bytes: RecordBytes<'d>,
}

/// The walk over one chunk's records. See the [module docs](self).
pub(super) struct Walk<'d> {
    data: &'d [u8],
    /// The end of the live records: the free space, or the chunk's end.
    live_end: u64,
    last_id: u64,
    /// Where the next record starts; `None` after the last one.
    next: Option<u64>,
}

/// What the walk found next.
pub(super) enum Step<'d> {
    /// A record whose header `evtx` takes as this walk does.
    Record(Walked<'d>),
    /// A header `evtx` reports (or resyncs past): `evtx` must go on from
    /// this offset.
    Stop(u64),
}

impl<'d> Walk<'d> {
    /// The walk over the chunk `data` with header `header`.
    pub(super) fn new(data: &'d [u8], header: &EvtxChunkHeader) -> Self {
        Walk {
            data,
            live_end: u64::from(header.free_space_offset).min(data.len() as u64),
            last_id: header.last_event_record_id,
            next: Some(CHUNK_HEADER_BYTES as u64),
        }
    }
}

impl<'d> Iterator for Walk<'d> {
    type Item = Step<'d>;

    fn next(&mut self) -> Option<Step<'d>> {
        let start = self.next?;
        if start >= self.live_end {
            self.next = None;
            return None;
        }
        let taken = usize::try_from(start)
            .ok()
            .and_then(|at| EvtxRecordHeader::from_bytes_at(self.data, at).ok())
            .and_then(|header| {
                let size = header.record_data_size().ok()?;
                let binxml_offset = start + RECORD_HEADER_BYTES as u64;
                let end = binxml_offset.checked_add(u64::from(size))?;
                (end <= self.data.len() as u64).then_some((header, binxml_offset, size))
            });
        let Some((header, binxml_offset, binxml_size)) = taken else {
            self.next = None;
            return Some(Step::Stop(start));
        };
        let bytes = RecordBytes {
            data: self.data,
            binxml_offset,
            binxml_size,
        };
        // (The record's size past its start: `evtx` walks on from there.)
        self.next = (header.event_record_id != self.last_id).then_some(bytes.end());
        Some(Step::Record(Walked {
            id: header.event_record_id,
            bytes,
        }))
    }
}

/// A chunk whose records `evtx` builds only when one must be rendered.
pub(super) struct Lazy<'c> {
    chunk: RefCell<EvtxChunk<'c>>,
    /// The records rendered so far (their BinXML offsets), in order.
    rendered: RefCell<Vec<u64>>,
}

impl<'c> Lazy<'c> {
    /// `chunk`, none of whose records is built yet.
    pub(super) fn new(chunk: EvtxChunk<'c>) -> Self {
        Lazy {
            chunk: RefCell::new(chunk),
            rendered: RefCell::new(Vec::new()),
        }
    }

    /// The chunk's bytes.
    pub(super) fn data(&self) -> &'c [u8] {
        self.chunk.borrow().data
    }

    /// How many records were rendered so far.
    pub(super) fn renders(&self) -> usize {
        self.rendered.borrow().len()
    }

    /// The chunk, and the records rendered (their BinXML offsets).
    pub(super) fn into_parts(self) -> (EvtxChunk<'c>, Vec<u64>) {
        (self.chunk.into_inner(), self.rendered.into_inner())
    }

    /// The walked record `bytes` rendered by `render`: `evtx` builds the
    /// chunk's records up to it (as its iterator would have) and renders it.
    fn render(&self, bytes: &RecordBytes<'_>, render: Render) -> Result<Vec<u8>, String> {
        let missing = || {
            format!(
                "evtx did not read the record at byte {} of its chunk again",
                bytes.start()
            )
        };
        let Ok(mut chunk) = self.chunk.try_borrow_mut() else {
            return Err(missing());
        };
        for record in chunk.iter() {
            match record {
                Ok(record) if record.binxml_offset == bytes.binxml_offset => {
                    self.rendered.borrow_mut().push(bytes.binxml_offset);
                    return render(record);
                }
                Ok(record) if record.binxml_offset > bytes.binxml_offset => break,
                _ => {}
            }
        }
        Err(missing())
    }
}

/// Where a record read from its values came from.
pub(super) enum Source<'r, 'c> {
    /// `evtx`'s iterator built it.
    Built(&'r EvtxRecord<'c>),
    /// The walk found it; `evtx` builds it only to render it.
    Walked(&'r Lazy<'c>, RecordBytes<'c>),
}

impl<'c> Source<'_, 'c> {
    /// The record's bytes.
    pub(super) fn bytes(&self) -> RecordBytes<'c> {
        match self {
            Source::Built(record) => RecordBytes::of(record),
            Source::Walked(_, bytes) => *bytes,
        }
    }

    /// The record rendered by `render`.
    pub(super) fn render(&self, render: Render) -> Result<Vec<u8>, String> {
        match self {
            Source::Built(record) => render((*record).clone()),
            Source::Walked(lazy, bytes) => lazy.render(bytes, render),
        }
    }
}
