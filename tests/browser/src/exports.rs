//! What the page's exports should carry besides their rows (issue 13,
//! item 7): the context the core writes ([`ExportContext`]) for the files a
//! test read, and the XLSX export read back with calamine.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx};
use cmdhunt_core::export_context::{ExportContext, FileContext, RuleContext};
use cmdhunt_core::results::Window;
use serde_json::Value;

use crate::reference::Reference;

/// The context of an export of `reference`'s rows in `window` with no
/// filter on (the published rule, parity mode, every file read to its end),
/// `rows` rows; `generated_at` is left out (the page's clock sets it).
pub fn expected_context(
    reference: &Reference,
    paths: &[PathBuf],
    window: Window,
    rows: usize,
) -> Result<ExportContext, crate::Error> {
    let mut files = Vec::new();
    for (path, (name, summary)) in paths.iter().zip(&reference.files) {
        files.push(FileContext {
            name: name.clone(),
            size: std::fs::metadata(path)?.len(),
            format: summary.format.map(|f| f.name().to_owned()),
            records: summary.records,
            flagged: summary.flagged,
            state: "complete".into(),
        });
    }
    Ok(ExportContext {
        generated_at: None,
        mode: "parity".into(),
        window,
        newest: reference.newest(),
        filters: Vec::new(),
        files,
        rule: RuleContext::published(),
        rows,
    })
}

/// `context` (a JSON export's, or a sidecar's) with `generated_at` taken
/// out, once checked to be a time; the rest is compared whole.
pub fn without_time(context: &Value) -> Result<Value, crate::Error> {
    let mut c = context.clone();
    let at = c
        .get("generated_at")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the context has no generated_at time: {context}"))?;
    if cmdhunt_core::time::Timestamp::parse(at).is_none() {
        return Err(format!("generated_at {at:?} is not a time").into());
    }
    c["generated_at"] = Value::Null;
    Ok(c)
}

/// A workbook sheet's cells as text (a cell that is not text is an error),
/// and its formulas (every non-empty one).
pub type SheetText = (Vec<Vec<String>>, Vec<String>);

/// Read sheet `name` of the workbook at `path` with calamine.
pub fn read_sheet(path: &Path, name: &str) -> Result<SheetText, crate::Error> {
    let bytes = std::fs::read(path)?;
    let mut book = Xlsx::new(Cursor::new(bytes))?;
    let range = book.worksheet_range(name)?;
    let mut cells = Vec::new();
    for row in range.rows() {
        let mut line = Vec::new();
        for cell in row {
            line.push(match cell {
                Data::String(s) => s.clone(),
                Data::Empty => String::new(),
                other => {
                    return Err(format!("sheet {name}: a cell that is not text: {other:?}").into())
                }
            });
        }
        cells.push(line);
    }
    let formulas = book
        .worksheet_formula(name)?
        .cells()
        .map(|(_, _, f)| f.clone())
        .filter(|f| !f.is_empty())
        .collect();
    Ok((cells, formulas))
}
