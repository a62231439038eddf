//! The EVTX decoder on every real log of the shared data, on the `evtx`
//! crate's damaged samples, on cut files and on any chunking. Counts are
//! checked against the `evtx` crate's own iteration (`records()` for the
//! record count, `records_json_value()`, a different rendering, for the
//! classes and `cmd.exe` rows), and positions against the file's bytes.
#![cfg(feature = "std")]

use cmdhunt_core::event::{basename, Skip};
use cmdhunt_core::format::{DecodeErrorKind, Format};
use cmdhunt_core::scan::{FileSummary, FlaggedRow};
use evtx::EvtxParser;
use serde_json::Value;

mod common;
use common::{evtx_files, read, scan_in, shared, Collect};

fn scan(bytes: &[u8], slice: usize) -> (FileSummary, Vec<FlaggedRow>) {
    scan_in(bytes, "test.evtx", None, slice)
}

fn decode(bytes: &[u8], slice: usize) -> Collect {
    let mut decoder = Format::Evtx.decoder();
    let mut sink = Collect::default();
    for c in bytes.chunks(slice.max(1)) {
        decoder.push(c, &mut sink).expect("push");
    }
    decoder.finish(&mut sink).expect("finish");
    sink
}

/// The `evtx` crate's own count of the records it reads, and of its errors.
fn crate_records(bytes: &[u8]) -> (u64, u64) {
    let mut parser = EvtxParser::from_buffer(bytes.to_vec()).expect("an EVTX file");
    let (mut ok, mut err) = (0, 0);
    for r in parser.records() {
        match r {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    (ok, err)
}

/// Process creations and `cmd.exe` ones, as the crate's JSON rendering shows them.
fn crate_classes(bytes: &[u8]) -> (u64, u64) {
    let mut parser = EvtxParser::from_buffer(bytes.to_vec()).expect("an EVTX file");
    let (mut creations, mut shell) = (0, 0);
    for r in parser.records_json_value().flatten() {
        let event = &r.data["Event"];
        let system = &event["System"];
        let provider = system["Provider"]["#attributes"]["Name"]
            .as_str()
            .unwrap_or("");
        let id = match &system["EventID"] {
            Value::Object(o) => o.get("#text").cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        let id = id.as_u64().unwrap_or(0);
        let creation = (provider == "Microsoft-Windows-Sysmon" && id == 1)
            || (provider == "Microsoft-Windows-Security-Auditing" && id == 4688);
        if !creation {
            continue;
        }
        creations += 1;
        let data = &event["EventData"];
        let image = data["Image"]
            .as_str()
            .or_else(|| data["NewProcessName"].as_str())
            .unwrap_or("");
        if basename(image).eq_ignore_ascii_case("cmd.exe") {
            shell += 1;
        }
    }
    (creations, shell)
}

#[test]
fn every_real_log_decodes_as_the_evtx_crate_reads_it() {
    let mut files = evtx_files(&shared("sysmon-evtx"));
    files.extend(evtx_files(&shared("security-4688")));
    files.extend(evtx_files(&shared("sigma-regression")));
    let mut totals = [0u64; 6];
    for path in &files {
        let bytes = read(path);
        let (summary, rows) = scan(&bytes, 64 << 10);
        let name = path.display();
        assert_eq!(summary.format, Some(Format::Evtx), "{name}");
        assert_eq!(summary.error, None, "{name}");
        assert_eq!(summary.skipped, 0, "{name}: {:?}", summary.skips);
        let (ok, err) = crate_records(&bytes);
        assert_eq!(err, 0, "{name}: the crate reads it whole");
        assert_eq!(summary.records, ok, "{name}");
        assert_eq!(summary.analysed(), ok, "{name}");
        let (creations, shell) = crate_classes(&bytes);
        assert_eq!(summary.process_creations, creations, "{name}");
        assert_eq!(summary.shell, shell, "{name}");
        assert_eq!(summary.flagged, rows.len() as u64, "{name}");
        for row in &rows {
            assert!(
                row.event.file_name.eq_ignore_ascii_case("cmd.exe"),
                "{name}"
            );
            assert!(row.verdict.is_flagged(), "{name}");
        }
        let sigma = path.starts_with(shared("sigma-regression"));
        let at = if sigma { 3 } else { 0 };
        totals[at] += 1;
        totals[at + 1] += summary.records;
        totals[at + 2] += summary.flagged;
    }
    // Files, records and flagged rows of the Sysmon/Security sets, then of the
    // Sigma regression set (every record checked against the crate above).
    assert_eq!(totals, [124, 6661, 26, 138, 153, 0], "{totals:?}");
}

#[test]
fn the_biggest_sysmon_log_has_these_counts() {
    let path = shared("sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx");
    let (summary, rows) = scan(&read(&path), 64 << 10);
    assert_eq!(
        (
            summary.records,
            summary.process_creations,
            summary.shell,
            summary.flagged
        ),
        (565, 511, 155, 21)
    );
    assert_eq!(summary.other_events.values().sum::<u64>(), 565 - 511);
    assert!(rows.iter().all(|r| r
        .fields
        .iter()
        .any(|(n, v)| n == "Provider" && v == "Microsoft-Windows-Sysmon")));
}

/// The crate's torture samples: damaged chunks, dirty headers, odd values.
/// Every record the crate yields is read, except the ones it parses out of
/// zeroed bytes (their size is not repeated at their end; they render as an
/// empty event), which are skips; so are records a chunk header lists that
/// are gone, and chunks that are not chunks.
#[test]
fn damaged_samples_yield_every_readable_record_and_say_what_was_lost() {
    // (file, records the crate yields, of which incomplete, skips in all)
    let cases = [
        ("Security_short_selected.evtx", 7, 0, 0),
        ("sample-with-irregular-bool-values.evtx", 3028, 0, 0),
        ("sample_with_a_bad_chunk_magic.evtx", 301, 3, 251),
        ("security.evtx", 2261, 0, 0),
        ("sysmon.evtx", 358, 0, 8),
        ("system.evtx", 1881, 0, 0),
    ];
    for (file, readable, incomplete, skipped) in cases {
        let bytes = read(&shared("evtx-samples/samples").join(file));
        let (ok, _) = crate_records(&bytes);
        assert_eq!(ok, readable, "{file}: the crate's count");
        let (summary, _) = scan(&bytes, 64 << 10);
        assert_eq!(summary.error, None, "{file}");
        let cut_off = summary
            .skips
            .iter()
            .filter(|s| s.reason.contains("not repeated at its end"))
            .count() as u64;
        assert_eq!(cut_off, incomplete, "{file}");
        assert_eq!(summary.analysed(), readable - incomplete, "{file}");
        assert_eq!(summary.skipped, skipped, "{file}: {:?}", summary.skips);
        assert_eq!(summary.records, readable - incomplete + skipped, "{file}");
        for skip in &summary.skips {
            assert!(
                matches!(
                    skip.kind,
                    DecodeErrorKind::EvtxRecord | DecodeErrorKind::EvtxChunk
                ),
                "{file}: {skip:?}"
            );
            assert!(skip.position.byte < bytes.len() as u64, "{file}");
            assert!(skip.position.record > 0, "{file}");
        }
    }
}

#[test]
fn a_dirty_header_is_not_trusted() {
    // The file header says one chunk and sets the dirty flag; nine chunks hold records.
    let bytes = read(&shared("evtx-samples/samples/sysmon.evtx"));
    assert_eq!(bytes[120] & 1, 1, "dirty flag");
    assert_eq!(
        u16::from_le_bytes([bytes[42], bytes[43]]),
        1,
        "header chunk count"
    );
    let got = decode(&bytes, 64 << 10);
    assert_eq!(got.records.len(), 358);
    let chunks: std::collections::BTreeSet<u64> = got
        .records
        .iter()
        .map(|(p, _, _)| (p.byte - 4096) / 65536)
        .collect();
    assert_eq!(
        chunks.into_iter().collect::<Vec<_>>(),
        (0..9).collect::<Vec<_>>()
    );
    // Chunks 9 to 16 are not chunks: one skip each, at the chunk's offset.
    let at: Vec<u64> = got.skips.iter().map(|s| s.position.byte).collect();
    assert_eq!(at, (9..17).map(|n| 4096 + n * 65536).collect::<Vec<_>>());
    for skip in &got.skips {
        assert_eq!(skip.kind, DecodeErrorKind::EvtxChunk, "{}", skip.reason);
    }
}

#[test]
fn a_chunk_without_its_header_reports_each_record_it_held() {
    let bytes = read(&shared(
        "evtx-samples/samples/sample_with_a_bad_chunk_magic.evtx",
    ));
    let got = decode(&bytes, 64 << 10);
    assert_eq!(got.records.len(), 298);
    // Chunks 6 and 10 lost their first bytes, header included; each record
    // signature left in them is a skip at that record, with its id.
    let lost: Vec<&Skip> = got
        .skips
        .iter()
        .filter(|s| s.kind == DecodeErrorKind::EvtxChunk)
        .collect();
    assert_eq!(lost.len(), 82);
    for skip in &lost {
        let at = skip.position.byte as usize;
        assert_eq!(&bytes[at..at + 4], b"**\0\0");
        let id = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().expect("8 bytes"));
        assert!(
            skip.reason.contains(&format!("record {id} ")),
            "{}",
            skip.reason
        );
        let chunk = (at - 4096) / 65536;
        assert!(chunk == 6 || chunk == 10, "{at}");
    }
    // The crate fails on one record of chunk 7, at 0x2060 into it.
    let failed: Vec<&Skip> = got
        .skips
        .iter()
        .filter(|s| s.reason.contains("0x2060"))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].position.byte, 4096 + 7 * 65536 + 0x2060);
    // Chunk 0's header lists records 46728..=46857; those after its zeroed
    // part are named, one skip each.
    let listed: Vec<&Skip> = got
        .skips
        .iter()
        .filter(|s| s.reason.contains("in chunk 0: listed in the chunk header"))
        .collect();
    let read_in_chunk0 = got
        .records
        .iter()
        .filter(|(p, _, _)| p.byte < 4096 + 65536)
        .count();
    assert_eq!(read_in_chunk0 + 1 + listed.len(), 46857 - 46728 + 1);
}

