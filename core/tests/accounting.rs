//! Accounting property tests over real exports (the public test data beside
//! the checkout, README "Layout", and `tests/data`; never copied):
//!
//! - **Chunking**: a valid file gives exactly the same summary and rows
//!   whatever the sizes of the pushed chunks (random chunkings from single
//!   bytes to 64 KiB, from a small deterministic RNG).
//! - **Mutation**: real files with flipped bytes, truncated, spliced with
//!   pieces of themselves or other files, ranges deleted or repeated: every
//!   scan (sniffed and format forced) keeps `records == analysed + skipped`,
//!   gives every skip a reason and a position, and does not depend on
//!   chunking either.

use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

mod common;
use common::Rng;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data");

/// Real files of every format: (path relative to shared data or fixtures, format).
const FILES: &[(&str, Format)] = &[
    ("defender/advanced_hunting_test.csv", Format::Csv),
    ("defender/process_tree.csv", Format::Csv),
    ("defender/processes_on_host.csv", Format::Csv),
    ("defender/mde_proc_cs1.csv", Format::Csv),
    ("defender/Microsoft365DefenderEvents.json", Format::Json),
    (
        "otrf/cmd_userinitmprlogonscript_batch_2020-10-1922471810.json",
        Format::Json,
    ),
    (
        "xml/PanacheSysmon_vs_AtomicRedTeam01.evtx_dump.jsonl",
        Format::Json,
    ),
    (
        "xml/ID4688-SQL Server payload injectection for reverse shell (MSF).events.xml",
        Format::Xml,
    ),
    (
        "xml/ID4688-SQL Server payload injectection for reverse shell (MSF).evtx_dump-raw.xml",
        Format::Xml,
    ),
    (
        "evtx-samples/samples/Security_short_selected.evtx",
        Format::Evtx,
    ),
    (
        "evtx-samples/samples/sample_with_a_bad_chunk_magic.evtx",
        Format::Evtx,
    ),
    (
        "sysmon-evtx/Execution/sysmon_lolbin_bohops_vshadow_exec.evtx",
        Format::Evtx,
    ),
    ("@sentinel_portal_utf16le.csv", Format::Csv),
    ("@sysmon_fields.csv", Format::Csv),
    ("@defender_portal.xlsx", Format::Xlsx),
    ("@advanced_hunting_test.xlsx", Format::Xlsx),
];

fn read(path: &str) -> Vec<u8> {
    let full = match path.strip_prefix('@') {
        Some(fixture) => format!("{FIXTURES}/{fixture}"),
        None => format!("{DATA}/{path}"),
    };
    std::fs::read(&full).unwrap_or_else(|e| panic!("read {full}: {e}"))
}

/// Random chunk lengths covering `len` bytes; each chunking has its own
/// largest size (1 byte up to 64 KiB), so chunks end in every decoder state.
fn chunking(rng: &mut Rng, len: usize) -> Vec<usize> {
    let max = 1usize << rng.below(17);
    let mut sizes = Vec::new();
    let mut left = len;
    while left > 0 {
        let n = (rng.below(max) + 1).min(left);
        sizes.push(n);
        left -= n;
    }
    sizes
}

fn scan(
    rule: &CompiledRule,
    bytes: &[u8],
    format: Option<Format>,
    sizes: &[usize],
) -> (FileSummary, Vec<FlaggedRow>) {
    let mut scan = FileScan::new(rule, 0, "accounting", format);
    let mut at = 0;
    for &n in sizes {
        scan.push(&bytes[at..at + n]);
        at += n;
    }
    scan.push(&bytes[at..]);
    scan.finish()
}

/// Counts only (a summary of a big file is too large to print).
fn brief(s: &FileSummary) -> String {
    format!(
        "format {:?}, records {}, analysed {}, skipped {}, flagged {}, error {:?}",
        s.format,
        s.records,
        s.analysed(),
        s.skipped,
        s.flagged,
        s.error
    )
}

fn assert_accounted(case: &str, len: usize, s: &FileSummary, rows: &[FlaggedRow]) {
    assert_eq!(s.records, s.analysed() + s.skipped, "{case}: {}", brief(s));
    assert_eq!(s.bytes, len as u64, "{case}: bytes");
    assert_eq!(s.flagged, rows.len() as u64, "{case}: rows");
    for skip in &s.skips {
        assert!(!skip.reason.trim().is_empty(), "{case}: {skip:?}");
        assert!(
            (1..=s.records).contains(&skip.position.record),
            "{case}: {skip:?}"
        );
    }
    if let Some(e) = &s.error {
        assert!(
            !e.message.trim().is_empty(),
            "{case}: error without message"
        );
    }
}

