//! One bad input per [`DecodeErrorKind`]: the decoder reports that kind, at
//! that position. Tests elsewhere assert kinds, not message text; this table
//! is where each kind is seen once.
//!
//! Not here: [`DecodeErrorKind::Read`] (the host's, tested with the CLI and
//! the page's session) and [`DecodeErrorKind::Unsupported`] (only a build
//! without `std` has it).

mod common;

use cmdhunt_core::event::Position;
use cmdhunt_core::format::xlsx::{MAX_SHARED_STRINGS_BYTES, MAX_XLSX_BYTES};
use cmdhunt_core::format::{DecodeErrorKind, Format, MAX_RECORD_BYTES};

use common::xlsx::{row, workbook, SHEET};
use common::{scan_in, zip, Collect, Part};

/// What a file's first failure was: a skip or the error that stopped it.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    Skip(DecodeErrorKind, Position),
    Error(DecodeErrorKind, Position),
}

/// The first failure of `bytes`, read as `format` by its decoder, or (with
/// `None`) scanned as a file whose format is detected.
fn first_failure(format: Option<Format>, bytes: &[u8]) -> Failure {
    let (skips, error) = match format {
        None => {
            let (s, _) = scan_in(bytes, "case", None, 4096);
            (s.skips, s.error)
        }
        Some(format) => {
            let mut decoder = format.decoder();
            let mut sink = Collect::default();
            let error = decoder
                .push(bytes, &mut sink)
                .and_then(|()| decoder.finish(&mut sink))
                .err();
            (sink.skips, error)
        }
    };
    match (skips.first(), error) {
        (Some(k), _) => Failure::Skip(k.kind, k.position),
        (None, Some(e)) => Failure::Error(e.kind, e.position),
        (None, None) => panic!("no failure"),
    }
}

const fn at(byte: u64, line: u64, record: u64) -> Position {
    Position { byte, line, record }
}

const CSV_HEADER: &str =
    "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName\n";

fn xlsx_header() -> String {
    row(
        1,
        &[
            "Timestamp",
            "DeviceName",
            "FileName",
            "ProcessCommandLine",
            "InitiatingProcessFileName",
        ],
    )
}

/// An EVTX file header (only its magic is read) and one chunk of `chunk`.
fn evtx(chunk: &[u8]) -> Vec<u8> {
    let mut bytes = b"ElfFile\0".to_vec();
    bytes.resize(4096, 0);
    bytes.extend_from_slice(chunk);
    bytes
}

/// A real EVTX file's header and first chunk.
fn evtx_sample() -> Vec<u8> {
    let path = common::shared("evtx-samples/samples/security.evtx");
    let bytes = common::read(&path);
    bytes[..4096 + 65536].to_vec()
}

