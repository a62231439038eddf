//! One CSV file scanned as two byte ranges (`cmdhunt_core::split`, what the
//! page's two workers do) gives exactly the whole-file scan's summary and
//! rows: every CSV in ../shared/data and generated exports (with quoted line
//! breaks, CRLF, oversized and unterminated records), at random split
//! points, in random chunks; split points inside quoted fields are caught at
//! the seam and rescanned.

#[allow(dead_code)]
#[path = "../../bench/src/catalog.rs"]
mod catalog;
mod common;
#[allow(dead_code)]
#[path = "../../bench/src/gen.rs"]
mod gen;

use common::split::{assert_same, feed, fresh, whole, Scan};
use common::{read, shared, Rng};

use cmdhunt_core::format::Format;
use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::split::{
    merge, merge_all, plan, plan_n, Plan, RangeScan, HEAD_BYTES, WINDOW_BYTES,
};

/// The page's two-worker protocol, sequentially: plan at `middle`, scan the
/// ranges, check the seam; on a mismatch the first range reads on to the
/// end. Returns the result and whether the seam held.
fn split_scan(
    rule: &CompiledRule,
    hardened: Option<&HardenedRules>,
    data: &[u8],
    middle: usize,
    rng: &mut Rng,
) -> Option<(Scan, bool)> {
    let head = &data[..data.len().min(HEAD_BYTES)];
    let from = middle - 1;
    let window = &data[from..data.len().min(from + WINDOW_BYTES)];
    let plan: Plan = plan(head, window, from as u64, data.len() as u64)?;
    let b = plan.boundary as usize;
    let max = 1 + rng.below(70_000);
    let mut first = RangeScan::first(fresh(rule, hardened, None), &plan);
    feed(&mut |c| first.push(c), &data[..b], rng, max);
    let mut second = RangeScan::after(
        fresh(rule, hardened, Some(Format::Csv)),
        &data[..plan.header_end],
        plan.boundary,
    );
    feed(&mut |c| second.push(c), &data[b..], rng, max);
    if first.at_record_start() {
        Some((merge(first.finish(), second.finish()), true))
    } else {
        feed(&mut |c| first.push(c), &data[b..], rng, max);
        let part = first.finish();
        Some(((part.summary, part.rows), false))
    }
}

/// The protocol over `k` ranges ([`plan_n`]), sequentially: cuts near
/// `middles` (increasing), each range scanned alone, then the seams in
/// order (the last accepted range reads on through a range whose seam
/// fails). Returns the result and (seams held, seams rescanned).
fn split_scan_n(
    rule: &CompiledRule,
    hardened: Option<&HardenedRules>,
    data: &[u8],
    middles: &[usize],
    rng: &mut Rng,
) -> Option<(Scan, (usize, usize))> {
    let head = &data[..data.len().min(HEAD_BYTES)];
    let windows: Vec<(u64, &[u8])> = middles
        .iter()
        .map(|&m| {
            let from = m - 1;
            (
                from as u64,
                &data[from..data.len().min(from + WINDOW_BYTES)],
            )
        })
        .collect();
    let plans = plan_n(head, &windows, data.len() as u64)?;
    let starts: Vec<usize> = plans.iter().map(|p| p.boundary as usize).collect();
    let ends: Vec<usize> = starts[1..].iter().copied().chain([data.len()]).collect();
    let header = &data[..plans[0].header_end];
    let max = 1 + rng.below(70_000);
    let mut first = RangeScan::first(fresh(rule, hardened, None), &plans[0]);
    feed(&mut |c| first.push(c), &data[..starts[0]], rng, max);
    let mut later = Vec::new();
    for (i, (&start, &end)) in starts.iter().zip(&ends).enumerate() {
        let scan = fresh(rule, hardened, Some(Format::Csv));
        let mut range = if i + 1 == starts.len() {
            RangeScan::after(scan, header, start as u64)
        } else {
            RangeScan::middle(scan, header, start as u64)
        };
        feed(&mut |c| range.push(c), &data[start..end], rng, max);
        later.push((range, start, end));
    }
    let (mut held, mut rescanned) = (0, 0);
    let mut parts = Vec::new();
    let mut live = first;
    for (range, start, end) in later {
        if live.at_record_start() {
            held += 1;
            parts.push(live.finish());
            live = range;
        } else {
            rescanned += 1;
            feed(&mut |c| live.push(c), &data[start..end], rng, max);
        }
    }
    parts.push(live.finish());
    Some((merge_all(parts).expect("parts"), (held, rescanned)))
}

