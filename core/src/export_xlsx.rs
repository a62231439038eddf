//! The XLSX export (issue 13, item 7): a workbook with a "Rows" sheet (the
//! CSV export's columns: the KQL projection, `Matched`, `SourceFile`,
//! `SourceRecord`, and hardened mode's four) and a "Context" sheet (what
//! the export was made from: [`ExportContext::pairs`]).
//!
//! Every cell is an **inline string** (`t="inlineStr"`): a spreadsheet never
//! reads one as a formula, so `=HYPERLINK(...)` in a device name stays text
//! without the CSV export's leading `'`, and the cells hold the exact text.
//! Characters XML 1.0 cannot carry (controls other than tab, LF, CR) are
//! written as Excel's `_xHHHH_` escapes (and a literal `_xHHHH_` in the
//! text has its `_` escaped), as Excel itself does; a carriage return is
//! `&#13;` (a literal one would be read back as a line feed). A cell holds at most
//! [`MAX_CELL_CHARS`] characters (Excel's limit): a longer text is cut, and
//! the Context sheet says how many cells were.
//!
//! The container is a zip archive with stored (uncompressed) entries,
//! written here ([`stored_zip`], with its own CRC-32): the `zip` crate's
//! writer would have added about 200 KB of code to the page's wasm (its
//! `write` module's functions, measured by symbol in the unoptimised
//! build), this one a few KB. `core/tests/export_xlsx.rs` reads workbooks
//! back with calamine.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write as _;

pub use crate::export::row_cells;
use crate::export::{csv_header, DETECTION_CSV_HEADER};
use crate::export_context::ExportContext;
use crate::scan::FlaggedRow;

/// The most characters Excel keeps in one cell.
pub const MAX_CELL_CHARS: usize = 32_767;

/// One sheet: its name and its rows of text cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// The tab's name (31 characters at most, no `[]:*?/\`).
    pub name: String,
    /// The rows, the first one usually a header.
    pub rows: Vec<Vec<String>>,
}

/// Why a workbook could not be written (only the zip writer can fail, and
/// only when out of memory or misused).
#[derive(Debug)]
pub struct XlsxWriteError(pub String);

impl core::fmt::Display for XlsxWriteError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "could not write the XLSX workbook: {}", self.0)
    }
}

impl std::error::Error for XlsxWriteError {}

/// `A`, `B`, ..., `Z`, `AA`, ... for column `index` (0-based).
fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Whether XML 1.0 can carry `c` as a character.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether `text` starts with an Excel escape `_xHHHH_`.
fn starts_with_escape(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 7
        && b[0] == b'_'
        && (b[1] == b'x' || b[1] == b'X')
        && b[2..6].iter().all(u8::is_ascii_hexdigit)
        && b[6] == b'_'
}

/// `text` as the content of a `<t>` element, and whether it was cut to
/// [`MAX_CELL_CHARS`].
fn cell_xml(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len() + 8);
    let mut cut = false;
    for (n, (i, c)) in text.char_indices().enumerate() {
        if n == MAX_CELL_CHARS {
            cut = true;
            break;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // A literal CR would come back as LF (XML normalises line ends).
            '\r' => out.push_str("&#13;"),
            '_' if starts_with_escape(&text[i..]) => out.push_str("_x005F_"),
            c if !xml_char(c) => {
                let _ = write!(out, "_x{:04X}_", u32::from(c));
            }
            c => out.push(c),
        }
    }
    (out, cut)
}

