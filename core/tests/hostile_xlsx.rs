//! XLSX zip bombs: workbooks whose parts inflate to gigabytes, declare sizes
//! they do not have, or hold strings that cost far more memory than bytes.
//! Every bomb is built here at run time (a compressed megabyte repeated, with
//! a correct CRC; nothing big is committed). Each must be refused with an
//! error naming the part, its declared size and the limit, and the memory-
//! heavy ones are measured in a child process (`VmHWM`, as in `hostile.rs`).
//!
//! `XLSX_BOMBS_DIR=/tmp/bombs cargo test -p cmdhunt-core --test hostile_xlsx
//! -- --ignored write_bombs` writes them as files (for the CLI).

use cmdhunt_core::format::xlsx::{
    MAX_PART_BYTES, MAX_SHARED_STRINGS_BYTES, MAX_WORKSHEET_BYTES, MAX_XML_ITEM_BYTES,
};
use cmdhunt_core::format::{DecodeError, DecodeErrorKind, Format, MAX_RECORD_BYTES};
use cmdhunt_core::scan::{FileSummary, FlaggedRow};
use flate2::{Compress, Compression, Crc, FlushCompress};

mod common;
use common::{child_report, scan_in, vm_hwm_bytes, zip, Part};

const MIB: u64 = 1 << 20;

impl Part {
    /// `text`, deflated.
    fn deflated(name: &str, text: &str) -> Part {
        Part::repeated(name, text, "", 0, "")
    }

    /// `head`, then `unit` repeated to about `total` bytes, then `tail`,
    /// deflated: one compressed megabyte of units is repeated (each copy
    /// only refers back inside itself), so gigabytes cost megabytes here.
    fn repeated(name: &str, head: &str, unit: &str, total: u64, tail: &str) -> Part {
        let block = unit.repeat(MIB as usize / unit.len().max(1));
        let copies = if block.is_empty() {
            0
        } else {
            (total / block.len() as u64).max(1)
        };
        let (mut data, mut crc) = (Vec::new(), Crc::new());
        for (bytes, times) in [(head, 1), (block.as_str(), copies), (tail, 1)] {
            let piece = deflate_piece(bytes.as_bytes());
            for _ in 0..times {
                data.extend_from_slice(&piece);
            }
            crc.combine(&crc_repeated(bytes.as_bytes(), times));
        }
        data.extend_from_slice(&[0x03, 0x00]); // an empty final block
        Part {
            name: name.into(),
            data,
            deflated: true,
            declared: (head.len() + tail.len()) as u64 + copies * block.len() as u64,
            crc: crc.sum(),
        }
    }
}

/// `bytes` deflated on their own and flushed to a byte boundary: the piece
/// refers to nothing before it, so copies of it can follow one another.
fn deflate_piece(bytes: &[u8]) -> Vec<u8> {
    // The bombs' 1 MiB blocks as small as can be; big honest parts quickly.
    let level = if bytes.len() > MIB as usize + 4096 {
        Compression::fast()
    } else {
        Compression::best()
    };
    let mut z = Compress::new(level, false);
    let mut out = Vec::with_capacity(bytes.len() + 1024);
    z.compress_vec(bytes, &mut out, FlushCompress::Full)
        .expect("deflate a piece");
    out
}

/// The CRC of `bytes` repeated `times` times (by doubling).
fn crc_repeated(bytes: &[u8], mut times: u64) -> Crc {
    let mut unit = Crc::new();
    unit.update(bytes);
    let mut all = Crc::new();
    while times > 0 {
        if times & 1 == 1 {
            all.combine(&unit);
        }
        let mut doubled = Crc::new();
        doubled.combine(&unit);
        doubled.combine(&unit);
        unit = doubled;
        times >>= 1;
    }
    all
}

const NS: &str = "http://schemas.openxmlformats.org";

/// The header of the test sheet: the rule's columns.
const HEADER: [&str; 5] = [
    "Timestamp",
    "DeviceName",
    "FileName",
    "ProcessCommandLine",
    "InitiatingProcessFileName",
];

