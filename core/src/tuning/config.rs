//! The tuning config: one versioned JSON document, read with positions and
//! JSON paths in every error, written back in a fixed key order.
//!
//! ```json
//! {
//!   "version": 1,
//!   "mode": "parity",
//!   "window": "24h",
//!   "anchor": "newest",
//!   "SuspiciousPatterns": ["certutil -urlcache", "..."],
//!   "SuspiciousParents": ["winword.exe", "..."],
//!   "allowlist": [
//!     {"id": "...", "reason": "...", "enabled": true, "expires": "2027-01-31T00:00:00Z",
//!      "when": [{"field": "ProcessCommandLine", "match": "has", "value": "..."}]}
//!   ]
//! }
//! ```
//!
//! Every key but `version` is optional (missing: the rule's own value); an
//! unknown key is an error, so a misspelt key never silently does nothing.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde_json::{Map, Value};

use crate::kql;
use crate::matcher::{CompiledRule, ListError};
use crate::results::{Anchor, Window};
use crate::rule::{DEFAULT_WINDOW_SECS, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};
use crate::time::{Duration, Timestamp};

use super::allowlist::{AllowEntry, Allowlist, Condition, Expiry, Field, MatchKind};

/// The config version this build reads and writes.
pub const VERSION: u64 = 1;

/// Which matcher runs: Sentinel parity (the rule as published) or the
/// hardened variant (labelled separately; carried here, chosen elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The rule exactly as Sentinel runs it (the default).
    #[default]
    Parity,
    /// The hardened matcher (normalised command lines).
    Hardened,
}

impl Mode {
    /// `parity` or `hardened`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Parity => "parity",
            Mode::Hardened => "hardened",
        }
    }

    /// The mode spelled `name`.
    pub fn from_name(name: &str) -> Option<Mode> {
        [Mode::Parity, Mode::Hardened]
            .into_iter()
            .find(|m| m.name() == name)
    }
}

/// `where Timestamp > ago(...)`: a look-back, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowSpec {
    /// A look-back, with the text it was written as (`24h`).
    Last {
        /// The look-back.
        duration: Duration,
        /// Its text, written back unchanged.
        text: String,
    },
    /// No time filter (`"all"`).
    All,
}

/// Where the look-back counts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorSpec {
    /// The newest event of the input (the default).
    Newest,
    /// The current time (the caller's clock).
    Now,
    /// A given instant, with the text it was written as.
    At {
        /// The instant.
        at: Timestamp,
        /// Its text.
        text: String,
    },
}

/// Everything an analyst tunes, as one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Parity or hardened.
    pub mode: Mode,
    /// The look-back.
    pub window: WindowSpec,
    /// Where it counts from.
    pub anchor: AnchorSpec,
    /// `SuspiciousPatterns` (values, as the KQL literals decode).
    pub patterns: Vec<String>,
    /// `SuspiciousParents`.
    pub parents: Vec<String>,
    /// Known-good activity.
    pub allowlist: Allowlist,
}

impl Default for Config {
    /// The rule as published: its lists, 24 h anchored at the newest event,
    /// parity, no allowlist.
    fn default() -> Self {
        Config {
            mode: Mode::Parity,
            window: WindowSpec::Last {
                duration: Duration::from_secs(DEFAULT_WINDOW_SECS),
                text: "24h".into(),
            },
            anchor: AnchorSpec::Newest,
            patterns: SUSPICIOUS_PATTERNS.iter().map(|n| n.value.into()).collect(),
            parents: SUSPICIOUS_PARENTS.iter().map(|n| n.value.into()).collect(),
            allowlist: Allowlist::default(),
        }
    }
}

/// What is wrong with a config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// Not JSON (the error carries line and column).
    Syntax,
    /// `version` is not one this build reads.
    UnsupportedVersion,
    /// A required key is missing.
    MissingKey,
    /// A key this version does not define.
    UnknownKey,
    /// A value of the wrong JSON type.
    WrongType,
    /// A value of the right type that is not allowed (bad duration, time,
    /// regex, empty needle, duplicate, too many needles, ...).
    BadValue,
}

/// A config error: its kind, where (a JSON path such as
/// `$.allowlist[2].when[0].match`, and line/column for syntax errors), and
/// what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// What kind of error.
    pub kind: ConfigErrorKind,
    /// The JSON path of the offending value (`$` for the document).
    pub path: String,
    /// 1-based line and column, for syntax errors (0 when not known).
    pub line: usize,
    /// 1-based column (0 when not known).
    pub column: usize,
    /// The details, in words.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "config line {}, column {}: {}",
                self.line, self.column, self.message
            )
        } else {
            write!(f, "config {}: {}", self.path, self.message)
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ConfigError {}

fn err(kind: ConfigErrorKind, path: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        kind,
        path: path.into(),
        line: 0,
        column: 0,
        message: message.into(),
    }
}

