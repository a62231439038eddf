//! Zip-bomb limits for XLSX workbooks: memory stays bounded whatever the
//! archive declares or holds.
//!
//! calamine reads some parts of a workbook *whole* while it opens it (the
//! shared-string table, styles, theme, the workbook and the relationships)
//! and keeps what they hold; only the worksheet is streamed afterwards, cell
//! by cell. A few kilobytes of deflate can inflate to gigabytes, so before
//! calamine sees the archive:
//!
//! 1. [`survey`] reads the central directory with the same `zip` crate and
//!    version as calamine, so both see the same entries at the same offsets;
//! 2. every shared-string table (an entry named `sharedStrings.xml` in any
//!    folder and any case, as calamine looks it up) is checked: its declared
//!    size, then one streamed pass that counts its strings (each costs memory
//!    even when empty), reads the `uniqueCount` calamine reserves up front,
//!    and bounds the largest XML item and the largest string;
//! 3. calamine reads the archive through [`Guarded`], which refuses to start
//!    on any entry whose declared size is over the limit of the phase: while
//!    the workbook opens, whatever is read is read whole
//!    ([`MAX_PART_BYTES`], or [`MAX_SHARED_STRINGS_BYTES`] for the table of
//!    step 2); afterwards only the worksheet is read, streamed
//!    ([`MAX_WORKSHEET_BYTES`], a bound on time). Streaming bounds memory
//!    only if no single XML item or cell is huge, so a worksheet over
//!    [`MAX_XML_ITEM_BYTES`] is first scanned once, as step 2 scans the
//!    table (one more inflate and XML tokenizing pass, no cell decoding:
//!    about +40% time on such a sheet); a smaller one cannot hold anything
//!    bigger than itself, and a table that small is read only up to its
//!    `<sst>` tag.
//!
//! An entry that inflates to more than it declares is stopped by `zip`
//! itself ("File is larger than its declared uncompressed size"), so declared
//! sizes bound real bytes. Knowing *which* entries calamine reads in each
//! phase from the offsets it seeks to (rather than guessing from names) means
//! a workbook cannot dodge the limits by renaming or re-pointing its parts.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;
use std::string::{String, ToString};
use std::vec::Vec;

use quick_xml::events::Event;
use zip::ZipArchive;

use crate::event::Position;
use crate::format::{DecodeError, DecodeErrorKind, MAX_RECORD_BYTES};

/// The largest declared size of a part read whole other than the shared
/// strings (16 MiB). Real ones are tiny: an export's `styles.xml` is a few
/// KB, the theme 10 KB, the workbook and relationships under 1 KB.
pub const MAX_PART_BYTES: u64 = MAX_RECORD_BYTES as u64 / 4;

/// The memory the shared-string table may take once read (1.5 GiB): its
/// declared size plus [`STRING_COST`] per string must stay under this.
/// A 1,048,576-row export (Excel's most) with ten unique 60-byte strings a
/// row declares about 800 MB and costs about 1.4 GB, so it fits; a table of
/// empty strings (`<si/>`, 5 bytes inflating to a 24-byte `String` and more)
/// is refused long before it costs gigabytes.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 24 * MAX_RECORD_BYTES as u64;

/// The memory one shared string costs beyond its text, counted generously:
/// a 24-byte `String` in a vector that may have doubled, and allocator
/// overhead.
pub const STRING_COST: u64 = 64;

/// The largest declared size of the worksheet (4 GiB). It is streamed, so
/// this bounds time, not memory: a 1,048,576-row export of 60 columns is
/// about 2.5 GB of sheet XML.
pub const MAX_WORKSHEET_BYTES: u64 = 64 * MAX_RECORD_BYTES as u64;

/// The largest single XML item (a tag, a run of text) and the largest shared
/// string, markup included (64 MiB). A cell holds at most 32,767 characters.
pub const MAX_XML_ITEM_BYTES: u64 = MAX_RECORD_BYTES as u64;

const MIB: u64 = 1 << 20;

