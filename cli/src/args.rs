//! Command-line arguments. The contract is stable (scripts depend on it):
//!
//! ```text
//! cmdhunt scan [--window 24h|DURATION|all] [--anchor newest|now|RFC3339]
//!              [--format table|csv|ndjson|xlsx] [--csv-raw] [--input-format FORMAT] [--jobs N]
//!              [--config FILE] [--show-suppressed] [--mode parity|hardened] FILE...
//! cmdhunt rule [--config FILE] [--as kql|sigma]
//! cmdhunt config [--presets]
//! cmdhunt validate [--format table|json] [--input-format FORMAT] [--config FILE] FILE...
//! cmdhunt context --record N [--format text|json] [--input-format FORMAT] [--config FILE] FILE
//! ```

use std::ffi::OsString;
use std::path::PathBuf;

use cmdhunt_core::export::CsvCells;
use cmdhunt_core::format::Format;
use cmdhunt_core::hardened::Mode;
use cmdhunt_core::results::{Anchor, Window};
use cmdhunt_core::rule::DEFAULT_WINDOW_SECS;
use cmdhunt_core::time::{Duration, Timestamp};

/// The usage text printed by `--help` and after usage errors.
pub const USAGE: &str = "\
cmdhunt: run the Microsoft Sentinel T1059.003 (Windows command shell) rule over exported
telemetry, locally. Nothing is uploaded anywhere.

Usage:
  cmdhunt scan [OPTIONS] FILE...   scan exports (CSV, EVTX, XML, JSON, XLSX; '-' is stdin)
  cmdhunt rule                     print the rule's KQL, flags and known limits
  cmdhunt rule [--config FILE] --as kql|sigma
                                   the rule tuned by a config, for Sentinel / Defender
                                   advanced hunting (KQL) or as a Sigma process_creation rule
  cmdhunt config [--presets]       print a config with the rule's own values (and the four
                                   false-positive presets, disabled), to edit for --config
  cmdhunt validate [--format table|json] [--input-format FORMAT] [--config FILE] FILE...
                                   the rule's four Atomic Red Team tests: is each expected
                                   signal in the telemetry, and did the rule fire (or why not);
                                   --config: the tuned lists, and rows the allowlist suppresses
                                   do not count as fired
  cmdhunt context --record N [--format text|json] [--input-format FORMAT] [--config FILE] FILE
                                   the process context of the flagged row at record N (its
                                   Source.record): parent and grandparent, the chain linked by
                                   process ids, its children, the host's events within 5 minutes;
                                   --config: the tuned lists the row was flagged with
  cmdhunt mapping                  print which export fields feed which rule column
  cmdhunt --version | --help

Scan options:
  --window 24h|DURATION|all   Timestamp > ago(DURATION) (default 24h; e.g. 7d, 90m; 'all' = no filter)
  --anchor newest|now|TIME    where ago() counts from: the newest event in the input (default),
                              the current time, or an RFC 3339 time
  --format table|csv|ndjson|xlsx  output format on stdout (default table); xlsx: a workbook
                              (sheets Rows and Context, every cell text), redirect it to a file
  --csv-raw                   CSV cells exactly as in the events; by default a cell starting with
                              = + - @ TAB or CR gets a leading ' so a spreadsheet cannot run it
  --input-format FORMAT       force a decoder (csv, evtx, xml, json, xlsx) instead of detection
  --jobs N                    files scanned at once (default: one per CPU core); the output is
                              the same for any N
  --config FILE               tuning config (JSON, see README): lists, allowlist, window, mode;
                              options given here override the file's values
  --show-suppressed           also print the rows the allowlist suppressed, marked (SuppressedBy)
  --mode parity|hardened      parity (default): exactly the Sentinel rule's rows; hardened: also
                              rows only the hardened rules flag (obfuscated spellings, LOLBins
                              started by cmd.exe, renamed binaries), labelled with Detection,
                              Rules and FileName columns (overrides a config's mode)

Per-file counts and errors go to stderr. Exit status: 0 every input was read (also with zero
hits), 1 some input could not be read (the rest is still reported), 2 usage error.";

/// Output format of `cmdhunt scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned text for a terminal.
    Table,
    /// RFC 4180 CSV with a header.
    Csv,
    /// One JSON object per row.
    Ndjson,
    /// An XLSX workbook (sheets Rows and Context, every cell text), as bytes.
    Xlsx,
}

