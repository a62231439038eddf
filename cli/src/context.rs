//! `cmdhunt context --record N FILE`: the process context of one flagged row
//! (`cmdhunt_core::context`): its parent and grandparent, the chain of
//! ancestors linked by process id, its children and the host's events
//! within five minutes. `N` is the row's `Source.record` in `--format
//! ndjson` (the `record N` of the table's stderr and the page's detail).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cmdhunt_core::context::{
    ContextScan, Nearby, Process, ProcessContext, Relative, Subject, MAX_DEPTH, NEARBY_SECONDS,
};
use cmdhunt_core::format::Format;
use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FlaggedRow};
use serde_json::{json, Value};

use crate::input;
use crate::report::terminal_safe;

/// A parsed `cmdhunt context` invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextArgs {
    /// The row's record number in its file (`Source.record`).
    pub record: u64,
    /// `--format json` (else text).
    pub json: bool,
    /// Forced input format.
    pub input_format: Option<Format>,
    /// `--config FILE`: the tuned lists the row was flagged with.
    pub config: Option<PathBuf>,
    /// The file (read twice: not standard input).
    pub file: PathBuf,
}

/// Parse `context`'s arguments.
pub fn parse(args: &[String]) -> Result<ContextArgs, String> {
    let (mut record, mut json, mut input_format, mut file) = (None, false, None, None);
    let mut config = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if !arg.starts_with("--") {
            if file.replace(PathBuf::from(arg)).is_some() {
                return Err("context takes one FILE".into());
            }
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        let v = crate::args::option_value(name, inline, &mut it)?;
        match name {
            "--record" => {
                record = Some(
                    v.parse::<u64>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("--record: {v:?} is not a record number"))?,
                )
            }
            "--format" => {
                json = match v.as_str() {
                    "text" => false,
                    "json" => true,
                    _ => return Err(format!("--format: {v:?} is not text or json")),
                }
            }
            "--input-format" => input_format = Some(crate::args::input_format_named(&v)?),
            "--config" => config = Some(PathBuf::from(v)),
            _ => return Err(format!("unknown option {name} for context")),
        }
    }
    let file = file.ok_or("context needs a FILE")?;
    if file == Path::new("-") {
        return Err("context reads its FILE twice: standard input cannot be used".into());
    }
    Ok(ContextArgs {
        record: record.ok_or("context needs --record N (the row's Source.record)")?,
        json,
        input_format,
        config,
        file,
    })
}

/// The flagged row at record `n` of `path` (in either mode: hardened rows
/// include every parity row; `rule`: the published or the tuned one), or
/// why there is none.
fn find_row(
    path: &Path,
    n: u64,
    format: Option<Format>,
    rule: &CompiledRule,
) -> Result<FlaggedRow, String> {
    let rules = HardenedRules::new();
    let name = path.display().to_string();
    let mut find = Find {
        scan: FileScan::new(rule, 0, &name, format).hardened(&rules),
        record: n,
        row: None,
    };
    let read = input::read_into(path, &mut find);
    let Find { scan, mut row, .. } = find;
    let (summary, rest) = match read {
        Ok(()) => scan.finish(),
        Err(e) => scan.abandon(e),
    };
    if let Some(row) = row
        .take()
        .or_else(|| rest.into_iter().find(|r| r.position.record == n))
    {
        return Ok(row);
    }
    match summary.error {
        Some(e) => Err(format!("{}: {e}", terminal_safe(&name))),
        None => Err(format!(
            "{}: record {n} is not a flagged row (scan it with --format ndjson: each row's Source.record)",
            terminal_safe(&name)
        )),
    }
}

/// The first pass: a scan that keeps only the flagged row at `record`
/// (memory stays small whatever the number of flagged rows).
struct Find<'r> {
    scan: FileScan<'r>,
    record: u64,
    row: Option<FlaggedRow>,
}

impl input::Feed for Find<'_> {
    fn push(&mut self, chunk: &[u8]) {
        self.scan.push(chunk);
        if self.row.is_none() {
            let record = self.record;
            self.row = self
                .scan
                .take_rows()
                .into_iter()
                .find(|r| r.position.record == record);
        } else {
            self.scan.take_rows();
        }
    }
    fn bytes(&self) -> u64 {
        self.scan.summary().bytes
    }
    fn failed(&self) -> bool {
        self.scan.failed()
    }
}

