//! Hardened mode: what the Sentinel rule misses, labelled apart from parity.
//!
//! The parity rule ([`crate::matcher`]) matches the KQL's literal spellings on
//! `cmd.exe` events only. Hardened mode adds rows for the same behaviour
//! written differently, and for the tools `cmd.exe` starts:
//!
//! * **shell rows**: a `cmd.exe` process creation whose command line, read as
//!   `cmd` reads it ([`normalise`]: carets, quotes inside words, whitespace,
//!   variable substrings and same-line variables, Unicode dashes, paths and
//!   `.exe`, nested `cmd /c`, `start`, `call`, `for ... do`, `if`), runs a
//!   command a [`rules::RULES`] entry describes;
//! * **child rows**: a process whose parent is `cmd.exe` and whose image (or
//!   `OriginalFileName`, for a renamed copy) is a tool a rule watches, with
//!   the argument shape that makes it suspicious;
//! * **renamed binaries**: an image whose `OriginalFileName` is `cmd.exe` or
//!   a watched tool under another name.
//!
//! Each hit names the rules that fired ([`HardenedHit::ids`]); each rule says
//! why in words ([`rules::HardenedRule::why`]). The rule set is data
//! ([`rules::RULES`]) compiled once ([`HardenedRules::new`]). A scan runs it
//! when asked ([`crate::scan::FileScan::hardened`]); parity rows are never
//! changed by it: a parity row stays a parity row and lists the hardened
//! rules it also fires.
//!
//! ```
//! use cmdhunt_core::{hardened::{Detection, HardenedRules}, matcher::CompiledRule, scan::FileScan};
//!
//! let (rule, hardened) = (CompiledRule::new(), HardenedRules::new());
//! let csv = "Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
//!            2024-01-01T00:00:01Z,cmd.exe,cmd /c reg.exe add HKCU\\x,explorer.exe\n\
//!            2024-01-01T00:00:02Z,reg.exe,reg  add HKCU\\x,cmd.exe\n\
//!            2024-01-01T00:00:03Z,cmd.exe,cmd /c reg add HKCU\\x,explorer.exe\n";
//! let mut scan = FileScan::new(&rule, 0, "x.csv", None).hardened(&hardened);
//! scan.push(csv.as_bytes());
//! let (summary, rows) = scan.finish();
//! assert_eq!(summary.flagged, 1); // the parity count is the parity count
//! let labels: Vec<_> = rows.iter().map(|r| (r.detection, r.hardened.ids().collect::<Vec<_>>())).collect();
//! assert_eq!(labels, [
//!     (Detection::Hardened, vec!["reg-modify"]), // reg.exe: the KQL's "reg add" misses it
//!     (Detection::Hardened, vec!["reg-modify"]), // the child process
//!     (Detection::Parity, vec!["reg-modify"]),   // parity, and hardened agrees
//! ]);
//! ```

pub mod matcher;
pub mod normalise;
pub mod rules;

pub use matcher::{all_rules, rules_in, HardenedHit, HardenedRules, RuleSet, RENAMED_BIT};
pub use normalise::Evasions;

/// Which rules a scan runs: [`Mode::Parity`] (the default) or
/// [`Mode::Hardened`]. One type with the tuning config's `mode` key.
pub use crate::tuning::Mode;

/// What a mode means, for people (the page's mode switch, the CLI's help).
pub fn describe_mode(mode: Mode) -> &'static str {
    match mode {
        Mode::Parity => "Sentinel parity: exactly the rows the KQL returns",
        Mode::Hardened => {
            "Sentinel parity plus hardened rows: obfuscated spellings, tools started by cmd.exe, renamed binaries"
        }
    }
}

/// Why a row is in the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Detection {
    /// The Sentinel rule returns it.
    #[default]
    Parity,
    /// Only the hardened rules flag it.
    Hardened,
}

impl Detection {
    /// `parity` or `hardened`, as the CLI's `Detection` column prints it.
    pub fn name(self) -> &'static str {
        match self {
            Detection::Parity => "parity",
            Detection::Hardened => "hardened",
        }
    }
}

/// The `OriginalFileName` sources a record may carry, first found wins
/// (kept beside [`crate::mapping::FIELD_MAP`]: read only in hardened mode).
pub use crate::mapping::ORIGINAL_FILE_NAME;

/// The `OriginalFileName` of a record, from [`ORIGINAL_FILE_NAME`]'s
/// fields: `None` when the record has no such field, `Some(None)` when it is
/// empty or `-`. Reads every field of the record: call it only for the few
/// records that need it.
pub fn original_file_name(
    record: &dyn crate::event::Record,
) -> Option<Option<alloc::string::String>> {
    let fields = record.fields();
    ORIGINAL_FILE_NAME.iter().find_map(|source| {
        fields
            .iter()
            .find(|(name, _)| {
                crate::mapping::normalize_name(name).eq_ignore_ascii_case(source.name)
            })
            .map(|(_, value)| {
                let v = value.trim();
                (!v.is_empty() && v != "-").then(|| alloc::string::String::from(v))
            })
    })
}
