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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
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
        Err(DecodeError::new(
            DecodeErrorKind::Unsupported,
            Position::default(),
            alloc::format!("{} input is not supported by this build", self.0),
        ))
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

/// [`sniff`], or the error the file stops on when it finds nothing: the
/// file is empty (white space only), or in no format cmdhunt reads.
pub fn sniff_or_error(head: &[u8]) -> Result<Format, DecodeError> {
    sniff(head).ok_or_else(|| {
        let (kind, message) = if head.iter().all(u8::is_ascii_whitespace) {
            (DecodeErrorKind::Empty, "the file is empty")
        } else {
            (
                DecodeErrorKind::UnrecognisedFormat,
                "unrecognised format: not CSV, EVTX, XML, JSON or XLSX",
            )
        };
        DecodeError::new(kind, Position::default(), message)
    })
}

/// Is `line` an evtx_dump record separator (`Record 12`)?
pub fn is_record_separator(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line.strip_prefix(b"Record ") {
        Some(n) => !n.is_empty() && n.iter().all(u8::is_ascii_digit),
        None => false,
    }
}

/// What kind of failure a [`DecodeError`] or a [`crate::event::Skip`] reports.
///
/// The message says it in words for a person (and may change); the kind is
/// for programs and tests, and its [`name`](Self::name) is stable. Each
/// variant is one failure some decoder (or the host reading the file) reports;
/// the docs say which, and whether it stops the file or skips a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum DecodeErrorKind {
    /// The host could not open or read the file (stops the file).
    Read,
    /// Nothing to read: an empty or blank file, a CSV file with no header, a
    /// JSON file with no value, a workbook whose first worksheet is empty
    /// (stops the file).
    Empty,
    /// The content matches no format [`sniff`] knows (stops the file).
    UnrecognisedFormat,
    /// A format this build does not read (without `std`: EVTX, XML, XLSX; stops the file).
    Unsupported,
    /// The input ends, or is cut short, inside something: a JSON value (at
    /// end of file, or a JSON line cut where the next value starts), an XML
    /// `<Event>`, the EVTX file header, an EVTX chunk (each record it loses;
    /// the message ends "the file ends inside this chunk"). Skips what was
    /// cut; stops the file when nothing after it can be read.
    Truncated,
    /// A record over [`MAX_RECORD_BYTES`] (CSV, JSON, XML; skips the record).
    RecordTooLarge,
    /// A CSV or XLSX header without a source for every required column (stops the file).
    MissingColumns,
    /// A CSV quoted field never closed: the record runs to the end of the file (skips it).
    CsvQuote,
    /// JSON that does not parse (skips the value).
    JsonSyntax,
    /// A JSON value nested deeper than the decoder follows (skips the value).
    JsonTooDeep,
    /// A JSON value, or text, where an event was expected: a scalar array
    /// element, a bare string, text outside any object (skips it).
    JsonNotEvent,
    /// A table's rows without usable column names (skips the rows).
    JsonTableColumns,
    /// An `<Event>` that is not well-formed XML (skips the event).
    XmlSyntax,
    /// An entity reference that is never expanded (only the five predefined
    /// entities and character references are), or a bad character reference
    /// (skips the event).
    XmlEntity,
    /// XML with no `<Event>` element: not Windows event XML (stops the file).
    XmlNoEvent,
    /// The EVTX file header is not `ElfFile` (stops the file).
    EvtxFileHeader,
    /// An EVTX chunk whose header is damaged or cannot be parsed, or that
    /// lists more records than a chunk holds (skips its records).
    EvtxChunk,
    /// An EVTX record that cannot be read or rendered, is incomplete, or that
    /// its chunk lists but is not there (zeroed): skips the record.
    EvtxRecord,
    /// A workbook over the size read whole (stops the file).
    XlsxTooLarge,
    /// A zip archive that is not an Excel workbook (no `_rels/.rels`; stops the file).
    XlsxNotWorkbook,
    /// The zip archive, or a workbook part in it, cannot be read: a damaged
    /// archive, a part that inflates past the size it declares, malformed
    /// workbook parts (stops the file).
    XlsxZip,
    /// The zip-bomb guard refuses a part: over a size limit once inflated,
    /// an XML item over its limit, a second shared-string table (stops the file).
    XlsxPartTooLarge,
    /// A workbook without a worksheet (stops the file).
    XlsxMissingSheet,
    /// The first worksheet cannot be read (stops the file at the row it reached).
    XlsxSheet,
    /// A worksheet row with cells beyond Excel's last column (skips the row;
    /// stops the file when it is the header).
    XlsxRowTooWide,
}

