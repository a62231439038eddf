//! Small workbooks for the XLSX tests (decode_errors, hostile): one
//! worksheet, inline strings, every part stored.

use super::{zip, Part};

const NS: &str = "http://schemas.openxmlformats.org";

/// A workbook whose `xl/workbook.xml` lists `sheets` and whose first
/// worksheet's `<sheetData>` holds `rows`.
pub fn workbook(sheets: &str, rows: &str) -> Vec<u8> {
    let rel = format!("{NS}/officeDocument/2006/relationships");
    let parts = [
        (
            "[Content_Types].xml",
            format!("<Types xmlns=\"{NS}/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>"),
        ),
        (
            "_rels/.rels",
            format!("<Relationships xmlns=\"{NS}/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"),
        ),
        (
            "xl/workbook.xml",
            format!("<workbook xmlns=\"{NS}/spreadsheetml/2006/main\" xmlns:r=\"{rel}\"><sheets>{sheets}</sheets></workbook>"),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!("<Relationships xmlns=\"{NS}/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{rel}/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!("<worksheet xmlns=\"{NS}/spreadsheetml/2006/main\"><sheetData>{rows}</sheetData></worksheet>"),
        ),
    ];
    zip(&parts.map(|(name, text)| Part::stored(name, &text)))
}

/// The one sheet's entry in `xl/workbook.xml`.
pub const SHEET: &str = "<sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/>";

/// A worksheet row of inline strings from column A.
pub fn row(r: u32, values: &[&str]) -> String {
    let cells: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let col = char::from(b'A' + i as u8);
            format!("<c r=\"{col}{r}\" t=\"inlineStr\"><is><t>{v}</t></is></c>")
        })
        .collect();
    format!("<row r=\"{r}\">{cells}</row>")
}
