//! Windows binary event logs (`.evtx`): Sysmon, Security and any other channel.
//!
//! # Streaming
//!
//! An EVTX file is a 4096-byte file header followed by 65536-byte chunks,
//! each self-contained (its own string and template tables). [`EvtxDecoder`]
//! buffers one chunk at a time, whatever the size of the pushed slices, and
//! parses it with the `evtx` crate's chunk API ([`EvtxChunkData`]), so memory
//! holds one chunk and one record whatever the file's size. Chunks are read in
//! file order (`evtx`'s own iterator starts at the oldest chunk of a log that
//! has wrapped around; the records are the same, the order may differ).
//!
//! # Fields
//!
//! Most records are read from their template values, without rendering
//! them, and most without `evtx` building them either (the private `walk`,
//! `values`, `template` and `value_record` modules; BinXML numbers in
//! `binxml`): a record's template definition gives the fields the
//! XML rendering would have, and the class, time, `FileName`, command line,
//! parent and process ids come from the values; the record is rendered only
//! when asked for all its fields (a flagged row) or for a column its values
//! cannot give. Records whose template or values are not regular (see
//! `template`) take the rendering path (`records`): each is rendered as XML
//! by `evtx` (the rendering its own `EvtxParser::records` makes, without
//! indentation) and read by a fast reader of that rendering (`scanner`),
//! which takes the same fields, the same way, as [`super::xml`]'s reader of
//! XML files (tests compare the two on every real log, and the value path
//! with the rendering path), so an EVTX record and the same event saved as
//! XML give the same fields and class ([`super::winevent`]). On that path
//! most events are classed from the head of `System` alone (provider and
//! event id, `caches`); only process creations are read whole, and their
//! values are taken from the rendered text only when the scanner asks for
//! them, through a field map resolved once per set of field names. DESIGN.md
//! ("The EVTX value path") walks both paths.
//!
//! # Positions
//!
//! `record` is the running count of records in file order, skips included
//! (1-based); the event's own `EventRecordID` is one of its fields. `byte` is
//! the offset of the record's header in the file (of its chunk when the
//! failure is the chunk's).
//!
//! # Damaged files
//!
//! The file header's chunk count and "dirty" flag are not trusted: every
//! 64 KiB block after the header is tried. All-zero blocks are unused space.
//! A chunk whose header is damaged cannot be decoded (its string and template
//! tables are gone): each record signature found in it is reported as a skip
//! with its `EventRecordID`, or the chunk as one skip when none is found. A
//! record that fails to parse is a skip with `evtx`'s reason, and so is one
//! whose size is not repeated at its end (`evtx` parses such a record out of
//! zeroed bytes: an empty event). The records a chunk header lists that are
//! not found (a chunk cut short or zeroed) are skips naming each record. A
//! file that ends inside a chunk has the records that are whole in that part
//! read.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use evtx::{EvtxChunk, EvtxChunkData, ParserSettings};

mod caches;
mod canon;
mod chunk_records;
mod records;
mod scanner;
mod template;
mod value_record;
#[cfg(test)]
mod value_tests;
mod values;
mod walk;
#[cfg(test)]
mod walk_tests;

use super::{DecodeError, DecodeErrorKind as Kind, Decoder};
use crate::event::{Position, RecordSink, Skip};

/// Size of the file header block.
pub const FILE_HEADER_BYTES: usize = 4096;
/// Size of a chunk.
pub const CHUNK_BYTES: usize = 65536;
/// Size of a chunk's header.
const CHUNK_HEADER_BYTES: usize = 512;
/// Size of a record's header (magic, size, id, time).
const RECORD_HEADER_BYTES: usize = 24;
const FILE_MAGIC: &[u8; 8] = b"ElfFile\0";
const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
const RECORD_MAGIC: &[u8; 4] = b"**\0\0";