/// A parsed `cmdhunt scan` invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanArgs {
    /// The time window.
    pub window: Window,
    /// Output format.
    pub format: OutputFormat,
    /// CSV cells neutralised against formula injection (default) or raw.
    pub csv_cells: CsvCells,
    /// Forced input format.
    pub input_format: Option<Format>,
    /// Files scanned at once; `None` for one per CPU core.
    pub jobs: Option<usize>,
    /// Files to scan (`-` is standard input).
    pub files: Vec<PathBuf>,
    /// `--config FILE`: the tuning config.
    pub config: Option<PathBuf>,
    /// `--show-suppressed`: print suppressed rows too, marked.
    pub show_suppressed: bool,
    /// `--window` as given (`Some(None)` is `all`), to override a config's.
    pub window_option: Option<Option<Duration>>,
    /// `--anchor` as given (resolved), to override a config's.
    pub anchor_option: Option<Anchor>,
    /// `--mode` as given (`None`: the config's, else parity).
    pub mode: Option<Mode>,
}

/// A parsed `cmdhunt validate` invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidateArgs {
    /// `--format json` (else the table).
    pub json: bool,
    /// Forced input format.
    pub input_format: Option<Format>,
    /// `--config FILE`: validate the tuned rule (lists and allowlist).
    pub config: Option<PathBuf>,
    /// The telemetry files.
    pub files: Vec<PathBuf>,
}

/// The form `cmdhunt rule --as` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleFormat {
    /// KQL for Sentinel / Defender advanced hunting.
    Kql,
    /// A Sigma `process_creation` rule (YAML).
    Sigma,
}

/// A parsed `cmdhunt rule --config FILE --as FORMAT`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleExport {
    /// The config (`None`: the rule's own values).
    pub config: Option<PathBuf>,
    /// What to write.
    pub format: RuleFormat,
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Scan files.
    Scan(ScanArgs),
    /// Print the rule.
    Rule,
    /// Print the tuned rule as KQL or Sigma.
    RuleExport(RuleExport),
    /// Validate telemetry against the rule's Atomic Red Team tests.
    Validate(ValidateArgs),
    /// The process context of one flagged row.
    Context(crate::context::ContextArgs),
    /// Print a starter config (`--presets`: with the presets, disabled).
    Config {
        /// Include the four false-positive presets.
        presets: bool,
    },
    /// Print the field mapping table.
    Mapping,
    /// Print usage.
    Help,
    /// Print the version.
    Version,
}

/// `--anchor` before it is resolved (`now` needs the clock).
#[derive(Debug, Clone, Copy, PartialEq)]
enum AnchorArg {
    Newest,
    Now,
    At(Timestamp),
}

/// Parse arguments (without the program name). `now` is the current time,
/// used for `--anchor now`.
pub fn parse(args: &[OsString], now: Timestamp) -> Result<Command, String> {
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.clone()
                .into_string()
                .map_err(|a| format!("argument is not UTF-8: {a:?}"))
        })
        .collect::<Result<_, _>>()?;
    let Some((command, rest)) = args.split_first() else {
        return Err("missing command (scan or rule)".into());
    };
    match command.as_str() {
        "-h" | "--help" | "help" => Ok(Command::Help),
        "-V" | "--version" => Ok(Command::Version),
        "rule" if rest.is_empty() => Ok(Command::Rule),
        "mapping" if rest.is_empty() => Ok(Command::Mapping),
        "rule" => parse_rule(rest),
        "validate" => parse_validate(rest),
        "context" => crate::context::parse(rest).map(Command::Context),
        "config" => match rest {
            [] => Ok(Command::Config { presets: false }),
            [p] if p == "--presets" => Ok(Command::Config { presets: true }),
            _ => Err(format!("'config' takes only --presets, got {:?}", rest[0])),
        },
        "mapping" => Err(format!("'{command}' takes no arguments, got {:?}", rest[0])),
        "scan" => parse_scan(rest, now),
        other => Err(format!(
            "unknown command {other:?} (expected scan, rule or mapping)"
        )),
    }
}