/// One zip entry as the central directory describes it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its index in the central directory.
    index: usize,
    name: String,
    data_start: u64,
    declared: u64,
    shared_strings: bool,
}

fn refused(kind: DecodeErrorKind, message: String) -> DecodeError {
    DecodeError::new(kind, Position::default(), message)
}

fn over_limit(entry: &Entry, limit: u64, what: &str) -> String {
    std::format!(
        "{} declares {} bytes ({} MiB) uncompressed, over the {} MiB limit for {what}",
        entry.name,
        entry.declared,
        entry.declared.div_ceil(MIB),
        limit / MIB
    )
}

/// Reads the central directory and checks every shared-string table
/// (steps 1 and 2 of the [module docs](self)); returns the entries.
pub fn survey(bytes: &[u8]) -> Result<Vec<Entry>, DecodeError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        refused(
            DecodeErrorKind::XlsxZip,
            std::format!("not a readable XLSX workbook: {e}"),
        )
    })?;
    let mut entries = Vec::new();
    for index in 0..archive.len() {
        // An entry whose header is unreadable here is unreadable for
        // calamine too: it fails there if it is ever needed.
        let Ok(file) = archive.by_index_raw(index) else {
            continue;
        };
        let (Ok(name), Some(data_start)) = (file.name(), file.data_start()) else {
            continue;
        };
        let lookup = name.replace('\\', "/").to_ascii_lowercase();
        entries.push(Entry {
            index,
            name: name.into_owned(),
            data_start,
            declared: file.size(),
            shared_strings: lookup.ends_with("sharedstrings.xml"),
        });
    }
    let tables: Vec<&Entry> = entries.iter().filter(|e| e.shared_strings).collect();
    if tables.len() > 1 {
        let names: Vec<&str> = tables.iter().map(|e| e.name.as_str()).collect();
        return Err(refused(
            DecodeErrorKind::XlsxPartTooLarge,
            std::format!(
                "the workbook has {} shared-string tables ({}); a workbook has one",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    for entry in tables {
        check_shared_strings(&mut archive, entry)?;
    }
    Ok(entries)
}

/// Step 2: the shared-string table must fit [`MAX_SHARED_STRINGS_BYTES`]
/// once read, with no item or string over [`MAX_XML_ITEM_BYTES`].
fn check_shared_strings(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    entry: &Entry,
) -> Result<(), DecodeError> {
    if entry.declared > MAX_SHARED_STRINGS_BYTES {
        return Err(refused(
            DecodeErrorKind::XlsxPartTooLarge,
            over_limit(entry, MAX_SHARED_STRINGS_BYTES, "the shared-string table"),
        ));
    }
    match scan_part(archive, entry, true) {
        Ok(()) => Ok(()),
        Err(Stop::Refused(message)) => Err(refused(DecodeErrorKind::XlsxPartTooLarge, message)),
        // calamine reads the table whole while it opens the workbook: any
        // error in it fails the workbook.
        Err(Stop::Broken(message)) => Err(refused(DecodeErrorKind::XlsxZip, message)),
    }
}

/// The worksheet calamine is about to stream must hold no item and no cell
/// over [`MAX_XML_ITEM_BYTES`]. A part that is broken rather than too big
/// is left to calamine, which reads its rows up to the same fault and then
/// reports it with a row number.
fn check_streamed(bytes: &[u8], entry: &Entry) -> Result<(), String> {
    if entry.declared <= MAX_XML_ITEM_BYTES {
        return Ok(()); // nothing in it can be bigger than it
    }
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| std::format!("not a readable XLSX workbook: {e}"))?;
    match scan_part(&mut archive, entry, false) {
        Ok(()) | Err(Stop::Broken(_)) => Ok(()),
        Err(Stop::Refused(message)) => Err(message),
    }
}

/// The most a table of at most [`MAX_XML_ITEM_BYTES`] can cost: a string
/// takes at least 4 bytes (`<si>`). It fits the limit, so such a table is
/// only scanned up to its `<sst>` tag (for `uniqueCount`).
const SMALL_TABLE_COST: u64 = MAX_XML_ITEM_BYTES / 4 * STRING_COST + MAX_XML_ITEM_BYTES;
const _: () = assert!(SMALL_TABLE_COST <= MAX_SHARED_STRINGS_BYTES);

/// Why [`scan_part`] stopped early.
enum Stop {
    /// Over a memory limit.
    Refused(String),
    /// Not readable (bad XML, bad CRC, more bytes than declared).
    Broken(String),
}

/// The elements whose content calamine gathers across XML items into one
/// value: a cell, its value, formula and inline string; a shared string and
/// its runs and texts. Each must stay under [`MAX_XML_ITEM_BYTES`].
const GATHERED: [&str; 7] = ["c", "v", "f", "is", "si", "r", "t"];

/// Stream `entry` once as calamine will read it (same XML settings), with no
/// single item and no [`GATHERED`] element over [`MAX_XML_ITEM_BYTES`]; with
/// `count_strings`, also the table's cost (see [`check_cost`]).
fn scan_part(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    entry: &Entry,
    count_strings: bool,
) -> Result<(), Stop> {
    let name = &entry.name;
    let file = archive
        .by_index(entry.index)
        .map_err(|e| Stop::Broken(std::format!("{name}: {e}")))?;
    let mut xml = quick_xml::Reader::from_reader(Items::new(file));
    let config = xml.config_mut();
    // As calamine reads it.
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let (mut strings, mut reserved) = (0u64, 0u64);
    // calamine reads such an element from its start tag to the first end
    // tag of the same name (or, for a cell, of the same local name, which is
    // sooner); the earliest open one per name is the longest.
    let mut open: Vec<(String, u64)> = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        xml.get_mut().item = 0;
        let event = xml.read_event_into(&mut buf);
        let at = xml.get_ref().total;
        match event {
            Ok(Event::Start(e)) => {
                let local = e.local_name();
                let local = local.as_ref();
                if count_strings && local == "si" {
                    strings += 1;
                    check_cost(entry, strings, reserved, at).map_err(Stop::Refused)?;
                }
                if count_strings && local == "sst" {
                    reserved = reserved.max(unique_count(e.attributes_raw().as_bytes()));
                    check_cost(entry, strings, reserved, at).map_err(Stop::Refused)?;
                    if entry.declared <= MAX_XML_ITEM_BYTES {
                        // calamine reserves for the first `<sst>` only; the
                        // rest cannot cost too much (see SMALL_TABLE_COST).
                        return Ok(());
                    }
                }
                let qname = e.name();
                let qname = qname.as_ref();
                if GATHERED.contains(&local) && !open.iter().any(|(q, _)| q == qname) {
                    if open.len() >= 64 {
                        return Err(Stop::Refused(std::format!(
                            "{name}: over 64 differently named elements open at byte {at}"
                        )));
                    }
                    open.push((qname.to_string(), at));
                }
            }
            Ok(Event::End(e)) if !open.is_empty() => {
                open.retain(|(q, _)| q.as_str() != e.name().as_ref());
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) if xml.get_ref().over => {
                return Err(Stop::Refused(std::format!(
                    "{name}: an XML item over {} MiB at byte {at} (a cell holds at most 32,767 characters)",
                    MAX_XML_ITEM_BYTES / MIB
                )));
            }
            Err(e) if lied(&e) => return Err(Stop::Broken(inflates_past(entry))),
            Err(e) => {
                return Err(Stop::Broken(std::format!(
                    "{name}: {e} (at byte {at} of the part)"
                )))
            }
        }
        if let Some((element, start)) = open
            .iter()
            .find(|(_, s)| at.saturating_sub(*s) > MAX_XML_ITEM_BYTES)
        {
            return Err(Stop::Refused(std::format!(
                "{name}: the <{element}> element at byte {start} is over {} MiB (a cell holds at most 32,767 characters)",
                MAX_XML_ITEM_BYTES / MIB
            )));
        }
    }
    Ok(())
}

/// The table's cost so far (see [`MAX_SHARED_STRINGS_BYTES`]) must fit: it
/// is checked as strings are counted, so a bomb is refused early.
fn check_cost(entry: &Entry, strings: u64, reserved: u64, at: u64) -> Result<(), String> {
    let cost = strings
        .max(reserved)
        .saturating_mul(STRING_COST)
        .saturating_add(entry.declared);
    if cost <= MAX_SHARED_STRINGS_BYTES {
        return Ok(());
    }
    let counted = if reserved > strings {
        std::format!("declares uniqueCount=\"{reserved}\" strings")
    } else {
        std::format!("holds over {strings} strings (by byte {at})")
    };
    Err(std::format!(
        "{} {counted} in {} bytes: over {} MiB once read, more than the {} MiB limit for the shared-string table",
        entry.name,
        entry.declared,
        cost / MIB,
        MAX_SHARED_STRINGS_BYTES / MIB
    ))
}

/// `zip` stopped an entry that inflated past its declared size.
fn lied(error: &dyn core::fmt::Display) -> bool {
    std::format!("{error}").contains("larger than its declared uncompressed size")
}

fn inflates_past(entry: &Entry) -> String {
    std::format!(
        "{} inflates to more than the {} bytes it declares",
        entry.name,
        entry.declared
    )
}

/// The largest number any `uniqueCount` attribute could be read as (calamine
/// reserves that many strings before reading one).
fn unique_count(attributes: &[u8]) -> u64 {
    const KEY: &[u8] = b"uniqueCount";
    let mut most = 0u64;
    let mut rest = attributes;
    while let Some(at) = rest.windows(KEY.len()).position(|w| w == KEY) {
        rest = rest.get(at + KEY.len()..).unwrap_or_default();
        let value = rest
            .iter()
            .skip_while(|b| b.is_ascii_whitespace() || matches!(b, b'=' | b'"' | b'\'' | b'+'));
        let n = value.take_while(|b| b.is_ascii_digit()).fold(0u64, |n, d| {
            n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
        });
        most = most.max(n);
    }
    most
}

/// A buffered reader that counts the bytes of the current XML item and
/// fails once it is over [`MAX_XML_ITEM_BYTES`].
struct Items<R> {
    inner: BufReader<R>,
    /// Bytes consumed since the caller last reset it (one item).
    item: u64,
    /// Bytes consumed in all.
    total: u64,
    /// The item went over the limit.
    over: bool,
}

impl<R: Read> Items<R> {
    fn new(inner: R) -> Self {
        Self {
            inner: BufReader::with_capacity(64 << 10, inner),
            item: 0,
            total: 0,
            over: false,
        }
    }
}

impl<R: Read> Read for Items<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Items<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.item > MAX_XML_ITEM_BYTES {
            self.over = true;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "XML item over the size limit",
            ));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.item += n as u64;
        self.total += n as u64;
        self.inner.consume(n);
    }
}

