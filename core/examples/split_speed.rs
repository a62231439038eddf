//! Time one whole EVTX scan against the same log cut into `k` ranges
//! (`cmdhunt_core::split::evtx`) scanned on `k` threads, as the page's
//! workers would.
//!
//! ```text
//! cargo run --release -p cmdhunt-core --example split_speed -- [--size MB] [--rounds N] [--ranges 2,4] [--write FILE] [LOG.evtx...]
//! ```
//!
//! The shared logs are at most 3 MB, so the log timed is built in memory:
//! the first log's file header, then the chunks of the given logs (default:
//! four real Sysmon and Security logs from ../shared/data) repeated in turn
//! until `--size` MB (default 256). Chunks are independent, so this is a
//! valid log whose records are real ones. Each round times the whole scan
//! (a `FileScan` fed 64 KiB slices) and, for each `k`, the planned ranges
//! scanned on `k` threads (each fed 64 KiB slices), the seams checked and
//! the parts merged; the merged result must equal the whole scan's. The
//! best time of each is printed. `--write FILE` also saves the log built.
//! `--json FILE` times a JSON lines file instead: whole, as one range with
//! the clean-line check, and its `k` ranges alone (`split::json`).
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};
use cmdhunt_core::split::evtx::{plan, EvtxRangeScan, HEADER_BYTES};
use cmdhunt_core::split::{merge_all, RangePart};

const CHUNK: usize = 65536;

const DEFAULT_LOGS: [&str; 4] = [
    "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    "evtx-samples/samples/security.evtx",
    "evtx-samples/samples/sysmon.evtx",
    "security-4688/TA0005-Defense Evasion/T1562.004-Impair Defenses-Disable or Modify System Firewall/ID4688-5447-4950-Firewall disabled (command).evtx",
];

fn arg(args: &mut Vec<String>, name: &str) -> Option<String> {
    let i = args.iter().position(|a| a == name)?;
    let value = args.get(i + 1).cloned();
    args.drain(i..(i + 2).min(args.len()));
    value
}

/// A log of about `size` bytes: `logs[0]`'s header, then the logs' chunks in turn.
fn build(logs: &[Vec<u8>], size: usize) -> Vec<u8> {
    let chunks: Vec<&[u8]> = logs
        .iter()
        .flat_map(|log| log[HEADER_BYTES..].chunks_exact(CHUNK))
        .filter(|c| c.starts_with(b"ElfChnk\0"))
        .collect();
    assert!(!chunks.is_empty(), "no chunk in the logs given");
    let mut out = logs[0][..HEADER_BYTES].to_vec();
    for c in chunks.iter().cycle() {
        if out.len() + CHUNK > size {
            break;
        }
        out.extend_from_slice(c);
    }
    out
}

type Scan = (FileSummary, Vec<FlaggedRow>);

fn whole(rule: &CompiledRule, data: &[u8]) -> Scan {
    let mut scan = FileScan::new(rule, 0, "big.evtx", None);
    for c in data.chunks(CHUNK) {
        scan.push(c);
    }
    scan.finish()
}

