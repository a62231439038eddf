//! The tuned rule as KQL for Sentinel / Defender advanced hunting: the
//! published query ([`crate::rule::KQL_TEXT`]) with the config's lists, its
//! window, and each active allowlist entry as a `| where not(...)` clause
//! right after the rule's filter (before the `extend`s, so the projection
//! and the sort are the published ones).
//!
//! Strings are written as regular KQL literals: `\` → `\\`, `"` → `\"`, and
//! `\n`, `\r`, `\t` escapes ([`kql_string`]); [`crate::kql::decode_string_literal`]
//! reads them back to the config's values. An entry with an expiry carries
//! it into the query (`now() < datetime(...)`), so Sentinel stops
//! suppressing when cmdhunt would; entries disabled or already expired are
//! written as comments only.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::rule::{KQL_TEXT, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};
use crate::time::{Duration, Timestamp, TICKS_PER_SEC};

use super::allowlist::{AllowEntry, EntryStatus, MatchKind};
use super::config::{AnchorSpec, Config, WindowSpec};

/// A KQL regular string literal for `value`, quotes included.
///
/// ```
/// use cmdhunt_core::tuning::kql::kql_string;
/// assert_eq!(kql_string(r"> \\pipe\"), r#""> \\\\pipe\\""#);
/// assert_eq!(kql_string("say \"hi\"\n"), r#""say \"hi\"\n""#);
/// ```
pub fn kql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A KQL `timespan` literal for `d`: the largest unit that divides it
/// exactly (`24h`, `7d`, `90m`, `1500ms`), else ticks.
pub fn kql_timespan(d: Duration) -> String {
    let units: [(i64, &str); 5] = [
        (86_400 * TICKS_PER_SEC, "d"),
        (3_600 * TICKS_PER_SEC, "h"),
        (60 * TICKS_PER_SEC, "m"),
        (TICKS_PER_SEC, "s"),
        (TICKS_PER_SEC / 1000, "ms"),
    ];
    for (ticks, unit) in units {
        if d.0 % ticks == 0 {
            return format!("{}{unit}", d.0 / ticks);
        }
    }
    format!("{}tick", d.0)
}

/// Is `text` a KQL timespan literal as written (`24h`, `7d`, `90m`, `30s`, `500ms`)?
fn is_kql_timespan(text: &str) -> bool {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&text[digits..], "d" | "h" | "m" | "s" | "ms")
}

/// Text safe inside a `//` comment: one line, no control characters.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A `let Name = dynamic([...]);` statement, one literal per line.
fn let_list(name: &str, values: &[String]) -> String {
    if values.is_empty() {
        return format!(
            "// {name} is empty: has_any over it matches nothing\nlet {name} = dynamic([]);"
        );
    }
    let items: Vec<String> = values.iter().map(|v| kql_string(v)).collect();
    format!("let {name} = dynamic([\n{}\n]);", items.join(",\n"))
}

/// The `| where not(...)` predicate of one entry (without the clause).
pub fn entry_predicate(entry: &AllowEntry) -> String {
    let tests: Vec<String> = entry
        .when
        .iter()
        .map(|c| {
            let op = match c.kind {
                MatchKind::Has => "has",
                MatchKind::Equals => "=~",
                MatchKind::Regex => "matches regex",
            };
            format!("{} {op} {}", c.field.name(), kql_string(&c.value))
        })
        .collect();
    let all = tests.join(" and ");
    match &entry.expires {
        Some(e) => format!("now() < datetime({}) and ({all})", e.at),
        None => all,
    }
}

/// The allowlist as KQL lines: a comment naming each entry and, for an
/// active one, its `| where not(...)` clause.
fn allowlist_lines(config: &Config, now: Timestamp) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in &config.allowlist.entries {
        let id = comment_text(&entry.id);
        let reason = comment_text(&entry.reason);
        match entry.status(now) {
            EntryStatus::Active => {
                lines.push(format!("// allowlist {id}: {reason}"));
                lines.push(format!("| where not({})", entry_predicate(entry)));
            }
            EntryStatus::Disabled => {
                lines.push(format!(
                    "// allowlist {id} (disabled, not applied): {reason}"
                ));
            }
            EntryStatus::Expired => {
                let at = entry.expires.as_ref().map(|e| e.at).unwrap_or(now);
                lines.push(format!(
                    "// allowlist {id} (expired {at}, not applied): {reason}"
                ));
            }
        }
    }
    lines
}