/// A sheet's XML, and how many of its cells were cut.
fn sheet_xml(sheet: &Sheet) -> (String, usize) {
    let mut cut = 0;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    for (r, row) in sheet.rows.iter().enumerate() {
        let _ = write!(xml, "<row r=\"{}\">", r + 1);
        for (c, text) in row.iter().enumerate() {
            let (t, was_cut) = cell_xml(text);
            cut += usize::from(was_cut);
            let _ = write!(
                xml,
                "<c r=\"{}{}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{t}</t></is></c>",
                column_name(c),
                r + 1
            );
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>\n");
    (xml, cut)
}

fn xml_attr(text: &str) -> String {
    cell_xml(text).0
}

/// A workbook of `sheets` (text cells only), as the bytes of an `.xlsx`
/// file, and how many cells were cut to [`MAX_CELL_CHARS`].
pub fn workbook(sheets: &[Sheet]) -> Result<(Vec<u8>, usize), XlsxWriteError> {
    let mut types = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
    );
    let mut book = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>",
    );
    let mut rels = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    for (i, sheet) in sheets.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            types,
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        );
        let _ = write!(
            book,
            "<sheet name=\"{}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>",
            xml_attr(&sheet.name)
        );
        let _ = write!(
            rels,
            "<Relationship Id=\"rId{n}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet{n}.xml\"/>"
        );
    }
    types.push_str("</Types>\n");
    book.push_str("</sheets></workbook>\n");
    rels.push_str("</Relationships>\n");
    let root_rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
        <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
        <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
        </Relationships>\n";

    let mut parts: Vec<(String, String)> = vec![
        ("[Content_Types].xml".into(), types),
        ("_rels/.rels".into(), root_rels.into()),
        ("xl/workbook.xml".into(), book),
        ("xl/_rels/workbook.xml.rels".into(), rels),
    ];
    let mut cut = 0;
    for (i, sheet) in sheets.iter().enumerate() {
        let (xml, c) = sheet_xml(sheet);
        cut += c;
        parts.push((format!("xl/worksheets/sheet{}.xml", i + 1), xml));
    }
    let entries: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_bytes()))
        .collect();
    let bytes = stored_zip(&entries)?;
    Ok((bytes, cut))
}

/// The CRC-32 (IEEE, as zip uses) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (n, slot) in t.iter_mut().enumerate() {
            let mut c = n as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    !bytes.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8)
    })
}

