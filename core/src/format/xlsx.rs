//! Excel workbooks: the Defender portal's advanced-hunting "Export" (std only).
//!
//! An XLSX file is a zip archive whose directory sits at its *end*, so it
//! cannot be streamed: pushed bytes are buffered (up to [`MAX_XLSX_BYTES`];
//! beyond that the file is refused with an error) and the workbook is read in
//! [`Decoder::finish`] with `calamine`.
//!
//! The first worksheet is read. Its first non-empty row is the header,
//! resolved through [`crate::mapping`] exactly as a CSV header is (so the same
//! column names, suffixes such as ` [UTC]`, and the same error naming the
//! missing required columns); each later non-empty row is an event, classified
//! by `ActionType` / `EventID` as for CSV.
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

use std::io::Cursor;
use std::string::{String, ToString};
use std::vec::Vec;

use calamine::{open_workbook_from_rs, Data, ExcelDateTime, Reader, Xlsx};

use super::{DecodeError, Decoder};
use crate::event::{Position, RecordSink};
use crate::format::named::NamedRecord;
use crate::mapping::{Schema, FIELD_MAP};

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

fn error(line: u64, message: String) -> DecodeError {
    DecodeError {
        position: Position {
            byte: 0,
            line,
            record: 0,
        },
        message,
    }
}

impl Decoder for XlsxDecoder {
    fn push(&mut self, chunk: &[u8], _: &mut dyn RecordSink) -> Result<(), DecodeError> {
        if self.bytes.len() + chunk.len() > MAX_XLSX_BYTES {
            let total = self.bytes.len() + chunk.len();
            self.bytes = Vec::new();
            return Err(DecodeError {
                position: Position {
                    byte: total as u64,
                    ..Position::default()
                },
                message: std::format!(
                    "XLSX workbook is over {} MiB; a workbook must be read whole, so export CSV instead",
                    MAX_XLSX_BYTES >> 20
                ),
            });
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        let bytes = core::mem::take(&mut self.bytes);
        let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
            .map_err(|e| error(0, std::format!("not a readable XLSX workbook: {e}")))?;
        let range = workbook
            .worksheet_range_at(0)
            .ok_or_else(|| error(0, "the workbook has no worksheet".to_string()))?
            .map_err(|e| error(0, std::format!("cannot read the first worksheet: {e}")))?;
        let first_row = u64::from(range.start().map_or(0, |(row, _)| row));
        let mut header: Option<(Vec<String>, u64)> = None;
        let mut records = 0;
        for (i, row) in range.rows().enumerate() {
            let line = first_row + i as u64 + 1;
            if row.iter().all(|c| cell_text(c).trim().is_empty()) {
                continue; // a blank row is no record
            }
            let Some((names, _)) = &header else {
                let names: Vec<String> = row.iter().map(cell_text).collect();
                check_header(&names, line)?;
                header = Some((names, line));
                continue;
            };
            records += 1;
            let mut fields: Vec<(String, String)> = names
                .iter()
                .zip(row.iter())
                .map(|(name, cell)| (name.clone(), cell_text(cell)))
                .collect();
            for (j, cell) in row.iter().enumerate().skip(names.len()) {
                fields.push((std::format!("(extra column {})", j + 1), cell_text(cell)));
            }
            let position = Position {
                byte: 0,
                line,
                record: records,
            };
            sink.record(&NamedRecord::new(fields, position));
        }
        if header.is_none() {
            return Err(error(
                0,
                "no header row: the first worksheet is empty".to_string(),
            ));
        }
        Ok(())
    }
}

/// The header must name a source for every required column.
fn check_header(names: &[String], line: u64) -> Result<(), DecodeError> {
    let missing = Schema::resolve(names).missing_required();
    if missing.is_empty() {
        return Ok(());
    }
    let wanted: Vec<String> = missing
        .iter()
        .map(|t| {
            let sources = FIELD_MAP
                .iter()
                .find(|(target, _)| target == t)
                .map(|(_, s)| *s)
                .unwrap_or(&[]);
            let names: Vec<&str> = sources.iter().map(|s| s.name).collect();
            std::format!("{} (one of: {})", t.name(), names.join(", "))
        })
        .collect();
    Err(error(
        line,
        std::format!("XLSX header lacks required columns: {}", wanted.join("; ")),
    ))
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