/// The time filter line(s) for the config's window.
fn window_lines(config: &Config) -> Vec<String> {
    match (&config.window, &config.anchor) {
        (WindowSpec::All, _) => {
            alloc::vec![String::from("// no time filter (window: all)")]
        }
        (WindowSpec::Last { duration, .. }, AnchorSpec::At { at, .. }) => alloc::vec![format!(
            "| where Timestamp > datetime({at}) - {span} and Timestamp <= datetime({at})",
            span = kql_timespan(*duration)
        )],
        (WindowSpec::Last { duration, text }, _) => alloc::vec![format!(
            "| where Timestamp > ago({})",
            if is_kql_timespan(text) {
                String::from(text.as_str())
            } else {
                kql_timespan(*duration)
            }
        )],
    }
}

/// The tuned query. `now` judges which entries have expired (they become
/// comments). With the rule's own lists, the 24 h window and no allowlist,
/// the query after the leading `//` comment lines is the published text.
///
/// ```
/// use cmdhunt_core::tuning::{kql, Config};
/// let text = kql::render(&Config::default(), cmdhunt_core::time::Timestamp(0));
/// let body: Vec<&str> = text.lines().skip_while(|l| l.starts_with("//")).collect();
/// assert_eq!(body.join("\n"), cmdhunt_core::rule::KQL_TEXT.trim_end());
/// ```
pub fn render(config: &Config, now: Timestamp) -> String {
    let mut out: Vec<String> = alloc::vec![
        String::from("// T1059.003 Windows command shell: the Sentinel rule, tuned with cmdhunt"),
        format!(
            "// config version {}; cmdhunt mode {} (this query is the rule's Sentinel semantics)",
            super::VERSION,
            config.mode.name()
        ),
    ];
    if matches!(config.anchor, AnchorSpec::Newest)
        && matches!(config.window, WindowSpec::Last { .. })
    {
        out.push(String::from(
            "// cmdhunt anchors the window at an export's newest event; here ago() counts from now()",
        ));
    }
    let default_patterns = config.patterns.len() == SUSPICIOUS_PATTERNS.len()
        && config
            .patterns
            .iter()
            .zip(SUSPICIOUS_PATTERNS)
            .all(|(c, n)| *c == n.value);
    let default_parents = config.parents.len() == SUSPICIOUS_PARENTS.len()
        && config
            .parents
            .iter()
            .zip(SUSPICIOUS_PARENTS)
            .all(|(c, n)| *c == n.value);
    let mut lines = KQL_TEXT.trim_end().lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("let SuspiciousPatterns = dynamic([") {
            // The published statement spans lines up to `]);`.
            let mut statement = alloc::vec![line];
            while !statement
                .last()
                .is_some_and(|l| l.trim_end().ends_with("]);"))
            {
                match lines.next() {
                    Some(l) => statement.push(l),
                    None => break,
                }
            }
            if default_patterns {
                out.extend(statement.iter().map(|l| String::from(*l)));
            } else {
                out.push(let_list("SuspiciousPatterns", &config.patterns));
            }
        } else if line.starts_with("let SuspiciousParents = dynamic([") {
            if default_parents {
                out.push(line.into());
            } else {
                out.push(let_list("SuspiciousParents", &config.parents));
            }
        } else if line.starts_with("| where Timestamp > ago(") {
            out.extend(window_lines(config));
        } else if line.starts_with("| where ProcessCommandLine has_any (SuspiciousPatterns)") {
            out.push(line.into());
            out.extend(allowlist_lines(config, now));
        } else {
            out.push(line.into());
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}