/// Row `i` of the test data: one cmd.exe row in 7 (flagged), otherwise
/// powershell; every command line unique, `pad` bytes longer than usual.
fn row(i: usize, pad: usize) -> [String; 5] {
    let shell = if i % 7 == 0 {
        "cmd.exe"
    } else {
        "powershell.exe"
    };
    [
        format!("2024-05-01T10:{:02}:{:02}Z", i / 60 % 60, i % 60),
        format!("ws{}", i % 13),
        shell.into(),
        format!(
            "{shell} /c reg add HKCU\\Software\\Run{i} /v x /d y{}",
            "x".repeat(pad)
        ),
        "explorer.exe".into(),
    ]
}

/// A worksheet whose every cell is shared string `row * 5 + column`.
fn shared_sheet(rows: usize) -> String {
    let mut sheet = format!("<worksheet xmlns=\"{NS}/spreadsheetml/2006/main\"><sheetData>");
    for r in 0..rows {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for c in 0..5 {
            let col = char::from(b'A' + c as u8);
            let index = r * 5 + c;
            sheet.push_str(&format!(
                "<c r=\"{col}{}\" t=\"s\"><v>{index}</v></c>",
                r + 1
            ));
        }
        sheet.push_str("</row>");
    }
    sheet + "</sheetData></worksheet>"
}

/// The shared strings of [`shared_sheet`]: the header, then `rows - 1` rows.
fn shared_strings(rows: usize, pad: usize) -> String {
    let mut sst = format!("<sst xmlns=\"{NS}/spreadsheetml/2006/main\">");
    for r in 0..rows {
        let values = if r == 0 {
            HEADER.map(String::from)
        } else {
            row(r, pad)
        };
        for v in values {
            sst.push_str(&format!("<si><t>{v}</t></si>"));
        }
    }
    sst + "</sst>"
}

/// A worksheet of the same rows in inline strings (no table).
fn inline_sheet(rows: usize, pad: usize) -> String {
    let mut sheet = format!("<worksheet xmlns=\"{NS}/spreadsheetml/2006/main\"><sheetData>");
    for r in 0..rows {
        let values = if r == 0 {
            HEADER.map(String::from)
        } else {
            row(r, pad)
        };
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, v) in values.iter().enumerate() {
            let col = char::from(b'A' + c as u8);
            sheet.push_str(&format!(
                "<c r=\"{col}{}\" t=\"inlineStr\"><is><t>{v}</t></is></c>",
                r + 1
            ));
        }
        sheet.push_str("</row>");
    }
    sheet + "</sheetData></worksheet>"
}

