//! Excel workbooks: the Defender portal's advanced-hunting "Export" (std only).
//!
//! An XLSX file is a zip archive whose directory sits at its *end*, so it
//! cannot be streamed: pushed bytes are buffered (up to [`MAX_XLSX_BYTES`];
//! beyond that the file is refused with an error) and the workbook is read in
//! [`Decoder::finish`] with `calamine`. Zip bombs are refused before calamine
//! inflates them (see [`guard`]): every part calamine reads whole has a limit
//! on its declared size ([`MAX_PART_BYTES`]; the shared-string table, whose
//! strings are all kept, [`MAX_SHARED_STRINGS_BYTES`] of memory), the streamed
//! worksheet has one too ([`MAX_WORKSHEET_BYTES`]), and `zip` stops any entry
//! that inflates past its declared size.
//!
//! The first worksheet is read. Its first non-empty row is the header,
//! resolved through [`crate::mapping`] exactly as a CSV header is (so the same
//! column names, suffixes such as ` [UTC]`, and the same error naming the
//! missing required columns); each later non-empty row is an event, classified
//! as every format classifies one ([`super::winevent::class_of_fields`]: by a
//! provider column when it names one, else by `ActionType` / `EventID`).
//!
//! Cells become text: strings as they are; whole numbers without a decimal
//! part (`4242`, not `4242.0`); other numbers in Rust's shortest round-trip
//! form; booleans `true` / `false`; Excel date/time cells as ISO 8601 local
//! times without a zone (`2021-06-23T03:08:14`, with `.mmm` when there are
//! milliseconds; Excel keeps no zone and no precision beyond milliseconds);
//! durations `hh:mm:ss`; error cells as Excel shows them (`#N/A`).
//!
//! Positions: `line` is the worksheet row (1-based), `byte` is 0 (a zip has
//! no meaningful offset for a cell), `record` counts data rows.

use std::string::{String, ToString};
use std::vec::Vec;

use calamine::{open_workbook_from_rs, Data, ExcelDateTime, Reader, Xlsx};

pub mod guard;
pub use guard::{
    MAX_PART_BYTES, MAX_SHARED_STRINGS_BYTES, MAX_WORKSHEET_BYTES, MAX_XML_ITEM_BYTES, STRING_COST,
};

use super::{DecodeError, DecodeErrorKind as Kind, Decoder};
use crate::event::{Position, RecordSink, Skip};
use crate::format::named::NamedRecord;
use crate::mapping::Schema;

/// The largest workbook read (512 MiB): it must be held whole.
pub const MAX_XLSX_BYTES: usize = 512 << 20;

/// Buffering XLSX decoder. See the [module docs](self).
#[derive(Debug, Default)]
pub struct XlsxDecoder {
    bytes: Vec<u8>,
}

impl XlsxDecoder {
    /// A decoder at the start of a file.
    pub fn new() -> Self {
        Self::default()
    }
}

fn error(kind: Kind, line: u64, message: String) -> DecodeError {
    let position = Position {
        byte: 0,
        line,
        record: 0,
    };
    DecodeError::new(kind, position, message)
}

