//! Field mapping as data: which source field feeds which rule column.
//!
//! Every decoder with named fields (CSV headers, XML `EventData`, JSON keys)
//! resolves its names through [`FIELD_MAP`], so the rule never knows where an
//! event came from. The first source listed for a column that a record has
//! wins. Names compare case-insensitively after [`normalize_name`].
//!
//! The same table is rendered in the README ("Field mapping").

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use crate::event::basename;

/// A column the rule (or record classification) needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// `Timestamp`
    Timestamp,
    /// `DeviceName`
    DeviceName,
    /// `AccountName`
    AccountName,
    /// `FileName`
    FileName,
    /// `ProcessCommandLine`
    ProcessCommandLine,
    /// `InitiatingProcessFileName`
    InitiatingProcessFileName,
    /// `InitiatingProcessCommandLine`
    InitiatingProcessCommandLine,
    /// Defender `ActionType` (`ProcessCreated` for process creations).
    ActionType,
    /// Windows event id (1 for Sysmon, 4688 for Security process creation).
    EventId,
    /// Security 4688 `NewProcessId`, for parent inference.
    NewProcessId,
    /// Security 4688 `ProcessId` (the creator), for parent inference.
    CreatorProcessId,
}

/// Number of [`Target`]s.
pub const TARGETS: usize = 11;

impl Target {
    /// Every target, in slot order.
    pub const ALL: [Target; TARGETS] = [
        Target::Timestamp,
        Target::DeviceName,
        Target::AccountName,
        Target::FileName,
        Target::ProcessCommandLine,
        Target::InitiatingProcessFileName,
        Target::InitiatingProcessCommandLine,
        Target::ActionType,
        Target::EventId,
        Target::NewProcessId,
        Target::CreatorProcessId,
    ];

