//! What the `cmd.exe` time histogram costs on a big export: its size after
//! the scan, and the time its `add` calls take, against the whole scan.
//!
//! ```sh
//! cargo run --release -p cmdhunt-bench -- gen --size 1GB --out /tmp/x1g.csv
//! cargo run --release -p cmdhunt-core --example histogram_cost -- /tmp/x1g.csv
//! ```

use std::io::Read;
use std::time::Instant;

use cmdhunt_core::histogram::TimeHistogram;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::FileScan;
use cmdhunt_core::time::Timestamp;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: histogram_cost FILE")?;
    let rule = CompiledRule::new();
    let mut file = std::fs::File::open(&path)?;
    let mut scan = FileScan::new(&rule, 0, &path, None).without_fields();
    let mut buf = vec![0u8; 1 << 20];
    let started = Instant::now();
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        scan.push(&buf[..n]);
    }
    let (summary, _) = scan.finish();
    let scan_time = started.elapsed();
    let h = &summary.shell_times;
    println!(
        "{path}: {} bytes, {} records, {} cmd.exe, {} flagged; scan {:.0} ms",
        summary.bytes,
        summary.records,
        summary.shell,
        summary.flagged,
        scan_time.as_secs_f64() * 1e3
    );
    println!(
        "histogram: {} bins of {} s, {} untimed; range {:?} .. {:?}",
        h.bins().count(),
        h.width_secs(),
        h.untimed(),
        summary.oldest.map(|t| t.to_string()),
        summary.newest.map(|t| t.to_string())
    );
    // The adds alone: the same number of times over the same range, best of 5.
    let (a, b) = (
        summary.oldest.map_or(0, |t| t.0),
        summary.newest.map_or(1, |t| t.0),
    );
    let span = (b - a).max(1) as u64;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut fresh = TimeHistogram::default();
        let t0 = Instant::now();
        for _ in 0..summary.shell {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            fresh.add(Some(Timestamp(a + (x % span) as i64)));
        }
        best = best.min(t0.elapsed().as_secs_f64());
        std::hint::black_box(&fresh);
    }
    println!(
        "{} adds: {:.2} ms ({:.2}% of the scan)",
        summary.shell,
        best * 1e3,
        best / scan_time.as_secs_f64() * 100.0
    );
    Ok(())
}