/// What the guard saw: the entries, the phase, and why it refused.
#[derive(Debug, Default)]
pub struct Watch {
    entries: Vec<Entry>,
    /// The workbook is open: only the worksheet is read from now on.
    streaming: bool,
    /// The message of a refused entry.
    refusal: Option<String>,
    /// The entry read last.
    current: Option<Entry>,
    /// The streamed entries already scanned (by index).
    scanned: Vec<usize>,
}

impl Watch {
    /// calamine is at `offset`: if an entry's data starts there, it is about
    /// to be read, and must fit the phase's limit.
    /// A streamed entry is first scanned whole (`bytes` is the workbook).
    fn check(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let streaming = self.streaming;
        for entry in self.entries.iter().filter(|e| e.data_start == offset) {
            let (limit, what) = match (streaming, entry.shared_strings) {
                (true, _) => (MAX_WORKSHEET_BYTES, "a worksheet"),
                (false, true) => (MAX_SHARED_STRINGS_BYTES, "the shared-string table"),
                (false, false) => (MAX_PART_BYTES, "a part read whole"),
            };
            if entry.declared > limit {
                let message = over_limit(entry, limit, what);
                self.refusal = Some(message.clone());
                return Err(io::Error::new(io::ErrorKind::InvalidData, message));
            }
            if streaming && !self.scanned.contains(&entry.index) {
                self.scanned.push(entry.index);
                if let Err(message) = check_streamed(bytes, entry) {
                    self.refusal = Some(message.clone());
                    return Err(io::Error::new(io::ErrorKind::InvalidData, message));
                }
            }
            self.current = Some(entry.clone());
        }
        Ok(())
    }

