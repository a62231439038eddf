//! The tuned rule as a Sigma `process_creation` rule (YAML), for SIEMs
//! that take Sigma.
//!
//! Sigma has no term-boundary operator, so the translation is the closest
//! the taxonomy allows, and says so in the rule's description:
//!
//! | cmdhunt | Sigma |
//! |---|---|
//! | `FileName =~ "cmd.exe"` | `Image|endswith: '\cmd.exe'` or `OriginalFileName: 'Cmd.Exe'` |
//! | `ProcessCommandLine has_any (SuspiciousPatterns)` | `CommandLine|contains:` (a superset: no term boundaries) |
//! | `InitiatingProcessFileName has_any (SuspiciousParents)` | `ParentImage|endswith: '\name'` |
//! | allowlist `has` / `=~` / `regex` | `|contains` / plain value (case-insensitive) / `|re` |
//! | `DeviceName`, `AccountName` | `Computer`, `User` (`=~` on `AccountName` → `User|endswith: '\name'`) |
//!
//! Values are single-quoted YAML scalars (double-quoted with JSON escapes
//! when they hold control characters), with Sigma's wildcards escaped
//! ([`sigma_escape`]); `|re` values are regular expressions, written as is.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::rule::{FALSE_POSITIVES, TECHNIQUE_URL};
use crate::time::Timestamp;

use super::allowlist::{AllowEntry, EntryStatus, Field, MatchKind};
use super::config::Config;

/// A YAML scalar holding exactly `text`: single-quoted (no escapes but
/// `''`) unless it has control characters, then double-quoted with JSON's
/// escapes (which YAML reads).
fn yaml_string(text: &str) -> String {
    if text.chars().any(char::is_control) {
        return serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""));
    }
    format!("'{}'", text.replace('\'', "''"))
}

/// `text` as a Sigma string value: `*` and `?` escaped (`\*`, `\?`), and a
/// backslash doubled where Sigma would otherwise read it as an escape
/// (before `\`, `*` or `?`); any other backslash is literal in Sigma.
///
/// ```
/// use cmdhunt_core::tuning::sigma::sigma_escape;
/// assert_eq!(sigma_escape(r"\cmd.exe"), r"\cmd.exe");
/// assert_eq!(sigma_escape(r"> \\pipe\"), r"> \\\pipe\");
/// assert_eq!(sigma_escape("a*b?"), r"a\*b\?");
/// ```
pub fn sigma_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '?' => out.push('\\'),
            '\\' if matches!(chars.peek(), Some('\\' | '*' | '?')) => out.push('\\'),
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A Sigma value for a (non-regex) string: escaped and quoted.
fn value(text: &str) -> String {
    yaml_string(&sigma_escape(text))
}

/// `key:` followed by a YAML list of already-quoted values.
fn list_item(lines: &mut Vec<String>, indent: &str, key: &str, values: &[String]) {
    lines.push(format!("{indent}{key}:"));
    for v in values {
        lines.push(format!("{indent}    - {v}"));
    }
}

/// The Sigma field and modifier for one allowlist condition.
fn condition_key(field: Field, kind: MatchKind, text: &str) -> (&'static str, &'static str) {
    let name = match field {
        Field::DeviceName => "Computer",
        Field::AccountName => "User",
        Field::InitiatingProcessFileName => "ParentImage",
        Field::InitiatingProcessCommandLine => "ParentCommandLine",
        Field::ProcessCommandLine => "CommandLine",
    };
    let modifier = match (field, kind) {
        (_, MatchKind::Regex) => "|re",
        (_, MatchKind::Has) => "|contains",
        // Sigma's User is DOMAIN\name, ParentImage a full path (`=~ ""`: empty, as is).
        (Field::AccountName | Field::InitiatingProcessFileName, MatchKind::Equals)
            if !text.is_empty() =>
        {
            "|endswith"
        }
        (_, MatchKind::Equals) => "",
    };
    (name, modifier)
}

fn condition_value(field: Field, kind: MatchKind, text: &str) -> String {
    match (field, kind) {
        (_, MatchKind::Regex) => yaml_string(text),
        (Field::AccountName | Field::InitiatingProcessFileName, MatchKind::Equals)
            if !text.is_empty() =>
        {
            value(&format!("\\{text}"))
        }
        _ => value(text),
    }
}

/// A filter selection's name for entry `index` (Sigma identifiers: letters,
/// digits, `_`).
fn filter_name(index: usize, entry: &AllowEntry) -> String {
    let slug: String = entry
        .id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("filter_{index}_{slug}")
}