impl Decoder for XlsxDecoder {
    fn push(&mut self, chunk: &[u8], _: &mut dyn RecordSink) -> Result<(), DecodeError> {
        if self.bytes.len() + chunk.len() > MAX_XLSX_BYTES {
            let total = self.bytes.len() + chunk.len();
            self.bytes = Vec::new();
            return Err(DecodeError::new(
                Kind::XlsxTooLarge,
                Position {
                    byte: total as u64,
                    ..Position::default()
                },
                std::format!(
                    "XLSX workbook is over {} MiB; a workbook must be read whole, so export CSV instead",
                    MAX_XLSX_BYTES >> 20
                ),
            ));
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        let bytes = core::mem::take(&mut self.bytes);
        // Zip bombs: see the guard's docs for what is checked, and when.
        let entries = guard::survey(&bytes)?;
        let (reader, watch) = guard::Guarded::new(bytes, entries);
        let mut workbook: Xlsx<_> = open_workbook_from_rs(reader).map_err(|e| match e {
            // Every workbook has a package relationships part: without one
            // this is some other zip (a .docx is a workbook's cousin, not one).
            calamine::XlsxError::FileNotFound(ref part) if part == "_rels/.rels" => error(
                Kind::XlsxNotWorkbook,
                0,
                "a zip archive, not an Excel workbook (it has no _rels/.rels)".to_string(),
            ),
            e => error(
                watch.borrow().kind(&e, Kind::XlsxZip),
                0,
                watch.borrow().explain("not a readable XLSX workbook", &e),
            ),
        })?;
        watch.borrow_mut().start_streaming();
        let name = workbook.sheet_names().first().cloned().ok_or_else(|| {
            error(
                Kind::XlsxMissingSheet,
                0,
                "the workbook has no worksheet".to_string(),
            )
        })?;
        // Cells are streamed row by row (never as one dense range, which a
        // 2 KB file with cells at A1 and XFD1048576 would make 550 GB).
        let mut cells = workbook.worksheet_cells_reader(&name).map_err(|e| {
            error(
                watch.borrow().kind(&e, Kind::XlsxSheet),
                0,
                watch
                    .borrow()
                    .explain("cannot read the first worksheet", &e),
            )
        })?;
        let mut rows = Rows::default();
        loop {
            let cell = cells.next_cell().map_err(|e| {
                let line = rows.row.map_or(0, |r| u64::from(r) + 1);
                error(
                    watch.borrow().kind(&e, Kind::XlsxSheet),
                    line,
                    watch
                        .borrow()
                        .explain("cannot read the first worksheet", &e),
                )
            })?;
            let Some(cell) = cell else { break };
            let (row, column) = cell.get_position();
            if rows.row != Some(row) {
                rows.flush(sink)?;
                rows.row = Some(row);
            }
            if rows.cells.len() < 2 * MAX_COLUMNS as usize {
                rows.cells
                    .push((column, Data::from(cell.get_value().clone())));
            } else {
                rows.crowded = true;
            }
        }
        rows.flush(sink)?;
        if rows.header.is_none() {
            return Err(error(
                Kind::Empty,
                0,
                "no header row: the first worksheet is empty".to_string(),
            ));
        }
        Ok(())
    }
}

/// Excel's last column is XFD: 16,384 columns.
const MAX_COLUMNS: u32 = 16_384;

/// The worksheet's rows as they stream by: the header, then records.
#[derive(Default)]
struct Rows {
    /// The row whose cells are being gathered (0-based).
    row: Option<u32>,
    cells: Vec<(u32, Data)>,
    /// The row had more cells than a row can hold (repeated references).
    crowded: bool,
    header: Option<Vec<String>>,
    records: u64,
}

impl Rows {
    /// The gathered row is complete: it is the header, a record, or blank.
    fn flush(&mut self, sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        let cells = core::mem::take(&mut self.cells);
        let crowded = core::mem::take(&mut self.crowded);
        let Some(row) = self.row else {
            return Ok(());
        };
        let line = u64::from(row) + 1;
        if cells.iter().all(|(_, c)| cell_text(c).trim().is_empty()) {
            return Ok(()); // a blank row is no record
        }
        let width = cells.iter().map(|&(c, _)| c).max().map_or(0, |c| c + 1);
        let names = self.header.as_ref();
        let position = Position {
            byte: 0,
            line,
            record: self.records + 1,
        };
        if width > MAX_COLUMNS || crowded {
            let reason = if crowded {
                std::format!("row has over {} cells, more than a row holds", cells.len())
            } else {
                std::format!(
                    "row has a cell in column {width}, beyond Excel's last column ({MAX_COLUMNS})"
                )
            };
            return match names {
                None => Err(error(
                    Kind::XlsxRowTooWide,
                    line,
                    std::format!("header {reason}"),
                )),
                Some(_) => {
                    self.records += 1;
                    sink.skip(Skip::new(Kind::XlsxRowTooWide, position, reason));
                    Ok(())
                }
            };
        }
        let width = width.max(names.map_or(0, |n| n.len() as u32)) as usize;
        let mut dense = std::vec![String::new(); width];
        for (column, cell) in &cells {
            if let Some(slot) = dense.get_mut(*column as usize) {
                *slot = cell_text(cell);
            }
        }
        let Some(names) = names else {
            check_header(&dense, line)?;
            self.header = Some(dense);
            return Ok(());
        };
        self.records += 1;
        let fields: Vec<(String, String)> = dense
            .into_iter()
            .enumerate()
            .map(|(j, value)| match names.get(j) {
                Some(name) => (name.clone(), value),
                None => (std::format!("(extra column {})", j + 1), value),
            })
            .collect();
        sink.record(&NamedRecord::new(fields, position));
        Ok(())
    }
}

/// The header must name a source for every required column.
fn check_header(names: &[String], line: u64) -> Result<(), DecodeError> {
    match Schema::resolve(names).missing_required_message() {
        None => Ok(()),
        Some(wanted) => Err(error(
            Kind::MissingColumns,
            line,
            std::format!("XLSX header lacks required columns: {wanted}"),
        )),
    }
}

/// A cell as text (see the [module docs](self)).
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => date_time_text(dt),
        Data::Error(e) => e.to_string(),
    }
}