    /// The workbook is open; what is read from now on is streamed.
    pub fn start_streaming(&mut self) {
        self.streaming = true;
        // calamine opened the workbook even if a part was refused: the theme
        // is optional (calamine falls back to the default colours).
        self.refusal = None;
    }

    /// `context: error`, or the guard's refusal if it caused the error; the
    /// entry read last is named.
    pub fn explain(&self, context: &str, error: &dyn core::fmt::Display) -> String {
        match (&self.refusal, &self.current) {
            (Some(refusal), _) => refusal.clone(),
            (None, Some(entry)) if lied(error) => {
                std::format!("{context}: {}", inflates_past(entry))
            }
            (None, Some(entry)) => std::format!("{context} ({}): {error}", entry.name),
            (None, None) => std::format!("{context}: {error}"),
        }
    }

    /// The kind of the failure [`explain`](Self::explain) words:
    /// [`DecodeErrorKind::XlsxPartTooLarge`] when the guard refused a part,
    /// [`DecodeErrorKind::XlsxZip`] when a part inflated past its declared
    /// size, `otherwise` else.
    pub fn kind(
        &self,
        error: &dyn core::fmt::Display,
        otherwise: DecodeErrorKind,
    ) -> DecodeErrorKind {
        match (&self.refusal, &self.current) {
            (Some(_), _) => DecodeErrorKind::XlsxPartTooLarge,
            (None, Some(_)) if lied(error) => DecodeErrorKind::XlsxZip,
            _ => otherwise,
        }
    }
}