/// A deterministic UUID (version 4 layout) from the rule's text, so the
/// same config always exports the same rule id.
fn uuid_of(text: &str) -> String {
    // Two FNV-1a 64-bit hashes with different offsets.
    let fnv = |seed: u64| {
        text.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x4000; // version 4
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000; // variant 1
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// The tuned rule as Sigma YAML. Active allowlist entries become
/// `filter_*` selections (all their conditions in one map: AND), excluded
/// with `not 1 of filter_*`; disabled and expired ones are YAML comments.
/// An empty list becomes a selection that never matches.
pub fn render(config: &Config, now: Timestamp) -> String {
    let mut detection: Vec<String> = Vec::new();
    detection.push(String::from("    selection_shell_image:"));
    detection.push(format!("        Image|endswith: {}", value("\\cmd.exe")));
    detection.push(String::from("    selection_shell_name:"));
    detection.push(format!("        OriginalFileName: {}", value("Cmd.Exe")));
    let patterns: Vec<String> = config.patterns.iter().map(|p| value(p)).collect();
    let parents: Vec<String> = config
        .parents
        .iter()
        .map(|p| value(&format!("\\{p}")))
        .collect();
    let mut suspicious = Vec::new();
    if !patterns.is_empty() {
        detection.push(String::from("    selection_patterns:"));
        list_item(
            &mut detection,
            "        ",
            "CommandLine|contains",
            &patterns,
        );
        suspicious.push("selection_patterns");
    }
    if !parents.is_empty() {
        detection.push(String::from("    selection_parents:"));
        list_item(&mut detection, "        ", "ParentImage|endswith", &parents);
        suspicious.push("selection_parents");
    }
    let mut filters = 0;
    for (i, entry) in config.allowlist.entries.iter().enumerate() {
        let id = entry.id.replace(['\r', '\n'], " ");
        match entry.status(now) {
            EntryStatus::Active => {
                filters += 1;
                detection.push(format!("    # allowlist {id}"));
                detection.push(format!("    {}:", filter_name(i, entry)));
                for c in &entry.when {
                    let (name, modifier) = condition_key(c.field, c.kind, &c.value);
                    detection.push(format!(
                        "        {name}{modifier}: {}",
                        condition_value(c.field, c.kind, &c.value)
                    ));
                }
            }
            status => detection.push(format!("    # allowlist {id} ({status}, not applied)")),
        }
    }
    let mut condition = String::from("1 of selection_shell_*");
    condition.push_str(&match suspicious.len() {
        0 => String::from(" and not selection_shell_image and not selection_shell_name"),
        _ => format!(" and ({})", suspicious.join(" or ")),
    });
    if filters > 0 {
        condition.push_str(" and not 1 of filter_*");
    }
    detection.push(format!("    condition: {condition}"));

    let mut falsepositives: Vec<String> = FALSE_POSITIVES.iter().map(|f| yaml_string(f)).collect();
    for entry in &config.allowlist.entries {
        if entry.status(now) == EntryStatus::Active {
            falsepositives.push(yaml_string(&format!(
                "{} (allowlisted): {}",
                entry.id, entry.reason
            )));
        }
    }
    let description = "cmd.exe with a suspicious command line or parent (the Microsoft Sentinel \
        T1059.003 rule, tuned with cmdhunt). Translated from KQL: 'has' term matches became \
        'contains', so this rule can match slightly more than the KQL.";
    let body = detection.join("\n");
    let mut out: Vec<String> = alloc::vec![
        String::from("title: Windows Command Shell Abuse (T1059.003), tuned"),
        format!("id: {}", uuid_of(&body)),
        String::from("status: experimental"),
        format!("description: {}", yaml_string(description)),
        String::from("references:"),
        format!("    - {}", yaml_string(TECHNIQUE_URL)),
        String::from("author: cmdhunt"),
        String::from("tags:"),
        String::from("    - attack.execution"),
        String::from("    - attack.t1059.003"),
        String::from("logsource:"),
        String::from("    category: process_creation"),
        String::from("    product: windows"),
        String::from("detection:"),
        body,
        String::from("falsepositives:"),
    ];
    out.extend(falsepositives.into_iter().map(|f| format!("    - {f}")));
    out.push(String::from("level: medium"));
    let mut text = out.join("\n");
    text.push('\n');
    text
}