/// The JSON type of a value, for messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ConfigError> {
    v.as_object().ok_or_else(|| {
        let got = type_name(v);
        err(
            ConfigErrorKind::WrongType,
            path,
            format!("expected an object, got {got}"),
        )
    })
}

fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str, ConfigError> {
    v.as_str().ok_or_else(|| {
        let got = type_name(v);
        err(
            ConfigErrorKind::WrongType,
            path,
            format!("expected a string, got {got}"),
        )
    })
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a [Value], ConfigError> {
    v.as_array().map(Vec::as_slice).ok_or_else(|| {
        let got = type_name(v);
        err(
            ConfigErrorKind::WrongType,
            path,
            format!("expected an array, got {got}"),
        )
    })
}

/// Refuse keys outside `allowed`.
fn known_keys(obj: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<(), ConfigError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(err(
            ConfigErrorKind::UnknownKey,
            &format!("{path}.{k}"),
            format!("unknown key {k:?} (expected one of {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// Text that a KQL string literal can carry (the exported query writes
/// `\n`, `\r`, `\t` escapes; other control characters have none).
fn literal_safe(text: &str, path: &str) -> Result<(), ConfigError> {
    match text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Some(c) => Err(err(
            ConfigErrorKind::BadValue,
            path,
            format!(
                "contains the control character U+{:04X}, which a KQL string literal cannot carry",
                c as u32
            ),
        )),
        None => Ok(()),
    }
}

/// A time in any form [`Timestamp::parse`] reads, or a bare date `YYYY-MM-DD` (midnight UTC).
fn parse_time(text: &str) -> Option<Timestamp> {
    Timestamp::parse(text).or_else(|| {
        let date = text.trim();
        let is_date = date.len() == 10
            && date
                .bytes()
                .enumerate()
                .all(|(i, b)| matches!(i, 4 | 7) && b == b'-' || b.is_ascii_digit());
        is_date
            .then(|| Timestamp::parse(&format!("{date}T00:00:00Z")))
            .flatten()
    })
}

fn needle_list(v: &Value, path: &str) -> Result<Vec<String>, ConfigError> {
    let items = array(v, path)?;
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let text = string(item, &at)?;
        if text.is_empty() {
            return Err(err(
                ConfigErrorKind::BadValue,
                &at,
                "is empty (an empty needle would match every command line)",
            ));
        }
        literal_safe(text, &at)?;
        if let Some(j) = out.iter().position(|o| kql::equals_ci(o, text)) {
            return Err(err(
                ConfigErrorKind::BadValue,
                &at,
                format!("{text:?} repeats {path}[{j}] (has ignores case)"),
            ));
        }
        out.push(text.into());
    }
    Ok(out)
}

fn condition(v: &Value, path: &str) -> Result<Condition, ConfigError> {
    let obj = object(v, path)?;
    known_keys(obj, path, &["field", "match", "value"])?;
    let get = |key: &str| {
        obj.get(key).ok_or_else(|| {
            err(
                ConfigErrorKind::MissingKey,
                path,
                format!("missing {key:?}"),
            )
        })
    };
    let field_path = format!("{path}.field");
    let field_name = string(get("field")?, &field_path)?;
    let field = Field::from_name(field_name).ok_or_else(|| {
        let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        err(
            ConfigErrorKind::BadValue,
            &field_path,
            format!("{field_name:?} is not one of {}", names.join(", ")),
        )
    })?;
    let kind_path = format!("{path}.match");
    let kind_name = string(get("match")?, &kind_path)?;
    let kind = MatchKind::from_name(kind_name).ok_or_else(|| {
        err(
            ConfigErrorKind::BadValue,
            &kind_path,
            format!("{kind_name:?} is not has, =~ or regex"),
        )
    })?;
    let value_path = format!("{path}.value");
    let value = string(get("value")?, &value_path)?;
    literal_safe(value, &value_path)?;
    Condition::new(field, kind, value).map_err(|m| err(ConfigErrorKind::BadValue, &value_path, m))
}

fn entry(v: &Value, path: &str) -> Result<AllowEntry, ConfigError> {
    let obj = object(v, path)?;
    known_keys(obj, path, &["id", "reason", "enabled", "expires", "when"])?;
    let required = |key: &str| {
        obj.get(key).ok_or_else(|| {
            err(
                ConfigErrorKind::MissingKey,
                path,
                format!("missing {key:?}"),
            )
        })
    };
    let id_path = format!("{path}.id");
    let id = string(required("id")?, &id_path)?;
    if id.trim().is_empty() || id.chars().any(char::is_control) {
        return Err(err(
            ConfigErrorKind::BadValue,
            &id_path,
            "must be a non-blank name without control characters",
        ));
    }
    let reason_path = format!("{path}.reason");
    let reason = string(required("reason")?, &reason_path)?;
    if reason.trim().is_empty() {
        return Err(err(
            ConfigErrorKind::BadValue,
            &reason_path,
            "is blank: say why this activity is known-good",
        ));
    }
    let enabled = match obj.get("enabled") {
        None => true,
        Some(v) => v.as_bool().ok_or_else(|| {
            err(
                ConfigErrorKind::WrongType,
                &format!("{path}.enabled"),
                format!("expected true or false, got {}", type_name(v)),
            )
        })?,
    };
    let expires = match obj.get("expires") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let at_path = format!("{path}.expires");
            let text = string(v, &at_path)?;
            let at = parse_time(text).ok_or_else(|| {
                err(
                    ConfigErrorKind::BadValue,
                    &at_path,
                    format!("{text:?} is not a time (e.g. 2027-01-31 or 2027-01-31T18:00:00Z)"),
                )
            })?;
            Some(Expiry {
                at,
                text: text.into(),
            })
        }
    };
    let when_path = format!("{path}.when");
    let items = array(required("when")?, &when_path)?;
    if items.is_empty() {
        return Err(err(
            ConfigErrorKind::BadValue,
            &when_path,
            "is empty: an entry needs at least one condition",
        ));
    }
    let when = items
        .iter()
        .enumerate()
        .map(|(i, c)| condition(c, &format!("{when_path}[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(AllowEntry {
        id: id.into(),
        reason: reason.into(),
        enabled,
        expires,
        when,
    })
}

impl Config {
    /// Read a config. Errors name the JSON path (or line and column) and
    /// carry a [`ConfigErrorKind`]; nothing panics on any input.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| ConfigError {
            kind: ConfigErrorKind::Syntax,
            path: "$".into(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let obj = object(&doc, "$")?;
        known_keys(
            obj,
            "$",
            &[
                "version",
                "mode",
                "window",
                "anchor",
                "SuspiciousPatterns",
                "SuspiciousParents",
                "allowlist",
            ],
        )?;
        match obj.get("version") {
            None => {
                return Err(err(
                    ConfigErrorKind::MissingKey,
                    "$",
                    format!("missing \"version\" (this build reads version {VERSION})"),
                ))
            }
            Some(v) if v.as_u64() == Some(VERSION) => {}
            Some(v) => {
                return Err(err(
                    ConfigErrorKind::UnsupportedVersion,
                    "$.version",
                    format!("version {v} is not supported (this build reads version {VERSION})"),
                ))
            }
        }
        let mut config = Config::default();
        if let Some(v) = obj.get("mode") {
            let text = string(v, "$.mode")?;
            config.mode = Mode::from_name(text).ok_or_else(|| {
                err(
                    ConfigErrorKind::BadValue,
                    "$.mode",
                    format!("{text:?} is not parity or hardened"),
                )
            })?;
        }
        if let Some(v) = obj.get("window") {
            let text = string(v, "$.window")?;
            config.window = if text.eq_ignore_ascii_case("all") {
                WindowSpec::All
            } else {
                let duration = Duration::parse(text).filter(|d| d.0 > 0).ok_or_else(|| {
                    err(
                        ConfigErrorKind::BadValue,
                        "$.window",
                        format!("{text:?} is not a duration (e.g. 24h, 7d, 90m) or \"all\""),
                    )
                })?;
                WindowSpec::Last {
                    duration,
                    text: text.into(),
                }
            };
        }
        if let Some(v) = obj.get("anchor") {
            let text = string(v, "$.anchor")?;
            config.anchor = match text {
                "newest" => AnchorSpec::Newest,
                "now" => AnchorSpec::Now,
                _ => AnchorSpec::At {
                    at: parse_time(text).ok_or_else(|| {
                        err(
                            ConfigErrorKind::BadValue,
                            "$.anchor",
                            format!("{text:?} is not newest, now or a time"),
                        )
                    })?,
                    text: text.into(),
                },
            };
        }
        if let Some(v) = obj.get("SuspiciousPatterns") {
            config.patterns = needle_list(v, "$.SuspiciousPatterns")?;
        }
        if let Some(v) = obj.get("SuspiciousParents") {
            config.parents = needle_list(v, "$.SuspiciousParents")?;
        }
        if let Some(v) = obj.get("allowlist") {
            let items = array(v, "$.allowlist")?;
            for (i, item) in items.iter().enumerate() {
                let path = format!("$.allowlist[{i}]");
                let e = entry(item, &path)?;
                if let Some(j) = config.allowlist.entries.iter().position(|o| o.id == e.id) {
                    return Err(err(
                        ConfigErrorKind::BadValue,
                        &format!("{path}.id"),
                        format!("{:?} is also the id of $.allowlist[{j}]", e.id),
                    ));
                }
                config.allowlist.entries.push(e);
            }
        }
        // The lists must compile (too many needles is only known here).
        config.compile().map_err(|e| {
            let path = match e {
                ListError::Empty { list, .. } | ListError::TooMany { list, .. } => match list {
                    crate::rule::Column::ProcessCommandLine => "$.SuspiciousPatterns",
                    crate::rule::Column::InitiatingProcessFileName => "$.SuspiciousParents",
                },
            };
            err(ConfigErrorKind::BadValue, path, e.to_string())
        })?;
        Ok(config)
    }

    /// Whether the lists are the rule's own, in order.
    pub fn lists_are_default(&self) -> bool {
        let same = |mine: &[String], rule: &[crate::rule::Needle]| {
            mine.len() == rule.len() && mine.iter().zip(rule).all(|(m, n)| m == n.value)
        };
        same(&self.patterns, &SUSPICIOUS_PATTERNS) && same(&self.parents, &SUSPICIOUS_PARENTS)
    }

    /// The compiled rule: [`CompiledRule::new`] when the lists are the
    /// rule's own (the parity path, untouched), else
    /// [`CompiledRule::from_lists`].
    pub fn compile(&self) -> Result<CompiledRule, ListError> {
        if self.lists_are_default() {
            Ok(CompiledRule::new())
        } else {
            CompiledRule::from_lists(&self.patterns, &self.parents)
        }
    }

    /// The time window for [`crate::results::select`]; `now` is the
    /// caller's clock (the core has none), used for `"anchor": "now"`.
    pub fn results_window(&self, now: Timestamp) -> Window {
        match &self.window {
            WindowSpec::All => Window::All,
            WindowSpec::Last { duration, .. } => Window::Last {
                duration: *duration,
                anchor: match &self.anchor {
                    AnchorSpec::Newest => Anchor::Newest,
                    AnchorSpec::Now => Anchor::Now(now),
                    AnchorSpec::At { at, .. } => Anchor::At(*at),
                },
            },
        }
    }

    /// The config as JSON (two-space indent, keys in the documented order,
    /// every key written); [`Config::parse`] reads it back equal.
    pub fn to_json(&self) -> String {
        let s = |text: &str| serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into());
        let list = |items: &[String]| {
            if items.is_empty() {
                return String::from("[]");
            }
            let lines: Vec<String> = items.iter().map(|i| format!("    {}", s(i))).collect();
            format!("[\n{}\n  ]", lines.join(",\n"))
        };
        let mut out = String::from("{\n");
        out.push_str(&format!("  \"version\": {VERSION},\n"));
        out.push_str(&format!("  \"mode\": {},\n", s(self.mode.name())));
        let window = match &self.window {
            WindowSpec::All => "all",
            WindowSpec::Last { text, .. } => text,
        };
        out.push_str(&format!("  \"window\": {},\n", s(window)));
        let anchor = match &self.anchor {
            AnchorSpec::Newest => "newest",
            AnchorSpec::Now => "now",
            AnchorSpec::At { text, .. } => text,
        };
        out.push_str(&format!("  \"anchor\": {},\n", s(anchor)));
        out.push_str(&format!(
            "  \"SuspiciousPatterns\": {},\n",
            list(&self.patterns)
        ));
        out.push_str(&format!(
            "  \"SuspiciousParents\": {},\n",
            list(&self.parents)
        ));
        let entries: Vec<String> = self
            .allowlist
            .entries
            .iter()
            .map(|e| {
                let mut o = format!(
                    "    {{\n      \"id\": {},\n      \"reason\": {},\n      \"enabled\": {},\n",
                    s(&e.id),
                    s(&e.reason),
                    e.enabled
                );
                if let Some(x) = &e.expires {
                    o.push_str(&format!("      \"expires\": {},\n", s(&x.text)));
                }
                let conds: Vec<String> = e
                    .when
                    .iter()
                    .map(|c| {
                        format!(
                            "        {{\"field\": {}, \"match\": {}, \"value\": {}}}",
                            s(c.field.name()),
                            s(c.kind.name()),
                            s(&c.value)
                        )
                    })
                    .collect();
                o.push_str(&format!(
                    "      \"when\": [\n{}\n      ]\n    }}",
                    conds.join(",\n")
                ));
                o
            })
            .collect();
        if entries.is_empty() {
            out.push_str("  \"allowlist\": []\n}\n");
        } else {
            out.push_str(&format!(
                "  \"allowlist\": [\n{}\n  ]\n}}\n",
                entries.join(",\n")
            ));
        }
        out
    }
}
