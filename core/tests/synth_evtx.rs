//! The synthetic EVTX writer (`cmdhunt_core::synth`): what it writes is
//! read back as written by the `evtx` crate (XML and JSON, checksums
//! checked) and by cmdhunt's own scan, whole, in odd slices and split in
//! ranges as the page's workers split it; its templates are byte for byte
//! the ones Windows wrote in a real Sysmon log.
#![cfg(feature = "std")]

mod common;

use common::split::{assert_same, evtx_split_scan, whole};
use common::{read, shared, Rng};

use cmdhunt_core::format::Format;
use cmdhunt_core::kql;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::rule::{SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};
use cmdhunt_core::split::evtx::{plan, HEADER_BYTES};
use cmdhunt_core::synth::evtx::{write_log, EvtxWriter, CHUNK_BYTES, FILE_HEADER_BYTES};
use cmdhunt_core::synth::{self, xml, Guid, Provider, Sid, SynthEvent, SynthValue};
use evtx::{EvtxParser, ParserSettings};
use serde_json::Value;

/// `(seed, events)`: one record, one chunk, several chunks.
const LOGS: [(u64, usize); 3] = [(1, 1), (2, 60), (3, 700)];

fn events(seed: u64, n: usize) -> Vec<SynthEvent> {
    synth::host_events(seed).take(n).collect()
}

fn parser(log: &[u8]) -> EvtxParser<std::io::Cursor<Vec<u8>>> {
    let settings = ParserSettings::new().validate_checksums(true).indent(false);
    EvtxParser::from_buffer(log.to_vec())
        .expect("an EVTX file")
        .with_configuration(settings)
}

/// Whether event `e` is a process creation (Sysmon 1, Security 4688).
fn is_creation(e: &SynthEvent) -> bool {
    matches!(
        (e.provider.name.as_str(), e.event_id),
        ("Microsoft-Windows-Sysmon", 1) | ("Microsoft-Windows-Security-Auditing", 4688)
    )
}

/// The text of `Data` field `name` of `e`.
fn data(e: &SynthEvent, name: &str) -> String {
    e.data
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.text())
        .unwrap_or_default()
}

#[test]
fn the_evtx_crate_renders_every_record_as_written() {
    for (seed, n) in LOGS {
        let events = events(seed, n);
        let log = write_log(events.clone()).expect("events that fit");
        // XML: each record is exactly the Event XML of the event written.
        let mut count = 0;
        for (i, record) in parser(&log).records().enumerate() {
            let record = record.unwrap_or_else(|e| panic!("seed {seed}: record {i}: {e}"));
            let id = i as u64 + 1;
            assert_eq!(record.event_record_id, id, "seed {seed}");
            let mut want = String::new();
            xml::event_xml(&events[i], id, &mut want);
            let got = record.data.trim();
            let got = got
                .strip_prefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
                .unwrap_or(got);
            assert_eq!(got.trim(), want, "seed {seed}: record {id}");
            count += 1;
        }
        assert_eq!(count, n, "seed {seed}: records read");
        // JSON: every System value and Data field, typed as written.
        let mut count = 0;
        for (i, record) in parser(&log).records_json_value().enumerate() {
            let record = record.unwrap_or_else(|e| panic!("seed {seed}: record {i}: {e}"));
            let (e, j) = (&events[i], &record.data["Event"]);
            let system = &j["System"];
            assert_eq!(
                system["Provider"]["#attributes"]["Name"],
                e.provider.name.as_str()
            );
            assert_eq!(system["EventID"], e.event_id);
            assert_eq!(system["EventRecordID"], i as u64 + 1);
            assert_eq!(system["Computer"], e.computer.as_str());
            assert_eq!(system["Channel"], e.channel.as_str());
            assert_eq!(
                system["TimeCreated"]["#attributes"]["SystemTime"],
                synth::filetime_text(e.time).as_str()
            );
            let fields = j["EventData"].as_object().expect("EventData");
            assert_eq!(fields.len(), e.data.len(), "record {}", i + 1);
            for (name, value) in &e.data {
                let text = match &fields[name.as_str()] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(text, value.text(), "record {}: {name}", i + 1);
            }
            count += 1;
        }
        assert_eq!(count, n, "seed {seed}: JSON records read");
    }
}

