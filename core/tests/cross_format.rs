//! The same events in different formats give the same answer: EVTX against
//! its XML renderings (Event Viewer's `<Events>` file and `evtx_dump`'s
//! output), and against JSON (`evtx_dump`'s JSON lines, the Sigma regression
//! pairs). Rows are compared as the rule returns them (`results::select`, no
//! time window): the projected event and the verdict, not positions.
#![cfg(feature = "std")]

use std::path::{Path, PathBuf};

use cmdhunt_core::event::{ProcessEvent, Record, RecordClass, RecordSink, Skip};
use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::{CompiledRule, Verdict};
use cmdhunt_core::results::{self, Window};
use cmdhunt_core::scan::{FileScan, FileSummary};

mod common;
use common::{read, shared};

/// What the rule returns for a file: its summary, and its rows in the rule's
/// order as (event, verdict).
fn rule_output(path: &Path) -> (FileSummary, Vec<(ProcessEvent, Verdict)>) {
    let rule = CompiledRule::new();
    let mut scan = FileScan::new(&rule, 0, &path.display().to_string(), None);
    for chunk in read(path).chunks(64 << 10) {
        scan.push(chunk);
    }
    let (summary, rows) = scan.finish();
    let order = results::select(&rows, &Window::All, summary.newest);
    let rows = order
        .into_iter()
        .map(|i| (rows[i].event.clone(), rows[i].verdict))
        .collect();
    (summary, rows)
}

/// The counts that must agree across formats.
fn counts(s: &FileSummary) -> (u64, u64, u64, u64, u64) {
    (
        s.records,
        s.process_creations,
        s.shell,
        s.flagged,
        s.skipped,
    )
}

/// Every record's class and fields, in order.
#[derive(Default)]
struct Collect(Vec<(RecordClass, Vec<(String, String)>)>, Vec<Skip>);

impl RecordSink for Collect {
    fn record(&mut self, record: &dyn Record) {
        self.0.push((record.class(), record.fields()));
    }
    fn skip(&mut self, skip: Skip) {
        self.1.push(skip);
    }
}

fn every_record(path: &Path, format: Format) -> Collect {
    let mut decoder = format.decoder();
    let mut sink = Collect::default();
    for chunk in read(path).chunks(64 << 10) {
        decoder.push(chunk, &mut sink).expect("push");
    }
    decoder.finish(&mut sink).expect("finish");
    sink
}

const PANACHE_EVTX: &str =
    "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx";
const PANACHE_XML: &str = "xml/PanacheSysmon_vs_AtomicRedTeam01";
const SQL_XML: &str = "xml/ID4688-SQL Server payload injectection for reverse shell (MSF)";

/// The security-4688 EVTX whose rendering is `SQL_XML`, found by name.
fn sql_evtx() -> PathBuf {
    let name = "ID4688-SQL Server payload injectection for reverse shell (MSF).evtx";
    let mut dirs = vec![shared("security-4688")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n == name) {
                return path;
            }
        }
    }
    panic!("{name} not found under security-4688");
}

#[test]
fn evtx_and_its_xml_renderings_flag_the_same_rows() {
    for (evtx, xml, expected) in [
        (shared(PANACHE_EVTX), PANACHE_XML, (565, 511, 155, 21, 0)),
        (sql_evtx(), SQL_XML, (140, 140, 69, 0, 0)),
    ] {
        let (summary, rows) = rule_output(&evtx);
        assert_eq!(summary.format, Some(Format::Evtx));
        assert_eq!(counts(&summary), expected, "{}", evtx.display());
        assert_eq!(rows.len() as u64, expected.3);
        for shape in ["events.xml", "evtx_dump-raw.xml"] {
            let path = shared(&format!("{xml}.{shape}"));
            let (other, other_rows) = rule_output(&path);
            assert_eq!(other.format, Some(Format::Xml), "{shape}");
            assert_eq!(counts(&other), counts(&summary), "{}", path.display());
            assert_eq!(other.other_events, summary.other_events, "{shape}");
            assert_eq!(
                (other.newest, other.oldest),
                (summary.newest, summary.oldest)
            );
            assert_eq!(other_rows, rows, "{}", path.display());
        }
    }
}