/// The workbook's bytes as calamine reads them, checked by a [`Watch`].
pub struct Guarded {
    inner: Cursor<Vec<u8>>,
    watch: Rc<RefCell<Watch>>,
}

impl Guarded {
    /// `bytes` watched by a new [`Watch`] over `entries` (from [`survey`]).
    pub fn new(bytes: Vec<u8>, entries: Vec<Entry>) -> (Self, Rc<RefCell<Watch>>) {
        let watch = Rc::new(RefCell::new(Watch {
            entries,
            ..Watch::default()
        }));
        let guarded = Self {
            inner: Cursor::new(bytes),
            watch: Rc::clone(&watch),
        };
        (guarded, watch)
    }
}

impl Read for Guarded {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.inner.read(out)
    }
}

impl Seek for Guarded {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let offset = self.inner.seek(to)?;
        self.watch
            .borrow_mut()
            .check(offset, self.inner.get_ref())?;
        Ok(offset)
    }
}

impl core::fmt::Debug for Guarded {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Guarded")
    }
}

#[cfg(test)]
mod tests {
    use super::unique_count;
    use std::string::String;

    #[test]
    fn unique_count_reads_every_spelling_calamine_might() {
        let table: [(&[u8], u64); 6] = [
            (b" count=\"5\" uniqueCount=\"3\"", 3),
            (b" uniqueCount='+0007'", 7),
            (b" uniqueCount = \"99999999999999999999999\"", u64::MAX),
            (b" uniqueCount=\"1\" uniqueCount=\"900\"", 900),
            (b" uniqueCount=\"x\"", 0),
            (b"", 0),
        ];
        for (attributes, want) in table {
            assert_eq!(
                unique_count(attributes),
                want,
                "{}",
                String::from_utf8_lossy(attributes)
            );
        }
    }
}