/// The same rows as CSV, to check the workbook against.
fn csv(rows: usize, pad: usize) -> Vec<u8> {
    let mut out = HEADER.join(",") + "\n";
    for r in 1..rows {
        out.push_str(&row(r, pad).join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// A workbook of the usual parts, the sheet and shared strings given; the
/// package points at `workbook` (normally `xl/workbook.xml`).
fn workbook_at(workbook: &str, sheet: Part, strings: Option<Part>, more: Vec<Part>) -> Vec<u8> {
    let rel = format!("{NS}/officeDocument/2006/relationships");
    let (dir, file) = workbook.rsplit_once('/').unwrap_or(("", workbook));
    let mut parts = vec![
        Part::stored(
            "_rels/.rels",
            &format!("<Relationships xmlns=\"{NS}/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" Target=\"{workbook}\"/></Relationships>"),
        ),
        Part::stored(
            &format!("{dir}/_rels/{file}.rels"),
            &format!("<Relationships xmlns=\"{NS}/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{rel}/worksheet\" Target=\"/xl/worksheets/sheet1.xml\"/></Relationships>"),
        ),
        sheet,
    ];
    if !more.iter().any(|p| p.name == workbook) {
        parts.push(Part::stored(
            workbook,
            &format!("<workbook xmlns=\"{NS}/spreadsheetml/2006/main\" xmlns:r=\"{rel}\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"),
        ));
    }
    parts.extend(strings);
    parts.extend(more);
    zip(&parts)
}

fn workbook(sheet: Part, strings: Option<Part>, more: Vec<Part>) -> Vec<u8> {
    workbook_at("xl/workbook.xml", sheet, strings, more)
}

/// A good sheet of `rows` rows with a shared-string table in `strings`.
fn with_strings(rows: usize, strings: Part) -> Vec<u8> {
    let sheet = Part::stored("xl/worksheets/sheet1.xml", &shared_sheet(rows));
    workbook(sheet, Some(strings), Vec::new())
}

const SST: &str = "xl/sharedStrings.xml";

/// The hostile workbook named `case`.
fn bomb(case: &str) -> Vec<u8> {
    let open = format!("<sst xmlns=\"{NS}/spreadsheetml/2006/main\">");
    let unit = "<si><t>cmd.exe /c whoami</t></si>";
    match case {
        // 3.7 GiB of real strings in 4 MB: over the table's limit as declared.
        "strings_declared" => with_strings(
            3,
            Part::repeated(SST, &open, unit, 4_000_000_000, "</sst>"),
        ),
        // Declares 1 KB, inflates to 3.7 GiB.
        "strings_lying" => with_strings(
            3,
            Part::repeated(SST, &open, unit, 4_000_000_000, "</sst>").declaring(1024),
        ),
        // 1.4 GiB of empty strings: under the declared limit, but 300 million
        // 24-byte `String`s would cost 7 GB.
        "strings_empty" => with_strings(
            3,
            Part::repeated(SST, &open, "<si/>", 1_400 * MIB, "</sst>"),
        ),
        // 60 bytes that make calamine reserve a trillion strings (24 TB).
        "unique_count" => with_strings(
            1,
            Part::stored(
                SST,
                &shared_strings(1, 0).replace("<sst ", "<sst uniqueCount=\"1000000000000\" "),
            ),
        ),
        // One string of 65 MiB (a cell holds 32,767 characters).
        "string_huge" => with_strings(
            3,
            Part::repeated(SST, &format!("{open}<si><t>"), "A", 65 * MIB, "</t></si></sst>"),
        ),
        // Styles read whole, 3.7 GiB.
        "styles_declared" => workbook(
            Part::stored("xl/worksheets/sheet1.xml", &shared_sheet(0)),
            None,
            vec![Part::repeated(
                "xl/styles.xml",
                "<styleSheet>",
                "<numFmt numFmtId=\"164\" formatCode=\"0\"/>",
                4_000_000_000,
                "</styleSheet>",
            )],
        ),
        // A theme of 3.7 GiB: calamine can do without it.
        "theme_declared" => workbook(
            Part::stored("xl/worksheets/sheet1.xml", &shared_sheet(3)),
            Some(Part::stored(SST, &shared_strings(3, 0))),
            vec![Part::repeated(
                "xl/theme/theme1.xml",
                "<a:theme xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\">",
                "<a:srgbClr val=\"FFFFFF\"/>",
                4_000_000_000,
                "</a:theme>",
            )],
        ),
        // The workbook (read whole) hidden under a worksheet's name.
        "workbook_as_sheet" => workbook_at(
            "xl/worksheets/sheet2.xml",
            Part::stored("xl/worksheets/sheet1.xml", &shared_sheet(0)),
            None,
            vec![Part::repeated(
                "xl/worksheets/sheet2.xml",
                &format!("<workbook xmlns=\"{NS}/spreadsheetml/2006/main\" xmlns:r=\"{NS}/officeDocument/2006/relationships\"><sheets>"),
                "<sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/>",
                4_000_000_000,
                "</sheets></workbook>",
            )],
        ),
        // A streamed worksheet of 5 GiB (ZIP64): over the time limit.
        "sheet_declared" => workbook(
            Part::repeated(
                "xl/worksheets/sheet1.xml",
                &format!("<worksheet xmlns=\"{NS}/spreadsheetml/2006/main\"><sheetData>"),
                "<row/>",
                5 << 30,
                "</sheetData></worksheet>",
            ),
            None,
            Vec::new(),
        ),
        // A 65 MiB cell in a streamed worksheet: one text item.
        "cell_item_huge" => workbook(
            Part::repeated(
                "xl/worksheets/sheet1.xml",
                &sheet_head("<c r=\"D2\" t=\"inlineStr\"><is><t>"),
                "A",
                65 * MIB,
                "</t></is></c></row></sheetData></worksheet>",
            ),
            None,
            Vec::new(),
        ),
        // A 65 MiB cell made of 64 KiB items (calamine joins them).
        "cell_span_huge" => workbook(
            Part::repeated(
                "xl/worksheets/sheet1.xml",
                &sheet_head("<c r=\"D2\" t=\"inlineStr\"><is><t>"),
                &("A".repeat(65_531) + "&amp;"),
                65 * MIB,
                "</t></is></c></row></sheetData></worksheet>",
            ),
            None,
            Vec::new(),
        ),
        // A worksheet that declares its first 400 rows and inflates to 3.7 GiB.
        "sheet_lying" => {
            let sheet = shared_sheet(400);
            let (head, tail) = sheet.split_at(sheet.len() - "</sheetData></worksheet>".len());
            let unit = "<row><c t=\"s\"><v>1</v></c></row>";
            workbook(
                Part::repeated("xl/worksheets/sheet1.xml", head, unit, 4_000_000_000, tail)
                    .declaring(head.len() as u64),
                Some(Part::stored(SST, &shared_strings(400, 0))),
                Vec::new(),
            )
        }
        other => panic!("unknown case {other}"),
    }
}

/// A worksheet with an inline-string header row, then row 2 opened and
/// `cell` begun.
fn sheet_head(cell: &str) -> String {
    let header: String = HEADER
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let col = char::from(b'A' + i as u8);
            format!("<c r=\"{col}1\" t=\"inlineStr\"><is><t>{v}</t></is></c>")
        })
        .collect();
    format!(
        "<worksheet xmlns=\"{NS}/spreadsheetml/2006/main\"><sheetData><row r=\"1\">{header}</row><row r=\"2\">{cell}"
    )
}

/// Scan `bytes` (sniffed) in 1 MiB pushes.
fn scan(name: &str, bytes: &[u8]) -> (FileSummary, Vec<FlaggedRow>) {
    scan_in(bytes, name, None, MIB as usize)
}

/// The error a bomb gave; it must be an XLSX scan with no records lost.
fn error(case: &str) -> DecodeError {
    let (s, _) = scan(case, &bomb(case));
    assert_eq!(s.format, Some(Format::Xlsx), "{case}");
    assert_eq!(s.records, s.analysed() + s.skipped, "{case}");
    s.error.unwrap_or_else(|| panic!("{case}: no error"))
}

/// The guard's refusal of a bomb (its kind checked): the words name the part.
fn refusal(case: &str) -> String {
    let e = error(case);
    assert_eq!(e.kind, DecodeErrorKind::XlsxPartTooLarge, "{case}: {e}");
    e.message
}

fn mib(n: u64) -> String {
    format!("{} MiB", n / MIB)
}

#[test]
fn declared_sizes_over_the_limits_are_refused_naming_the_part() {
    let table = [
        ("strings_declared", SST, MAX_SHARED_STRINGS_BYTES),
        ("styles_declared", "xl/styles.xml", MAX_PART_BYTES),
        (
            "workbook_as_sheet",
            "xl/worksheets/sheet2.xml",
            MAX_PART_BYTES,
        ),
        (
            "sheet_declared",
            "xl/worksheets/sheet1.xml",
            MAX_WORKSHEET_BYTES,
        ),
    ];
    for (case, part, limit) in table {
        let message = refusal(case);
        let declared: u64 = message
            .strip_prefix(&format!("{part} declares "))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{case}: {message}"));
        assert!(declared > limit, "{case}: {message}");
        assert!(
            message.ends_with(&format!("over the {} limit for {}", mib(limit), what(case))),
            "{case}: {message}"
        );
    }
}

/// How the refusal names the kind of part.
fn what(case: &str) -> &'static str {
    match case {
        "strings_declared" => "the shared-string table",
        "sheet_declared" => "a worksheet",
        _ => "a part read whole",
    }
}