#[test]
fn positions_point_at_the_records_in_the_file() {
    let path = shared("sysmon-evtx/AutomatedTestingTools/panache_sysmon_vs_EDRTestingScript.evtx");
    let bytes = read(&path);
    let got = decode(&bytes, 64 << 10);
    assert!(got.skips.is_empty());
    // The crate's records, in its order (the same as the file's here), with
    // the record-header id and the event's own EventRecordID (a filtered
    // export renumbers the first, not the second).
    let mut parser = EvtxParser::from_buffer(bytes.clone()).expect("EVTX");
    let theirs: Vec<(u64, String)> = parser
        .records_json_value()
        .map(|r| {
            let r = r.expect("a record");
            let id = r.data["Event"]["System"]["EventRecordID"].to_string();
            (r.event_record_id, id)
        })
        .collect();
    assert_eq!(got.records.len(), theirs.len());
    for (i, ((position, _, fields), (header_id, event_id))) in
        got.records.iter().zip(&theirs).enumerate()
    {
        assert_eq!(position.record, i as u64 + 1, "running count");
        assert_eq!(position.line, 0);
        let at = position.byte as usize;
        assert_eq!(&bytes[at..at + 4], b"**\0\0", "record {}", position.record);
        let id = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().expect("8 bytes"));
        assert_eq!(id, *header_id, "record {}", position.record);
        let field = fields.iter().find(|(n, _)| n == "EventRecordID");
        assert_eq!(field.map(|(_, v)| v.as_str()), Some(event_id.as_str()));
    }
}

