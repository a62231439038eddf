//! The Windows event XML decoder: the three shapes (Event Viewer's `<Events>`
//! root, `wevtutil qe /f:xml`'s bare run of events, `evtx_dump`'s `Record N`
//! lines), UTF-16, any chunking, and hostile input (entity bombs, external
//! entities, events that never close, events over the cap).
#![cfg(feature = "std")]

use std::path::Path;
use std::time::Instant;

use cmdhunt_core::event::RecordClass;
use cmdhunt_core::format::{DecodeError, DecodeErrorKind, Format, MAX_RECORD_BYTES};
use cmdhunt_core::scan::{FileSummary, FlaggedRow};
use evtx::EvtxParser;

mod common;
use common::{read, scan_in, shared, Collect};

const PANACHE: &str = "xml/PanacheSysmon_vs_AtomicRedTeam01";
const SQL: &str = "xml/ID4688-SQL Server payload injectection for reverse shell (MSF)";

fn scan(bytes: &[u8], slice: usize) -> (FileSummary, Vec<FlaggedRow>) {
    scan_in(bytes, "test.xml", None, slice)
}

/// Decode with the XML decoder directly; `Err` is the decode error's message.
fn decode(bytes: &[u8], slice: usize) -> Result<Collect, (Collect, DecodeError)> {
    let mut decoder = Format::Xml.decoder();
    let mut sink = Collect::default();
    for c in bytes.chunks(slice.max(1)) {
        if let Err(e) = decoder.push(c, &mut sink) {
            return Err((sink, e));
        }
    }
    match decoder.finish(&mut sink) {
        Ok(()) => Ok(sink),
        Err(e) => Err((sink, e)),
    }
}