#[test]
fn valid_files_give_identical_results_for_every_chunking() {
    let rule = CompiledRule::new();
    let mut rng = Rng(0x0ACC_00A7);
    for &(path, format) in FILES {
        let bytes = read(path);
        let (base, base_rows) = scan(&rule, &bytes, None, &[]);
        assert_accounted(path, bytes.len(), &base, &base_rows);
        assert_eq!(base.format, Some(format), "{path}: sniffed format");
        assert!(
            base.records > 0 && base.error.is_none(),
            "{path}: {}",
            brief(&base)
        );
        // Big files get fewer (and coarser) chunkings: the debug build is slow.
        let runs = if bytes.len() > 1 << 20 { 2 } else { 8 };
        for run in 0..runs {
            let mut sizes = chunking(&mut rng, bytes.len());
            if bytes.len() > 1 << 20 && sizes.len() > 100_000 {
                sizes = sizes.chunks(64).map(|c| c.iter().sum()).collect();
            }
            let case = format!("{path} chunking {run} ({} pushes)", sizes.len());
            let forced = (run % 2 == 1).then_some(format);
            let (summary, rows) = scan(&rule, &bytes, forced, &sizes);
            assert_accounted(&case, bytes.len(), &summary, &rows);
            assert_eq!(summary, base, "{case}: summary differs");
            assert!(rows == base_rows, "{case}: rows differ");
        }
    }
}

/// One random damage to `bytes` (with `other` as a source of foreign bytes).
fn mutate(rng: &mut Rng, bytes: &[u8], other: &[u8]) -> (String, Vec<u8>) {
    let mut out = bytes.to_vec();
    let len = out.len().max(1);
    match rng.below(6) {
        0 => {
            let flips = rng.below(32) + 1;
            for _ in 0..flips {
                let at = rng.below(len);
                if let Some(b) = out.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            (format!("{flips} bit flips"), out)
        }
        1 => {
            let at = rng.below(len);
            out.truncate(at);
            (format!("truncated at {at}"), out)
        }
        2 => {
            let (from, n) = (rng.below(other.len()), rng.below(4096) + 1);
            let piece = &other[from.min(other.len())..(from + n).min(other.len())];
            let at = rng.below(len).min(out.len());
            out.splice(at..at, piece.iter().copied());
            (
                format!("{} foreign bytes spliced at {at}", piece.len()),
                out,
            )
        }
        3 => {
            let at = rng.below(len).min(out.len());
            let end = (at + rng.below(8192) + 1).min(out.len());
            out.drain(at..end);
            (format!("bytes {at}..{end} deleted"), out)
        }
        4 => {
            let at = rng.below(len).min(out.len());
            let end = (at + rng.below(8192) + 1).min(out.len());
            let piece = out[at..end].to_vec();
            let to = rng.below(len).min(out.len());
            out.splice(to..to, piece);
            (format!("bytes {at}..{end} repeated at {to}"), out)
        }
        _ => {
            // Structural bytes of every format, where they hurt most.
            const NASTY: &[&[u8]] = &[
                b"\"",
                b"\n",
                b"\r",
                b",",
                b"{",
                b"}",
                b"[",
                b"]",
                b"<",
                b">",
                b"&",
                b"\0",
                b"\\",
                b"**\0\0",
                b"ElfChnk\0",
                b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
                b"\xff\xfe",
                b"\xc3",
            ];
            let n = rng.below(8) + 1;
            for _ in 0..n {
                let piece = NASTY[rng.below(NASTY.len())];
                let at = rng.below(len).min(out.len());
                out.splice(at..at, piece.iter().copied());
            }
            (format!("{n} structural bytes inserted"), out)
        }
    }
}

#[test]
fn mutated_files_are_fully_accounted_at_any_chunking() {
    let rule = CompiledRule::new();
    let mut rng = Rng(0xBAD_F11E);
    // At most 192 KiB of each file, so that many mutations stay quick.
    let files: Vec<(&str, Format, Vec<u8>)> = FILES
        .iter()
        .map(|&(path, format)| {
            let mut bytes = read(path);
            if format != Format::Xlsx {
                bytes.truncate(192 << 10);
            }
            (path, format, bytes)
        })
        .collect();
    // (analysed, skipped, errors) over all damaged scans: the damage must show.
    let mut seen = (0, 0, 0);
    for (i, (path, format, bytes)) in files.iter().enumerate() {
        let other = &files[(i + 1) % files.len()].2;
        for round in 0..24 {
            let (what, damaged) = mutate(&mut rng, bytes, other);
            let forced = if round % 3 == 0 { Some(*format) } else { None };
            let case = format!("{path} round {round}: {what}, format {forced:?}");
            let (whole, whole_rows) = scan(&rule, &damaged, forced, &[]);
            assert_accounted(&case, damaged.len(), &whole, &whole_rows);
            let sizes = chunking(&mut rng, damaged.len());
            let (chunked, rows) = scan(&rule, &damaged, forced, &sizes);
            assert_accounted(&case, damaged.len(), &chunked, &rows);
            assert_eq!(
                brief(&chunked),
                brief(&whole),
                "{case}: chunking changed the account"
            );
            assert!(rows == whole_rows, "{case}: chunking changed the rows");
            seen.0 += whole.analysed();
            seen.1 += whole.skipped;
            seen.2 += u64::from(whole.error.is_some());
        }
    }
    let (analysed, skipped, errors) = seen;
    assert!(analysed > 0 && skipped > 0 && errors > 0, "{seen:?}");
}
