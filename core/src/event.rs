//! What decoders hand to the rule: records, positions and skips.
//!
//! A decoder turns bytes into [`Record`]s. A record is lazy: the scanner asks
//! for the cheap parts first (its [`RecordClass`], its timestamp, its
//! `FileName`) and only materialises the whole [`ProcessEvent`] and every
//! original field when the event is `cmd.exe`, so most records cost little.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::format::DecodeErrorKind;
use crate::mapping::Target;
use crate::time::Timestamp;

/// Where a record (or an error) sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Position {
    /// Byte offset of the record's first byte in the (original, undecoded) file.
    pub byte: u64,
    /// 1-based line of the record's first byte, for text formats (0 when unknown).
    pub line: u64,
    /// 1-based record number in the file (the header row is not a record).
    pub record: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}", self.record)?;
        if self.line > 0 {
            write!(f, ", line {}", self.line)?;
        }
        write!(f, ", byte {}", self.byte)
    }
}

/// Is a record a process creation (what `DeviceProcessEvents` holds)?
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordClass {
    /// A process-creation event: Defender `ProcessCreated`, Sysmon 1, Security 4688.
    ProcessCreation,
    /// Any other event, with a short label for the summary (`ActionType FileCreated`,
    /// `Sysmon event 3`). Counted, never matched.
    Other(String),
}

/// The rule's input columns for one process-creation event.
///
/// Strings are empty, never absent, as in Kusto (a missing string column
/// projects as `""`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProcessEvent {
    /// `Timestamp` (`None`: missing or unreadable; never inside a time window).
    pub timestamp: Option<Timestamp>,
    /// `DeviceName`
    pub device_name: String,
    /// `AccountName`
    pub account_name: String,
    /// `FileName`: the image name of the new process.
    pub file_name: String,
    /// `ProcessCommandLine`
    pub process_command_line: String,
    /// `InitiatingProcessFileName`: the parent's image name.
    pub initiating_process_file_name: String,
    /// `InitiatingProcessCommandLine`
    pub initiating_process_command_line: String,
    /// True when `InitiatingProcessFileName` was inferred from an earlier event
    /// rather than read from this record.
    pub parent_inferred: bool,
}

impl ProcessEvent {
    /// The rule columns an event is projected from besides its time: the
    /// ones [`ProcessEvent::from_columns`] reads.
    pub const COLUMNS: &'static [Target] = Target::ALL.split_at(7).0.split_at(1).1;

    /// The projected columns of a record whose `value` gives the text of
    /// each rule column (after field mapping); the parent is as read, not
    /// inferred. The one place the decoders' records build their event.
    pub fn from_columns(
        timestamp: Option<Timestamp>,
        mut value: impl FnMut(Target) -> String,
    ) -> Self {
        ProcessEvent {
            timestamp,
            device_name: value(Target::DeviceName),
            account_name: value(Target::AccountName),
            file_name: value(Target::FileName),
            process_command_line: value(Target::ProcessCommandLine),
            initiating_process_file_name: value(Target::InitiatingProcessFileName),
            initiating_process_command_line: value(Target::InitiatingProcessCommandLine),
            parent_inferred: false,
        }
    }
}

/// A record's rule columns, mapped through [`crate::mapping`]: the one
/// thing a decoder's record must say about them. The provided methods build
/// the time, the whole event and the process ids from the columns the same
/// way for every format; a [`Record`] implementation calls them.
pub trait Columns {
    /// The mapped value of `target` (empty when the record has no source for it).
    fn column(&self, target: Target) -> Cow<'_, str>;
    /// Whether the record has a source field for `target`.
    fn has_column(&self, target: Target) -> bool;

    /// `Timestamp`, read as a time field is ([`Timestamp::from_field`]).
    fn column_timestamp(&self) -> Result<Option<Timestamp>, String> {
        Timestamp::from_field(&self.column(Target::Timestamp))
    }

    /// The projected event ([`ProcessEvent::from_columns`]; an unreadable
    /// time is none).
    fn column_event(&self) -> ProcessEvent {
        ProcessEvent::from_columns(self.column_timestamp().ok().flatten(), |t| {
            self.column(t).into_owned()
        })
    }

