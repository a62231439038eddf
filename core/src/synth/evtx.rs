//! An EVTX writer: synthetic events as Windows writes them to a `.evtx` log.
//!
//! The layout copies logs Windows wrote (Sysmon and Security logs of
//! `../shared/data`, read byte by byte):
//!
//! - a 4096-byte file header (`ElfFile\0`, oldest and current chunk, next
//!   record id, version 3.1, chunk count, CRC-32 of its first 120 bytes);
//! - 64 KiB chunks (`ElfChnk\0`, first and last record numbers and ids, the
//!   last record's offset, the free space offset, the records' CRC-32, the
//!   header's CRC-32 over bytes 0..120 and 128..512, the string and template
//!   tables), a record going to a new chunk when it does not fit;
//! - records `**\0\0`, size, `EventRecordID` (from 1), FILETIME, BinXML, the
//!   size again, 8-byte aligned;
//! - each record's BinXML: a fragment header and one `TemplateInstance` of
//!   the `System` template (one per computer, which is a literal in it, as
//!   in real logs), whose value 17 is BinXML: a `TemplateInstance` of the
//!   `EventData` template of the event's field names and types
//!   (`<Data Name="…">` with a normal substitution each). `System` values are
//!   optional substitutions of their real types, numbered as Windows numbers
//!   them (0 Level, 1 Opcode, 2 Task, 3 EventID, 4 Qualifiers, 5 Keywords,
//!   6 TimeCreated, 7 ActivityID, 8 ProcessID, 9 ThreadID, 10 EventRecordID,
//!   11 Version, 12 UserID, 13 RelatedActivityID, 14 Provider Name,
//!   15 Provider Guid, 16 Channel, 17 EventData), with the same dependency
//!   ids on elements;
//! - a template definition is written inline the first time its shape is
//!   used in a chunk and referenced by offset after (templates are per chunk);
//!   names are chunk string entries, inline the first time and by offset
//!   after, hashed as Windows hashes them (65599, low 16 bits; bucket
//!   `hash % 64`, newest first); the template table's bucket is the same hash
//!   of the GUID's eight UTF-16 units `% 32` (what 263 of 284 template
//!   entries of the shared logs show; the rest are chains through damaged or
//!   reused chunks). A template's GUID is a hash of its shape (Windows' are
//!   the manifest's; readers only compare them).
//!
//! What it leaves out: `UserData` events, arrays, `Qualifiers`, activity ids
//! (written null) and the "dirty" flags (a closed log).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::chunk::{Chunk, Refused};
use super::crc32::crc32;
use super::value::{Guid, Sid, SynthValue};

/// Size of the file header block.
pub const FILE_HEADER_BYTES: usize = 4096;
/// Size of a chunk.
pub const CHUNK_BYTES: usize = 65536;
/// The `xmlns` of `<Event>`.
pub const EVENT_NAMESPACE: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// An event provider: its name and GUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// `Microsoft-Windows-Sysmon`, `Microsoft-Windows-Security-Auditing`, …
    pub name: String,
    /// The provider's GUID.
    pub guid: Guid,
}

/// One event to write: its `System` values and its `EventData` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthEvent {
    /// `Provider Name` and `Guid`.
    pub provider: Provider,
    /// `EventID`.
    pub event_id: u16,
    /// `Version`.
    pub version: u8,
    /// `Level`.
    pub level: u8,
    /// `Task`.
    pub task: u16,
    /// `Opcode`.
    pub opcode: u8,
    /// `Keywords`.
    pub keywords: u64,
    /// `TimeCreated SystemTime` (and the record header's time): FILETIME ticks.
    pub time: u64,
    /// `Execution ProcessID`.
    pub process_id: u32,
    /// `Execution ThreadID`.
    pub thread_id: u32,
    /// `Channel`.
    pub channel: String,
    /// `Computer` (a literal of the `System` template, as in real logs).
    pub computer: String,
    /// `Security UserID`, when the event has one.
    pub user_sid: Option<Sid>,
    /// `EventData`: `<Data Name="name">value</Data>` in order.
    pub data: Vec<(String, SynthValue)>,
}

