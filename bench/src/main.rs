//! `cmdhunt-bench`: generate a synthetic `DeviceProcessEvents` CSV and compare
//! the throughput of `cmdhunt scan` with a plain `csv` + Aho-Corasick baseline
//! and ripgrep on the same file, in one run.
//!
//! ```text
//! cargo run --release -p cmdhunt-bench -- gen --size 100MB --out target/bench/dpe-100m.csv
//! cargo run --release -p cmdhunt-bench -- gen --format evtx --size 256MB --out target/bench/synthetic-256m.evtx
//! cargo run --release -p cmdhunt-bench -- run [--size 100MB|1GB] [--runs 3]
//! ```
//!
//! See `bench/README.md` for what is measured and the recorded numbers.

mod baseline;
mod catalog;
mod gen;

use std::fs::{self, File};
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::FileScan;

use crate::gen::{GenOptions, GenStats};

const USAGE: &str = "usage:
  cmdhunt-bench gen --size SIZE --out FILE [--seed N] [--format csv|evtx]
  cmdhunt-bench run [--size SIZE] [--runs N] [--file FILE]
SIZE: bytes with an optional KB/MB/GB suffix (powers of 1000), e.g. 100MB, 1GB";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("gen") => cmd_gen(&args[1..]),
        Some("run") => cmd_run(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root (the bench crate lives in `bench/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_uppercase();
    let (num, mult) = if let Some(n) = t.strip_suffix("GB") {
        (n, 1_000_000_000)
    } else if let Some(n) = t.strip_suffix("MB") {
        (n, 1_000_000)
    } else if let Some(n) = t.strip_suffix("KB") {
        (n, 1_000)
    } else {
        (t.as_str(), 1)
    };
    num.trim()
        .parse::<u64>()
        .map(|n| n * mult)
        .map_err(|_| format!("bad size {text:?}: use e.g. 100MB or 1GB"))
}

/// `dpe-100m.csv`, `dpe-1g.csv`, `dpe-12345.csv`.
fn default_file(size: u64) -> PathBuf {
    let label = if size % 1_000_000_000 == 0 {
        format!("{}g", size / 1_000_000_000)
    } else if size % 1_000_000 == 0 {
        format!("{}m", size / 1_000_000)
    } else {
        size.to_string()
    };
    root().join("target/bench").join(format!("dpe-{label}.csv"))
}

fn expected_path(csv: &Path) -> PathBuf {
    let mut p = csv.as_os_str().to_owned();
    p.push(".expected");
    PathBuf::from(p)
}

/// Flags as `--name value` pairs.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn generate(size: u64, seed: u64, out: &Path) -> Result<GenStats, String> {
    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let started = Instant::now();
    let file = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let opts = GenOptions {
        seed,
        target_bytes: size,
        ..GenOptions::default()
    };
    let stats = gen::generate(&opts, &mut w).map_err(|e| format!("{}: {e}", out.display()))?;
    io::Write::flush(&mut w).map_err(|e| e.to_string())?;
    fs::write(expected_path(out), stats.to_text()).map_err(|e| e.to_string())?;
    println!(
        "generated {} ({} bytes, {} records, {} cmd.exe, {} expected flagged, {} with embedded line breaks) in {:.1} s",
        out.display(),
        stats.bytes,
        stats.records,
        stats.shell,
        stats.flagged,
        stats.multiline,
        started.elapsed().as_secs_f64()
    );
    Ok(stats)
}

fn cmd_gen(args: &[String]) -> Result<bool, String> {
    let size = parse_size(flag(args, "--size").unwrap_or("100MB"))?;
    let seed = match flag(args, "--seed") {
        Some(s) => s.parse().map_err(|_| format!("bad seed {s:?}"))?,
        None => GenOptions::default().seed,
    };
    match flag(args, "--format") {
        None | Some("csv") => {}
        Some("evtx") => return generate_evtx(size, seed, flag(args, "--out")),
        Some(other) => return Err(format!("bad format {other:?}: csv or evtx")),
    }
    let out = flag(args, "--out").map_or_else(|| default_file(size), PathBuf::from);
    generate(size, seed, &out)?;
    println!("expected counts: {}", expected_path(&out).display());
    Ok(true)
}

/// A synthetic Sysmon and Security EVTX log (`cmdhunt_core::synth::log_of_size`)
/// of at most `size` bytes: the file header and whole 64 KiB chunks.
fn generate_evtx(size: u64, seed: u64, out: Option<&str>) -> Result<bool, String> {
    let out = out.map_or_else(
        || {
            root()
                .join("target/bench")
                .join(format!("synthetic-{size}.evtx"))
        },
        PathBuf::from,
    );
    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let started = Instant::now();
    let size = usize::try_from(size).map_err(|_| format!("size {size} too large"))?;
    let log = cmdhunt_core::synth::log_of_size(size, seed);
    let made = started.elapsed();
    fs::write(&out, &log).map_err(|e| format!("{}: {e}", out.display()))?;
    // The file header's next record id: records are numbered from 1.
    let next = log
        .get(24..32)
        .and_then(|b| b.try_into().ok())
        .map_or(1, u64::from_le_bytes);
    println!(
        "generated {} ({} bytes, {} records, {} chunks) in {:.2} s ({:.2} s to make the bytes)",
        out.display(),
        log.len(),
        next - 1,
        (log.len() - cmdhunt_core::synth::evtx::FILE_HEADER_BYTES)
            / cmdhunt_core::synth::evtx::CHUNK_BYTES,
        started.elapsed().as_secs_f64(),
        made.as_secs_f64()
    );
    Ok(true)
}

/// One contender's result.
struct Outcome {
    name: String,
    /// Best wall time and best CPU time (user + system) over the runs, or
    /// why it did not run.
    best: Result<(Duration, Duration), String>,
    /// The flagged (or matching-line) count it reported.
    count: Option<u64>,
    note: String,
}

/// CPU time (user + system) used so far by this process and its waited-for
/// children: a measure that a busy machine disturbs less than wall time.
fn cpu_time() -> Duration {
    let usage = |who| {
        // SAFETY: `rusage` is plain integers, for which all zeroes is a value.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: getrusage only writes the struct it is given.
        if unsafe { libc::getrusage(who, &mut ru) } != 0 {
            return Duration::ZERO;
        }
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        tv(ru.ru_utime) + tv(ru.ru_stime)
    };
    usage(libc::RUSAGE_SELF) + usage(libc::RUSAGE_CHILDREN)
}

/// Best of `runs` timings of `f`, which returns a count.
fn best_of(
    runs: usize,
    mut f: impl FnMut() -> Result<u64, String>,
) -> (Result<(Duration, Duration), String>, Option<u64>) {
    let mut best: Option<(Duration, Duration)> = None;
    let mut count = None;
    for _ in 0..runs {
        let (started, cpu) = (Instant::now(), cpu_time());
        match f() {
            Ok(c) => {
                let took = (started.elapsed(), cpu_time().saturating_sub(cpu));
                best = Some(best.map_or(took, |b| (b.0.min(took.0), b.1.min(took.1))));
                count = Some(c);
            }
            Err(e) => return (Err(e), count),
        }
    }
    (best.ok_or_else(|| "no run".to_string()), count)
}

/// Read the whole file once so every contender starts with a warm page cache.
fn warm(path: &Path) -> io::Result<u64> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

/// The core's [`FileScan`] fed 64 KiB chunks, as the page's worker does.
fn scan_in_process(rule: &CompiledRule, path: &Path) -> Result<(u64, u64), String> {
    let mut f = File::open(path).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut scan = FileScan::new(rule, 0, &path.display().to_string(), None);
    loop {
        let n = f.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        scan.push(&buf[..n]);
    }
    let (summary, rows) = scan.finish();
    if let Some(e) = summary.error {
        return Err(e.to_string());
    }
    drop(rows);
    Ok((summary.flagged, summary.records))
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run_to_null(mut cmd: Command) -> Result<(), String> {
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("exited with {status}"))
    }
}

fn cmd_run(args: &[String]) -> Result<bool, String> {
    let size = parse_size(flag(args, "--size").unwrap_or("100MB"))?;
    let runs: usize = match flag(args, "--runs") {
        Some(r) => r.parse().map_err(|_| format!("bad --runs {r:?}"))?,
        None => 3,
    };
    let path = flag(args, "--file").map_or_else(|| default_file(size), PathBuf::from);
    let expected = match fs::read_to_string(expected_path(&path))
        .ok()
        .and_then(|t| GenStats::from_text(&t))
    {
        Some(s) if path.exists() => s,
        _ => generate(size, GenOptions::default().seed, &path)?,
    };
    let bytes = warm(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes != expected.bytes {
        return Err(format!(
            "{} has {bytes} bytes but its .expected file says {}: delete both and rerun",
            path.display(),
            expected.bytes
        ));
    }
    // Every contender runs on one thread (the CLI scans on its main thread, rg
    // searches one file on one); children are not pinned, as pinning to a core
    // that another process is using would only add noise.
    let bench_dir = root().join("target/bench");
    fs::create_dir_all(&bench_dir).map_err(|e| e.to_string())?;
    let patterns = bench_dir.join("patterns.txt");
    fs::write(&patterns, gen::patterns_file()).map_err(|e| e.to_string())?;

    println!(
        "file: {} ({:.1} MB, {} records, {} cmd.exe, {} expected flagged)",
        path.display(),
        bytes as f64 / 1e6,
        expected.records,
        expected.shell,
        expected.flagged
    );
    println!("page cache: warmed (the file was read once in full before timing; every contender reads it from memory)");
    println!(
        "cpu: {} ({} online); every contender runs on one thread",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("each figure is the best of {runs} runs; MB = 10^6 bytes");
    println!();

    let mut outcomes = Vec::new();

    // 1. The release CLI.
    let cli = root().join("target/release/cmdhunt");
    if cli.exists() {
        let scan = |c: &mut Command| {
            c.args(["scan", "--window", "all", "--format", "ndjson"])
                .arg(&path);
        };
        let (best, _) = best_of(runs, || {
            let mut c = Command::new(&cli);
            scan(&mut c);
            run_to_null(c).map(|()| 0)
        });
        // One more, untimed run to count the flagged rows it prints.
        let mut c = Command::new(&cli);
        scan(&mut c);
        let count = c.stderr(Stdio::null()).output().ok().map(|o| {
            o.stdout
                .split(|&b| b == b'\n')
                .filter(|l| l.starts_with(b"{"))
                .count() as u64
        });
        outcomes.push(Outcome {
            name: "cmdhunt scan (release CLI, --window all --format ndjson > /dev/null)".into(),
            best,
            count,
            note: "flagged rows".into(),
        });
    } else {
        outcomes.push(Outcome {
            name: "cmdhunt scan (release CLI)".into(),
            best: Err(format!(
                "{} not built: cargo build --release -p cmdhunt-cli",
                cli.display()
            )),
            count: None,
            note: String::new(),
        });
    }

    // 2. The core in-process, 64 KiB chunks.
    let rule = CompiledRule::new();
    let mut records = None;
    let (best, count) = best_of(runs, || {
        scan_in_process(&rule, &path).map(|(flagged, r)| {
            records = Some(r);
            flagged
        })
    });
    outcomes.push(Outcome {
        name: "cmdhunt-core FileScan in-process (64 KiB chunks)".into(),
        best,
        count,
        note: format!("flagged rows ({} records)", records.unwrap_or(0)),
    });

    // 3. The baselines.
    let base = baseline::Baseline::new();
    for (name, byte_records) in [
        (
            "baseline: csv::Reader::read_byte_record + aho-corasick",
            true,
        ),
        ("baseline: csv::Reader::records() + aho-corasick", false),
    ] {
        let mut records = 0;
        let (best, count) = best_of(runs, || {
            let c = if byte_records {
                base.scan_byte_records(&path)
            } else {
                base.scan_string_records(&path)
            };
            c.map(|c| {
                records = c.records;
                c.flagged
            })
            .map_err(|e| e.to_string())
        });
        outcomes.push(Outcome {
            name: name.into(),
            best,
            count,
            note: format!("flagged rows ({records} records)"),
        });
    }

    // 4. ripgrep.
    let rg = Path::new("rg");
    if have("rg") {
        let mut count = None;
        let (best, _) = best_of(runs, || {
            let out = Command::new(rg)
                .args(["-i", "-F", "-f"])
                .arg(&patterns)
                .arg(&path)
                .arg("--count")
                .stderr(Stdio::null())
                .output()
                .map_err(|e| e.to_string())?;
            count = String::from_utf8_lossy(&out.stdout).trim().parse().ok();
            Ok(0)
        });
        outcomes.push(Outcome {
            name: "rg -i -F -f patterns.txt FILE --count".into(),
            best,
            count,
            note: "matching lines (any needle, any column: not the rule)".into(),
        });
    } else {
        outcomes.push(Outcome {
            name: "rg -i -F -f patterns.txt FILE --count".into(),
            best: Err("ripgrep (rg) is not installed: apt-get install ripgrep".into()),
            count: None,
            note: String::new(),
        });
    }

    let mb = bytes as f64 / 1e6;
    println!(
        "| contender | MB/s (wall) | MB/s (CPU time) | best wall s | count | what the count is |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    for o in &outcomes {
        match &o.best {
            Ok((wall, cpu)) => println!(
                "| {} | {:.0} | {:.0} | {:.3} | {} | {} |",
                o.name,
                mb / wall.as_secs_f64(),
                mb / cpu.as_secs_f64().max(1e-6),
                wall.as_secs_f64(),
                o.count.map_or("?".into(), |c| c.to_string()),
                o.note
            ),
            Err(e) => println!("| {} | - | - | - | - | {} |", o.name, e),
        }
    }
    println!();
    let ratio = |a: usize, b: usize| -> Option<(f64, f64)> {
        let (wa, ca) = outcomes[a].best.as_ref().ok()?;
        let (wb, cb) = outcomes[b].best.as_ref().ok()?;
        Some((
            wb.as_secs_f64() / wa.as_secs_f64(),
            cb.as_secs_f64() / ca.as_secs_f64().max(1e-6),
        ))
    };
    if let Some((w, c)) = ratio(0, 2) {
        println!("cmdhunt scan vs csv byte-record baseline: {w:.2}x wall, {c:.2}x CPU time (target >= 3x)");
    }
    if let Some((w, c)) = ratio(1, 2) {
        println!("FileScan in-process vs csv byte-record baseline: {w:.2}x wall, {c:.2}x CPU time");
    }
    println!(
        "load average while running: {}",
        fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    let mut ok = true;
    for (i, label) in [
        (0, "cmdhunt scan"),
        (1, "FileScan"),
        (2, "baseline (byte records)"),
        (3, "baseline (records())"),
    ] {
        if outcomes[i].best.is_err() {
            continue;
        }
        match outcomes[i].count {
            Some(c) if c == expected.flagged => println!(
                "check: {label} flagged {c} = generator's expected {}: ok",
                expected.flagged
            ),
            other => {
                ok = false;
                println!(
                    "check: {label} flagged {} != generator's expected {}: MISMATCH",
                    other.map_or("?".into(), |c| c.to_string()),
                    expected.flagged
                );
            }
        }
    }
    Ok(ok)
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