    /// The column's name in the rule (or in Defender's schema).
    pub fn name(self) -> &'static str {
        match self {
            Target::Timestamp => "Timestamp",
            Target::DeviceName => "DeviceName",
            Target::AccountName => "AccountName",
            Target::FileName => "FileName",
            Target::ProcessCommandLine => "ProcessCommandLine",
            Target::InitiatingProcessFileName => "InitiatingProcessFileName",
            Target::InitiatingProcessCommandLine => "InitiatingProcessCommandLine",
            Target::ActionType => "ActionType",
            Target::EventId => "EventID",
            Target::NewProcessId => "NewProcessId",
            Target::CreatorProcessId => "ProcessId",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// How a source value becomes the column's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// As is.
    Verbatim,
    /// The last path component (`C:\Windows\System32\cmd.exe` → `cmd.exe`).
    Basename,
    /// The user part of `DOMAIN\user` (`user@domain` is kept whole).
    UserPart,
}

impl Transform {
    /// Apply the transform.
    pub fn apply(self, value: Cow<'_, str>) -> Cow<'_, str> {
        match self {
            Transform::Verbatim => value,
            Transform::Basename => match value {
                Cow::Borrowed(s) => Cow::Borrowed(basename(s)),
                Cow::Owned(s) => Cow::Owned(String::from(basename(&s))),
            },
            Transform::UserPart => match value {
                Cow::Borrowed(s) => Cow::Borrowed(s.rsplit('\\').next().unwrap_or(s)),
                Cow::Owned(s) => Cow::Owned(String::from(s.rsplit('\\').next().unwrap_or(&s))),
            },
        }
    }
}

/// One source field for a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceField {
    /// The field name as exports write it.
    pub name: &'static str,
    /// How its value maps.
    pub transform: Transform,
    /// Which exports use it (documentation).
    pub seen_in: &'static str,
}

const fn f(name: &'static str, transform: Transform, seen_in: &'static str) -> SourceField {
    SourceField {
        name,
        transform,
        seen_in,
    }
}

use Transform::{Basename, UserPart, Verbatim};

const DEFENDER: &str = "Defender / Sentinel DeviceProcessEvents";
const TIMELINE: &str = "Defender timeline export (older schema)";
const SEC4688: &str = "Security 4688 (Sentinel SecurityEvent, EVTX)";
const SYSMON: &str = "Sysmon event 1";
const ECS: &str = "Elastic ECS";
const SPLUNK: &str = "Splunk Windows add-on (JSON export `result`)";

/// The committed mapping table: for each target, its sources in priority order.
pub const FIELD_MAP: [(Target, &[SourceField]); TARGETS] = [
    (
        Target::Timestamp,
        &[
            f("Timestamp", Verbatim, DEFENDER),
            f("TimeGenerated", Verbatim, "Sentinel tables"),
            f("UtcTime", Verbatim, SYSMON),
            f("CreatedProcessCreationTime", Verbatim, TIMELINE),
            f("TimeCreated", Verbatim, "Event Viewer, evtx_dump"),
            f("SystemTime", Verbatim, "EVTX System/TimeCreated"),
            f("@timestamp", Verbatim, ECS),
            f("EventTime", Verbatim, "nxlog"),
            f("TimeCreatedUtc", Verbatim, SEC4688),
            f("TimeCreated.SystemTime", Verbatim, "evtx_dump JSON System"),
            f("_time", Verbatim, SPLUNK),
        ],
    ),
    (
        Target::DeviceName,
        &[
            f("DeviceName", Verbatim, DEFENDER),
            f("Computer", Verbatim, "Windows events, SecurityEvent"),
            f("ComputerDnsName", Verbatim, TIMELINE),
            f("ComputerName", Verbatim, "winlogbeat"),
            f("host.name", Verbatim, ECS),
            f("Hostname", Verbatim, "nxlog"),
            f("computer_name", Verbatim, "winlogbeat 7+"),
            f("host", Verbatim, SPLUNK),
        ],
    ),
    (
        Target::AccountName,
        &[
            f("AccountName", Verbatim, DEFENDER),
            f("SubjectUserName", Verbatim, SEC4688),
            f("User", UserPart, SYSMON),
            f("CreatedProcessAccountName", Verbatim, TIMELINE),
            f("user.name", Verbatim, ECS),
        ],
    ),
    (
        Target::FileName,
        &[
            f("FileName", Verbatim, DEFENDER),
            f("NewProcessName", Basename, SEC4688),
            f("Image", Basename, SYSMON),
            f("CreatedProcessName", Basename, TIMELINE),
            f("process.name", Verbatim, ECS),
            f("process.executable", Basename, ECS),
            f("New_Process_Name", Basename, SPLUNK),
        ],
    ),
    (
        Target::ProcessCommandLine,
        &[
            f("ProcessCommandLine", Verbatim, DEFENDER),
            f("CommandLine", Verbatim, "Sysmon 1, Security 4688"),
            f("CreatedProcessCommandLine", Verbatim, TIMELINE),
            f("process.command_line", Verbatim, ECS),
            f("Process_Command_Line", Verbatim, SPLUNK),
        ],
    ),
    (
        Target::InitiatingProcessFileName,
        &[
            f("InitiatingProcessFileName", Verbatim, DEFENDER),
            f("ParentProcessName", Basename, SEC4688),
            f("ParentImage", Basename, SYSMON),
            f("InitiatingProcessName", Basename, TIMELINE),
            f("process.parent.name", Verbatim, ECS),
            f("process.parent.executable", Basename, ECS),
            f("Creator_Process_Name", Basename, SPLUNK),
        ],
    ),
    (
        Target::InitiatingProcessCommandLine,
        &[
            f("InitiatingProcessCommandLine", Verbatim, DEFENDER),
            f("ParentCommandLine", Verbatim, SYSMON),
            f("Process_CommandLine", Verbatim, TIMELINE),
            f("process.parent.command_line", Verbatim, ECS),
        ],
    ),
    (Target::ActionType, &[f("ActionType", Verbatim, DEFENDER)]),
    (
        Target::EventId,
        &[
            f("EventID", Verbatim, "Windows events"),
            f("EventId", Verbatim, "Windows events"),
            f("event.code", Verbatim, ECS),
            f("event_id", Verbatim, "winlogbeat"),
            f("EventCode", Verbatim, SPLUNK),
        ],
    ),
    (
        Target::NewProcessId,
        &[f("NewProcessId", Verbatim, SEC4688)],
    ),
    (
        Target::CreatorProcessId,
        &[f("ProcessId", Verbatim, SEC4688)],
    ),
];

/// `OriginalFileName` (the image's version resource: its name as built)
/// sources, first found wins. Read by hardened mode only (renamed binaries,
/// [`crate::hardened::original_file_name`]), so not a rule column.
pub const ORIGINAL_FILE_NAME: [SourceField; 3] = [
    f("OriginalFileName", Verbatim, SYSMON),
    f("ProcessVersionInfoOriginalFileName", Verbatim, DEFENDER),
    f("process.pe.original_file_name", Verbatim, ECS),
];

/// The columns a file must have (one source each) for the rule to run.
pub const REQUIRED: [Target; 4] = [
    Target::Timestamp,
    Target::FileName,
    Target::ProcessCommandLine,
    Target::InitiatingProcessFileName,
];

/// Normalise a field name for matching: trim, drop a UTF-8 BOM and a
/// ` [UTC]` / ` [Local Time]` suffix (as the Defender portal writes them).
///
/// ```
/// use cmdhunt_core::mapping::normalize_name;
/// assert_eq!(normalize_name("\u{feff}Timestamp [UTC]"), "Timestamp");
/// ```
pub fn normalize_name(name: &str) -> &str {
    let name = name.trim_start_matches('\u{feff}').trim();
    match name.rfind(" [") {
        Some(i) if name.ends_with(']') => name[..i].trim_end(),
        _ => name,
    }
}

/// Where each target's value is, once a set of field names is known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    /// Per target slot: (index of the field among the names, transform, source name).
    slots: [Option<(usize, Transform, &'static str)>; TARGETS],
}

impl Schema {
    /// Resolve field names (a CSV header, say) against [`FIELD_MAP`].
    pub fn resolve<S: AsRef<str>>(names: &[S]) -> Schema {
        let mut slots = [None; TARGETS];
        // Normalised once, not once per source (named formats resolve per record).
        let names: Vec<&str> = names.iter().map(|n| normalize_name(n.as_ref())).collect();
        for (target, sources) in FIELD_MAP.iter() {
            'sources: for source in sources.iter() {
                for (i, name) in names.iter().enumerate() {
                    if name.eq_ignore_ascii_case(source.name) {
                        slots[target.slot()] = Some((i, source.transform, source.name));
                        break 'sources;
                    }
                }
            }
        }
        Schema { slots }
    }

    /// The field index and transform for `target`.
    pub fn get(&self, target: Target) -> Option<(usize, Transform)> {
        self.slots[target.slot()].map(|(i, t, _)| (i, t))
    }

    /// The source field name chosen for `target`.
    pub fn source_name(&self, target: Target) -> Option<&'static str> {
        self.slots[target.slot()].map(|(_, _, n)| n)
    }

