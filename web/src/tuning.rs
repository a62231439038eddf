//! The page's side of tuning (issue 12), free of browser APIs so it tests
//! natively: the core's [`Config`] edited (allowlist entries, presets, the
//! rule's lists), carried in a URL fragment, and turned into what a worker
//! runs ([`ScanRules`]).
//!
//! Every edit goes through [`Config::parse`], the CLI's reader: the page
//! accepts exactly the configs `cmdhunt scan --config` accepts, and a
//! refused edit shows the core's error with its JSON path.
//!
//! ```
//! use cmdhunt_web::tuning::{self, EntryForm};
//! use cmdhunt_core::tuning::Config;
//! let form = EntryForm {
//!     id: "build".into(), field: "DeviceName".into(), kind: "=~".into(),
//!     value: "build01".into(), reason: "build farm".into(), expires: String::new(),
//! };
//! let config = tuning::add_entry(&Config::default(), &form).unwrap();
//! let link = tuning::fragment(&config);
//! assert!(link.starts_with("#config="));
//! assert_eq!(tuning::read_fragment(&link), Some(Ok(config)));
//! ```

use cmdhunt_core::tuning::{presets, Config};
use serde_json::{json, Map, Value};

use crate::protocol::ScanRules;

/// Where the page keeps its config (`localStorage`).
pub const STORAGE_KEY: &str = "cmdhunt.config";
/// The URL fragment that carries a config: `#config=` and the config's JSON,
/// percent-encoded (config only, never event data; nothing is sent).
pub const FRAGMENT_PREFIX: &str = "#config=";

/// What a worker runs for `config`: the mode, and the lists when tuned.
pub fn scan_rules(config: &Config) -> ScanRules {
    ScanRules {
        hardened: config.mode == cmdhunt_core::tuning::Mode::Hardened,
        lists: (!config.lists_are_default())
            .then(|| (config.patterns.clone(), config.parents.clone())),
    }
}

/// Read a config (a file, the stored copy, a link): the core's error, with
/// its JSON path, in words.
pub fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text).map_err(|e| format!("the config was not loaded: {e}"))
}

/// Change `config` through its JSON document and read it back with
/// [`Config::parse`] (so every check the CLI makes applies).
pub fn edit(config: &Config, f: impl FnOnce(&mut Map<String, Value>)) -> Result<Config, String> {
    let mut doc: Value =
        serde_json::from_str(&config.to_json()).map_err(|e| format!("internal: {e}"))?;
    let Some(obj) = doc.as_object_mut() else {
        return Err("internal: the config is not an object".into());
    };
    f(obj);
    parse(&doc.to_string())
}

/// The allowlist editor's form: one entry with one condition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntryForm {
    /// Unique id.
    pub id: String,
    /// The column (`DeviceName`, ...).
    pub field: String,
    /// `has`, `=~` or `regex`.
    pub kind: String,
    /// The value or pattern.
    pub value: String,
    /// Why it is known-good.
    pub reason: String,
    /// Expiry (a time, e.g. `2027-01-31T00:00:00Z`); empty for none.
    pub expires: String,
}

/// `config` with `form`'s entry appended (enabled); the error names the
/// form's mistake by its JSON path (`$.allowlist[N].when[0].value`).
pub fn add_entry(config: &Config, form: &EntryForm) -> Result<Config, String> {
    let mut entry = json!({
        "id": form.id.trim(),
        "reason": form.reason.trim(),
        "enabled": true,
        "when": [{"field": form.field, "match": form.kind, "value": form.value}],
    });
    if !form.expires.trim().is_empty() {
        entry["expires"] = Value::from(form.expires.trim());
    }
    edit(config, |o| push(o, "allowlist", entry))
}

fn push(o: &mut Map<String, Value>, key: &str, item: Value) {
    if let Some(Value::Array(items)) = o.get_mut(key) {
        items.push(item);
    } else {
        o.insert(key.into(), Value::Array(vec![item]));
    }
}

