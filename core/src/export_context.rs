//! What an export was made from, written with it (issue 13, item 7): the
//! time window and its bounds, the filters, the mode, every file read (size,
//! format, counts, partial or failed), the rule's version (a hash of its
//! KQL text and of the tuned lists), the tuning config's id, cmdhunt's
//! version and when the export was made. An export file then says what it
//! is on its own, months later, in a case folder.
//!
//! Where it goes: the page's JSON export is an object
//! `{"cmdhunt_export": 1, "context": {...}, "rows": [...]}` whose `rows`
//! are exactly the objects of the earlier array ([`json_document`]); the
//! CSV export gets a sidecar `<name>.meta.json` holding the context
//! ([`ExportContext::to_json`]), so the CSV itself stays plain RFC 4180 for
//! Excel and pandas; the XLSX export has it as its "Context" sheet
//! ([`ExportContext::pairs`]).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{json, Map, Value};

use crate::results::{Anchor, Window};
use crate::rule::{KQL_TEXT, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS, TECHNIQUE, TITLE};
use crate::time::Timestamp;

/// The `cmdhunt_export` format number of the JSON document (and the sidecar).
pub const FORMAT_VERSION: u32 = 1;

/// cmdhunt's version (the workspace's).
pub const CMDHUNT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// 64-bit FNV-1a of `text`, as 16 hex digits: a short stable id of a text
/// (not a cryptographic hash: it names a version, it proves nothing).
pub fn fnv1a64(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The published rule's version: `fnv1a64:` and [`fnv1a64`] of its KQL text
/// (`core/src/rule.kql`), which changes whenever the rule does.
///
/// ```
/// let v = cmdhunt_core::export_context::rule_version();
/// assert!(v.starts_with("fnv1a64:") && v.len() == 8 + 16);
/// ```
pub fn rule_version() -> String {
    format!("fnv1a64:{}", fnv1a64(KQL_TEXT))
}

/// The rule the rows came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleContext {
    /// [`rule_version`]: the published KQL's hash.
    pub version: String,
    /// The lists used: the published ones, or the tuned ones' hash
    /// (`fnv1a64:` of the patterns and parents, one per line).
    pub lists: String,
    /// How many `SuspiciousPatterns` and `SuspiciousParents`.
    pub counts: (usize, usize),
    /// The tuning config's id (`fnv1a64:` of its JSON), when one is not the
    /// default; `None` for the rule as published.
    pub config_id: Option<String>,
    /// How many allowlist entries the config has.
    pub allowlist_entries: usize,
}

impl RuleContext {
    /// The rule as published: its lists, no config.
    pub fn published() -> RuleContext {
        RuleContext {
            version: rule_version(),
            lists: "published".into(),
            counts: (SUSPICIOUS_PATTERNS.len(), SUSPICIOUS_PARENTS.len()),
            config_id: None,
            allowlist_entries: 0,
        }
    }

    /// The rule with `patterns` and `parents` (published unless they differ),
    /// tuned by a config whose JSON is `config_json` (`None`: no config).
    pub fn tuned(
        patterns: &[String],
        parents: &[String],
        config_json: Option<&str>,
        allowlist_entries: usize,
    ) -> RuleContext {
        let published = patterns
            .iter()
            .map(String::as_str)
            .eq(SUSPICIOUS_PATTERNS.iter().map(|n| n.value))
            && parents
                .iter()
                .map(String::as_str)
                .eq(SUSPICIOUS_PARENTS.iter().map(|n| n.value));
        let lists = if published {
            "published".into()
        } else {
            let mut text = patterns.join("\n");
            text.push_str("\n--\n");
            text.push_str(&parents.join("\n"));
            format!("tuned fnv1a64:{}", fnv1a64(&text))
        };
        RuleContext {
            version: rule_version(),
            lists,
            counts: (patterns.len(), parents.len()),
            config_id: config_json.map(|j| format!("fnv1a64:{}", fnv1a64(j))),
            allowlist_entries,
        }
    }
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileContext {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// The format read (`csv`, `evtx`, ...), when known.
    pub format: Option<String>,
    /// Records read.
    pub records: u64,
    /// Rows flagged (all time).
    pub flagged: u64,
    /// `complete`, or why not: `partial: cancelled at byte N of M`,
    /// `stopped on an error: ...`, `duplicate, not scanned`, `reading`.
    pub state: String,
}

/// Everything an export says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportContext {
    /// When the export was made (`None` when the maker has no clock).
    pub generated_at: Option<Timestamp>,
    /// `parity` or `hardened`.
    pub mode: String,
    /// The time window.
    pub window: Window,
    /// The newest event read (the default window's anchor).
    pub newest: Option<Timestamp>,
    /// The filters on, as (name, value) in words: flag chips, search, ...
    /// (empty: none).
    pub filters: Vec<(String, String)>,
    /// The input files, in the order given.
    pub files: Vec<FileContext>,
    /// The rule.
    pub rule: RuleContext,
    /// How many rows the export holds.
    pub rows: usize,
}