#[test]
fn any_chunking_gives_the_same_result() {
    let small = read(&shared("evtx-samples/samples/Security_short_selected.evtx"));
    let big = read(&shared(
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    ));
    for (bytes, slices) in [
        (&small, &[1, 7, 4096][..]),
        (&big, &[7, 65536, 100_000][..]),
    ] {
        let whole = scan(bytes, bytes.len());
        for &slice in slices {
            assert_eq!(scan(bytes, slice), whole, "{slice}-byte slices");
        }
    }
}

#[test]
fn a_cut_file_yields_the_records_that_are_whole() {
    let bytes = read(&shared(
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    ));
    let chunk2 = 4096 + 2 * 65536;
    let cut = chunk2 + 30_000;
    // Records wholly before the cut, found by walking chunk 2's record sizes.
    let mut whole_in_chunk2 = 0;
    let mut at = chunk2 + 512;
    loop {
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        if &bytes[at..at + 4] != b"**\0\0" || at + size > cut {
            break;
        }
        whole_in_chunk2 += 1;
        at += size;
    }
    let (before, _) = crate_records(&bytes[..chunk2]);
    let got = decode(&bytes[..cut], 4096);
    assert_eq!(got.records.len() as u64, before + whole_in_chunk2);
    assert!(!got.skips.is_empty());
    for skip in &got.skips {
        assert_eq!(skip.kind, DecodeErrorKind::Truncated, "{}", skip.reason);
    }
    // Cut inside a chunk's header: one skip, nothing else lost.
    let got = decode(&bytes[..chunk2 + 100], 4096);
    assert_eq!(got.records.len() as u64, before);
    assert_eq!(got.skips.len(), 1);
    assert_eq!(
        got.skips[0].kind,
        DecodeErrorKind::Truncated,
        "{:?}",
        got.skips
    );
}

#[test]
fn what_is_not_an_evtx_file_is_an_error() {
    let mut decoder = Format::Evtx.decoder();
    let mut sink = Collect::default();
    let err = decoder
        .push(b"ElfFilX\0 and more", &mut sink)
        .expect_err("bad magic");
    assert_eq!(err.kind, DecodeErrorKind::EvtxFileHeader, "{err}");

    let header = read(&shared("evtx-samples/samples/security.evtx"));
    let mut decoder = Format::Evtx.decoder();
    decoder
        .push(&header[..1000], &mut sink)
        .expect("a good start");
    let err = decoder.finish(&mut sink).expect_err("too short");
    assert_eq!(err.kind, DecodeErrorKind::Truncated, "{err}");
    assert!(err.message.contains("1000 of 4096"), "{err}");
    assert_eq!(err.position.byte, 1000);

    // A header and nothing else is an empty log.
    let mut decoder = Format::Evtx.decoder();
    decoder.push(&header[..4096], &mut sink).expect("header");
    decoder.finish(&mut sink).expect("an empty log");
    assert!(sink.records.is_empty() && sink.skips.is_empty());
}