    /// The Security 4688 parent-inference keys, when the record has a
    /// `NewProcessId` field and both ids parse
    /// ([`crate::mapping::parse_process_id`]).
    fn column_process_ids(&self) -> Option<ProcessIds> {
        if !self.has_column(Target::NewProcessId) {
            return None;
        }
        let id = |t| crate::mapping::parse_process_id(&self.column(t));
        Some(ProcessIds {
            computer: self.column(Target::DeviceName).into_owned(),
            new_process_id: id(Target::NewProcessId)?,
            parent_process_id: id(Target::CreatorProcessId)?,
            new_process_file_name: self.column(Target::FileName).into_owned(),
            has_parent_name: !self.column(Target::InitiatingProcessFileName).is_empty(),
        })
    }
}

/// One record as a decoder sees it. Every method is cheap to call once.
pub trait Record {
    /// Where the record starts.
    fn position(&self) -> Position;
    /// Whether this record is a process creation.
    fn class(&self) -> RecordClass;
    /// The record's time: `Ok(None)` when it has none, `Err(text)` when its
    /// time field holds text that is no timestamp.
    fn timestamp(&self) -> Result<Option<Timestamp>, String>;
    /// `FileName`, the basename of the new process's image.
    fn file_name(&self) -> Cow<'_, str>;
    /// The whole projected event.
    fn event(&self) -> ProcessEvent;
    /// Every original field of the record, `(name, value)` in source order, for
    /// an analyst who wants to see the evidence.
    fn fields(&self) -> Vec<(String, String)>;
    /// Parent-inference keys (computer, new process id, parent process id) for
    /// Security 4688 events, when the record carries them.
    fn process_ids(&self) -> Option<ProcessIds> {
        None
    }
    /// `ProcessCommandLine` and `InitiatingProcessFileName` alone, when the
    /// record gives them more cheaply than [`Record::event`] (which then runs
    /// for flagged events only). They must equal those fields of `event()`.
    fn rule_inputs(&self) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
        None
    }
}

/// Process identifiers of a Security 4688 event, used to infer a missing parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessIds {
    /// `Computer`
    pub computer: String,
    /// `NewProcessId` (hex ids such as `0x1610` are parsed).
    pub new_process_id: u64,
    /// `ProcessId`: the creator's id.
    pub parent_process_id: u64,
    /// `NewProcessName` basename, to remember for children.
    pub new_process_file_name: String,
    /// Whether the record had a `ParentProcessName` of its own.
    pub has_parent_name: bool,
}

/// Why a record was not analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Skip {
    /// What kind of failure lost the record.
    pub kind: DecodeErrorKind,
    /// Where the record was.
    pub position: Position,
    /// Why it was skipped, in words (`"record is 70 MiB, over the 64 MiB cap"`).
    pub reason: String,
}

impl Skip {
    /// A record at `position` lost to a failure of `kind`, said in `reason`.
    pub fn new(kind: DecodeErrorKind, position: Position, reason: impl Into<String>) -> Self {
        Self {
            kind,
            position,
            reason: reason.into(),
        }
    }
}

/// Receives what a decoder finds.
pub trait RecordSink {
    /// A record that can be analysed.
    fn record(&mut self, record: &dyn Record);
    /// A record that cannot be analysed, and why.
    fn skip(&mut self, skip: Skip);
}

/// The basename of a Windows or POSIX path: `C:\Windows\System32\cmd.exe` → `cmd.exe`.
///
/// ```
/// use cmdhunt_core::event::basename;
/// assert_eq!(basename(r"\Device\HarddiskVolume3\Windows\System32\cmd.exe"), "cmd.exe");
/// assert_eq!(basename("cmd.exe"), "cmd.exe");
/// ```
pub fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_columns_reads_exactly_its_columns() {
        let mut read = Vec::new();
        ProcessEvent::from_columns(None, |t| {
            read.push(t);
            String::new()
        });
        assert_eq!(read, ProcessEvent::COLUMNS);
    }
}