/// A zip archive of `entries` (name, bytes), every entry stored (method 0),
/// names flagged UTF-8, dated 1980-01-01 (the same bytes every time). No
/// zip64: the archive must stay under 4 GiB and 65,535 entries.
pub fn stored_zip(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, XlsxWriteError> {
    const DATE_1980_01_01: u16 = (1 << 5) | 1;
    let too_large = || XlsxWriteError("over 4 GiB: too large for a zip without zip64".into());
    let u32_of = |n: usize| u32::try_from(n).map_err(|_| too_large());
    let count =
        u16::try_from(entries.len()).map_err(|_| XlsxWriteError("over 65,535 entries".into()))?;
    let mut out: Vec<u8> = Vec::new();
    let mut central: Vec<u8> = Vec::new();
    let put16 = |v: &mut Vec<u8>, n: u16| v.extend_from_slice(&n.to_le_bytes());
    let put32 = |v: &mut Vec<u8>, n: u32| v.extend_from_slice(&n.to_le_bytes());
    for (name, data) in entries {
        let offset = u32_of(out.len())?;
        let (crc, size) = (crc32(data), u32_of(data.len())?);
        let name_len = u16::try_from(name.len()).map_err(|_| too_large())?;
        // Local file header.
        put32(&mut out, 0x0403_4b50);
        for n in [20, 0x0800, 0, 0, DATE_1980_01_01] {
            put16(&mut out, n);
        }
        for n in [crc, size, size] {
            put32(&mut out, n);
        }
        put16(&mut out, name_len);
        put16(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Its central directory record.
        put32(&mut central, 0x0201_4b50);
        for n in [20, 20, 0x0800, 0, 0, DATE_1980_01_01] {
            put16(&mut central, n);
        }
        for n in [crc, size, size] {
            put32(&mut central, n);
        }
        for n in [name_len, 0, 0, 0, 0] {
            put16(&mut central, n);
        }
        put32(&mut central, 0);
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let (central_offset, central_size) = (u32_of(out.len())?, u32_of(central.len())?);
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50);
    for n in [0, 0, count, count] {
        put16(&mut out, n);
    }
    put32(&mut out, central_size);
    put32(&mut out, central_offset);
    put16(&mut out, 0);
    u32_of(out.len())?;
    Ok(out)
}

/// The "Rows" sheet's header: the CSV export's columns (with hardened
/// mode's four when `hardened`).
pub fn rows_header(hardened: bool) -> Vec<String> {
    let mut header = csv_header();
    if hardened {
        header.push_str(DETECTION_CSV_HEADER);
    }
    header.split(',').map(String::from).collect()
}

/// The XLSX export: "Rows" (header + one line per row of `rows`, each with
/// its file's name from `file_name`) and "Context" (`context`'s pairs, plus
/// how many cells were cut when any was).
pub fn export_workbook<'a>(
    rows: impl IntoIterator<Item = &'a FlaggedRow>,
    file_name: impl Fn(&FlaggedRow) -> &'a str,
    hardened: bool,
    context: &ExportContext,
) -> Result<Vec<u8>, XlsxWriteError> {
    let mut table = vec![rows_header(hardened)];
    table.extend(
        rows.into_iter()
            .map(|row| row_cells(row, file_name(row), hardened)),
    );
    let cut: usize = table
        .iter()
        .flatten()
        .filter(|c| c.chars().nth(MAX_CELL_CHARS).is_some())
        .count();
    let mut pairs = context.pairs();
    if cut > 0 {
        pairs.push((
            "cells_cut".into(),
            format!("{cut} cells longer than {MAX_CELL_CHARS} characters (Excel's limit) hold their first {MAX_CELL_CHARS}; the JSON export has the whole text"),
        ));
    }
    let mut context_rows = vec![vec!["name".to_string(), "value".to_string()]];
    context_rows.extend(pairs.into_iter().map(|(k, v)| vec![k, v]));
    let sheets = [
        Sheet {
            name: "Rows".into(),
            rows: table,
        },
        Sheet {
            name: "Context".into(),
            rows: context_rows,
        },
    ];
    workbook(&sheets).map(|(bytes, _)| bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_zips() {
        // (input, CRC-32): the standard check value and two more.
        let cases: [(&[u8], u32); 3] = [
            (b"123456789", 0xCBF4_3926),
            (b"", 0),
            (b"The quick brown fox jumps over the lazy dog", 0x414F_A339),
        ];
        for (input, crc) in cases {
            assert_eq!(crc32(input), crc, "{input:?}");
        }
    }

    #[test]
    fn columns_are_named_as_excel_names_them() {
        let cases = [
            (0, "A"),
            (1, "B"),
            (25, "Z"),
            (26, "AA"),
            (27, "AB"),
            (701, "ZZ"),
            (702, "AAA"),
        ];
        for (i, name) in cases {
            assert_eq!(column_name(i), name, "{i}");
        }
    }

    #[test]
    fn cells_are_escaped_for_xml_and_excel() {
        // (text, XML content)
        let cases = [
            ("a<b>&\"c\"", "a&lt;b&gt;&amp;&quot;c&quot;"),
            ("=HYPERLINK(\"x\")", "=HYPERLINK(&quot;x&quot;)"),
            ("\u{1}x\u{b}", "_x0001_x_x000B_"),
            ("tab\tlf\ncr\r", "tab\tlf\ncr&#13;"),
            ("_x0041_", "_x005F_x0041_"),
            ("_x00_", "_x00_"),
            ("\u{fffe}", "_xFFFE_"),
            ("\u{202e}gnp", "\u{202e}gnp"),
        ];
        for (text, xml) in cases {
            assert_eq!(cell_xml(text), (xml.to_string(), false), "{text:?}");
        }
        let long = "x".repeat(MAX_CELL_CHARS + 5);
        let (xml, cut) = cell_xml(&long);
        assert!(cut);
        assert_eq!(xml.len(), MAX_CELL_CHARS);
    }
}
