//! Input formats: one [`Decoder`] per format, and [`sniff`], the one place
//! where a format is recognised (by content, never by file name).
//!
//! A decoder is push-based: the caller hands it chunks of any size with
//! [`Decoder::push`] and calls [`Decoder::finish`] at end of input. Decoded
//! records go to a [`RecordSink`] as soon as they are complete; results never
//! depend on where the chunks were cut.

pub mod csv;
pub mod text;

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

use crate::event::{Position, RecordSink};

/// The largest record a decoder buffers (64 MiB). A larger record is skipped
/// with a reason; the rest of the file is still read.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// A recognised input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-separated values with a header row (Defender, Sentinel, Sysmon-field CSV).
    Csv,
}

impl Format {
    /// Every format cmdhunt reads.
    pub const ALL: [Format; 1] = [Format::Csv];

    /// A short stable name (`csv`), as used by `--input-format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
        }
    }

    /// The format called `name` (as [`Format::name`] spells it).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// A fresh decoder for this format.
    pub fn decoder(self) -> Box<dyn Decoder> {
        match self {
            Format::Csv => Box::new(csv::CsvDecoder::new()),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many leading bytes [`sniff`] wants to see (fewer at end of file is fine).
pub const SNIFF_BYTES: usize = 4096;

/// Recognise a format from the first bytes of a file.
///
/// Returns `None` when the content matches no format (the caller reports it).
pub fn sniff(head: &[u8]) -> Option<Format> {
    let (encoding, bom) = text::detect(head);
    let mut utf8 = alloc::vec::Vec::new();
    let mut t = text::Transcoder::new(encoding);
    t.push(&head[bom..], &mut utf8);
    let body = utf8.as_slice();
    let first = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let first_line_end = body[first..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(body.len(), |e| first + e);
    let first_line = &body[first..first_line_end];
    if first_line.contains(&b',') || body.len() - first < SNIFF_BYTES {
        return (!first_line.is_empty() && first_line.contains(&b',')).then_some(Format::Csv);
    }
    None
}

/// A decoding failure that stops a file (as opposed to a [`crate::event::Skip`],
/// which loses one record and goes on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Where it happened.
    pub position: Position,
    /// What went wrong, in words.
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {})", self.message, self.position)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}

/// A push-based, streaming decoder for one file.
pub trait Decoder {
    /// Decode `chunk`, the next bytes of the file.
    fn push(&mut self, chunk: &[u8], sink: &mut dyn RecordSink) -> Result<(), DecodeError>;
    /// The file has ended: flush the last record.
    fn finish(&mut self, sink: &mut dyn RecordSink) -> Result<(), DecodeError>;
}