/// Why an event cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SynthError {
    /// Event number `event` (1-based) takes `bytes` bytes, more than a chunk holds.
    RecordTooLarge {
        /// Which event: the writer's count of pushes, refused ones included (1-based).
        event: u64,
        /// Its record's size in a chunk of its own.
        bytes: usize,
    },
    /// A value of event `event` is more than the 65,535 bytes a substitution holds.
    ValueTooLarge {
        /// Which event: the writer's count of pushes, refused ones included (1-based).
        event: u64,
        /// The field (`Data` name, or the `System` value's name).
        name: String,
        /// The value's size.
        bytes: usize,
    },
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthError::RecordTooLarge { event, bytes } => write!(
                f,
                "event {event}: its record takes {bytes} bytes, more than a 64 KiB chunk holds"
            ),
            SynthError::ValueTooLarge { event, name, bytes } => write!(
                f,
                "event {event}: value {name} is {bytes} bytes, more than a substitution holds (65535)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SynthError {}

/// Write `events` as one EVTX log, `EventRecordID` from 1.
pub fn write_log(events: impl IntoIterator<Item = SynthEvent>) -> Result<Vec<u8>, SynthError> {
    let mut writer = EvtxWriter::new();
    for event in events {
        writer.push(&event)?;
    }
    Ok(writer.finish())
}

/// Writes events one at a time into an EVTX log held in memory.
#[derive(Debug)]
pub struct EvtxWriter {
    /// The file header's place and the chunks done.
    out: Vec<u8>,
    chunk: Chunk,
    /// Chunks done.
    chunks: u64,
    /// The next `EventRecordID`.
    next_id: u64,
    /// Events pushed (written or refused).
    events: u64,
}

impl Default for EvtxWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl EvtxWriter {
    /// A writer of an empty log.
    pub fn new() -> Self {
        let mut out = Vec::with_capacity(FILE_HEADER_BYTES + CHUNK_BYTES);
        out.resize(FILE_HEADER_BYTES, 0);
        EvtxWriter {
            out,
            chunk: Chunk::new(),
            chunks: 0,
            next_id: 1,
            events: 0,
        }
    }

    /// Write `event` as the next record; its `EventRecordID`.
    pub fn push(&mut self, event: &SynthEvent) -> Result<u64, SynthError> {
        match self.push_in_chunk(event)? {
            Some(id) => Ok(id),
            None => {
                self.end_chunk();
                self.events -= 1;
                self.push_in_chunk(event)?
                    .ok_or_else(|| self.too_large(event, self.next_id))
            }
        }
    }

    /// Write `event` as the next record in the chunk being filled; `None`
    /// (and nothing written) when it does not fit there but would in an
    /// empty chunk.
    pub(crate) fn push_in_chunk(&mut self, event: &SynthEvent) -> Result<Option<u64>, SynthError> {
        self.events += 1;
        let id = self.next_id;
        match self.chunk.record(event, id, self.events) {
            Ok(()) => {
                self.next_id += 1;
                Ok(Some(id))
            }
            Err(Refused::Full) if self.chunk.records() > 0 => Ok(None),
            Err(Refused::Full) => Err(self.too_large(event, id)),
            Err(Refused::Value(e)) => Err(e),
        }
    }

    /// The error for an event that does not fit in an empty chunk.
    fn too_large(&mut self, event: &SynthEvent, id: u64) -> SynthError {
        let bytes = self.chunk.measure(event, id, self.events);
        SynthError::RecordTooLarge {
            event: self.events,
            bytes,
        }
    }

    /// Chunks done (full, or closed for a record that did not fit).
    pub fn chunks(&self) -> usize {
        self.chunks as usize
    }

    /// Records written.
    pub fn records(&self) -> u64 {
        self.next_id - 1
    }

    /// The size of the log if it were finished now.
    pub fn len(&self) -> usize {
        self.out.len()
            + if self.chunk.records() > 0 {
                CHUNK_BYTES
            } else {
                0
            }
    }

    /// Whether no record was written.
    pub fn is_empty(&self) -> bool {
        self.records() == 0
    }

    /// Close the chunk being filled and start another.
    fn end_chunk(&mut self) {
        let chunk = core::mem::replace(&mut self.chunk, Chunk::new());
        chunk.finish(&mut self.out);
        self.chunks += 1;
    }

    /// The log: the file header and every chunk.
    pub fn finish(mut self) -> Vec<u8> {
        if self.chunk.records() > 0 {
            self.end_chunk();
        }
        let header = &mut self.out[..FILE_HEADER_BYTES];
        header[..8].copy_from_slice(b"ElfFile\0");
        // Oldest chunk, current (last) chunk, next record id.
        header[8..16].copy_from_slice(&0u64.to_le_bytes());
        header[16..24].copy_from_slice(&self.chunks.saturating_sub(1).to_le_bytes());
        header[24..32].copy_from_slice(&self.next_id.to_le_bytes());
        header[32..36].copy_from_slice(&128u32.to_le_bytes());
        header[36..38].copy_from_slice(&1u16.to_le_bytes()); // minor version
        header[38..40].copy_from_slice(&3u16.to_le_bytes()); // major version
        header[40..42].copy_from_slice(&(FILE_HEADER_BYTES as u16).to_le_bytes());
        let count = u16::try_from(self.chunks).unwrap_or(u16::MAX);
        header[42..44].copy_from_slice(&count.to_le_bytes());
        header[120..124].copy_from_slice(&0u32.to_le_bytes()); // flags: clean
        let crc = crc32(&header[..120]);
        header[124..128].copy_from_slice(&crc.to_le_bytes());
        self.out
    }
}