/// `config` without allowlist entry `index`.
pub fn remove_entry(config: &Config, index: usize) -> Result<Config, String> {
    edit(config, |o| {
        if let Some(Value::Array(items)) = o.get_mut("allowlist") {
            if index < items.len() {
                items.remove(index);
            }
        }
    })
}

/// `config` with entry `index` enabled or disabled.
pub fn set_enabled(config: &Config, index: usize, on: bool) -> Result<Config, String> {
    edit(config, |o| {
        if let Some(entry) = o
            .get_mut("allowlist")
            .and_then(|a| a.get_mut(index))
            .and_then(Value::as_object_mut)
        {
            entry.insert("enabled".into(), Value::Bool(on));
        }
    })
}

/// Whether the preset `id` is in the allowlist and enabled.
pub fn preset_on(config: &Config, id: &str) -> bool {
    config
        .allowlist
        .entries
        .iter()
        .any(|e| e.id == id && e.enabled)
}

/// `config` with preset `id` ([`presets`], the seed's four false-positive
/// classes) turned on (added, or enabled) or off (disabled, kept).
pub fn set_preset(config: &Config, id: &str, on: bool) -> Result<Config, String> {
    if let Some(i) = config.allowlist.entries.iter().position(|e| e.id == id) {
        return set_enabled(config, i, on);
    }
    if !on {
        return Ok(config.clone());
    }
    let Some(preset) = presets().into_iter().find(|p| p.id == id) else {
        return Err(format!("no preset {id:?}"));
    };
    // The preset's JSON, as the core writes it.
    let with = Config {
        allowlist: cmdhunt_core::tuning::Allowlist {
            entries: vec![preset],
        },
        ..Config::default()
    };
    let doc: Value = serde_json::from_str(&with.to_json()).map_err(|e| format!("internal: {e}"))?;
    let mut entry = doc["allowlist"][0].clone();
    entry["enabled"] = Value::Bool(true);
    edit(config, |o| push(o, "allowlist", entry))
}

/// Which of the rule's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// `SuspiciousPatterns`.
    Patterns,
    /// `SuspiciousParents`.
    Parents,
}

impl List {
    /// The config's key.
    pub fn key(self) -> &'static str {
        match self {
            List::Patterns => "SuspiciousPatterns",
            List::Parents => "SuspiciousParents",
        }
    }
}

/// `config` with `value` added to `list`.
pub fn add_to_list(config: &Config, list: List, value: &str) -> Result<Config, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("{}: the new entry is empty", list.key()));
    }
    edit(config, |o| push(o, list.key(), Value::from(value)))
}

/// `config` without item `index` of `list`.
pub fn remove_from_list(config: &Config, list: List, index: usize) -> Result<Config, String> {
    edit(config, |o| {
        if let Some(Value::Array(items)) = o.get_mut(list.key()) {
            if index < items.len() {
                items.remove(index);
            }
        }
    })
}