/// An oversized theme is refused like any part read whole, but calamine
/// opens the workbook without it, and the refusal does not linger.
#[test]
fn an_oversized_theme_is_left_out_and_the_rows_read() {
    let (s, rows) = scan("theme_declared", &bomb("theme_declared"));
    assert!(s.error.is_none(), "{:?}", s.error);
    let (c, crows) = scan("theme.csv", &csv(3, 0));
    assert_eq!((s.records, s.flagged), (c.records, c.flagged));
    assert_eq!((s.records, rows.len()), (2, crows.len()));
}

#[test]
fn parts_larger_than_they_declare_are_stopped() {
    let e = error("strings_lying");
    assert_eq!(e.kind, DecodeErrorKind::XlsxZip, "{e}");
    assert_eq!(
        e.message,
        format!("{SST} inflates to more than the 1024 bytes it declares")
    );
    // The rows before the lie are read; the error names the sheet and row.
    let (s, rows) = scan("sheet_lying", &bomb("sheet_lying"));
    let e = s.error.clone().expect("an error");
    assert_eq!(e.kind, DecodeErrorKind::XlsxZip, "{e}");
    assert!(
        e.message.starts_with(
            "cannot read the first worksheet: xl/worksheets/sheet1.xml inflates to more than the "
        ) && e.message.ends_with(" bytes it declares"),
        "{}",
        e.message
    );
    // zip fails the read that passes the declared size, so the rows in the
    // last buffer before it are lost with the error, not misread.
    assert!(s.records >= 300 && s.records < 400, "{e}");
    assert_eq!(s.records, s.analysed(), "{e}");
    assert_eq!(s.flagged as usize, rows.len());
    assert!(e.position.line > s.records, "{e}");
}