/// Run `cmdhunt context`.
pub fn run(a: &ContextArgs) -> io::Result<ExitCode> {
    let rule = match crate::tuned::load_rule(a.config.as_deref()) {
        Ok((_, rule)) => rule,
        Err(e) => {
            eprintln!("cmdhunt: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let row = match find_row(&a.file, a.record, a.input_format, &rule) {
        Ok(row) => row,
        Err(e) => {
            eprintln!("cmdhunt: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let mut scan = Feed(ContextScan::new(Subject::of(&row), a.input_format), 0);
    let read = input::read_into(&a.file, &mut scan);
    let context = scan.0.finish();
    let name = a.file.display().to_string();
    let mut out = io::stdout().lock();
    if a.json {
        writeln!(out, "{}", to_json(&name, &context))?;
    } else {
        write_text(&mut out, &name, &context)?;
    }
    out.flush()?;
    let error = read.err().or(context.error.clone());
    if let Some(e) = &error {
        eprintln!("cmdhunt: {}: {e}", terminal_safe(&name));
    }
    if !context.found {
        eprintln!(
            "cmdhunt: {}: the second read did not meet record {} (the file changed?)",
            terminal_safe(&name),
            a.record
        );
    }
    Ok(if error.is_some() || !context.found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A [`ContextScan`] as the read loop's feed.
struct Feed(ContextScan, u64);

impl input::Feed for Feed {
    fn push(&mut self, chunk: &[u8]) {
        self.1 += chunk.len() as u64;
        self.0.push(chunk);
    }
    fn bytes(&self) -> u64 {
        self.1
    }
}

fn pid(p: Option<u64>) -> Value {
    p.map_or(Value::Null, Value::from)
}

fn relative(r: &Relative) -> Value {
    json!({"FileName": r.file_name, "CommandLine": r.command_line, "ProcessId": pid(r.pid)})
}

fn process(p: &Process) -> Value {
    json!({
        "record": p.position.record,
        "Timestamp": p.time.to_string(),
        "ProcessId": pid(p.pid),
        "ParentProcessId": pid(p.parent_pid),
        "Identity": p.identity,
        "ParentIdentity": p.parent_identity,
        "FileName": p.file_name,
        "CommandLine": p.command_line,
        "AccountName": p.account_name,
    })
}

fn nearby(n: &Nearby) -> Value {
    json!({
        "record": n.position.record,
        "Timestamp": n.time.to_string(),
        "offset_ms": n.offset_ms,
        "kind": n.kind,
        "image": n.image,
        "detail": n.detail,
    })
}

/// The context as one JSON object (exact text; the keys are the contract).
pub fn to_json(file: &str, c: &ProcessContext) -> Value {
    let s = &c.subject;
    json!({
        "file": file,
        "record": s.position.record,
        "row": {
            "Timestamp": s.time.map(|t| t.to_string()),
            "DeviceName": s.host,
            "FileName": s.file_name,
            "ProcessCommandLine": s.command_line,
            "ProcessId": pid(s.pid),
            "Identity": s.identity,
            "ParentIdentity": s.parent_identity,
        },
        "parent": relative(&c.parent()),
        "grandparent": relative(&c.grandparent()),
        "row_parent": relative(&s.parent),
        "row_grandparent": relative(&s.grandparent),
        "chain": c.chain.iter().map(process).collect::<Vec<_>>(),
        "chain_end": c.chain_end.describe(),
        "children": c.children.iter().map(process).collect::<Vec<_>>(),
        "children_cut": c.children_cut,
        "nearby_seconds": NEARBY_SECONDS,
        "nearby": c.nearby.iter().map(nearby).collect::<Vec<_>>(),
        "nearby_cut": c.nearby_cut,
        "records": c.records,
        "host_records": c.host_records,
        "untimed": c.untimed,
        "found": c.found,
        "error": c.error.as_ref().map(|e| e.to_string()),
    })
}

fn describe(r: &Relative) -> String {
    if r.is_empty() {
        return "(not known)".into();
    }
    let mut s = terminal_safe(&r.file_name);
    if let Some(p) = r.pid {
        s.push_str(&format!("  pid {p}"));
    }
    if !r.command_line.is_empty() {
        s.push_str(&format!("  {}", terminal_safe(&r.command_line)));
    }
    s
}

fn line(p: &Process) -> String {
    format!(
        "record {:<7} {}  pid {:<6} {}  {}",
        p.position.record,
        p.time,
        p.pid.map_or("-".into(), |p| p.to_string()),
        terminal_safe(&p.file_name),
        terminal_safe(&p.command_line)
    )
}

/// The context as text; event text escaped for the terminal.
pub fn write_text(out: &mut dyn Write, file: &str, c: &ProcessContext) -> io::Result<()> {
    let s = &c.subject;
    writeln!(
        out,
        "Process context of record {} of {}",
        s.position.record,
        terminal_safe(file)
    )?;
    let time = s.time.map_or("(no time)".into(), |t| t.to_string());
    writeln!(out, "  host         {}  at {time}", terminal_safe(&s.host))?;
    let own = Relative {
        file_name: s.file_name.clone(),
        command_line: s.command_line.clone(),
        pid: s.pid,
    };
    writeln!(out, "  process      {}", describe(&own))?;
    writeln!(out, "  parent       {}", describe(&c.parent()))?;
    writeln!(out, "  grandparent  {}", describe(&c.grandparent()))?;
    writeln!(
        out,
        "\nChain (process ids linked in this file, parent first, up to {MAX_DEPTH}): {} found; {}",
        c.chain.len(),
        c.chain_end.describe()
    )?;
    for (i, p) in c.chain.iter().enumerate() {
        writeln!(out, "  {}. {}", i + 1, line(p))?;
    }
    writeln!(
        out,
        "\nChildren: {} shown, {} more not shown",
        c.children.len(),
        c.children_cut
    )?;
    for p in &c.children {
        writeln!(out, "  {}", line(p))?;
    }
    writeln!(
        out,
        "\nOn this host within {NEARBY_SECONDS} s: {} shown, {} more not shown",
        c.nearby.len(),
        c.nearby_cut
    )?;
    for n in &c.nearby {
        writeln!(
            out,
            "  record {:<7} {:>+10.3} s  {}  {}  {}",
            n.position.record,
            n.offset_ms as f64 / 1000.0,
            terminal_safe(&n.kind),
            terminal_safe(&n.image),
            terminal_safe(&n.detail)
        )?;
    }
    writeln!(
        out,
        "\n{} records read, {} of this host, {} of them without a time",
        c.records, c.host_records, c.untimed
    )
}