/// Cut every file into 2 to 4 ranges at random places: the result is the
/// whole scan's.
fn check_file_n(what: &str, data: &[u8], points: usize, seed: u64) -> (usize, usize) {
    let rule = CompiledRule::new();
    let hardened = HardenedRules::new();
    let want = whole(&rule, None, data);
    let want_hardened = whole(&rule, Some(&hardened), data);
    let mut rng = Rng(seed);
    let (mut held, mut rescanned) = (0, 0);
    for i in 0..points {
        let k = 2 + rng.below(3);
        let mut middles: Vec<usize> = (1..k).map(|_| 1 + rng.below(data.len() - 1)).collect();
        middles.sort();
        let h = (i % 4 == 0).then_some(&hardened);
        let Some((got, (ok, again))) = split_scan_n(&rule, h, data, &middles, &mut rng) else {
            continue;
        };
        let want = if h.is_some() { &want_hardened } else { &want };
        assert_same(&format!("{what} cut near {middles:?}"), &got, want);
        held += ok;
        rescanned += again;
    }
    (held, rescanned)
}

/// The Defender CSV exports in ../shared/data, sorted.
fn shared_csvs() -> Vec<std::path::PathBuf> {
    let dir = shared("defender");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    files
}

#[test]
fn files_split_into_k_ranges_give_the_same_result() {
    let files = shared_csvs();
    let mut total = (0, 0);
    for (n, path) in files.iter().enumerate() {
        let data = read(path);
        let (held, rescanned) = check_file_n(&path.display().to_string(), &data, 30, n as u64 + 11);
        total.0 += held;
        total.1 += rescanned;
    }
    for (seed, crlf) in [(17u64, false), (18, true)] {
        let mut data = Vec::new();
        let opts = gen::GenOptions {
            seed,
            target_bytes: 400_000,
            crlf,
            variety: true,
        };
        gen::generate(&opts, &mut data).expect("writing to memory");
        let (held, rescanned) = check_file_n(&format!("generated seed {seed}"), &data, 40, seed);
        total.0 += held;
        total.1 += rescanned;
    }
    let quoted = quoted_breaks_file();
    let (held, rescanned) = check_file_n("quoted line breaks", &quoted, 60, 5);
    total.0 += held;
    total.1 += rescanned;
    assert!(total.0 > 100, "{total:?}");
    assert!(total.1 > 10, "{total:?}");
}

/// Split at `points` random places (and every quoted line break found
/// near them); returns (seams held, seams rescanned).
fn check_file(what: &str, data: &[u8], points: usize, seed: u64) -> (usize, usize) {
    let rule = CompiledRule::new();
    let hardened = HardenedRules::new();
    let want = whole(&rule, None, data);
    let want_hardened = whole(&rule, Some(&hardened), data);
    let mut rng = Rng(seed);
    let (mut held, mut rescanned) = (0, 0);
    for i in 0..points {
        let middle = 1 + rng.below(data.len() - 1);
        let h = (i % 4 == 0).then_some(&hardened);
        let Some((got, ok)) = split_scan(&rule, h, data, middle, &mut rng) else {
            continue;
        };
        let want = if h.is_some() { &want_hardened } else { &want };
        assert_same(&format!("{what} split near {middle}"), &got, want);
        if ok {
            held += 1;
        } else {
            rescanned += 1;
        }
    }
    (held, rescanned)
}

#[test]
fn every_shared_csv_splits_to_the_same_result() {
    let files = shared_csvs();
    assert_eq!(files.len(), 4, "{files:?}");
    let mut split = 0;
    for (n, path) in files.iter().enumerate() {
        let data = read(path);
        let (held, rescanned) = check_file(&path.display().to_string(), &data, 40, n as u64 + 1);
        split += held + rescanned;
    }
    // Files the plan refuses (too few columns, say) are scanned whole by the
    // page; at least the Defender export is split.
    assert!(split >= 40, "{split}");
}

/// Generated exports with quoted line breaks (variety mode), CRLF or LF.
#[test]
fn generated_exports_split_to_the_same_result() {
    let mut total = (0, 0);
    for (seed, crlf) in [(7u64, false), (8, true), (9, false)] {
        let mut data = Vec::new();
        let opts = gen::GenOptions {
            seed,
            target_bytes: 600_000,
            crlf,
            variety: true,
        };
        gen::generate(&opts, &mut data).expect("writing to memory");
        let (held, rescanned) = check_file(&format!("generated seed {seed}"), &data, 60, seed);
        total.0 += held;
        total.1 += rescanned;
    }
    assert!(total.0 > 100, "{total:?}");
}