/// Scan `bytes` as `name`, pushed in slices of `slice` bytes.
fn scan(bytes: &[u8], name: &str, slice: usize) -> (FileSummary, Vec<FlaggedRow>) {
    let rule = CompiledRule::new();
    let mut s = FileScan::new(&rule, 0, name, None);
    for c in bytes.chunks(slice) {
        s.push(c);
    }
    s.finish()
}

#[test]
fn cmdhunt_reads_every_record_and_flags_what_the_xml_export_flags() {
    for (seed, n) in LOGS {
        let events = events(seed, n);
        let log = write_log(events.clone()).expect("events that fit");
        let export = xml::xml_export(&events);
        let (want, want_rows) = scan(export.as_bytes(), "export.xml", 1 << 20);
        assert_eq!(want.format, Some(Format::Xml));
        let creations = events.iter().filter(|e| is_creation(e)).count() as u64;
        // The rule on the values written (the KQL reference functions).
        let flagged = events
            .iter()
            .filter(|e| is_creation(e))
            .filter(|e| {
                let (image, parent) = match e.event_id {
                    1 => (data(e, "Image"), data(e, "ParentImage")),
                    _ => (data(e, "NewProcessName"), data(e, "ParentProcessName")),
                };
                let name = image.rsplit('\\').next().unwrap_or_default();
                let parent = parent.rsplit('\\').next().unwrap_or_default();
                let patterns: Vec<&str> = SUSPICIOUS_PATTERNS.iter().map(|n| n.value).collect();
                let parents: Vec<&str> = SUSPICIOUS_PARENTS.iter().map(|n| n.value).collect();
                kql::equals_ci(name, "cmd.exe")
                    && (kql::has_any(&data(e, "CommandLine"), &patterns)
                        || kql::has_any(parent, &parents))
            })
            .count() as u64;
        assert_eq!(
            (
                want.records,
                want.process_creations,
                want.skipped,
                want.flagged
            ),
            (n as u64, creations, 0, flagged),
            "seed {seed}: the XML export"
        );
        for slice in [1usize, 7, 4099, 65_537, log.len()] {
            if slice == 1 && n > 60 {
                continue; // byte by byte: the small logs only
            }
            let (got, rows) = scan(&log, "synthetic.evtx", slice);
            let what = format!("seed {seed}, {slice}-byte slices");
            assert_eq!(got.format, Some(Format::Evtx), "{what}");
            assert_eq!(got.error, None, "{what}");
            assert!(got.skips.is_empty(), "{what}: {:?}", got.skips);
            assert_eq!(
                (got.records, got.process_creations, got.other_events.clone()),
                (
                    want.records,
                    want.process_creations,
                    want.other_events.clone()
                ),
                "{what}"
            );
            assert_eq!(
                (
                    got.shell,
                    got.flagged,
                    got.flag_counts,
                    got.newest,
                    got.oldest
                ),
                (
                    want.shell,
                    want.flagged,
                    want.flag_counts,
                    want.newest,
                    want.oldest
                ),
                "{what}"
            );
            assert_eq!(rows.len(), want_rows.len(), "{what}");
            for (g, w) in rows.iter().zip(&want_rows) {
                assert_eq!(
                    (&g.event, &g.verdict, g.position.record, &g.fields),
                    (&w.event, &w.verdict, w.position.record, &w.fields),
                    "{what}"
                );
            }
        }
        if n > 60 {
            assert!(
                want.flagged > 0 && want.shell > want.flagged,
                "seed {seed}: a mix"
            );
            assert!(want.other_events.values().sum::<u64>() > 0, "seed {seed}");
        }
    }
}

