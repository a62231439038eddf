//! `cmdhunt validate FILE...`: the rule's four Atomic Red Team tests judged
//! on the telemetry they dropped (see `cmdhunt_core::validation`).

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use cmdhunt_core::format::Format;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::validation::{FileResult, FileValidation, Report};

use cmdhunt_core::time::Timestamp;

use crate::args::ValidateArgs;
use crate::input;
use crate::report::{self, terminal_safe};
use crate::tuned;

/// Validate one file (or stdin for `-`).
fn validate_file(
    rule: &CompiledRule,
    index: u32,
    path: &Path,
    forced: Option<Format>,
) -> FileResult {
    let name = path.display().to_string();
    let mut v = FileValidation::new(rule, index, &name, forced);
    match input::read_into(path, &mut v) {
        Ok(()) => v.finish(),
        Err(e) => v.abandon(e),
    }
}

/// Run `cmdhunt validate`; `now` judges the allowlist's expiries.
pub fn run(a: &ValidateArgs, now: Timestamp) -> io::Result<ExitCode> {
    let (config, rule) = match tuned::load_rule(a.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("cmdhunt: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let results: Vec<FileResult> = a
        .files
        .iter()
        .enumerate()
        .map(|(i, p)| validate_file(&rule, i as u32, p, a.input_format))
        .collect();
    let names: Vec<String> = results.iter().map(|r| r.summary.name.clone()).collect();
    let mut err = io::stderr().lock();
    let mut failed = false;
    for r in &results {
        report::write_summary(&mut err, &r.summary, r.rows.len())?;
        failed |= r.summary.error.is_some();
    }
    drop(err);
    let table = Report::build_tuned(&results, config.as_ref().map(|c| &c.allowlist), now);
    let mut out = io::stdout().lock();
    if a.json {
        writeln!(out, "{}", table.to_json(&names))?;
    } else {
        write_table(&mut out, &table, &names)?;
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The table: per test, each expected signal (present or not, count,
/// first evidence or what came close), then whether the rule fired.
pub fn write_table(out: &mut dyn Write, report: &Report, names: &[String]) -> io::Result<()> {
    writeln!(
        out,
        "Validation against the rule's Atomic Red Team tests (no time window)"
    )?;
    for (i, name) in names.iter().enumerate() {
        writeln!(out, "  file {i}: {}", terminal_safe(name))?;
    }
    for t in &report.tests {
        writeln!(out, "\nTest {}: {}", t.test.number, t.test.name)?;
        for s in &t.signals {
            let mark = if s.present { "yes" } else { "NO " };
            writeln!(out, "  [{mark}] {} ({})", s.expected, s.count)?;
            if let Some(e) = &s.first {
                writeln!(out, "        first: {}", terminal_safe(&e.to_string()))?;
            }
            if let Some(note) = &s.note {
                writeln!(out, "        close: {}", terminal_safe(note))?;
            }
        }
        let r = &t.rule;
        let suppressed = if r.suppressed > 0 {
            format!(" ({} more suppressed by the allowlist)", r.suppressed)
        } else {
            String::new()
        };
        if r.fired {
            writeln!(
                out,
                "  rule: {} fired on {} rows{suppressed}",
                r.flag, r.rows
            )?;
            if let Some(e) = &r.first {
                writeln!(out, "        first: {}", terminal_safe(&e.to_string()))?;
            }
        } else {
            let why = r.reason.as_deref().unwrap_or("");
            writeln!(
                out,
                "  rule: {} did not fire: {}",
                r.flag,
                terminal_safe(why)
            )?;
        }
    }
    Ok(())
}