impl DecodeErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [DecodeErrorKind; 25] = [
        DecodeErrorKind::Read,
        DecodeErrorKind::Empty,
        DecodeErrorKind::UnrecognisedFormat,
        DecodeErrorKind::Unsupported,
        DecodeErrorKind::Truncated,
        DecodeErrorKind::RecordTooLarge,
        DecodeErrorKind::MissingColumns,
        DecodeErrorKind::CsvQuote,
        DecodeErrorKind::JsonSyntax,
        DecodeErrorKind::JsonTooDeep,
        DecodeErrorKind::JsonNotEvent,
        DecodeErrorKind::JsonTableColumns,
        DecodeErrorKind::XmlSyntax,
        DecodeErrorKind::XmlEntity,
        DecodeErrorKind::XmlNoEvent,
        DecodeErrorKind::EvtxFileHeader,
        DecodeErrorKind::EvtxChunk,
        DecodeErrorKind::EvtxRecord,
        DecodeErrorKind::XlsxTooLarge,
        DecodeErrorKind::XlsxNotWorkbook,
        DecodeErrorKind::XlsxZip,
        DecodeErrorKind::XlsxPartTooLarge,
        DecodeErrorKind::XlsxMissingSheet,
        DecodeErrorKind::XlsxSheet,
        DecodeErrorKind::XlsxRowTooWide,
    ];

    /// A short stable name in snake_case (`csv_quote`, `evtx_chunk`), for
    /// machine-readable output and the worker protocol.
    ///
    /// ```
    /// use cmdhunt_core::format::DecodeErrorKind;
    /// assert_eq!(DecodeErrorKind::XlsxPartTooLarge.name(), "xlsx_part_too_large");
    /// assert_eq!(DecodeErrorKind::from_name("json_syntax"), Some(DecodeErrorKind::JsonSyntax));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DecodeErrorKind::Read => "read",
            DecodeErrorKind::Empty => "empty",
            DecodeErrorKind::UnrecognisedFormat => "unrecognised_format",
            DecodeErrorKind::Unsupported => "unsupported",
            DecodeErrorKind::Truncated => "truncated",
            DecodeErrorKind::RecordTooLarge => "record_too_large",
            DecodeErrorKind::MissingColumns => "missing_columns",
            DecodeErrorKind::CsvQuote => "csv_quote",
            DecodeErrorKind::JsonSyntax => "json_syntax",
            DecodeErrorKind::JsonTooDeep => "json_too_deep",
            DecodeErrorKind::JsonNotEvent => "json_not_event",
            DecodeErrorKind::JsonTableColumns => "json_table_columns",
            DecodeErrorKind::XmlSyntax => "xml_syntax",
            DecodeErrorKind::XmlEntity => "xml_entity",
            DecodeErrorKind::XmlNoEvent => "xml_no_event",
            DecodeErrorKind::EvtxFileHeader => "evtx_file_header",
            DecodeErrorKind::EvtxChunk => "evtx_chunk",
            DecodeErrorKind::EvtxRecord => "evtx_record",
            DecodeErrorKind::XlsxTooLarge => "xlsx_too_large",
            DecodeErrorKind::XlsxNotWorkbook => "xlsx_not_workbook",
            DecodeErrorKind::XlsxZip => "xlsx_zip",
            DecodeErrorKind::XlsxPartTooLarge => "xlsx_part_too_large",
            DecodeErrorKind::XlsxMissingSheet => "xlsx_missing_sheet",
            DecodeErrorKind::XlsxSheet => "xlsx_sheet",
            DecodeErrorKind::XlsxRowTooWide => "xlsx_row_too_wide",
        }
    }

    /// The kind called `name` (as [`DecodeErrorKind::name`] spells it).
    pub fn from_name(name: &str) -> Option<DecodeErrorKind> {
        DecodeErrorKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A decoding failure that stops a file (as opposed to a [`crate::event::Skip`],
/// which loses one record and goes on).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DecodeError {
    /// What kind of failure it is.
    pub kind: DecodeErrorKind,
    /// Where it happened.
    pub position: Position,
    /// What went wrong, in words.
    pub message: String,
}

impl DecodeError {
    /// A failure of `kind` at `position`, said in `message`.
    pub fn new(kind: DecodeErrorKind, position: Position, message: impl Into<String>) -> Self {
        Self {
            kind,
            position,
            message: message.into(),
        }
    }
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
    /// Pass over the next `bytes` bytes, all zero, with the same result as
    /// [`push`](Self::push)ing them, without reading them, when the decoder
    /// can tell that result in O(1) (an EVTX decoder at a chunk boundary:
    /// unused chunks, [`crate::split::evtx`]). `false` when it cannot: nothing
    /// was done, and the caller pushes the zeros.
    fn skip_zeros(&mut self, bytes: u64) -> bool {
        let _ = bytes;
        false
    }
}