#[test]
fn evtx_and_xml_give_every_record_the_same_class_and_fields() {
    // The EVTX decoder reads the crate's rendering with its own fast reader;
    // the XML decoder reads files with quick-xml. Same events, same fields.
    for (evtx, xml) in [(shared(PANACHE_EVTX), PANACHE_XML), (sql_evtx(), SQL_XML)] {
        let from_evtx = every_record(&evtx, Format::Evtx);
        let from_xml = every_record(&shared(&format!("{xml}.events.xml")), Format::Xml);
        assert!(from_evtx.1.is_empty() && from_xml.1.is_empty());
        assert_eq!(from_evtx.0.len(), from_xml.0.len());
        for (i, (a, b)) in from_evtx.0.iter().zip(&from_xml.0).enumerate() {
            assert_eq!(a, b, "{}: record {}", evtx.display(), i + 1);
        }
    }
}

#[test]
fn evtx_and_evtx_dump_json_lines_flag_the_same_rows() {
    let (summary, rows) = rule_output(&shared(PANACHE_EVTX));
    let (json, json_rows) = rule_output(&shared(&format!("{PANACHE_XML}.evtx_dump.jsonl")));
    assert_eq!(json.format, Some(Format::Json));
    assert_eq!(counts(&json), counts(&summary));
    assert_eq!(json_rows, rows);
}

#[test]
fn sigma_regression_pairs_agree_between_evtx_and_json() {
    let mut pairs = 0;
    let mut dirs = vec![shared("sigma-regression")];
    let mut totals = (0, 0, 0, 0);
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "evtx") {
                continue;
            }
            let json_path = path.with_extension("json");
            let (summary, rows) = rule_output(&path);
            assert_eq!(summary.error, None, "{}", path.display());
            assert_eq!(summary.skipped, 0, "{}", path.display());
            assert!(summary.records > 0, "{}", path.display());
            if json_path.exists() {
                let (json, json_rows) = rule_output(&json_path);
                assert_eq!(json.error, None, "{}", json_path.display());
                assert_eq!(counts(&json), counts(&summary), "{}", json_path.display());
                assert_eq!(json_rows, rows, "{}", json_path.display());
                pairs += 1;
            }
            totals.0 += summary.records;
            totals.1 += summary.process_creations;
            totals.2 += summary.shell;
            totals.3 += summary.flagged;
        }
    }
    assert_eq!(pairs, 138);
    // Records (each checked against the evtx crate in tests/evtx.rs), process
    // creations, cmd.exe ones, flagged rows.
    assert_eq!(totals, (153, 151, 14, 0), "{totals:?}");
}

#[test]
fn records_come_in_the_same_order_with_the_same_ids() {
    let evtx = every_record(&shared(PANACHE_EVTX), Format::Evtx);
    let xml = every_record(
        &shared(&format!("{PANACHE_XML}.evtx_dump-raw.xml")),
        Format::Xml,
    );
    let id = |fields: &[(String, String)]| {
        fields
            .iter()
            .find(|(n, _)| n == "EventRecordID")
            .map(|(_, v)| v.clone())
    };
    let a: Vec<_> = evtx.0.iter().map(|(_, f)| id(f)).collect();
    let b: Vec<_> = xml.0.iter().map(|(_, f)| id(f)).collect();
    assert_eq!(a, b);
    assert!(a.iter().all(Option::is_some));
}

/// One Windows event (provider, event id) written in every format that
/// carries a provider, for [`every_format_classifies_an_event_alike`].
fn renderings(provider: &str, id: &str) -> Vec<(&'static str, Vec<u8>)> {
    let xml = format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
         <Provider Name='{provider}'/><EventID>{id}</EventID>\
         <TimeCreated SystemTime='2024-05-01T10:00:00.000Z'/><Computer>host1</Computer></System>\
         <EventData><Data Name='UtcTime'>2024-05-01 10:00:00.000</Data>\
         <Data Name='Image'>/usr/bin/bash</Data><Data Name='CommandLine'>bash -c id</Data>\
         <Data Name='ParentImage'>/usr/sbin/sshd</Data></EventData></Event>"
    );
    let data = serde_json::json!({
        "UtcTime": "2024-05-01 10:00:00.000",
        "Image": "/usr/bin/bash",
        "CommandLine": "bash -c id",
        "ParentImage": "/usr/sbin/sshd",
    });
    let evtx_dump = serde_json::json!({"Event": {
        "System": {
            "Provider": {"#attributes": {"Name": provider}},
            "EventID": id.parse::<u32>().expect("a number"),
            "Computer": "host1",
        },
        "EventData": data,
    }})
    .to_string();
    let winlogbeat = serde_json::json!({
        "@timestamp": "2024-05-01T10:00:00.000Z",
        "winlog": {"provider_name": provider, "event_id": id, "event_data": data},
    })
    .to_string();
    let raw_xml = serde_json::json!({
        "result": {"_raw": xml, "host": "host1", "_time": "2024-05-01T10:00:00.000Z"}
    })
    .to_string();
    let csv = format!(
        "SourceName,EventCode,UtcTime,Computer,Image,CommandLine,ParentImage\n\
         {provider},{id},2024-05-01 10:00:00.000,host1,/usr/bin/bash,bash -c id,/usr/sbin/sshd\n"
    );
    vec![
        ("xml", xml.into_bytes()),
        ("json (evtx_dump)", evtx_dump.into_bytes()),
        ("json (winlogbeat)", winlogbeat.into_bytes()),
        ("json (raw XML)", raw_xml.into_bytes()),
        ("csv", csv.into_bytes()),
    ]
}