/// Streaming EVTX decoder. See the [module docs](self).
pub struct EvtxDecoder {
    /// The file header, until all of it is in.
    header: Vec<u8>,
    /// The chunk being filled (at most [`CHUNK_BYTES`]).
    chunk: Vec<u8>,
    /// The number of the chunk being filled.
    chunk_number: u64,
    settings: Arc<ParserSettings>,
    /// Records reported (read or skipped).
    records: u64,
    /// What the rendering path keeps between records.
    rendering: records::Rendering,
    /// Template shapes of the chunk being read.
    templates: template::Templates,
    /// Whether records are read from their template values when they can
    /// be (the tests turn it off to compare with the rendering path).
    from_values: bool,
    /// Records read from their values.
    read_from_values: u64,
    /// Whether chunks are walked (`walk`), `evtx` building only the records
    /// the value path cannot read (the tests turn it off to compare).
    walk: bool,
    /// Records read from their values that `evtx` did not build.
    walked: u64,
    /// How a record is rendered as XML ([`render_xml`]; the tests put a
    /// failing renderer here).
    render: Render,
}

/// Renders a record as XML text, or says why it cannot.
pub(crate) type Render = fn(evtx::EvtxRecord<'_>) -> Result<Vec<u8>, String>;

/// The `evtx` crate's rendering of a record (compact XML), its error as one line.
fn render_xml(record: evtx::EvtxRecord<'_>) -> Result<Vec<u8>, String> {
    record
        .into_xml_bytes()
        .map(|xml| xml.data)
        .map_err(|e| chain(&e))
}

impl Default for EvtxDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for EvtxDecoder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EvtxDecoder")
            .field("chunk_number", &self.chunk_number)
            .field("buffered", &self.chunk.len())
            .field("records", &self.records)
            .finish()
    }
}

impl EvtxDecoder {
    /// A decoder at the start of a file.
    pub fn new() -> Self {
        EvtxDecoder {
            header: Vec::with_capacity(FILE_HEADER_BYTES),
            chunk: Vec::with_capacity(CHUNK_BYTES),
            chunk_number: 0,
            // Single-threaded (the crate's `multithreading` feature is off),
            // compact XML (no indentation to write and read past).
            settings: Arc::new(ParserSettings::new().indent(false)),
            records: 0,
            rendering: records::Rendering::default(),
            templates: template::Templates::default(),
            from_values: true,
            read_from_values: 0,
            walk: true,
            walked: 0,
            render: render_xml,
        }
    }

    /// A decoder that renders every record as XML and reads the rendering
    /// (the path of records the value path cannot read, see the [module
    /// docs](self)), for the page's warm-up of that path and for comparisons:
    /// it reads the same records as [`EvtxDecoder::new`], more slowly.
    pub fn rendering_every_record() -> Self {
        EvtxDecoder {
            from_values: false,
            ..Self::new()
        }
    }

    fn chunk_offset(&self) -> u64 {
        FILE_HEADER_BYTES as u64 + self.chunk_number * CHUNK_BYTES as u64
    }

    fn next_position(&mut self, byte: u64) -> Position {
        self.records += 1;
        Position {
            byte,
            line: 0,
            record: self.records,
        }
    }

    fn skip(&mut self, kind: Kind, byte: u64, reason: String, sink: &mut dyn RecordSink) {
        let position = self.next_position(byte);
        sink.skip(Skip::new(kind, position, reason));
    }

    /// Decode the buffered chunk (`whole`: false when the file ended inside it).
    fn chunk_done(&mut self, whole: bool, sink: &mut dyn RecordSink) {
        let mut data = core::mem::take(&mut self.chunk);
        let offset = self.chunk_offset();
        let number = self.chunk_number;
        let got = data.len();
        if !whole && got < CHUNK_HEADER_BYTES && !all_zero(&data) {
            let reason = format!(
                "the file ends {got} bytes into chunk {number}, inside its header: its records cannot be read"
            );
            self.skip(Kind::Truncated, offset, reason, sink);
        } else if data.starts_with(CHUNK_MAGIC) {
            data.resize(CHUNK_BYTES, 0);
            data = self.decode_chunk(data, whole, sink);
        } else if !all_zero(&data) {
            self.damaged_chunk(&data, sink);
        }
        data.clear();
        self.chunk = data;
        self.chunk_number += 1;
    }