#[test]
fn a_log_of_many_chunks_has_its_counts_and_templates_per_chunk() {
    let log = synth::log_of_size(3 << 20, 11);
    assert!(log.len() <= 3 << 20 && log.len() > (3 << 20) - CHUNK_BYTES);
    assert_eq!((log.len() - FILE_HEADER_BYTES) % CHUNK_BYTES, 0);
    let chunks = (log.len() - FILE_HEADER_BYTES) / CHUNK_BYTES;
    let u16_at = |at: usize| u16::from_le_bytes([log[at], log[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(log[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(log[at..at + 8].try_into().unwrap());
    // The file header: chunks 0..=n-1, the next record id, the chunk count.
    assert_eq!(&log[..8], b"ElfFile\0");
    assert_eq!((u64_at(8), u64_at(16)), (0, chunks as u64 - 1));
    assert_eq!(usize::from(u16_at(42)), chunks);
    let mut next = 1;
    let mut records = 0;
    for c in 0..chunks {
        let at = FILE_HEADER_BYTES + c * CHUNK_BYTES;
        let chunk = &log[at..at + CHUNK_BYTES];
        assert_eq!(&chunk[..8], b"ElfChnk\0", "chunk {c}");
        let (first, last) = (u64_at(at + 24), u64_at(at + 32));
        assert_eq!(first, next, "chunk {c}");
        next = last + 1;
        records += last - first + 1;
        // Full: the free space is less than one more record.
        let free = u32_at(at + 48) as usize;
        assert!(CHUNK_BYTES - free < 4096, "chunk {c}: {free}");
        // Each chunk defines its templates again: its first record's
        // System template is inline, right after the instance header.
        assert_eq!(
            u32_at(at + 512 + 24 + 4 + 6),
            512 + 24 + 4 + 10,
            "chunk {c}"
        );
    }
    assert_eq!(u64_at(24), next);
    let (summary, _) = scan(&log, "big.evtx", 65_536);
    assert_eq!((summary.records, summary.skipped), (records, 0));
    // The evtx crate checks every chunk's CRCs, reads every record.
    assert_eq!(
        parser(&log).records().filter(|r| r.is_ok()).count() as u64,
        records
    );
}

#[test]
fn split_scans_of_a_synthetic_log_equal_the_whole_scan() {
    let rule = CompiledRule::new();
    let log = synth::log_of_size(2 << 20, 5);
    let want = whole(&rule, None, &log);
    assert!(want.0.flagged > 0);
    let mut rng = Rng(0x5eed);
    for ranges in 2..=4 {
        let plan = plan(&log[..HEADER_BYTES], log.len() as u64, ranges).expect("a plan");
        let starts: Vec<u64> = plan.ranges().map(|(start, _)| start).collect();
        let (got, _) = evtx_split_scan(&rule, None, &log, &starts, &mut rng);
        assert_same(&format!("{ranges} ranges"), &got, &want);
    }
}

/// A Sysmon event 1 with the fields (names and types) of the Sysmon log
/// `revshell_cmd_svchost_sysmon_1.evtx`'s first record, on its computer.
fn msedgewin10_sysmon_1() -> SynthEvent {
    let s = |t: &str| SynthValue::Str(t.into());
    let mut data = Vec::new();
    for name in [
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "Image",
        "FileVersion",
        "Description",
        "Product",
        "Company",
        "OriginalFileName",
        "CommandLine",
        "CurrentDirectory",
        "User",
        "LogonGuid",
        "LogonId",
        "TerminalSessionId",
        "IntegrityLevel",
        "Hashes",
        "ParentProcessGuid",
        "ParentProcessId",
        "ParentImage",
        "ParentCommandLine",
    ] {
        let value = match name {
            "ProcessGuid" | "LogonGuid" | "ParentProcessGuid" => SynthValue::Guid(Guid(7)),
            "ProcessId" | "TerminalSessionId" | "ParentProcessId" => SynthValue::U32(7),
            "LogonId" => SynthValue::HexU64(0x3e7),
            _ => s("x"),
        };
        data.push((name.to_string(), value));
    }
    SynthEvent {
        provider: Provider {
            name: "Microsoft-Windows-Sysmon".into(),
            guid: Guid(0x5770385f_c22a_43e0_bf4c_06f5698ffbd9),
        },
        event_id: 1,
        version: 5,
        level: 4,
        task: 1,
        opcode: 0,
        keywords: 0x8000_0000_0000_0000,
        time: 132_338_033_032_573_029,
        process_id: 2756,
        thread_id: 3632,
        channel: "Microsoft-Windows-Sysmon/Operational".into(),
        computer: "MSEDGEWIN10".into(),
        user_sid: Sid::parse("S-1-5-18"),
        data,
    }
}

#[test]
fn templates_are_the_bytes_windows_wrote() {
    let real = read(&shared(
        "sysmon-evtx/Execution/revshell_cmd_svchost_sysmon_1.evtx",
    ));
    let mut writer = EvtxWriter::new();
    writer.push(&msedgewin10_sysmon_1()).expect("fits");
    let ours = writer.finish();
    let chunk = |log: &[u8]| log[FILE_HEADER_BYTES..FILE_HEADER_BYTES + CHUNK_BYTES].to_vec();
    let (real, ours) = (chunk(&real), chunk(&ours));
    let u32_at =
        |c: &[u8], at: usize| u32::from_le_bytes(c[at..at + 4].try_into().unwrap()) as usize;
    // (what, offset of the definition's header): the System template, and
    // the EventData template inline in value 17 of the first record.
    for (what, at) in [("System", 550), ("EventData", 2017)] {
        let size = u32_at(&real, at + 20);
        assert_eq!(u32_at(&ours, at + 20), size, "{what}: size");
        assert_eq!(
            ours[at + 24..at + 24 + size],
            real[at + 24..at + 24 + size],
            "{what}: the definition's body"
        );
    }
    // The string table: every name at the offset Windows put it, in the same bucket chains.
    assert_eq!(ours[128..384], real[128..384], "string table");
}

/// An event whose `CommandLine` is `chars` characters long (and `copies`
/// such fields).
fn long_event(chars: usize, copies: usize) -> SynthEvent {
    let mut e = msedgewin10_sysmon_1();
    for k in 0..copies {
        let name = format!("Long{k}");
        e.data.push((name, SynthValue::Str("x".repeat(chars))));
    }
    e
}

#[test]
fn events_too_large_are_refused_with_a_reason_and_the_log_stays_whole() {
    // (event, the error): a value past a substitution's 65,535 bytes; the
    // EventData value past it (three fields of 60,000 bytes); a record past
    // a chunk (two fields of 32,000 bytes: EventData fits, with System not).
    let cases = [
        (long_event(40_000, 1), "value Long0 is 80000 bytes"),
        (long_event(30_000, 3), "value EventData is"),
        (long_event(16_000, 2), "its record takes"),
    ];
    let mut writer = EvtxWriter::new();
    let mut written = Vec::new();
    for (refused, (bad, reason)) in cases.iter().enumerate() {
        // Half a chunk first, so that the refusal happens in a chunk with records.
        for e in synth::host_events(written.len() as u64 + 1).take(25) {
            assert_eq!(writer.push(&e), Ok(written.len() as u64 + 1));
            written.push(e);
        }
        let err = writer.push(bad).expect_err("too large");
        // Events are counted as pushed, refused ones included.
        let pushed = written.len() + refused + 1;
        assert!(err.to_string().contains(reason), "{err}");
        assert!(
            err.to_string().starts_with(&format!("event {pushed}:")),
            "{err}"
        );
        // Nothing of it was written: the next event takes the next id.
        let next = synth::host_events(99).next().unwrap();
        assert_eq!(writer.push(&next), Ok(written.len() as u64 + 1));
        written.push(next);
    }
    // The largest event that fits: one chunk of its own.
    let big = long_event(29_000, 1);
    assert!(writer.push(&big).is_ok());
    written.push(big);
    let log = writer.finish();
    let mut count = 0;
    for (i, record) in parser(&log).records().enumerate() {
        let record = record.unwrap_or_else(|e| panic!("record {i}: {e}"));
        let mut want = String::new();
        xml::event_xml(&written[i], i as u64 + 1, &mut want);
        let got = record.data.trim();
        let got = got
            .strip_prefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
            .unwrap_or(got);
        assert_eq!(got.trim(), want, "record {}", i + 1);
        count += 1;
    }
    assert_eq!(count, written.len());
}

#[test]
fn presets_are_deterministic_from_their_seed() {
    assert_eq!(
        synth::sysmon_and_security_log(300, 4),
        synth::sysmon_and_security_log(300, 4)
    );
    assert_ne!(
        synth::sysmon_and_security_log(300, 4),
        synth::sysmon_and_security_log(300, 5)
    );
    assert_eq!(
        synth::log_of_size(200_000, 0),
        synth::log_of_size(200_000, 0)
    );
    // An empty log: the file header alone, which cmdhunt reads as no records.
    let empty = write_log([]).expect("nothing to refuse");
    assert_eq!(empty.len(), FILE_HEADER_BYTES);
    let (summary, rows) = scan(&empty, "empty.evtx", 4096);
    assert_eq!((summary.records, summary.error, rows.len()), (0, None, 0));
}
