//! `cmdhunt`: the Sentinel T1059.003 rule over exported telemetry, from the
//! command line. See `cmdhunt --help` and the README for the contract.

mod args;
mod context;
mod input;
mod report;
mod tuned;
mod validate;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use cmdhunt_core::format::Format;
use cmdhunt_core::hardened::{Detection, HardenedRules, Mode};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results;
use cmdhunt_core::rule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};
use cmdhunt_core::time::{Timestamp, TICKS_PER_SEC};

use args::{Command, ScanArgs};

fn main() -> ExitCode {
    let argv: Vec<_> = std::env::args_os().skip(1).collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(Timestamp(0), |d| {
            Timestamp(d.as_secs() as i64 * TICKS_PER_SEC + i64::from(d.subsec_nanos() / 100))
        });
    let command = match args::parse(&argv, now) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cmdhunt: {e}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Help => writeln!(io::stdout(), "{}", args::USAGE).map(|_| ExitCode::SUCCESS),
        Command::Version => writeln!(io::stdout(), "cmdhunt {}", env!("CARGO_PKG_VERSION"))
            .map(|_| ExitCode::SUCCESS),
        Command::Rule => print_rule(&mut io::stdout().lock()).map(|_| ExitCode::SUCCESS),
        Command::Mapping => write!(io::stdout(), "{}", cmdhunt_core::mapping::markdown_table())
            .map(|_| ExitCode::SUCCESS),
        Command::RuleExport(r) => rule_export(&r, now),
        Command::Validate(v) => validate::run(&v, now),
        Command::Context(c) => context::run(&c),
        Command::Config { presets } => {
            let mut config = cmdhunt_core::tuning::Config::default();
            if presets {
                config.allowlist.entries = cmdhunt_core::tuning::presets();
            }
            write!(io::stdout(), "{}", config.to_json()).map(|_| ExitCode::SUCCESS)
        }
        Command::Scan(a) => scan(&a, now),
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`cmdhunt scan ... | head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cmdhunt: error writing output: {e}");
            ExitCode::from(1)
        }
    }
}

fn print_rule(out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} — MITRE ATT&CK {} ({})\n",
        rule::TITLE,
        rule::TECHNIQUE,
        rule::TECHNIQUE_URL
    )?;
    writeln!(out, "{}", rule::KQL_TEXT.trim_end())?;
    writeln!(out, "\nFlags:")?;
    for f in rule::FLAGS {
        writeln!(out, "  {:<17} {}", f.name, f.meaning)?;
    }
    writeln!(out, "\nKnown false positives (tune before alerting):")?;
    for fp in rule::FALSE_POSITIVES {
        writeln!(out, "  - {fp}")?;
    }
    Ok(())
}

/// Scan one file (or stdin for `-`) to the end.
fn scan_file(
    rule: &CompiledRule,
    hardened: Option<&HardenedRules>,
    index: u32,
    path: &Path,
    forced: Option<Format>,
) -> (FileSummary, Vec<FlaggedRow>) {
    let name = path.display().to_string();
    let mut scan = FileScan::new(rule, index, &name, forced).without_fields();
    if let Some(h) = hardened {
        scan = scan.hardened(h);
    }
    match input::read_into(path, &mut scan) {
        Ok(()) => scan.finish(),
        Err(e) => scan.abandon(e),
    }
}

/// Scan every file of `a`, `jobs` at a time, each file on one thread: the
/// results come back in the order the files were named, whatever finished
/// first (each file's scan is independent, 4688 parent inference included),
/// so the output is the same for any number of jobs.
fn scan_all(
    rule: &CompiledRule,
    hardened: Option<&HardenedRules>,
    a: &ScanArgs,
    jobs: usize,
) -> Vec<(FileSummary, Vec<FlaggedRow>)> {
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(path) = a.files.get(i) else { break };
            done.push((i, scan_file(rule, hardened, i as u32, path, a.input_format)));
        }
        done
    };
    let jobs = jobs.clamp(1, a.files.len().max(1));
    let mut finished: Vec<_> = if jobs == 1 {
        work()
    } else {
        std::thread::scope(|s| {
            let threads: Vec<_> = (0..jobs).map(|_| s.spawn(work)).collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    finished.sort_unstable_by_key(|(i, _)| *i);
    finished.into_iter().map(|(_, result)| result).collect()
}

/// `cmdhunt rule [--config FILE] --as kql|sigma`.
fn rule_export(r: &args::RuleExport, now: Timestamp) -> io::Result<ExitCode> {
    let config = match &r.config {
        Some(path) => match tuned::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("cmdhunt: {e}");
                return Ok(ExitCode::from(2));
            }
        },
        None => cmdhunt_core::tuning::Config::default(),
    };
    let text = match r.format {
        args::RuleFormat::Kql => cmdhunt_core::tuning::kql::render(&config, now),
        args::RuleFormat::Sigma => cmdhunt_core::tuning::sigma::render(&config, now),
    };
    write!(io::stdout(), "{text}").map(|_| ExitCode::SUCCESS)
}

fn scan(a: &ScanArgs, now: Timestamp) -> io::Result<ExitCode> {
    let (config, rule) = match tuned::load_rule(a.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("cmdhunt: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let window = match &config {
        Some(c) => tuned::window(Some(c), a.window_option, a.anchor_option, now),
        None => a.window,
    };
    // `--mode` wins over the config's `mode`; parity unless one says hardened.
    let mode = a
        .mode
        .or(config.as_ref().map(|c| c.mode))
        .unwrap_or_default();
    let hardened = (mode == Mode::Hardened).then(HardenedRules::new);
    let jobs = a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let mut summaries = Vec::new();
    let mut rows = Vec::new();
    for (summary, file_rows) in scan_all(&rule, hardened.as_ref(), a, jobs) {
        summaries.push(summary);
        rows.extend(file_rows);
    }
    let newest = results::newest(summaries.iter().map(|s| s.newest));
    let order = results::select(&rows, &window, newest);
    let names: Vec<String> = summaries.iter().map(|s| s.name.clone()).collect();

    let mut err = io::stderr().lock();
    let mut failed = false;
    for (i, s) in summaries.iter().enumerate() {
        // The summary's rows are the rule's (parity) rows; hardened ones follow.
        let in_window = order
            .iter()
            .filter(|&&r| rows[r].file as usize == i && rows[r].detection == Detection::Parity)
            .count();
        report::write_summary(&mut err, s, in_window)?;
        if hardened.is_some() {
            report::write_hardened_counts(&mut err, &rows, &order, i)?;
        }
        failed |= s.error.is_some();
    }
    let window_text = match window {
        results::Window::All => "all time".to_string(),
        results::Window::Last { anchor, .. } => match (window.cutoff(newest), anchor) {
            (Some(Some(cut)), results::Anchor::Newest) => {
                format!("Timestamp > {cut} (window anchored at the newest event)")
            }
            (Some(Some(cut)), results::Anchor::At(end)) => {
                format!("Timestamp > {cut} and Timestamp <= {end}")
            }
            (Some(Some(cut)), results::Anchor::Now(_)) => {
                format!("Timestamp > {cut} (ago() from now, no end)")
            }
            _ => "no event has a time to anchor the window at; use --window all".to_string(),
        },
    };
    if hardened.is_some() {
        let only = |set: &[usize]| {
            set.iter()
                .filter(|&&r| rows[r].detection == Detection::Hardened)
                .count()
        };
        let all: Vec<usize> = (0..rows.len()).collect();
        let (h, hw) = (only(&all), only(&order));
        writeln!(
            err,
            "total: {} files, {} rows flagged ({} parity, {h} hardened), {} in window ({} parity, {hw} hardened) ({window_text})",
            summaries.len(),
            rows.len(),
            rows.len() - h,
            order.len(),
            order.len() - hw
        )?;
    } else {
        writeln!(
            err,
            "total: {} files, {} rows flagged, {} in window ({window_text})",
            summaries.len(),
            rows.len(),
            order.len()
        )?;
    }
    let applied = config
        .as_ref()
        .map(|c| c.allowlist.apply(&rows, &order, now));
    if let (Some(c), Some(applied)) = (&config, &applied) {
        let overridden = if mode == c.mode {
            String::new()
        } else {
            format!(" (--mode; the file says {})", c.mode.name())
        };
        writeln!(
            err,
            "config: mode {}{overridden}, {} SuspiciousPatterns, {} SuspiciousParents, {} allowlist entries",
            mode.name(),
            c.patterns.len(),
            c.parents.len(),
            c.allowlist.entries.len()
        )?;
        tuned::write_allowlist(&mut err, c, applied, a.show_suppressed)?;
    }
    drop(err);
    let decor = match (&config, &applied) {
        (Some(c), Some(applied)) => Some(tuned::Decor {
            rule: &rule,
            shown: a.show_suppressed.then_some((applied, c)),
        }),
        _ => None,
    };
    let printed = match (&applied, a.show_suppressed) {
        (Some(applied), false) => &applied.kept,
        _ => &order,
    };

    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let style = report::Style {
        format: a.format,
        csv_cells: a.csv_cells,
        hardened: hardened.is_some(),
    };
    if a.format == args::OutputFormat::Xlsx {
        let context = report::scan_context(
            &a.files,
            &summaries,
            window,
            newest,
            mode,
            config.as_ref(),
            printed.len(),
            now,
        );
        report::write_xlsx(&mut out, &rows, printed, &names, style.hardened, &context)?;
    } else {
        report::write_rows(&mut out, style, &rows, printed, &names, decor.as_ref())?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