/// `4242.0` → `4242`; other numbers as Rust prints them (shortest round trip).
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        std::format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// An Excel date/time as ISO 8601 without a zone; a duration as `hh:mm:ss`.
fn date_time_text(dt: &ExcelDateTime) -> String {
    if dt.is_duration() {
        let ms = (dt.as_f64() * 86_400_000.0).round() as i64;
        let (sign, ms) = if ms < 0 { ("-", -ms) } else { ("", ms) };
        let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        return if milli == 0 {
            std::format!("{sign}{h:02}:{m:02}:{s:02}")
        } else {
            std::format!("{sign}{h:02}:{m:02}:{s:02}.{milli:03}")
        };
    }
    let (year, month, day, hour, minute, second, milli) = dt.to_ymd_hms_milli();
    let mut text = std::format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if milli != 0 {
        text.push_str(&std::format!(".{milli:03}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn a_zip_that_is_not_a_workbook_is_named_as_such() {
        use std::io::Write;
        // A .docx-like archive: a zip, with no workbook parts at all.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("word/document.xml", stored).expect("entry");
        zip.write_all(b"<w:document/>").expect("write");
        let bytes = zip.finish().expect("zip").into_inner();
        let rule = crate::matcher::CompiledRule::new();
        let mut scan = crate::scan::FileScan::new(&rule, 0, "x.xlsx", None);
        scan.push(&bytes);
        let (summary, _) = scan.finish();
        assert_eq!(summary.format, Some(crate::format::Format::Xlsx));
        let message = summary.error.expect("an error").message;
        assert!(
            message.starts_with("a zip archive, not an Excel workbook"),
            "{message}"
        );
    }

    #[test]
    fn cells_render_as_exports_write_them() {
        let table = [
            (Data::Float(4242.0), "4242"),
            (Data::Float(-3.0), "-3"),
            (Data::Float(0.5), "0.5"),
            (Data::Float(1e20), "100000000000000000000"),
            (Data::Int(7), "7"),
            (Data::Bool(true), "true"),
            (Data::String("cmd.exe /c \"x\"".into()), "cmd.exe /c \"x\""),
            (Data::Empty, ""),
            (
                // 2025-10-13 12:59:02.400 (calamine's own example).
                Data::DateTime(ExcelDateTime::new(
                    45943.541,
                    ExcelDateTimeType::DateTime,
                    false,
                )),
                "2025-10-13T12:59:02.400",
            ),
            (
                Data::DateTime(ExcelDateTime::new(
                    45943.5,
                    ExcelDateTimeType::DateTime,
                    false,
                )),
                "2025-10-13T12:00:00",
            ),
            (
                Data::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false)),
                "36:00:00",
            ),
            (Data::Error(calamine::CellErrorType::NA), "#N/A"),
        ];
        for (cell, text) in table {
            assert_eq!(cell_text(&cell), text, "{cell:?}");
        }
    }
}