    /// [`REQUIRED`] targets with no source among the names.
    ///
    /// A Security 4688 export without `ParentProcessName` (older Windows)
    /// still qualifies when it has `NewProcessId` and `ProcessId`: the parent
    /// is then inferred from earlier events.
    pub fn missing_required(&self) -> Vec<Target> {
        let inferable = self.get(Target::NewProcessId).is_some()
            && self.get(Target::CreatorProcessId).is_some();
        REQUIRED
            .iter()
            .copied()
            .filter(|t| self.get(*t).is_none())
            .filter(|t| !(*t == Target::InitiatingProcessFileName && inferable))
            .collect()
    }

    /// For a header that lacks required columns: each missing column with the
    /// source names that would satisfy it (`FileName (one of: FileName,
    /// NewProcessName, ...)`), joined with `; `. `None` when nothing is missing.
    pub fn missing_required_message(&self) -> Option<String> {
        let missing = self.missing_required();
        if missing.is_empty() {
            return None;
        }
        let wanted: Vec<String> = missing
            .iter()
            .map(|t| {
                let sources = FIELD_MAP
                    .iter()
                    .find(|(target, _)| target == t)
                    .map_or(&[][..], |(_, s)| *s);
                let names: Vec<&str> = sources.iter().map(|s| s.name).collect();
                alloc::format!("{} (one of: {})", t.name(), names.join(", "))
            })
            .collect();
        Some(wanted.join("; "))
    }

    /// The largest field index any target uses (how far a record must be split).
    pub fn max_index(&self, targets: &[Target]) -> Option<usize> {
        targets
            .iter()
            .filter_map(|t| self.get(*t).map(|(i, _)| i))
            .max()
    }
}

/// Does an `ActionType` / `EventID` pair describe a process creation?
///
/// `ActionType` (Defender) must be `ProcessCreated` when present and non-empty;
/// `EventID` must be 1 (Sysmon) or 4688 (Security) when present and non-empty.
/// A record with neither is taken to be one (a `DeviceProcessEvents` export
/// holds nothing else). `Err` carries the label for the summary.
pub fn classify(action_type: Option<&str>, event_id: Option<&str>) -> Result<(), String> {
    if let Some(a) = action_type.map(str::trim).filter(|a| !a.is_empty()) {
        if !a.eq_ignore_ascii_case("ProcessCreated") {
            return Err(alloc::format!("ActionType {a}"));
        }
    }
    if let Some(e) = event_id.map(str::trim).filter(|e| !e.is_empty()) {
        if e != "1" && e != "4688" {
            return Err(alloc::format!("EventID {e}"));
        }
    }
    Ok(())
}

/// Parse a process id as Windows writes it: decimal or `0x` hexadecimal.
pub fn parse_process_id(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

/// [`FIELD_MAP`] as a Markdown table (one row per rule column, its sources
/// in priority order), as the README shows it and `cmdhunt mapping` prints it.
pub fn markdown_table() -> String {
    let mut out =
        String::from("| rule column | source fields, first found wins (transform) |\n|---|---|\n");
    for (target, sources) in FIELD_MAP.iter() {
        let cells: Vec<String> = sources
            .iter()
            .map(|s| match s.transform {
                Transform::Verbatim => alloc::format!("`{}`", s.name),
                Transform::Basename => alloc::format!("`{}` (basename)", s.name),
                Transform::UserPart => alloc::format!("`{}` (user part)", s.name),
            })
            .collect();
        out.push_str(&alloc::format!(
            "| `{}` | {} |\n",
            target.name(),
            cells.join(", ")
        ));
    }
    out
}
