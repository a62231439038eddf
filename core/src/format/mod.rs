//! Input formats: one [`Decoder`] per format, and [`sniff`], the one place
//! where a format is recognised (by content, never by file name).
//!
//! A decoder is push-based: the caller hands it chunks of any size with
//! [`Decoder::push`] and calls [`Decoder::finish`] at end of input. Decoded
//! records go to a [`RecordSink`] as soon as they are complete; results never
//! depend on where the chunks were cut.

pub mod csv;
#[cfg(feature = "std")]
pub mod evtx;
pub mod json;
pub mod named;
pub mod text;
pub mod winevent;
#[cfg(feature = "std")]
pub mod xlsx;
#[cfg(feature = "std")]
pub mod xml;

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
    /// Windows binary event log (`ElfFile` magic): Sysmon and Security channels.
    Evtx,
    /// Event XML: Event Viewer "Save as XML", `wevtutil qe /f:xml`, `evtx_dump` XML.
    Xml,
    /// JSON: lines, arrays, API result tables, concatenated objects.
    Json,
    /// Excel workbook (the Defender portal's advanced-hunting export).
    Xlsx,
}

impl Format {
    /// Every format cmdhunt reads.
    pub const ALL: [Format; 5] = [
        Format::Csv,
        Format::Evtx,
        Format::Xml,
        Format::Json,
        Format::Xlsx,
    ];

    /// A short stable name (`csv`, `evtx`, `xml`, `json`, `xlsx`), as used by `--input-format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Evtx => "evtx",
            Format::Xml => "xml",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
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
            Format::Json => Box::new(json::JsonDecoder::new()),
            #[cfg(feature = "std")]
            Format::Evtx => Box::new(evtx::EvtxDecoder::new()),
            #[cfg(feature = "std")]
            Format::Xml => Box::new(xml::XmlDecoder::new()),
            #[cfg(feature = "std")]
            Format::Xlsx => Box::new(xlsx::XlsxDecoder::new()),
            // Reached only without `std`, where EVTX, XML and XLSX are not built.
            #[allow(unreachable_patterns)]
            other => Box::new(Unsupported(other)),
        }
    }
}

/// The decoder of a format this build cannot read.
struct Unsupported(Format);

impl Decoder for Unsupported {
    fn push(&mut self, _: &[u8], _: &mut dyn RecordSink) -> Result<(), DecodeError> {
        Err(DecodeError {
            position: Position::default(),
            message: alloc::format!("{} input is not supported by this build", self.0),
        })
    }
    fn finish(&mut self, sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        self.push(&[], sink)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many leading bytes [`sniff`] wants to see (fewer at end of file is fine).
pub const SNIFF_BYTES: usize = 4096;

/// Recognise a format from the first bytes of a file (by content only):
/// magic bytes for EVTX (`ElfFile\0`) and XLSX (`PK\3\4`); otherwise, after
/// a byte-order mark and white space, `<` is XML, `{` or `[` is JSON,
/// `Record N` (evtx_dump's separator) is XML or JSON by what follows, and a
/// first line with a comma is CSV.
///
/// Returns `None` when the content matches no format (the caller reports it).
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"ElfFile\0") {
        return Some(Format::Evtx);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Some(Format::Xlsx);
    }
    let mut front = text::Front::new();
    let mut utf8 = front.text(head).0.to_vec();
    utf8.extend_from_slice(front.finish().0);
    let body = utf8.as_slice();
    let first = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &body[first..];
    match rest[0] {
        b'<' => return Some(Format::Xml),
        b'{' | b'[' => return Some(Format::Json),
        _ => {}
    }
    let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let first_line = &rest[..line_end];
    if is_record_separator(first_line) {
        let next = rest[line_end..].iter().find(|b| !b.is_ascii_whitespace());
        return match next {
            Some(b'<') => Some(Format::Xml),
            Some(b'{') => Some(Format::Json),
            _ => None,
        };
    }
    first_line.contains(&b',').then_some(Format::Csv)
}

/// Is `line` an evtx_dump record separator (`Record 12`)?
pub fn is_record_separator(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line.strip_prefix(b"Record ") {
        Some(n) => !n.is_empty() && n.iter().all(u8::is_ascii_digit),
        None => false,
    }
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