#[test]
fn each_kind_from_one_bad_input() {
    use DecodeErrorKind as K;
    use Failure::{Error, Skip};
    let json = Some(Format::Json);
    let xml = Some(Format::Xml);
    let xlsx = Some(Format::Xlsx);
    let evtx_format = Some(Format::Evtx);
    let deep = format!("{}{}\n", "[".repeat(200), "]".repeat(200));
    let mut zeroed = evtx_sample();
    zeroed[4096 + 30_000..].fill(0);
    let cases: Vec<(&str, Option<Format>, Vec<u8>, Failure)> = vec![
        (
            "empty file",
            None,
            b"".to_vec(),
            Error(K::Empty, at(0, 0, 0)),
        ),
        (
            "csv no header",
            Some(Format::Csv),
            b"\n \n".to_vec(),
            Error(K::Empty, at(3, 3, 0)),
        ),
        (
            "json no value",
            json,
            b"Record 1\n".to_vec(),
            Error(K::Empty, at(9, 2, 0)),
        ),
        (
            "no format",
            None,
            b"hello world\n".to_vec(),
            Error(K::UnrecognisedFormat, at(0, 0, 0)),
        ),
        (
            "json cut",
            json,
            b"{\"a\":1}\n[{\"b\":".to_vec(),
            Skip(K::Truncated, at(9, 2, 2)),
        ),
        (
            "xml cut",
            xml,
            b"<Event><System>".to_vec(),
            Skip(K::Truncated, at(0, 1, 1)),
        ),
        (
            "evtx header cut",
            evtx_format,
            b"ElfFile\0".to_vec(),
            Error(K::Truncated, at(8, 0, 0)),
        ),
        (
            "csv over the cap",
            None,
            format!("{CSV_HEADER}{}\n", "x".repeat(MAX_RECORD_BYTES + 1)).into_bytes(),
            Skip(K::RecordTooLarge, at(CSV_HEADER.len() as u64, 2, 1)),
        ),
        (
            "csv columns",
            None,
            b"a,b\n1,2\n".to_vec(),
            Error(K::MissingColumns, at(0, 1, 0)),
        ),
        (
            "csv quote",
            None,
            format!("{CSV_HEADER}a,b,c,cmd.exe,\"cmd /c x,explorer.exe\n").into_bytes(),
            Skip(K::CsvQuote, at(CSV_HEADER.len() as u64, 2, 1)),
        ),
        (
            "json syntax",
            None,
            b"{\"EventID\": tru}\n".to_vec(),
            Skip(K::JsonSyntax, at(0, 1, 1)),
        ),
        (
            "json deep",
            json,
            deep.into_bytes(),
            Skip(K::JsonTooDeep, at(1, 1, 1)),
        ),
        (
            "json scalar",
            None,
            b"[{\"EventID\":1}, 7]".to_vec(),
            Skip(K::JsonNotEvent, at(16, 1, 2)),
        ),
        (
            "json columns",
            None,
            b"{\"tables\":[{\"columns\":5,\"rows\":[[\"a\"]]}]}".to_vec(),
            Skip(K::JsonTableColumns, at(32, 1, 1)),
        ),
        (
            "xml syntax",
            xml,
            b"<Event><System></EventData></Event>".to_vec(),
            Skip(K::XmlSyntax, at(0, 1, 1)),
        ),
        (
            "xml entity",
            xml,
            b"<Event>\n<System><Computer>&pc;</Computer></System></Event>".to_vec(),
            Skip(K::XmlEntity, at(0, 1, 1)),
        ),
        (
            "xml no event",
            None,
            b"<root/>\n".to_vec(),
            Error(K::XmlNoEvent, at(8, 2, 0)),
        ),
        (
            "evtx magic",
            evtx_format,
            b"ElfFilX\0".to_vec(),
            Error(K::EvtxFileHeader, at(0, 0, 0)),
        ),
        (
            "evtx chunk",
            None,
            evtx(&[7; 65536]),
            Skip(K::EvtxChunk, at(4096, 0, 1)),
        ),
        (
            "evtx zeroed",
            None,
            zeroed,
            Skip(K::EvtxRecord, at(4096 + 29_936, 0, 40)),
        ),
        (
            "xlsx not zip",
            xlsx,
            b"PK\x03\x04 not a zip".to_vec(),
            Error(K::XlsxZip, at(0, 0, 0)),
        ),
        (
            "xlsx not workbook",
            None,
            zip(&[Part::stored("word/document.xml", "<w/>")]),
            Error(K::XlsxNotWorkbook, at(0, 0, 0)),
        ),
        (
            "xlsx bomb",
            None,
            zip(&[Part::stored("xl/sharedStrings.xml", "<sst/>")
                .declaring(MAX_SHARED_STRINGS_BYTES + 1)]),
            Error(K::XlsxPartTooLarge, at(0, 0, 0)),
        ),
        (
            "xlsx no sheet",
            None,
            workbook("", ""),
            Error(K::XlsxMissingSheet, at(0, 0, 0)),
        ),
        (
            "xlsx bad sheet",
            None,
            workbook(
                SHEET,
                &format!(
                    "{}<row r=\"2\"><c r=\"A2\" t=\"n\"><v>x</v></c></row>",
                    xlsx_header()
                ),
            ),
            Error(K::XlsxSheet, at(0, 1, 0)),
        ),
        (
            "xlsx wide row",
            None,
            workbook(
                SHEET,
                &format!(
                    "{}<row r=\"2\"><c r=\"XFE2\" t=\"inlineStr\"><is><t>x</t></is></c></row>",
                    xlsx_header()
                ),
            ),
            Skip(K::XlsxRowTooWide, at(0, 2, 1)),
        ),
        (
            "xlsx empty sheet",
            None,
            workbook(SHEET, ""),
            Error(K::Empty, at(0, 0, 0)),
        ),
        (
            "xlsx columns",
            None,
            workbook(SHEET, &row(1, &["a", "b"])),
            Error(K::MissingColumns, at(0, 1, 0)),
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (name, format, bytes, want) in cases {
        let got = first_failure(format, &bytes);
        assert_eq!(got, want, "{name}");
        let (Skip(kind, _) | Error(kind, _)) = got;
        seen.insert(kind.name());
    }
    // The workbook over the size read whole: never touched (zeroed pages).
    let huge = vec![0u8; MAX_XLSX_BYTES + 1];
    let got = first_failure(xlsx, &huge);
    assert_eq!(got, Error(K::XlsxTooLarge, at(huge.len() as u64, 0, 0)));
    seen.insert(K::XlsxTooLarge.name());
    // Every kind a decoder reports is in the table.
    let untested: Vec<&str> = DecodeErrorKind::ALL
        .iter()
        .filter(|k| !matches!(k, K::Read | K::Unsupported))
        .map(|k| k.name())
        .filter(|n| !seen.contains(n))
        .collect();
    assert_eq!(untested, Vec::<&str>::new());
}

#[test]
fn where_the_wording_is_the_contract() {
    // A .docx is a zip too: the message says what it is instead.
    let (s, _) = scan_in(
        &zip(&[Part::stored("word/document.xml", "<w/>")]),
        "x.docx",
        None,
        4096,
    );
    let e = s.error.expect("an error");
    assert_eq!(e.kind, DecodeErrorKind::XlsxNotWorkbook);
    assert_eq!(
        e.message,
        "a zip archive, not an Excel workbook (it has no _rels/.rels)"
    );
}

#[test]
fn names_are_distinct_snake_case_and_round_trip() {
    let mut names = std::collections::BTreeSet::new();
    for kind in DecodeErrorKind::ALL {
        let name = kind.name();
        assert!(
            name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{name}"
        );
        assert!(names.insert(name), "{name} twice");
        assert_eq!(DecodeErrorKind::from_name(name), Some(kind));
        assert_eq!(kind.to_string(), name);
    }
    assert_eq!(DecodeErrorKind::from_name("no_such_kind"), None);
}