#[test]
fn costly_shared_strings_are_refused_before_calamine_reads_them() {
    let message = refusal("unique_count");
    assert!(
        message.starts_with(&format!(
            "{SST} declares uniqueCount=\"1000000000000\" strings"
        )) && message.contains(&mib(MAX_SHARED_STRINGS_BYTES)),
        "{message}"
    );
    let message = refusal("strings_empty");
    assert!(
        message.starts_with(&format!("{SST} holds over ")) && message.contains("strings (by byte"),
        "{message}"
    );
    for (case, what) in [
        ("cell_item_huge", "an XML item over"),
        ("cell_span_huge", "the <c> element at byte"),
    ] {
        let message = refusal(case);
        assert!(
            message.starts_with(&format!("xl/worksheets/sheet1.xml: {what}"))
                && message.contains(&format!("over {}", mib(MAX_XML_ITEM_BYTES))),
            "{case}: {message}"
        );
    }
    let message = refusal("string_huge");
    assert!(
        message.starts_with(SST) && message.contains(&format!("over {}", mib(MAX_XML_ITEM_BYTES))),
        "{message}"
    );
}

/// Honest workbooks near and over the sizes that are scanned whole (64 MiB)
/// are read, and give exactly what the same rows as CSV give: a 5 MB
/// deflated table (read only up to `<sst>` before calamine), a 70 MB table
/// and a 70 MB inline-string sheet (stored; each scanned whole first).
#[test]
fn big_honest_workbooks_are_read_like_their_csv() {
    let cases = [
        ("table 5 MB", 40_000, 0, true),
        ("table 70 MB", 20_000, 3_400, true),
        ("sheet 70 MB", 20_000, 3_400, false),
    ];
    for (case, rows, pad, table) in cases {
        let bytes = if table {
            // Big parts stored (deflating 70 MB in a debug build is slow).
            let text = shared_strings(rows, pad);
            let strings = if pad == 0 {
                Part::deflated(SST, &text)
            } else {
                Part::stored(SST, &text)
            };
            assert!(strings.declared > 4 * MIB, "{case}: {}", strings.declared);
            assert_eq!(strings.declared > MAX_XML_ITEM_BYTES, pad > 0, "{case}");
            with_strings(rows, strings)
        } else {
            let sheet = Part::stored("xl/worksheets/sheet1.xml", &inline_sheet(rows, pad));
            assert!(
                sheet.declared > MAX_XML_ITEM_BYTES,
                "{case}: {}",
                sheet.declared
            );
            workbook(sheet, None, Vec::new())
        };
        let (x, xrows) = scan(case, &bytes);
        let (c, crows) = scan(case, &csv(rows, pad));
        assert!(x.error.is_none(), "{case}: {:?}", x.error);
        assert_eq!(
            (x.records, x.analysed(), x.flagged),
            (c.records, c.analysed(), c.flagged),
            "{case}"
        );
        assert_eq!(x.records, rows as u64 - 1, "{case}");
        assert!(x.flagged as usize > rows / 8, "{case}: {}", x.flagged);
        let cmd = |r: &[FlaggedRow]| -> Vec<String> {
            r.iter()
                .map(|f| {
                    let field = f.fields.iter().find(|(n, _)| n == "ProcessCommandLine");
                    field.map(|(_, v)| v.clone()).unwrap_or_default()
                })
                .collect()
        };
        assert!(cmd(&xrows) == cmd(&crows), "{case}: command lines differ");
    }
}