    /// Read a chunk's records; gives its buffer back.
    fn decode_chunk(&mut self, data: Vec<u8>, whole: bool, sink: &mut dyn RecordSink) -> Vec<u8> {
        let offset = self.chunk_offset();
        let number = self.chunk_number;
        let truncated = if whole {
            String::new()
        } else {
            " (the file ends inside this chunk)".to_string()
        };
        let chunk_data = match EvtxChunkData::new(data, false) {
            Ok(c) => c,
            Err(e) => {
                let reason = format!("chunk {number}: bad chunk header: {}", chain(&e));
                self.skip(Kind::EvtxChunk, offset, reason, sink);
                return Vec::with_capacity(CHUNK_BYTES);
            }
        };
        let listed = (
            chunk_data.header.first_event_record_id,
            chunk_data.header.last_event_record_id,
        );
        let reported_before = self.records;
        self.templates.new_chunk();
        let mut next = (listed.0, offset + CHUNK_HEADER_BYTES as u64);
        let chunk = EvtxChunk::new(
            &chunk_data.data,
            &chunk_data.header,
            Arc::clone(&self.settings),
        );
        let chunk = match chunk {
            Ok(c) => walk::Lazy::new(c),
            Err(e) => {
                let reason = format!("chunk {number}: {}{truncated}", chain(&e));
                self.skip(cut_or(&truncated, Kind::EvtxChunk), offset, reason, sink);
                return chunk_data.data;
            }
        };
        let walked = if self.from_values && self.walk {
            self.walk_chunk(&chunk, &chunk_data.header, &mut next, &truncated, sink)
        } else {
            Some(0)
        };
        if let Some(from) = walked {
            // `evtx` goes on from the first record the walk did not take.
            let (mut chunk, rendered) = chunk.into_parts();
            for record in chunk.iter() {
                if let Ok(record) = &record {
                    if walk::RecordBytes::of(record).start() < from {
                        // Walked: rendered again if it was, so that `evtx`
                        // spends on this pass what it spent before.
                        if rendered.contains(&record.binxml_offset) {
                            let _ = (self.render)(record.clone());
                        }
                        continue;
                    }
                }
                self.built_record(record, &mut next, &truncated, sink);
            }
        }
        let reported = self.records - reported_before;
        self.cut_off(listed, reported, next, &truncated, sink);
        chunk_data.data
    }

    /// Report the records a chunk's header lists (`first..=last` ids) beyond
    /// the `reported` ones read or skipped: records lost to a file cut inside
    /// the chunk (or zeroed out), which `evtx` takes for free space.
    /// `next` is the id and byte where the first of them would start.
    fn cut_off(
        &mut self,
        (first, last): (u64, u64),
        reported: u64,
        (next_id, next_byte): (u64, u64),
        truncated: &str,
        sink: &mut dyn RecordSink,
    ) {
        let number = self.chunk_number;
        let listed = last.checked_sub(first).map_or(0, |n| n.saturating_add(1));
        let missing = listed.saturating_sub(reported);
        if missing == 0 {
            return;
        }
        let most = (CHUNK_BYTES - CHUNK_HEADER_BYTES) / RECORD_HEADER_BYTES;
        if listed > most as u64 {
            let reason = format!(
                "chunk {number}: its header lists records {first}..={last}, more than a chunk holds; records after byte {next_byte} may be lost{truncated}"
            );
            self.skip(cut_or(truncated, Kind::EvtxChunk), next_byte, reason, sink);
            return;
        }
        for id in (0..missing).map(|k| next_id.saturating_add(k)) {
            let reason = format!(
                "record {id} in chunk {number}: listed in the chunk header but not found (cut off or zeroed){truncated}"
            );
            self.skip(cut_or(truncated, Kind::EvtxRecord), next_byte, reason, sink);
        }
    }

    /// A chunk whose header magic is wrong: report the records it seems to hold.
    fn damaged_chunk(&mut self, data: &[u8], sink: &mut dyn RecordSink) {
        let offset = self.chunk_offset();
        let number = self.chunk_number;
        let magic: String = data.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let found = record_signatures(data);
        if found.is_empty() {
            let reason = format!(
                "chunk {number} is not an EVTX chunk (magic {magic}, not ElfChnk) and holds no recognisable record"
            );
            self.skip(Kind::EvtxChunk, offset, reason, sink);
            return;
        }
        for (at, id) in found {
            let reason = format!(
                "record {id} in chunk {number} cannot be decoded: the chunk's header is damaged (magic {magic}, not ElfChnk), so its string and template tables are lost"
            );
            self.skip(Kind::EvtxChunk, offset + at as u64, reason, sink);
        }
    }
}