/// Option `name`'s value: the one given inline (`--name=value`), else the
/// next argument.
pub(crate) fn option_value<'a>(
    name: &str,
    inline: Option<String>,
    rest: &mut impl Iterator<Item = &'a String>,
) -> Result<String, String> {
    inline
        .or_else(|| rest.next().cloned())
        .ok_or_else(|| format!("{name} needs a value"))
}

/// The format `--input-format` names (`scan`, `validate`, `context`), or
/// the error listing every name.
pub(crate) fn input_format_named(v: &str) -> Result<Format, String> {
    Format::from_name(v).ok_or_else(|| {
        let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
        format!("--input-format: {v:?} is not one of {}", names.join(", "))
    })
}

fn parse_scan(args: &[String], now: Timestamp) -> Result<Command, String> {
    let mut window_arg: Option<Option<Duration>> = None; // Some(None) = all
    let mut anchor = AnchorArg::Newest;
    let mut format = OutputFormat::Table;
    let mut csv_cells = CsvCells::Neutralised;
    let mut input_format = None;
    let mut jobs = None;
    let mut files = Vec::new();
    let mut config = None;
    let mut show_suppressed = false;
    let mut mode = None;
    let mut anchor_given = false;
    let mut it = args.iter();
    let mut options_done = false;
    while let Some(arg) = it.next() {
        if arg == "--" && !options_done {
            options_done = true;
            continue;
        }
        if options_done || !arg.starts_with("--") {
            if arg.is_empty() {
                return Err("empty file name".into());
            }
            files.push(PathBuf::from(arg));
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        if name == "--help" {
            return Ok(Command::Help);
        }
        if name == "--show-suppressed" {
            if inline.is_some() {
                return Err("--show-suppressed takes no value".into());
            }
            show_suppressed = true;
            continue;
        }
        if name == "--csv-raw" {
            if inline.is_some() {
                return Err("--csv-raw takes no value".into());
            }
            csv_cells = CsvCells::Raw;
            continue;
        }
        let mut value = || option_value(name, inline.clone(), &mut it);
        match name {
            "--window" => {
                let v = value()?;
                window_arg = Some(if v.eq_ignore_ascii_case("all") {
                    None
                } else {
                    Some(Duration::parse(&v).ok_or_else(|| {
                        format!("--window: {v:?} is not a duration (e.g. 24h, 7d, 90m) or 'all'")
                    })?)
                });
            }
            "--anchor" => {
                let v = value()?;
                anchor_given = true;
                anchor = match v.to_ascii_lowercase().as_str() {
                    "newest" => AnchorArg::Newest,
                    "now" => AnchorArg::Now,
                    _ => AnchorArg::At(Timestamp::parse(&v).ok_or_else(|| {
                        format!("--anchor: {v:?} is not newest, now or a time such as 2024-05-01T12:00:00Z")
                    })?),
                };
            }
            "--format" => {
                let v = value()?;
                format = match v.as_str() {
                    "table" => OutputFormat::Table,
                    "csv" => OutputFormat::Csv,
                    "ndjson" => OutputFormat::Ndjson,
                    "xlsx" => OutputFormat::Xlsx,
                    _ => return Err(format!("--format: {v:?} is not table, csv, ndjson or xlsx")),
                };
            }
            "--input-format" => {
                input_format = Some(input_format_named(&value()?)?);
            }
            "--mode" => {
                let v = value()?;
                mode = Some(
                    Mode::from_name(&v)
                        .ok_or_else(|| format!("--mode: {v:?} is not parity or hardened"))?,
                );
            }
            "--config" => {
                let v = value()?;
                if v.is_empty() {
                    return Err("--config needs a file name".into());
                }
                config = Some(PathBuf::from(v));
            }
            "--jobs" => {
                let v = value()?;
                jobs = Some(
                    v.parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("--jobs: {v:?} is not a positive number"))?,
                );
            }
            _ => return Err(format!("unknown option {name}")),
        }
    }
    if files.is_empty() {
        return Err("scan needs at least one FILE".into());
    }
    let anchor_option = anchor_given.then_some(match anchor {
        AnchorArg::Newest => Anchor::Newest,
        AnchorArg::Now => Anchor::Now(now),
        AnchorArg::At(t) => Anchor::At(t),
    });
    let window = match window_arg {
        Some(None) => Window::All,
        duration => Window::Last {
            duration: duration
                .flatten()
                .unwrap_or(Duration::from_secs(DEFAULT_WINDOW_SECS)),
            anchor: match anchor {
                AnchorArg::Newest => Anchor::Newest,
                AnchorArg::Now => Anchor::Now(now),
                AnchorArg::At(t) => Anchor::At(t),
            },
        },
    };
    Ok(Command::Scan(ScanArgs {
        window,
        format,
        csv_cells,
        input_format,
        jobs,
        files,
        config,
        show_suppressed,
        window_option: window_arg,
        anchor_option,
        mode,
    }))
}