// ---------------------------------------------------------------------------
// Peak memory, measured in a child process (`VmHWM` of a fresh test binary).

/// The child side of [`peak_rss`]: builds and scans `XLSX_BOMB_CASE`.
#[test]
#[ignore = "run by bombs_stay_small in a child process"]
fn rss_child() {
    let case = std::env::var("XLSX_BOMB_CASE").expect("XLSX_BOMB_CASE names a case");
    let bytes = bomb(&case);
    let size = bytes.len() as u64;
    let (s, _) = scan(&case, &bytes);
    drop(bytes);
    println!(
        "RSS-RESULT size={size} error={} vmhwm={}",
        s.error.is_some(),
        vm_hwm_bytes()
    );
}

/// Run `case` in a fresh test process; returns (file size, peak RSS).
fn peak_rss(case: &str) -> (u64, u64) {
    let r = child_report("XLSX_BOMB_CASE", case);
    assert_eq!(r.get("error"), Some(&1), "{case}: not refused: {r:?}");
    (r["size"], r["vmhwm"])
}

/// Gigabytes declared or inflated cost megabytes: the bomb file (built in
/// memory, a few MB) plus buffers. A huge single string may be buffered up
/// to its limit before it is refused.
#[test]
fn bombs_stay_small() {
    for case in [
        "strings_declared",
        "strings_lying",
        "strings_empty",
        "unique_count",
        "styles_declared",
        "workbook_as_sheet",
        "sheet_declared",
        "sheet_lying",
    ] {
        let (size, peak) = peak_rss(case);
        assert!(size < 16 * MIB, "{case}: {size}");
        assert!(peak < 64 * MIB, "{case}: peak RSS {peak}");
    }
    for case in ["string_huge", "cell_item_huge", "cell_span_huge"] {
        let (_, peak) = peak_rss(case);
        assert!(
            peak < 3 * MAX_RECORD_BYTES as u64,
            "{case}: peak RSS {peak}"
        );
    }
}

/// Writes every bomb into `XLSX_BOMBS_DIR` (for trying the CLI and the page).
#[test]
#[ignore = "writes files; run by hand"]
fn write_bombs() {
    let dir = std::env::var("XLSX_BOMBS_DIR").expect("XLSX_BOMBS_DIR names a folder");
    for case in [
        "strings_declared",
        "strings_lying",
        "strings_empty",
        "unique_count",
        "string_huge",
        "styles_declared",
        "workbook_as_sheet",
        "sheet_declared",
        "sheet_lying",
        "cell_item_huge",
        "cell_span_huge",
    ] {
        let path = std::path::Path::new(&dir).join(format!("{case}.xlsx"));
        std::fs::write(&path, bomb(case)).expect("write a bomb");
    }
}