fn time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_string()))
}

impl ExportContext {
    /// The window as JSON: `{"kind": "all"}` or `{"kind": "last",
    /// "duration_seconds", "anchor", "start", "end"}` (`end` null when the
    /// window has none, as with "before now").
    fn window_json(&self) -> Value {
        match self.window {
            Window::All => json!({ "kind": "all", "start": null, "end": null }),
            Window::Last { duration, anchor } => {
                let anchor_name = match anchor {
                    Anchor::Newest => "newest event".to_string(),
                    Anchor::Now(t) => format!("now ({t})"),
                    Anchor::At(t) => format!("{t}"),
                };
                let (start, end) = self
                    .window
                    .bounds(self.newest)
                    .map_or((None, None), |(s, e)| (Some(s), e));
                json!({
                    "kind": "last",
                    "duration_seconds": duration.0 / crate::time::TICKS_PER_SEC,
                    "anchor": anchor_name,
                    "start": time(start),
                    "end": time(end),
                })
            }
        }
    }

    /// The context as a JSON object (the JSON export's `context`, and the
    /// CSV's sidecar with `cmdhunt_export` added: see [`ExportContext::to_json`]).
    pub fn to_value(&self) -> Value {
        let filters: Map<String, Value> = self
            .filters
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let files: Vec<Value> = self
            .files
            .iter()
            .map(|f| {
                json!({
                    "name": f.name, "size": f.size, "format": f.format,
                    "records": f.records, "flagged": f.flagged, "state": f.state,
                })
            })
            .collect();
        json!({
            "generated_at": time(self.generated_at),
            "cmdhunt_version": CMDHUNT_VERSION,
            "rule": {
                "title": TITLE,
                "technique": TECHNIQUE,
                "version": self.rule.version,
                "lists": self.rule.lists,
                "patterns": self.rule.counts.0,
                "parents": self.rule.counts.1,
                "config_id": self.rule.config_id,
                "allowlist_entries": self.rule.allowlist_entries,
            },
            "mode": self.mode,
            "window": self.window_json(),
            "newest_event": time(self.newest),
            "filters": filters,
            "files": files,
            "rows": self.rows,
        })
    }

    /// The CSV sidecar (`<export>.meta.json`): `{"cmdhunt_export": 1,
    /// "context": {...}}`, pretty-printed, with a newline.
    pub fn to_json(&self) -> String {
        let doc = json!({ "cmdhunt_export": FORMAT_VERSION, "context": self.to_value() });
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The context as (name, value) lines in words: the XLSX "Context" sheet.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |k: &str, v: String| out.push((k.into(), v));
        push("cmdhunt_export", FORMAT_VERSION.to_string());
        push(
            "generated_at",
            self.generated_at.map(|t| t.to_string()).unwrap_or_default(),
        );
        push("cmdhunt_version", CMDHUNT_VERSION.into());
        push("rule", format!("{TITLE} ({TECHNIQUE})"));
        push("rule_version", self.rule.version.clone());
        push(
            "rule_lists",
            format!(
                "{} ({} patterns, {} parents)",
                self.rule.lists, self.rule.counts.0, self.rule.counts.1
            ),
        );
        push(
            "config_id",
            self.rule.config_id.clone().unwrap_or_else(|| "none".into()),
        );
        push("allowlist_entries", self.rule.allowlist_entries.to_string());
        push("mode", self.mode.clone());
        let w = self.window_json();
        let text = |v: &Value| v.as_str().map(String::from).unwrap_or_default();
        push(
            "window",
            match self.window {
                Window::All => "all time".into(),
                Window::Last { .. } => format!(
                    "last {} s before {}",
                    w["duration_seconds"],
                    w["anchor"].as_str().unwrap_or("")
                ),
            },
        );
        push("window_start", text(&w["start"]));
        push("window_end", text(&w["end"]));
        push(
            "newest_event",
            self.newest.map(|t| t.to_string()).unwrap_or_default(),
        );
        if self.filters.is_empty() {
            push("filters", "none".into());
        }
        for (k, v) in &self.filters {
            push(&format!("filter {k}"), v.clone());
        }
        for (i, f) in self.files.iter().enumerate() {
            push(
                &format!("file {}", i + 1),
                format!(
                    "{} ({} bytes, {}, {} records, {} flagged, {})",
                    f.name,
                    f.size,
                    f.format.as_deref().unwrap_or("format unknown"),
                    f.records,
                    f.flagged,
                    f.state
                ),
            );
        }
        push("rows", self.rows.to_string());
        out
    }
}