/// The ranges on `k` threads, then the seams and the merge; also the
/// number of ranges that did not stand alone. A scan is not `Send`, so each
/// thread finishes its own and hands back its part; if some range does not
/// stand alone (a 4688 parent looked up before its start), this example
/// scans the whole log again on one thread rather than keep every scanner
/// open for the rescan (the page's protocol, `split::evtx`'s docs).
fn split(rule: &CompiledRule, data: &[u8], k: usize) -> (Scan, usize) {
    let p = plan(&data[..HEADER_BYTES], data.len() as u64, k).expect("a plan");
    let header = &data[..HEADER_BYTES];
    let ranges: Vec<(u64, u64)> = p.ranges().collect();
    let parts: Vec<(bool, RangePart)> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(start, end)| {
                s.spawn(move || {
                    let mut range = if start == 0 {
                        EvtxRangeScan::first(FileScan::new(rule, 0, "big.evtx", None))
                    } else {
                        let scan = FileScan::new(rule, 0, "big.evtx", Some(Format::Evtx));
                        EvtxRangeScan::after(scan, header, start).expect("a planned start")
                    };
                    for c in data[start as usize..end as usize].chunks(CHUNK) {
                        range.push(c);
                    }
                    (range.stands_alone(), range.finish())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a range's thread"))
            .collect()
    });
    let rescanned = parts.iter().filter(|(alone, _)| !alone).count();
    if rescanned > 0 {
        return (whole(rule, data), rescanned);
    }
    let parts = parts.into_iter().map(|(_, part)| part).collect();
    (merge_all(parts).expect("parts"), 0)
}

/// Each range scanned alone on this thread, one after another: the time
/// of each (the zero blocks a later range is fed included).
fn ranges_in_turn(rule: &CompiledRule, data: &[u8], k: usize) -> Vec<Duration> {
    let p = plan(&data[..HEADER_BYTES], data.len() as u64, k).expect("a plan");
    let header = &data[..HEADER_BYTES];
    p.ranges()
        .map(|(start, end)| {
            let t = Instant::now();
            let mut range = if start == 0 {
                EvtxRangeScan::first(FileScan::new(rule, 0, "big.evtx", None))
            } else {
                let scan = FileScan::new(rule, 0, "big.evtx", Some(Format::Evtx));
                EvtxRangeScan::after(scan, header, start).expect("a planned start")
            };
            for c in data[start as usize..end as usize].chunks(CHUNK) {
                range.push(c);
            }
            drop(range.finish());
            t.elapsed()
        })
        .collect()
}

/// `--json FILE`: a JSON lines file scanned whole, then as one range with
/// the clean-line check (its cost), then its `k` ranges alone in turn.
fn json(rule: &CompiledRule, path: &str, rounds: usize, ks: &[usize]) {
    use cmdhunt_core::split::json::{plan, JsonRangeScan};
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let head = &data[..data.len().min(cmdhunt_core::split::HEAD_BYTES)];
    let mut best = (Duration::MAX, Duration::MAX);
    let mut clean = false;
    for _ in 0..rounds {
        let t = Instant::now();
        drop(whole(rule, &data));
        best.0 = best.0.min(t.elapsed());
        let p = plan(head, &[(0, &data[..])], data.len() as u64).expect("JSON lines");
        let t = Instant::now();
        let mut range = JsonRangeScan::first(FileScan::new(rule, 0, "big.json", None), &p);
        for c in data.chunks(CHUNK) {
            range.push(c);
        }
        clean = range.clean();
        drop(range.finish());
        best.1 = best.1.min(t.elapsed());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "JSON lines {path}: {} bytes, clean: {clean}; whole scan {:.0} ms, with the clean-line check {:.0} ms (+{:.0}%), best of {rounds}",
        data.len(),
        ms(best.0),
        ms(best.1),
        (best.1.as_secs_f64() / best.0.as_secs_f64() - 1.0) * 100.0
    );
    for &k in ks {
        let windows: Vec<(u64, &[u8])> = (1..k)
            .map(|i| {
                let at = data.len() * i / k;
                (at as u64, &data[at..])
            })
            .collect();
        let p = plan(head, &windows, data.len() as u64).expect("JSON lines");
        let starts: Vec<usize> = [0]
            .into_iter()
            .chain(p.starts.iter().map(|&s| s as usize))
            .collect();
        let ends: Vec<usize> = starts[1..].iter().copied().chain([data.len()]).collect();
        let mut longest = Duration::ZERO;
        let mut all_alone = true;
        for (&start, &end) in starts.iter().zip(&ends) {
            let mut fastest = Duration::MAX;
            for _ in 0..rounds {
                let t = Instant::now();
                let mut range = if start == 0 {
                    JsonRangeScan::first(FileScan::new(rule, 0, "big.json", None), &p)
                } else {
                    let scan = FileScan::new(rule, 0, "big.json", Some(Format::Json));
                    JsonRangeScan::after(scan, start as u64)
                };
                for c in data[start..end].chunks(CHUNK) {
                    range.push(c);
                }
                all_alone &= range.stands_alone() && range.clean();
                drop(range.finish());
                fastest = fastest.min(t.elapsed());
            }
            longest = longest.max(fastest);
        }
        println!(
            "  {k} ranges alone, the longest: {:.0} ms ({:.2}x faster than the whole scan), every seam holds: {all_alone}",
            ms(longest),
            best.0.as_secs_f64() / longest.as_secs_f64()
        );
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let size: usize = arg(&mut args, "--size").map_or(256, |s| s.parse().expect("--size MB"));
    let rounds: usize = arg(&mut args, "--rounds").map_or(5, |s| s.parse().expect("--rounds N"));
    let ks: Vec<usize> = arg(&mut args, "--ranges").map_or(vec![2, 4], |s| {
        s.split(',')
            .map(|k| k.parse().expect("--ranges 2,4"))
            .collect()
    });
    let write = arg(&mut args, "--write");
    if let Some(path) = arg(&mut args, "--json") {
        json(&CompiledRule::new(), &path, rounds, &ks);
        return;
    }
    let paths: Vec<PathBuf> = if args.is_empty() {
        let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
        DEFAULT_LOGS.iter().map(|p| shared.join(p)).collect()
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    let logs: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect();
    let data = build(&logs, size << 20);
    if let Some(out) = write {
        std::fs::write(&out, &data).unwrap_or_else(|e| panic!("{out}: {e}"));
    }
    let rule = CompiledRule::new();
    let want = whole(&rule, &data);
    println!(
        "log: {} bytes, {} chunks, {} records, {} process creations, {} flagged, {} skipped",
        data.len(),
        (data.len() - HEADER_BYTES) / CHUNK,
        want.0.records,
        want.0.process_creations,
        want.0.flagged,
        want.0.skipped
    );
    // What a later range pays before its first byte: the header and one
    // zero block per chunk before it (here, for the last chunk), passed
    // over (`EvtxRangeScan::after`) or fed one by one (as it was before).
    let last = (HEADER_BYTES + (data.len() - HEADER_BYTES) / CHUNK * CHUNK - CHUNK) as u64;
    let (mut padding, mut feeding) = (Duration::MAX, Duration::MAX);
    let zero_block = vec![0u8; CHUNK];
    for _ in 0..rounds {
        let t = Instant::now();
        let scan = FileScan::new(&rule, 0, "big.evtx", Some(Format::Evtx));
        let range = EvtxRangeScan::after(scan, &data[..HEADER_BYTES], last).expect("a chunk start");
        padding = padding.min(t.elapsed());
        drop(range);
        let t = Instant::now();
        let mut scan = FileScan::new(&rule, 0, "big.evtx", Some(Format::Evtx));
        scan.push(&data[..HEADER_BYTES]);
        for _ in 0..(last as usize - HEADER_BYTES) / CHUNK {
            scan.push(&zero_block);
        }
        feeding = feeding.min(t.elapsed());
        drop(scan);
    }
    println!(
        "a range starting at the last chunk ({} zero blocks before it): {:.1} µs before its first byte ({:.1} ms feeding the blocks)",
        (last as usize - HEADER_BYTES) / CHUNK,
        padding.as_secs_f64() * 1e6,
        feeding.as_secs_f64() * 1e3
    );
    let mut best_whole = Duration::MAX;
    let mut best: Vec<Duration> = vec![Duration::MAX; ks.len()];
    let mut rescans = vec![0; ks.len()];
    let mut alone: Vec<Vec<Duration>> = ks.iter().map(|&k| vec![Duration::MAX; k]).collect();
    for _ in 0..rounds {
        let t = Instant::now();
        let got = whole(&rule, &data);
        best_whole = best_whole.min(t.elapsed());
        assert_eq!(got.0, want.0);
        for (i, &k) in ks.iter().enumerate() {
            let t = Instant::now();
            let (got, rescanned) = split(&rule, &data, k);
            best[i] = best[i].min(t.elapsed());
            rescans[i] = rescanned;
            assert!(got == want, "{k} ranges: the merged result differs");
            for (b, t) in alone[i].iter_mut().zip(ranges_in_turn(&rule, &data, k)) {
                *b = (*b).min(t);
            }
        }
    }
    let mb = data.len() as f64 / 1e6;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "whole scan, 1 thread: {:.0} ms ({:.0} MB/s), best of {rounds}",
        ms(best_whole),
        mb / best_whole.as_secs_f64()
    );
    for (i, &k) in ks.iter().enumerate() {
        println!(
            "{k} ranges on {k} threads: {:.0} ms ({:.0} MB/s, {:.2}x), {} ranges not standing alone, merged result = whole",
            ms(best[i]),
            mb / best[i].as_secs_f64(),
            best_whole.as_secs_f64() / best[i].as_secs_f64(),
            rescans[i]
        );
        let longest = alone[i].iter().max().copied().unwrap_or_default();
        let sum: Duration = alone[i].iter().sum();
        println!(
            "  its ranges alone, one after another: {:?} ms (sum {:.0} ms); the longest is {:.2}x faster than the whole scan (the speed-up on {k} idle cores)",
            alone[i].iter().map(|d| ms(*d).round() as u64).collect::<Vec<_>>(),
            ms(sum),
            best_whole.as_secs_f64() / longest.as_secs_f64()
        );
    }
}