/// The same events as `wevtutil qe /f:xml` writes them: `<Event>` elements
/// one after another, no root, no declarations (made from evtx_dump's output).
fn wevtutil_shape(evtx_dump: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(evtx_dump.to_vec()).expect("UTF-8");
    let mut out = String::new();
    for line in text.lines() {
        let is_record_line = line
            .strip_prefix("Record ")
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
        if !is_record_line && !line.starts_with("<?xml") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.into_bytes()
}

fn utf16le_with_bom(bytes: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// Records in an EVTX file, as the `evtx` crate counts them.
fn crate_count(path: &Path) -> usize {
    let mut parser = EvtxParser::from_buffer(read(path)).expect("EVTX");
    parser.records().filter(Result::is_ok).count()
}

#[test]
fn the_three_shapes_give_the_same_records() {
    for (base, evtx) in [
        (PANACHE, "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"),
        (SQL, "security-4688/TA0002-Execution/T1059.003-Windows Command Shell/ID4688-SQL Server payload injectection for reverse shell (MSF).evtx"),
    ] {
        let rooted = read(&shared(&format!("{base}.events.xml")));
        let dumped = read(&shared(&format!("{base}.evtx_dump-raw.xml")));
        let bare = wevtutil_shape(&dumped);
        let expected = crate_count(&shared(evtx));
        let mut seen = Vec::new();
        for (shape, bytes) in [("events.xml", &rooted), ("evtx_dump", &dumped), ("wevtutil", &bare)] {
            let got = decode(bytes, 64 << 10).unwrap_or_else(|(_, e)| panic!("{base} {shape}: {e}"));
            assert!(got.skips.is_empty(), "{base} {shape}: {:?}", got.skips);
            assert_eq!(got.records.len(), expected, "{base} {shape}");
            for (i, (p, _, _)) in got.records.iter().enumerate() {
                assert_eq!(p.record, i as u64 + 1, "{base} {shape}");
                // The position is the `<Event` itself, on the line it names.
                let at = p.byte as usize;
                assert!(bytes[at..].starts_with(b"<Event"), "{base} {shape} {p}");
                let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                assert_eq!(p.line, line, "{base} {shape}");
            }
            let (summary, rows) = scan(bytes, 64 << 10);
            assert_eq!(summary.format, Some(Format::Xml), "{base} {shape}");
            assert_eq!(summary.error, None, "{base} {shape}");
            let classes_and_fields: Vec<_> = got.records.into_iter().map(|(_, c, f)| (c, f)).collect();
            let projected: Vec<_> = rows.into_iter().map(|r| (r.event, r.verdict, r.fields)).collect();
            seen.push((summary.records, summary.process_creations, summary.shell, summary.flagged, summary.other_events, classes_and_fields, projected));
        }
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "{base}: shapes differ");
        let (records, creations, shell, flagged, ..) = &seen[0];
        let expected_counts = if base == PANACHE { (565, 511, 155, 21) } else { (140, 140, 69, 0) };
        assert_eq!((*records, *creations, *shell, *flagged), expected_counts, "{base}");
    }
}

#[test]
fn utf16_and_any_chunking_give_the_same_result() {
    let sql = read(&shared(&format!("{SQL}.events.xml")));
    let whole = scan(&sql, sql.len());
    assert_eq!(scan(&sql, 1), whole, "1-byte slices");
    let wide = utf16le_with_bom(&sql);
    let (summary, rows) = scan(&wide, 4093);
    assert_eq!(summary.format, Some(Format::Xml));
    let strip = |rows: Vec<FlaggedRow>| {
        rows.into_iter()
            .map(|r| (r.event, r.verdict, r.fields))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(rows), strip(whole.1.clone()));
    assert_eq!(
        (summary.records, summary.shell),
        (whole.0.records, whole.0.shell)
    );

    let panache = read(&shared(&format!("{PANACHE}.evtx_dump-raw.xml")));
    let whole = scan(&panache, panache.len());
    for slice in [7, 64 << 10] {
        assert_eq!(scan(&panache, slice), whole, "{slice}-byte slices");
    }
}

#[test]
fn markup_inside_events_is_read_as_xml_says() {
    let xml = concat!(
        "<?xml version='1.0'?>\n<!-- exported <Event> -->\n<Events>\n",
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>",
        "<Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID>",
        "<TimeCreated SystemTime='2024-05-01T10:00:00Z'/><Computer>ws1</Computer></System>",
        "<EventData><Data Name='Image'>C:\\Windows\\System32\\cmd.exe</Data>",
        "<Data Name='CommandLine'><![CDATA[cmd /c reg add HKCU\\x </Event> & more]]></Data>",
        "<!-- a comment with </Event> in it -->",
        "<Data Name='ParentImage'>C:\\a&amp;b\\&#x65;xplorer.exe</Data>",
        "<Data Name='UtcTime'>2024-05-01 10:00:00.000</Data></EventData>",
        "<RenderingInfo Culture='en-US'><Message>Process Create</Message></RenderingInfo></Event>\n",
        "</Events>\n"
    );
    let got = decode(xml.as_bytes(), 5).unwrap_or_else(|(_, e)| panic!("{e}"));
    assert!(got.skips.is_empty(), "{:?}", got.skips);
    assert_eq!(got.records.len(), 1);
    let (position, class, fields) = &got.records[0];
    assert_eq!(*class, RecordClass::ProcessCreation);
    let at = xml.find("<Event ").expect("an event") as u64;
    assert_eq!((position.line, position.byte), (4, at));
    let value = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        value("CommandLine"),
        Some("cmd /c reg add HKCU\\x </Event> & more")
    );
    assert_eq!(value("ParentImage"), Some("C:\\a&b\\explorer.exe"));
    assert_eq!(value("Computer"), Some("ws1"));
    assert_eq!(
        value("Message"),
        None,
        "RenderingInfo is not the event's data"
    );
    let (summary, rows) = scan(xml.as_bytes(), 3);
    assert_eq!((summary.records, summary.flagged), (1, 1));
    assert_eq!(rows[0].event.initiating_process_file_name, "explorer.exe");
}

#[test]
fn classes_follow_the_provider() {
    let event = |provider: &str, id: &str| {
        format!("<Event><System><Provider Name='{provider}'/><EventID>{id}</EventID></System></Event>\n")
    };
    let xml = [
        event("Microsoft-Windows-Sysmon", "1"),
        event("Microsoft-Windows-Sysmon", "3"),
        event("Microsoft-Windows-Security-Auditing", "4688"),
        event("Microsoft-Windows-Security-Auditing", "4624"),
        event("Some-Other-Provider", "1"),
    ]
    .concat();
    let got = decode(xml.as_bytes(), 64).unwrap_or_else(|(_, e)| panic!("{e}"));
    let classes: Vec<RecordClass> = got.records.into_iter().map(|(_, c, _)| c).collect();
    assert_eq!(
        classes,
        [
            RecordClass::ProcessCreation,
            RecordClass::Other("Sysmon event 3".into()),
            RecordClass::ProcessCreation,
            RecordClass::Other("Security event 4624".into()),
            RecordClass::Other("Some-Other-Provider event 1".into()),
        ]
    );
}

const GOOD: &str = "<Event><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>3</EventID></System></Event>";