/// The JSON export: `{"cmdhunt_export": 1, "context": {...}, "rows": [...]}`
/// with one row object (from [`crate::export::json_row`]) per line.
///
/// ```
/// use cmdhunt_core::export_context::{json_document, ExportContext, RuleContext};
/// use cmdhunt_core::results::Window;
/// let context = ExportContext { generated_at: None, mode: "parity".into(), window: Window::All,
///     newest: None, filters: vec![], files: vec![], rule: RuleContext::published(), rows: 0 };
/// let doc: serde_json::Value = serde_json::from_str(&json_document(&context, &[])).unwrap();
/// assert_eq!(doc["cmdhunt_export"], 1);
/// assert_eq!(doc["rows"], serde_json::json!([]));
/// assert_eq!(doc["context"]["window"]["kind"], "all");
/// ```
pub fn json_document(context: &ExportContext, rows: &[String]) -> String {
    let head = json!({ "cmdhunt_export": FORMAT_VERSION, "context": context.to_value() });
    let mut head = serde_json::to_string(&head).unwrap_or_else(|_| "{}".into());
    head.pop(); // the closing brace: the rows follow
    if rows.is_empty() {
        return format!("{head},\"rows\":[]}}\n");
    }
    format!("{head},\n\"rows\":[\n{}\n]}}\n", rows.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;
    use alloc::vec;

    fn context() -> ExportContext {
        ExportContext {
            generated_at: Timestamp::parse("2024-05-02T00:00:00Z"),
            mode: "parity".into(),
            window: Window::Last {
                duration: Duration::from_secs(3600),
                anchor: Anchor::Newest,
            },
            newest: Timestamp::parse("2024-05-01T10:00:00Z"),
            filters: vec![("flags".into(), "ShadowDelete".into())],
            files: vec![FileContext {
                name: "a.csv".into(),
                size: 10,
                format: Some("csv".into()),
                records: 3,
                flagged: 2,
                state: "partial: cancelled at byte 5 of 10".into(),
            }],
            rule: RuleContext::published(),
            rows: 2,
        }
    }

    #[test]
    fn the_document_carries_the_window_bounds_files_and_rows() {
        let rows = vec!["{\"a\":1}".to_string(), "{\"a\":2}".to_string()];
        let doc: Value = serde_json::from_str(&json_document(&context(), &rows)).unwrap();
        let c = &doc["context"];
        assert_eq!(c["window"]["start"], "2024-05-01T09:00:00.0000000Z");
        assert_eq!(c["window"]["end"], "2024-05-01T10:00:00.0000000Z");
        assert_eq!(c["window"]["duration_seconds"], 3600);
        assert_eq!(c["files"][0]["state"], "partial: cancelled at byte 5 of 10");
        assert_eq!(c["filters"]["flags"], "ShadowDelete");
        assert_eq!(c["rule"]["version"], rule_version());
        assert_eq!(doc["rows"], json!([{"a": 1}, {"a": 2}]));
        let sidecar: Value = serde_json::from_str(&context().to_json()).unwrap();
        assert_eq!(sidecar["context"], *c);
    }

    #[test]
    fn tuned_lists_and_configs_get_their_own_ids() {
        let patterns: Vec<String> = SUSPICIOUS_PATTERNS.iter().map(|n| n.value.into()).collect();
        let parents: Vec<String> = SUSPICIOUS_PARENTS.iter().map(|n| n.value.into()).collect();
        let same = RuleContext::tuned(&patterns, &parents, None, 0);
        assert_eq!(same, RuleContext::published());
        let fewer = RuleContext::tuned(&patterns[1..], &parents, Some("{}"), 1);
        assert!(fewer.lists.starts_with("tuned fnv1a64:"), "{}", fewer.lists);
        assert_eq!(fewer.config_id.as_deref(), Some("fnv1a64:08f44b07b5901a25"));
        assert_ne!(fnv1a64("a"), fnv1a64("b"));
        let pairs = context().pairs();
        assert!(pairs
            .iter()
            .any(|(k, v)| k == "file 1" && v.contains("cancelled at byte 5")));
        assert!(pairs
            .iter()
            .any(|(k, v)| k == "window_start" && v == "2024-05-01T09:00:00.0000000Z"));
    }
}