/// The classes of every record of `bytes` (format detected).
fn classes_of(bytes: &[u8]) -> (Vec<RecordClass>, Vec<Skip>) {
    let format = cmdhunt_core::format::sniff(bytes).expect("a known format");
    let mut decoder = format.decoder();
    let mut sink = Collect::default();
    decoder.push(bytes, &mut sink).expect("push");
    decoder.finish(&mut sink).expect("finish");
    (sink.0.into_iter().map(|(class, _)| class).collect(), sink.1)
}

#[test]
fn every_format_classifies_an_event_alike() {
    let other = |label: &str| RecordClass::Other(label.into());
    let creation = RecordClass::ProcessCreation;
    // Sysmon for Linux's event 1 is a process creation, as Windows Sysmon's
    // (README, "Field mapping").
    let cases = [
        ("Linux-Sysmon", "1", creation.clone()),
        ("Microsoft-Windows-Sysmon", "1", creation.clone()),
        (
            "Microsoft-Windows-Security-Auditing",
            "4688",
            creation.clone(),
        ),
        ("Linux-Sysmon", "3", other("Sysmon event 3")),
        ("Microsoft-Windows-Sysmon", "3", other("Sysmon event 3")),
        (
            "Microsoft-Windows-Security-Auditing",
            "4624",
            other("Security event 4624"),
        ),
        (
            "Microsoft-Windows-Eventlog",
            "1",
            other("Microsoft-Windows-Eventlog event 1"),
        ),
    ];
    for (provider, id, want) in cases {
        for (format, bytes) in renderings(provider, id) {
            let (classes, skips) = classes_of(&bytes);
            assert!(skips.is_empty(), "{format} {provider} {id}: {skips:?}");
            assert_eq!(
                classes,
                std::slice::from_ref(&want),
                "{format}: {provider} event {id}"
            );
        }
    }
}

/// A Sysmon log whose provider name is rewritten in place to `Linux-Sysmon`
/// (padded with NULs to the same length, which the renderer drops): EVTX
/// classes its event 1 records as the other formats do.
#[test]
fn evtx_classifies_linux_sysmon_event_1_as_a_process_creation() {
    let bytes = read(&shared(PANACHE_EVTX));
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let from = utf16("Microsoft-Windows-Sysmon");
    let mut to = utf16("Linux-Sysmon");
    to.resize(from.len(), 0);
    let mut patched = bytes.clone();
    let mut replaced = 0;
    let mut at = 0;
    while let Some(i) = patched[at..].windows(from.len()).position(|w| w == from) {
        patched[at + i..at + i + from.len()].copy_from_slice(&to);
        at += i + from.len();
        replaced += 1;
    }
    assert!(replaced > 0);
    let count = |bytes: &[u8]| {
        let (classes, skips) = classes_of(bytes);
        assert!(skips.is_empty(), "{skips:?}");
        let creations = classes
            .iter()
            .filter(|c| **c == RecordClass::ProcessCreation);
        (classes.len(), creations.count())
    };
    let (records, creations) = count(&bytes);
    assert!(creations > 0);
    assert_eq!(count(&patched), (records, creations));
    let linux = every_record_of(&patched);
    let providers: Vec<&str> = linux
        .iter()
        .filter_map(|(_, f)| {
            f.iter()
                .find(|(n, _)| n == "Provider")
                .map(|(_, v)| v.as_str())
        })
        .collect();
    assert!(
        providers.iter().all(|p| *p == "Linux-Sysmon"),
        "{:?}",
        &providers[..3]
    );
}

fn every_record_of(bytes: &[u8]) -> Vec<(RecordClass, Vec<(String, String)>)> {
    let mut decoder = Format::Evtx.decoder();
    let mut sink = Collect::default();
    decoder.push(bytes, &mut sink).expect("push");
    decoder.finish(&mut sink).expect("finish");
    sink.0
}