/// Whether every byte is 0 (unused space; also the blocks
/// [`crate::split::evtx`] feeds for the chunks before a range, so this is
/// written to vectorise: OR-folding 64-byte blocks, not a byte loop that
/// stops early).
fn all_zero(data: &[u8]) -> bool {
    let blocks = data.chunks_exact(64);
    let tail = blocks.remainder().iter().fold(0, |a, &b| a | b);
    tail == 0
        && blocks
            .map(|block| block.iter().fold(0u8, |a, &b| a | b))
            .all(|or| or == 0)
}

/// The kind of a skip in a chunk: [`Kind::Truncated`] when the file ends
/// inside the chunk (`truncated` is the note saying so), `otherwise` else.
fn cut_or(truncated: &str, otherwise: Kind) -> Kind {
    if truncated.is_empty() {
        otherwise
    } else {
        Kind::Truncated
    }
}

/// Records that appear whole in a chunk: `(offset in chunk, EventRecordID)`
/// for each 8-byte aligned record magic whose size fits the chunk and is
/// repeated at the record's end, as in every written record.
fn record_signatures(data: &[u8]) -> Vec<(usize, u64)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + RECORD_HEADER_BYTES <= data.len() {
        let size = read_u32(data, at + 4) as usize;
        if data[at..].starts_with(RECORD_MAGIC)
            && size >= RECORD_HEADER_BYTES + 4
            && at + size <= data.len()
            && read_u32(data, at + size - 4) as usize == size
        {
            out.push((at, read_u64(data, at + 8)));
            at += size.next_multiple_of(8);
        } else {
            at += 8;
        }
    }
    out
}

fn read_u32(data: &[u8], at: usize) -> u32 {
    let mut b = [0; 4];
    if let Some(s) = data.get(at..at + 4) {
        b.copy_from_slice(s);
    }
    u32::from_le_bytes(b)
}

fn read_u64(data: &[u8], at: usize) -> u64 {
    let mut b = [0; 8];
    if let Some(s) = data.get(at..at + 8) {
        b.copy_from_slice(s);
    }
    u64::from_le_bytes(b)
}

/// An error and its causes, as one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The offset in its chunk of a record that cannot be read, when the error says.
fn error_offset(e: &evtx::err::EvtxError) -> Option<u64> {
    match e {
        evtx::err::EvtxError::FailedToReadRecordAt { offset, .. } => Some(*offset),
        _ => None,
    }
}

impl Decoder for EvtxDecoder {
    fn push(&mut self, mut chunk: &[u8], sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        if self.header.len() < FILE_HEADER_BYTES {
            let take = (FILE_HEADER_BYTES - self.header.len()).min(chunk.len());
            self.header.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            let seen = self.header.len().min(FILE_MAGIC.len());
            if self.header[..seen] != FILE_MAGIC[..seen] {
                return Err(DecodeError::new(
                    Kind::EvtxFileHeader,
                    Position::default(),
                    "not an EVTX file: it does not start with ElfFile",
                ));
            }
        }
        while !chunk.is_empty() {
            let take = (CHUNK_BYTES - self.chunk.len()).min(chunk.len());
            self.chunk.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if self.chunk.len() == CHUNK_BYTES {
                self.chunk_done(true, sink);
            }
        }
        Ok(())
    }

    /// Whole all-zero chunks are unused space: pushed, each only moves the
    /// chunk number on. So after the file header, at a chunk boundary, `n`
    /// chunks' worth of zeros is `n` added to it.
    fn skip_zeros(&mut self, bytes: u64) -> bool {
        let at_boundary = self.header.len() == FILE_HEADER_BYTES && self.chunk.is_empty();
        if !at_boundary || bytes % CHUNK_BYTES as u64 != 0 {
            return false;
        }
        self.chunk_number += bytes / CHUNK_BYTES as u64;
        true
    }

    fn finish(&mut self, sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        if self.header.len() < FILE_HEADER_BYTES {
            return Err(DecodeError::new(
                Kind::Truncated,
                Position {
                    byte: self.header.len() as u64,
                    ..Position::default()
                },
                format!(
                    "the file ends inside the EVTX file header ({} of {FILE_HEADER_BYTES} bytes)",
                    self.header.len()
                ),
            ));
        }
        if !self.chunk.is_empty() {
            self.chunk_done(false, sink);
        }
        Ok(())
    }
}