/// The URL fragment carrying `config` (its compact JSON, percent-encoded).
pub fn fragment(config: &Config) -> String {
    let json = serde_json::from_str::<Value>(&config.to_json())
        .map(|v| v.to_string())
        .unwrap_or_default();
    let mut out = String::from(FRAGMENT_PREFIX);
    for b in json.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The config a URL fragment carries: `None` when it carries none, else
/// the config or why it cannot be read.
pub fn read_fragment(hash: &str) -> Option<Result<Config, String>> {
    let encoded = hash.strip_prefix(FRAGMENT_PREFIX)?;
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(b) = hex else {
                return Some(Err(format!(
                    "the link's config was not loaded: bad percent-encoding at character {i}"
                )));
            };
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(match String::from_utf8(out) {
        Ok(text) => parse(&text),
        Err(_) => Err("the link's config was not loaded: it is not UTF-8".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmdhunt_core::tuning::{EntryStatus, Mode};

    fn form(id: &str, field: &str, kind: &str, value: &str) -> EntryForm {
        EntryForm {
            id: id.into(),
            field: field.into(),
            kind: kind.into(),
            value: value.into(),
            reason: "known good".into(),
            expires: String::new(),
        }
    }

    #[test]
    fn entries_are_added_removed_and_refused_with_their_path() {
        let c = add_entry(
            &Config::default(),
            &form("a", "DeviceName", "=~", "build01"),
        )
        .expect("added");
        assert_eq!(c.allowlist.entries.len(), 1);
        assert!(c.allowlist.entries[0].enabled);
        let c2 = add_entry(&c, &form("b", "AccountName", "regex", "(?i)^svc_")).expect("added");
        assert_eq!(c2.allowlist.entries[1].id, "b");
        // Duplicate id, bad regex, unknown kind, bad expiry: the core's error, with its path.
        for (f, path) in [
            (form("a", "DeviceName", "has", "x"), "$.allowlist[1].id"),
            (
                form("c", "DeviceName", "regex", "("),
                "$.allowlist[1].when[0].value",
            ),
            (
                form("c", "DeviceName", "like", "x"),
                "$.allowlist[1].when[0]",
            ),
            (
                EntryForm {
                    expires: "tomorrow".into(),
                    ..form("c", "DeviceName", "has", "x")
                },
                "$.allowlist[1].expires",
            ),
        ] {
            let e = add_entry(&c, &f).expect_err("refused");
            assert!(e.contains(path), "{e} lacks {path}");
        }
        assert_eq!(
            remove_entry(&c2, 0).expect("removed").allowlist.entries[0].id,
            "b"
        );
        let off = set_enabled(&c2, 1, false).expect("disabled");
        assert_eq!(
            off.allowlist.entries[1].status(cmdhunt_core::time::Timestamp(0)),
            EntryStatus::Disabled
        );
    }

    #[test]
    fn presets_are_off_until_turned_on_and_stay_when_turned_off() {
        let ids: Vec<String> = presets().into_iter().map(|p| p.id).collect();
        assert_eq!(ids.len(), 4);
        let c = Config::default();
        assert!(ids.iter().all(|id| !preset_on(&c, id)));
        let on = set_preset(&c, &ids[0], true).expect("on");
        assert!(preset_on(&on, &ids[0]));
        let off = set_preset(&on, &ids[0], false).expect("off");
        assert!(!preset_on(&off, &ids[0]));
        assert_eq!(off.allowlist.entries.len(), 1);
        assert!(set_preset(&c, "nope", true).is_err());
    }

    #[test]
    fn lists_are_edited_and_the_worker_gets_them_only_when_tuned() {
        let c = Config::default();
        assert_eq!(scan_rules(&c), ScanRules::default());
        let tuned = add_to_list(&c, List::Patterns, " whoami /all ").expect("added");
        assert_eq!(
            tuned.patterns.last().map(String::as_str),
            Some("whoami /all")
        );
        let rules = scan_rules(&tuned);
        assert_eq!(
            rules.lists.as_ref().map(|l| l.0.len()),
            Some(c.patterns.len() + 1)
        );
        let back = remove_from_list(&tuned, List::Patterns, c.patterns.len()).expect("removed");
        assert!(back.lists_are_default());
        assert!(add_to_list(&c, List::Parents, "  ").is_err());
        let hardened = Config {
            mode: Mode::Hardened,
            ..Config::default()
        };
        assert!(scan_rules(&hardened).hardened);
    }

    #[test]
    fn a_fragment_round_trips_and_a_bad_one_says_why() {
        let c = add_entry(
            &Config::default(),
            &form("x", "ProcessCommandLine", "has", "a b%\"é#&"),
        )
        .expect("added");
        let link = fragment(&c);
        assert!(link[FRAGMENT_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
        assert_eq!(read_fragment(&link), Some(Ok(c)));
        assert_eq!(read_fragment("#selftest-panic"), None);
        assert!(read_fragment("#config=%zz").is_some_and(|r| r.is_err()));
        let e = read_fragment("#config=%7B%22version%22%3A2%7D")
            .expect("a config")
            .expect_err("refused");
        assert!(e.contains("$.version"), "{e}");
    }
}