#[test]
fn an_entity_bomb_is_read_in_bounded_time_and_memory() {
    let mut doctype =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE Events [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        doctype.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    doctype.push_str("]>\n");
    let bomb = format!(
        "{doctype}<Events><Event><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID></System><EventData><Data Name='CommandLine'>&lol9;</Data></EventData></Event>{GOOD}</Events>"
    );
    let start = Instant::now();
    let got = decode(bomb.as_bytes(), 1000).unwrap_or_else(|(_, e)| panic!("{e}"));
    assert!(start.elapsed().as_secs() < 10, "bounded time");
    assert_eq!(got.records.len(), 1, "the good event");
    assert_eq!(got.skips.len(), 1);
    assert_eq!(got.skips[0].kind, DecodeErrorKind::XmlEntity);
    assert!(
        got.skips[0].reason.contains("&lol9;"),
        "{}",
        got.skips[0].reason
    );
    assert_eq!(got.skips[0].position.record, 1);

    // A bomb with no event at all: an error that says what was ignored.
    let (_, error) = decode(format!("{doctype}<lolz>&lol9;</lolz>").as_bytes(), 4096)
        .err()
        .expect("not event XML");
    assert_eq!(error.kind, DecodeErrorKind::XmlNoEvent, "{error}");
    // The words say what was ignored.
    assert!(error.message.contains("10 entities"), "{error}");
}

#[test]
fn external_entities_are_never_fetched() {
    let xml = format!(
        "<!DOCTYPE Event [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<Event><System><Computer>&xxe;</Computer></System></Event>\n{GOOD}"
    );
    let got = decode(xml.as_bytes(), 64).unwrap_or_else(|(_, e)| panic!("{e}"));
    assert_eq!(got.records.len(), 1);
    assert_eq!(got.skips.len(), 1);
    assert_eq!(
        got.skips[0].kind,
        DecodeErrorKind::XmlEntity,
        "{}",
        got.skips[0].reason
    );
    assert!(
        got.skips[0].reason.contains("&xxe;"),
        "{}",
        got.skips[0].reason
    );
    assert!(!got.records[0].2.iter().any(|(_, v)| v.contains("root:")));
}

#[test]
fn broken_events_are_skipped_and_the_file_goes_on() {
    let xml = format!(
        "<Events>\n<Event><System><Computer>a</Computer></System>\n{GOOD}\n<Event><System></EventData></Event>\n{GOOD}\n<Event><System><Computer>cut"
    );
    for slice in [1, 3, 4096] {
        let got = decode(xml.as_bytes(), slice).unwrap_or_else(|(_, e)| panic!("{e}"));
        assert_eq!(got.records.len(), 2, "{slice}");
        let got: Vec<(u64, u64, DecodeErrorKind)> = got
            .skips
            .iter()
            .map(|s| (s.position.record, s.position.line, s.kind))
            .collect();
        assert_eq!(
            got,
            [
                // not closed before the next <Event>
                (1, 2, DecodeErrorKind::XmlSyntax),
                // unreadable: </EventData> closes <System>
                (3, 4, DecodeErrorKind::XmlSyntax),
                // the file ends inside it
                (5, 6, DecodeErrorKind::Truncated),
            ],
            "{slice}"
        );
    }
}

#[test]
fn an_event_over_the_cap_is_skipped_and_the_next_one_read() {
    let mut xml = String::from("<Events><Event><EventData><Data Name='CommandLine'>");
    xml.push_str(&"A".repeat(MAX_RECORD_BYTES + 1000));
    xml.push_str("</Data></EventData></Event>");
    xml.push_str(GOOD);
    xml.push_str("</Events>");
    let got = decode(xml.as_bytes(), 1 << 20).unwrap_or_else(|(_, e)| panic!("{e}"));
    assert_eq!(got.records.len(), 1);
    assert_eq!(got.records[0].0.record, 2);
    assert_eq!(got.skips.len(), 1);
    assert_eq!(
        got.skips[0].kind,
        DecodeErrorKind::RecordTooLarge,
        "{}",
        got.skips[0].reason
    );
    assert_eq!(got.skips[0].position.byte, 8);
}

#[test]
fn what_is_not_event_xml_is_an_error() {
    for text in ["<root><child/></root>", "  \n", "<Events></Events>"] {
        let (_, error) = decode(text.as_bytes(), 2).err().expect("an error");
        assert_eq!(error.kind, DecodeErrorKind::XmlNoEvent, "{text}: {error}");
    }
}