fn parse_validate(args: &[String]) -> Result<Command, String> {
    let mut json = false;
    let mut input_format = None;
    let mut config = None;
    let mut files = Vec::new();
    let mut it = args.iter();
    let mut options_done = false;
    while let Some(arg) = it.next() {
        if options_done || arg == "-" || !arg.starts_with("--") {
            files.push(PathBuf::from(arg));
            continue;
        }
        if arg == "--" {
            options_done = true;
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        let v = option_value(name, inline, &mut it)?;
        match name {
            "--format" => {
                json = match v.as_str() {
                    "table" => false,
                    "json" => true,
                    _ => return Err(format!("--format: {v:?} is not table or json")),
                }
            }
            "--input-format" => input_format = Some(input_format_named(&v)?),
            "--config" => config = Some(PathBuf::from(v)),
            _ => return Err(format!("unknown option {name} for validate")),
        }
    }
    if files.is_empty() {
        return Err("validate needs at least one FILE".into());
    }
    Ok(Command::Validate(ValidateArgs {
        json,
        input_format,
        config,
        files,
    }))
}

fn parse_rule(args: &[String]) -> Result<Command, String> {
    let mut config = None;
    let mut format = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        let mut value = || option_value(name, inline.clone(), &mut it);
        match name {
            "--config" => config = Some(PathBuf::from(value()?)),
            "--as" => {
                let v = value()?;
                format = Some(match v.as_str() {
                    "kql" => RuleFormat::Kql,
                    "sigma" => RuleFormat::Sigma,
                    _ => return Err(format!("--as: {v:?} is not kql or sigma")),
                });
            }
            _ => {
                return Err(format!(
                    "'rule' takes --config FILE and --as kql|sigma, got {arg:?}"
                ))
            }
        }
    }
    Ok(Command::RuleExport(RuleExport {
        config,
        format: format.unwrap_or(RuleFormat::Kql),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Command, String> {
        let args: Vec<OsString> = s.split_whitespace().map(OsString::from).collect();
        parse(&args, Timestamp(0))
    }

    fn scan(s: &str) -> ScanArgs {
        match p(s) {
            Ok(Command::Scan(a)) => a,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn input_format_is_read_alike_by_scan_and_validate() {
        for f in Format::ALL {
            let a = scan(&format!("scan --input-format {} x", f.name()));
            assert_eq!(a.input_format, Some(f));
            match p(&format!("validate --input-format={} x", f.name())) {
                Ok(Command::Validate(v)) => assert_eq!(v.input_format, Some(f)),
                other => panic!("{other:?}"),
            }
        }
        let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
        let want = format!("--input-format: \"pdf\" is not one of {}", names.join(", "));
        assert_eq!(p("scan --input-format pdf x").err(), Some(want.clone()));
        assert_eq!(p("validate --input-format pdf x").err(), Some(want));
    }

    #[test]
    fn defaults_are_the_rules_own() {
        let a = scan("scan x.csv");
        assert_eq!(a.window, Window::default());
        assert_eq!(a.format, OutputFormat::Table);
        assert_eq!(a.csv_cells, CsvCells::Neutralised);
        assert_eq!(a.files, vec![PathBuf::from("x.csv")]);
    }

    #[test]
    fn options_parse() {
        let a = scan("scan --window 7d --anchor 2024-05-01T00:00:00Z --format ndjson a b");
        let at = Timestamp::parse("2024-05-01T00:00:00Z").unwrap();
        assert_eq!(
            a.window,
            Window::Last {
                duration: Duration::from_secs(7 * 86400),
                anchor: Anchor::At(at)
            }
        );
        assert_eq!(a.format, OutputFormat::Ndjson);
        assert_eq!(a.files.len(), 2);
        assert_eq!(scan("scan --window=all --format=csv a").window, Window::All);
        let now = scan("scan --anchor now a");
        assert_eq!(
            now.window,
            Window::Last {
                duration: Duration::from_secs(86400),
                anchor: Anchor::Now(Timestamp(0))
            }
        );
        assert_eq!(
            scan("scan --input-format EVTX a").input_format,
            Some(Format::Evtx)
        );
        assert_eq!(scan("scan --jobs 3 a").jobs, Some(3));
        assert_eq!(scan("scan --csv-raw a").csv_cells, CsvCells::Raw);
        assert_eq!(scan("scan a").jobs, None);
        assert_eq!(scan("scan a").mode, None);
        assert_eq!(scan("scan --mode parity a").mode, Some(Mode::Parity));
        assert_eq!(scan("scan --mode=hardened a").mode, Some(Mode::Hardened));
        assert_eq!(
            scan("scan -- --odd-name").files,
            vec![PathBuf::from("--odd-name")]
        );
    }

    #[test]
    fn usage_errors() {
        for bad in [
            "",
            "scan",
            "scan --window",
            "scan --window 3x a",
            "scan --anchor yesterday a",
            "scan --format xml a",
            "scan --input-format pdf a",
            "scan --jobs 0 a",
            "scan --jobs many a",
            "scan --bogus a",
            "scan --csv-raw=yes a",
            "scan --mode a",
            "scan --mode strict a",
            "frobnicate",
            "rule extra",
        ] {
            assert!(p(bad).is_err(), "{bad:?} should be a usage error");
        }
        assert_eq!(p("rule"), Ok(Command::Rule));
        assert_eq!(p("--help"), Ok(Command::Help));
        assert_eq!(p("--version"), Ok(Command::Version));
    }

    #[test]
    fn tuning_options_parse() {
        let a = scan("scan --config t.json --show-suppressed x");
        assert_eq!(a.config, Some(PathBuf::from("t.json")));
        assert!(a.show_suppressed);
        assert_eq!((a.window_option, a.anchor_option), (None, None));
        let a = scan("scan --window all --anchor newest x");
        assert_eq!(
            (a.window_option, a.anchor_option),
            (Some(None), Some(Anchor::Newest))
        );
        let a = scan("scan --window 7d x");
        assert_eq!(a.window_option, Some(Some(Duration::from_secs(7 * 86400))));
        // (arguments, config, format)
        let cases = [
            ("rule --as kql", None, RuleFormat::Kql),
            ("rule --as=sigma", None, RuleFormat::Sigma),
            ("rule --config t.json", Some("t.json"), RuleFormat::Kql),
            (
                "rule --config t.json --as sigma",
                Some("t.json"),
                RuleFormat::Sigma,
            ),
        ];
        for (args, config, format) in cases {
            let want = Command::RuleExport(RuleExport {
                config: config.map(PathBuf::from),
                format,
            });
            assert_eq!(p(args), Ok(want), "{args}");
        }
        assert_eq!(p("config"), Ok(Command::Config { presets: false }));
        assert_eq!(p("config --presets"), Ok(Command::Config { presets: true }));
        for bad in [
            "rule --as yaml",
            "rule --as",
            "rule --config",
            "config --x",
            "config --presets extra",
            "scan --config",
            "scan --show-suppressed=1 x",
        ] {
            assert!(p(bad).is_err(), "{bad:?} should be a usage error");
        }
    }
}