/// Split points right before every quoted line break of a file built for
/// it: the candidate boundary is inside a quoted field, the seam check must
/// catch it (a merge there would differ), and the rescan gives the whole
/// scan's result.
/// A file whose quoted fields hold line breaks (CRLF and LF) and whose
/// unterminated quotes run over the next line.
fn quoted_breaks_file() -> Vec<u8> {
    let mut data = b"\xef\xbb\xbfTimestamp,DeviceName,FileName,ProcessCommandLine,InitiatingProcessFileName\r\n"
        .to_vec();
    for i in 0..400 {
        let line = format!(
            "2024-01-01T00:{:02}:{:02}Z,pc{i},cmd.exe,\"cmd /c \"\"reg add\r\nHKCU\\x{i}\"\" \n,\n\",explorer.exe\r\n",
            i / 60 % 60,
            i % 60
        );
        data.extend_from_slice(line.as_bytes());
        if i % 7 == 0 {
            data.extend_from_slice(b"2024-01-01T00:00:00Z,pc,cmd.exe,\"unterminated, \"\"x\n");
            data.extend_from_slice(b"\"\n");
        }
    }
    data
}

#[test]
fn quoted_line_breaks_at_the_seam_are_rescanned() {
    let data = quoted_breaks_file();
    let rule = CompiledRule::new();
    let want = whole(&rule, None, &data);
    assert!(want.0.flagged >= 400, "{}", want.0.flagged);
    let mut rng = Rng(42);
    let mut caught = 0;
    let quoted_breaks: Vec<usize> = data
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"\r\n" || w[1] == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    for &nl in quoted_breaks.iter().step_by(3) {
        // (No plan for the header's own line break.)
        let Some((got, ok)) = split_scan(&rule, None, &data, nl, &mut rng) else {
            assert!(nl < 100 || nl + 1 >= data.len(), "{nl}");
            continue;
        };
        assert_same(&format!("split at {nl}"), &got, &want);
        if !ok {
            caught += 1;
            // Merging anyway would be wrong: the check is what keeps it right.
            let head = &data[..HEAD_BYTES.min(data.len())];
            let p = plan(head, &data[nl - 1..], nl as u64 - 1, data.len() as u64).expect("plan");
            let b = p.boundary as usize;
            let mut first = RangeScan::first(fresh(&rule, None, None), &p);
            first.push(&data[..b]);
            let mut second = RangeScan::after(
                fresh(&rule, None, Some(Format::Csv)),
                &data[..p.header_end],
                p.boundary,
            );
            second.push(&data[b..]);
            assert_ne!(
                merge(first.finish(), second.finish()),
                want,
                "split at {nl}"
            );
        }
    }
    assert!(caught > 100, "{caught}");
}

/// Files the split must refuse: not CSV, UTF-16, a header without the
/// required columns, Security 4688 exports with `NewProcessId` (parent
/// inference looks back), no line break after the middle.
#[test]
fn plan_refuses_what_it_cannot_split() {
    let ok = b"Timestamp,DeviceName,FileName,ProcessCommandLine,InitiatingProcessFileName\na,b,c,d,e\nf,g,h,i,j\n";
    let at = ok.len() - 15;
    assert!(plan(ok, &ok[at..], at as u64, ok.len() as u64).is_some());
    let refused: [&[u8]; 3] = [
        b"{\"a\":1}\n{\"a\":2}\n",
        b"x,y\n1,2\n3,4\n",
        b"TimeCreated,Computer,NewProcessName,CommandLine,NewProcessId,ProcessId\na,b,c,d,1,2\n",
    ];
    for data in refused {
        let at = data.len() / 2;
        assert_eq!(plan(data, &data[at..], at as u64, data.len() as u64), None);
    }
    let mut utf16 = vec![0xff, 0xfe];
    for b in ok.iter() {
        utf16.extend_from_slice(&[*b, 0]);
    }
    let at = utf16.len() / 2;
    assert_eq!(
        plan(&utf16, &utf16[at..], at as u64, utf16.len() as u64),
        None
    );
    // The only line break after the middle is the file's last byte.
    assert_eq!(
        plan(
            ok,
            &ok[ok.len() - 2..],
            ok.len() as u64 - 2,
            ok.len() as u64
        ),
        None
    );
}
