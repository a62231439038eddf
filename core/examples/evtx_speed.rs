//! Time cmdhunt's EVTX scan against the `evtx` crate's own record iteration.
//!
//! ```text
//! cargo run --release -p cmdhunt-core --example evtx_speed -- [--rounds N] FILE.evtx...
//! ```
//!
//! For each file (read into memory first) it times `EvtxParser::records()`
//! (XML strings: the crate's cheapest full iteration, single-threaded as the
//! crate is built here), `EvtxParser::records_json_value()`, and a `FileScan`
//! fed 64 KiB slices (the EVTX decoder and the rule). The three are run in
//! turn, round after round, and the best time of each is kept, so that load
//! from other processes weighs on all of them alike. It prints the times and
//! the ratio of the scan to `records()`. `--only records|json|scan` runs one
//! of them alone (for a profiler). The wasm side of the same comparison is
//! `cargo xtask evtx-wasm-bench` (`bench/evtx-wasm`), whose lines read alike.
use std::time::{Duration, Instant};

use cmdhunt_core::{matcher::CompiledRule, scan::FileScan};
use evtx::EvtxParser;

fn timed<T>(best: &mut Duration, run: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = run();
    *best = (*best).min(start.elapsed());
    out
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut rounds = 30;
    if let Some(i) = args.iter().position(|a| a == "--rounds") {
        rounds = args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(rounds);
        args.drain(i..(i + 2).min(args.len()));
    }
    let mut only = None;
    if let Some(i) = args.iter().position(|a| a == "--only") {
        only = args.get(i + 1).cloned();
        args.drain(i..(i + 2).min(args.len()));
    }
    let runs = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if args.is_empty() {
        eprintln!("usage: evtx_speed [--rounds N] [--only records|json|scan] FILE.evtx...");
        std::process::exit(2);
    }
    let rule = CompiledRule::new();
    for path in &args {
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let (mut xml, mut json, mut scan) = (Duration::MAX, Duration::MAX, Duration::MAX);
        let (mut crate_records, mut summary) = (0, None);
        for _ in 0..rounds {
            if runs("records") {
                crate_records = timed(&mut xml, || match EvtxParser::from_buffer(data.clone()) {
                    Ok(mut p) => p.records().filter(Result::is_ok).count(),
                    Err(_) => 0,
                });
            }
            if runs("json") {
                timed(&mut json, || match EvtxParser::from_buffer(data.clone()) {
                    Ok(mut p) => p.records_json_value().filter(Result::is_ok).count(),
                    Err(_) => 0,
                });
            }
            if !runs("scan") {
                continue;
            }
            summary = Some(timed(&mut scan, || {
                let mut s = FileScan::new(&rule, 0, path, None);
                for slice in data.chunks(64 << 10) {
                    s.push(slice);
                }
                s.finish().0
            }));
        }
        let Some(summary) = summary else {
            println!("{path}: records() {xml:?} ({crate_records} records); records_json_value() {json:?}");
            continue;
        };
        println!(
            "{path}: {} bytes; evtx records() {xml:?} ({crate_records} records); \
             records_json_value() {json:?}; cmdhunt FileScan {scan:?} ({} records, {} analysed, {} flagged{}); \
             scan / records() = {:.2}",
            data.len(),
            summary.records,
            summary.analysed(),
            summary.flagged,
            if summary.error.is_some() {
                ", ended with a decode error"
            } else {
                ""
            },
            scan.as_secs_f64() / xml.as_secs_f64()
        );
    }
}
