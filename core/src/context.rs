//! The process context of one flagged row: what started it, what it ran,
//! and what else happened on its host around it.
//!
//! Two sources, kept apart on screen:
//!
//! - **the row's own fields** ([`Subject`]): its parent's name and command
//!   line (`ParentImage`, `InitiatingProcessFileName`, ...) and, in Defender
//!   exports, its grandparent (`InitiatingProcessParentFileName` and id);
//! - **a second pass over the same file** ([`ContextScan`], a [`RecordSink`]
//!   fed by the decoders through [`Feed`]), which links process creations by
//!   their process ids on the same host: the chain of ancestors up to
//!   [`MAX_DEPTH`] levels, the children of the row's process, and every other
//!   event of the host within [`NEARBY_SECONDS`] of the row's time.
//!
//! Process ids are reused. A parent is the creation of the parent id on the
//! same host that is the **latest before** its child (by time, then by
//! record); a child is a creation whose parent id is the row's process id,
//! after the row and before that id is created again on the host. Where the
//! events also carry an identity pids do not repeat ([`OWN_IDENTITY_FIELDS`]:
//! Sysmon's `ProcessGuid`, Defender's process creation time), a parent's
//! identity must be the one its child names ([`PARENT_IDENTITY_FIELDS`]), so
//! an older process that had the same pid is never taken for the parent.
//!
//! Memory is bounded whatever the file's size: at most [`KEPT_PER_PID`]
//! creations before the row per process id, [`MAX_TRACKED_PIDS`] ids,
//! [`MAX_CHILDREN`] children and [`MAX_NEARBY`] nearby events (the closest in
//! time) are kept, each text at most [`MAX_TEXT`] bytes; what is cut is
//! counted ([`ProcessContext`]).
//!
//! ```
//! use cmdhunt_core::context::{ContextScan, Subject};
//! use cmdhunt_core::{matcher::CompiledRule, scan::FileScan};
//!
//! let csv = "Timestamp,DeviceName,FileName,ProcessCommandLine,InitiatingProcessFileName,ProcessId,InitiatingProcessId\n\
//!            2024-05-01T10:00:00Z,ws1,winword.exe,winword.exe doc.docx,explorer.exe,40,4\n\
//!            2024-05-01T10:00:05Z,ws1,cmd.exe,cmd /c reg add HKCU\\x,winword.exe,44,40\n\
//!            2024-05-01T10:00:06Z,ws1,reg.exe,reg add HKCU\\x,cmd.exe,48,44\n";
//! let rule = CompiledRule::new();
//! let mut scan = FileScan::new(&rule, 0, "x.csv", None);
//! scan.push(csv.as_bytes());
//! let (_, rows) = scan.finish();
//!
//! let mut context = ContextScan::new(Subject::of(&rows[0]), None);
//! context.push(csv.as_bytes());
//! let context = context.finish();
//! assert_eq!(context.chain[0].file_name, "winword.exe");
//! assert_eq!(context.children[0].command_line, "reg add HKCU\\x");
//! assert_eq!(context.nearby.len(), 2);
//! ```

use alloc::collections::{BTreeMap, BinaryHeap};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::event::{basename, Position, ProcessEvent, Record, RecordClass, RecordSink, Skip};
use crate::feed::Feed;
use crate::format::{DecodeError, Format};
use crate::mapping::parse_process_id;
use crate::scan::FlaggedRow;
use crate::time::{Timestamp, TICKS_PER_SEC};

/// Events of the row's host this many seconds before or after it are nearby.
pub const NEARBY_SECONDS: i64 = 300;
/// At most this many nearby events are kept (the closest in time).
pub const MAX_NEARBY: usize = 200;
/// At most this many children are kept (the first ones).
pub const MAX_CHILDREN: usize = 200;
/// The chain of ancestors stops after this many levels.
pub const MAX_DEPTH: usize = 8;
/// Creations kept per process id before the row (the latest ones).
pub const KEPT_PER_PID: usize = 4;
/// Process ids tracked for the chain; creations of further ids are counted.
pub const MAX_TRACKED_PIDS: usize = 65_536;
/// Bytes kept of one text (a command line, an event's details).
pub const MAX_TEXT: usize = 8192;

/// Fields giving a process creation's own id, first found wins. Security
/// 4688's `NewProcessId` comes first: there `ProcessId` is the creator.
pub const OWN_ID_FIELDS: [&str; 4] = [
    "NewProcessId",
    "ProcessId",
    "CreatedProcessId",
    "process.pid",
];
/// Fields giving the parent's id (Sysmon, Defender, ECS), first found wins;
/// in a record with `NewProcessId` (Security 4688) it is `ProcessId`.
pub const PARENT_ID_FIELDS: [&str; 3] = [
    "ParentProcessId",
    "InitiatingProcessId",
    "process.parent.pid",
];
/// Defender: the grandparent's id.
pub const GRANDPARENT_ID_FIELDS: [&str; 2] = [
    "InitiatingProcessParentId",
    "InitiatingProcessParentProcessId",
];
/// Defender: the grandparent's image name (basename taken).
pub const GRANDPARENT_NAME_FIELDS: [&str; 2] = [
    "InitiatingProcessParentFileName",
    "InitiatingProcessParentProcessName",
];
/// Fields giving a process's identity, which pids do not repeat: Sysmon's
/// GUID, Defender's creation time (first found wins).
pub const OWN_IDENTITY_FIELDS: [&str; 3] = [
    "ProcessGuid",
    "ProcessCreationTime",
    "CreatedProcessCreationTime",
];
/// Fields giving the parent's identity as its child names it.
pub const PARENT_IDENTITY_FIELDS: [&str; 2] =
    ["ParentProcessGuid", "InitiatingProcessCreationTime"];

/// Fields naming the process an event is about (basename taken).
pub const IMAGE_FIELDS: [&str; 4] = [
    "Image",
    "InitiatingProcessFileName",
    "NewProcessName",
    "Application",
];
/// Fields that say what a non-process event did, in this order (`name=value`).
pub const DETAIL_FIELDS: [&str; 18] = [
    "TargetFilename",
    "TargetObject",
    "Details",
    "DestinationIp",
    "DestinationPort",
    "DestinationHostname",
    "QueryName",
    "ImageLoaded",
    "TargetImage",
    "PipeName",
    "FolderPath",
    "RemoteIP",
    "RemotePort",
    "RemoteUrl",
    "RegistryKey",
    "RegistryValueData",
    "TaskName",
    "TargetUserName",
];

/// The value of `name` in `fields`: the exact name first, then ignoring
/// ASCII case (Sysmon's `ProcessId` is not the `ProcessID` of `System`).
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .or_else(|| fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .map(|(_, v)| v.as_str())
}

/// The first of `names` present with a non-empty value.
fn first<'a>(fields: &'a [(String, String)], names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .filter_map(|n| field(fields, n))
        .find(|v| !v.trim().is_empty())
}

/// A process creation's own id and its parent's, from its fields.
pub fn process_ids(fields: &[(String, String)]) -> (Option<u64>, Option<u64>) {
    let id = |v: Option<&str>| v.and_then(parse_process_id);
    if let Some(own) = field(fields, "NewProcessId") {
        return (parse_process_id(own), id(field(fields, "ProcessId")));
    }
    (
        id(first(fields, &OWN_ID_FIELDS)),
        id(first(fields, &PARENT_ID_FIELDS)),
    )
}

/// An identity as compared: a time (any form) as RFC 3339, else the text
/// trimmed and lowercased (a GUID).
fn identity(text: &str) -> String {
    let t = text.trim();
    match Timestamp::parse(t) {
        Some(time) => format!("{time}"),
        None => t.to_lowercase(),
    }
}

/// A process creation's own identity and its parent's, from its fields
/// ([`OWN_IDENTITY_FIELDS`], [`PARENT_IDENTITY_FIELDS`]).
pub fn identities(fields: &[(String, String)]) -> (Option<String>, Option<String>) {
    (
        first(fields, &OWN_IDENTITY_FIELDS).map(identity),
        first(fields, &PARENT_IDENTITY_FIELDS).map(identity),
    )
}

/// Whether a process of identity `own` can be the one a child names as
/// `wanted` (either unknown: yes).
pub fn same_identity(wanted: Option<&str>, own: Option<&str>) -> bool {
    match (wanted, own) {
        (Some(w), Some(o)) => w == o,
        _ => true,
    }
}

/// At most [`MAX_TEXT`] bytes of `text` (cut on a character boundary, the
/// number of bytes cut said at the end).
pub fn clip(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.into();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} … ({} bytes cut)", &text[..end], text.len() - end)
}

/// A process as the row's own fields name it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Relative {
    /// Its image name.
    pub file_name: String,
    /// Its command line (empty when the row does not carry it).
    pub command_line: String,
    /// Its process id, when the row carries it.
    pub pid: Option<u64>,
}

impl Relative {
    /// Whether the row says nothing about this process.
    pub fn is_empty(&self) -> bool {
        self.file_name.is_empty() && self.command_line.is_empty() && self.pid.is_none()
    }
}

/// The row whose context is wanted: what the second pass needs of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Subject {
    /// Where the row is in its file.
    pub position: Position,
    /// `DeviceName`: its host.
    pub host: String,
    /// Its time (without one, nothing is linked by time).
    pub time: Option<Timestamp>,
    /// Its image name (`FileName`).
    pub file_name: String,
    /// Its command line.
    pub command_line: String,
    /// Its process id.
    pub pid: Option<u64>,
    /// Its identity ([`OWN_IDENTITY_FIELDS`]), when the row carries one.
    pub identity: Option<String>,
    /// Its parent's identity ([`PARENT_IDENTITY_FIELDS`]), when the row carries one.
    pub parent_identity: Option<String>,
    /// Its parent, from the row's fields.
    pub parent: Relative,
    /// Its grandparent, from the row's fields (Defender exports carry it).
    pub grandparent: Relative,
}

impl Subject {
    /// The subject of a flagged row (its fields must have been kept).
    pub fn of(row: &FlaggedRow) -> Subject {
        Subject::from_parts(row.position, &row.event, &row.fields)
    }

    /// The subject of the row at `position` with projected `event` and
    /// original `fields`.
    pub fn from_parts(
        position: Position,
        event: &ProcessEvent,
        fields: &[(String, String)],
    ) -> Subject {
        let (pid, parent_pid) = process_ids(fields);
        let (identity, parent_identity) = identities(fields);
        Subject {
            identity,
            parent_identity,
            position,
            host: event.device_name.clone(),
            time: event.timestamp,
            file_name: event.file_name.clone(),
            command_line: event.process_command_line.clone(),
            pid,
            parent: Relative {
                file_name: event.initiating_process_file_name.clone(),
                command_line: event.initiating_process_command_line.clone(),
                pid: parent_pid,
            },
            grandparent: Relative {
                file_name: first(fields, &GRANDPARENT_NAME_FIELDS)
                    .map(|n| basename(n.trim()).into())
                    .unwrap_or_default(),
                command_line: String::new(),
                pid: first(fields, &GRANDPARENT_ID_FIELDS).and_then(parse_process_id),
            },
        }
    }
}

/// A process creation of the file, linked to the row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Process {
    /// Where it is in the file.
    pub position: Position,
    /// When it was created.
    pub time: Timestamp,
    /// Its process id.
    pub pid: Option<u64>,
    /// Its parent's process id.
    pub parent_pid: Option<u64>,
    /// Its identity ([`OWN_IDENTITY_FIELDS`]), when the event carries one.
    pub identity: Option<String>,
    /// Its parent's identity ([`PARENT_IDENTITY_FIELDS`]), when the event carries one.
    pub parent_identity: Option<String>,
    /// Its image name.
    pub file_name: String,
    /// Its command line ([`clip`]ped).
    pub command_line: String,
    /// The account it runs as.
    pub account_name: String,
}

/// Another event of the row's host near the row's time.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Nearby {
    /// Where it is in the file.
    pub position: Position,
    /// When it happened.
    pub time: Timestamp,
    /// Milliseconds after the row (negative: before).
    pub offset_ms: i64,
    /// `process creation`, or the summary's label (`Sysmon event 11`).
    pub kind: String,
    /// The process it is about (its image name).
    pub image: String,
    /// A process creation's command line; else the [`DETAIL_FIELDS`] it has, `name=value; ...`.
    pub detail: String,
}

/// Why the chain of ancestors stops where it does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ChainEnd {
    /// The row (or the last ancestor found) carries no parent process id.
    NoParentId,
    /// The row has no time: nothing can be said to precede it.
    NoTime,
    /// No creation of this parent id on the host precedes its child in the file.
    NotFound {
        /// The parent id looked for.
        pid: u64,
        /// Whether creations were not kept (ids over [`MAX_TRACKED_PIDS`],
        /// or older creations of this id over [`KEPT_PER_PID`]), so the
        /// parent may be in the file after all.
        incomplete: bool,
    },
    /// Creations of this parent id precede the child, but none has the
    /// identity the child names: the parent started before the file begins
    /// (or is not in it), and those were other processes with the same pid.
    OtherIdentity {
        /// The parent id looked for.
        pid: u64,
    },
    /// [`MAX_DEPTH`] levels were found.
    Depth,
}

impl ChainEnd {
    /// The reason in words.
    pub fn describe(&self) -> String {
        match self {
            ChainEnd::NoParentId => "no parent process id to follow".into(),
            ChainEnd::NoTime => "the row has no time, so no creation can be said to precede it".into(),
            ChainEnd::NotFound { pid, incomplete: false } => {
                format!("process {pid} is not created on this host before its child in this file")
            }
            ChainEnd::NotFound { pid, incomplete: true } => format!(
                "process {pid} is not among the creations kept (some were not kept: the file has too many)"
            ),
            ChainEnd::OtherIdentity { pid } => format!(
                "process {pid} is created earlier in this file only as other processes (not the identity its child names)"
            ),
            ChainEnd::Depth => format!("stopped after {MAX_DEPTH} levels"),
        }
    }
}

/// The row's context, as far as the file tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProcessContext {
    /// The row.
    pub subject: Subject,
    /// Its ancestors linked by process id: parent first.
    pub chain: Vec<Process>,
    /// Why the chain stops.
    pub chain_end: ChainEnd,
    /// The processes it created, in time order (at most [`MAX_CHILDREN`]).
    pub children: Vec<Process>,
    /// Children not kept.
    pub children_cut: u64,
    /// Other events of its host within [`NEARBY_SECONDS`], in time order
    /// (at most [`MAX_NEARBY`], the closest).
    pub nearby: Vec<Nearby>,
    /// Nearby events not kept (the farthest).
    pub nearby_cut: u64,
    /// Records read in the second pass.
    pub records: u64,
    /// Records of the row's host.
    pub host_records: u64,
    /// Records of the host without a time (never linked or nearby).
    pub untimed: u64,
    /// Whether the second pass met the row itself (at its record number,
    /// with its host): false means the file is not the one scanned.
    pub found: bool,
    /// The error that stopped the second pass, if any (what was read before counts).
    pub error: Option<DecodeError>,
}

impl ProcessContext {
    /// The parent: the row's own fields, else the first link of the chain.
    pub fn parent(&self) -> Relative {
        from_fields_or_chain(&self.subject.parent, self.chain.first())
    }

    /// The grandparent: the row's own fields (Defender), else the second
    /// link of the chain.
    pub fn grandparent(&self) -> Relative {
        from_fields_or_chain(&self.subject.grandparent, self.chain.get(1))
    }
}

fn from_fields_or_chain(own: &Relative, link: Option<&Process>) -> Relative {
    if !own.file_name.is_empty() {
        return own.clone();
    }
    match link {
        Some(p) => Relative {
            file_name: p.file_name.clone(),
            command_line: p.command_line.clone(),
            pid: p.pid,
        },
        None => own.clone(),
    }
}

/// Time first, then the record number: what "before" means here.
type Key = (Timestamp, u64);

/// The second pass's sink.
struct Collector {
    subject: Subject,
    host: String,
    key: Option<Key>,
    /// pid → its latest [`KEPT_PER_PID`] creations before the row (oldest first),
    /// and whether older ones were dropped.
    before: BTreeMap<u64, (Vec<(Key, Process)>, bool)>,
    untracked: u64,
    /// Children kept (the first [`MAX_CHILDREN`] by key), and the keys of all.
    children: BTreeMap<Key, Process>,
    child_keys: Vec<Key>,
    /// The first re-creation of the row's pid after the row.
    reused_at: Option<Key>,
    /// The closest nearby events: a max-heap on distance.
    nearby: BinaryHeap<(u64, Key, NearbyEntry)>,
    nearby_total: u64,
    records: u64,
    host_records: u64,
    untimed: u64,
    found: bool,
}

/// A nearby event in the heap (ordered by its position only, never compared otherwise).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct NearbyEntry(u64, NearbyBody);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct NearbyBody {
    kind: String,
    image: String,
    detail: String,
    byte: u64,
    line: u64,
}

impl Collector {
    fn new(subject: Subject) -> Self {
        Collector {
            host: subject.host.to_lowercase(),
            key: subject.time.map(|t| (t, subject.position.record)),
            subject,
            before: BTreeMap::new(),
            untracked: 0,
            children: BTreeMap::new(),
            child_keys: Vec::new(),
            reused_at: None,
            nearby: BinaryHeap::new(),
            nearby_total: 0,
            records: 0,
            host_records: 0,
            untimed: 0,
            found: false,
        }
    }

    fn process(
        &mut self,
        key: Key,
        position: Position,
        event: &ProcessEvent,
        fields: &[(String, String)],
    ) {
        let Some(row) = self.key else { return };
        let (pid, parent_pid) = process_ids(fields);
        let (identity, parent_identity) = identities(fields);
        let child = parent_pid.is_some()
            && parent_pid == self.subject.pid
            && same_identity(parent_identity.as_deref(), self.subject.identity.as_deref());
        let process = || Process {
            position,
            time: key.0,
            pid,
            parent_pid,
            identity: identity.clone(),
            parent_identity: parent_identity.clone(),
            file_name: event.file_name.clone(),
            command_line: clip(&event.process_command_line),
            account_name: event.account_name.clone(),
        };
        if key < row {
            if let Some(pid) = pid {
                self.remember(pid, key, process());
            }
            return;
        }
        if pid.is_some() && pid == self.subject.pid {
            self.reused_at = Some(self.reused_at.map_or(key, |k| k.min(key)));
        }
        if child {
            self.child_keys.push(key);
            self.children.insert(key, process());
            if self.children.len() > MAX_CHILDREN {
                self.children.pop_last();
            }
        }
    }

    fn remember(&mut self, pid: u64, key: Key, process: Process) {
        if !self.before.contains_key(&pid) && self.before.len() >= MAX_TRACKED_PIDS {
            self.untracked += 1;
            return;
        }
        let (kept, dropped) = self.before.entry(pid).or_default();
        let at = kept.partition_point(|(k, _)| *k < key);
        kept.insert(at, (key, process));
        if kept.len() > KEPT_PER_PID {
            kept.remove(0);
            *dropped = true;
        }
    }

    fn near(&mut self, key: Key, position: Position, kind: String, image: String, detail: String) {
        let Some(row) = self.key else { return };
        let ticks = key.0 .0 - row.0 .0;
        if ticks.unsigned_abs() > (NEARBY_SECONDS * TICKS_PER_SEC) as u64 {
            return;
        }
        self.nearby_total += 1;
        let body = NearbyBody {
            kind,
            image,
            detail: clip(&detail),
            byte: position.byte,
            line: position.line,
        };
        self.nearby.push((
            ticks.unsigned_abs(),
            key,
            NearbyEntry(position.record, body),
        ));
        if self.nearby.len() > MAX_NEARBY {
            self.nearby.pop();
        }
    }

    fn finish(self, error: Option<DecodeError>) -> ProcessContext {
        let (chain, chain_end) = self.chain();
        let cutoff = self.reused_at;
        let before_cutoff = |k: &Key| cutoff.is_none_or(|c| *k < c);
        let children: Vec<Process> = self
            .children
            .iter()
            .filter(|(k, _)| before_cutoff(k))
            .map(|(_, p)| p.clone())
            .collect();
        let all_children = self.child_keys.iter().filter(|k| before_cutoff(k)).count() as u64;
        let row_ticks = self.key.map_or(0, |k| k.0 .0);
        let mut nearby: Vec<(Key, Nearby)> = self
            .nearby
            .into_iter()
            .map(|(_, key, NearbyEntry(record, b))| {
                (
                    key,
                    Nearby {
                        position: Position {
                            byte: b.byte,
                            line: b.line,
                            record,
                        },
                        time: key.0,
                        offset_ms: (key.0 .0 - row_ticks) / (TICKS_PER_SEC / 1000),
                        kind: b.kind,
                        image: b.image,
                        detail: b.detail,
                    },
                )
            })
            .collect();
        nearby.sort_by_key(|(k, _)| *k);
        ProcessContext {
            chain,
            chain_end,
            children_cut: all_children - children.len() as u64,
            children,
            nearby_cut: self.nearby_total - nearby.len() as u64,
            nearby: nearby.into_iter().map(|(_, n)| n).collect(),
            records: self.records,
            host_records: self.host_records,
            untimed: self.untimed,
            found: self.found,
            error,
            subject: self.subject,
        }
    }

    /// Follow parent ids from the row: each parent the latest creation of
    /// its id before its child.
    fn chain(&self) -> (Vec<Process>, ChainEnd) {
        let mut chain = Vec::new();
        let Some(mut before) = self.key else {
            return (chain, ChainEnd::NoTime);
        };
        let mut pid = self.subject.parent.pid;
        let mut wanted = self.subject.parent_identity.clone();
        loop {
            let Some(p) = pid else {
                return (chain, ChainEnd::NoParentId);
            };
            let found = self.before.get(&p).map(|(kept, dropped)| {
                kept.iter()
                    .rev()
                    .find(|(k, c)| {
                        *k < before && same_identity(wanted.as_deref(), c.identity.as_deref())
                    })
                    .ok_or(*dropped)
            });
            match found {
                Some(Ok((key, process))) => {
                    chain.push(process.clone());
                    if chain.len() == MAX_DEPTH {
                        return (chain, ChainEnd::Depth);
                    }
                    before = *key;
                    pid = process.parent_pid;
                    wanted = process.parent_identity.clone();
                }
                Some(Err(dropped)) => {
                    let kept = &self.before[&p].0;
                    if !dropped && kept.iter().any(|(k, _)| *k < before) {
                        return (chain, ChainEnd::OtherIdentity { pid: p });
                    }
                    let incomplete = dropped || self.untracked > 0;
                    return (chain, ChainEnd::NotFound { pid: p, incomplete });
                }
                None => {
                    let incomplete = self.untracked > 0;
                    return (chain, ChainEnd::NotFound { pid: p, incomplete });
                }
            }
        }
    }
}

impl RecordSink for Collector {
    fn record(&mut self, record: &dyn Record) {
        self.records += 1;
        let position = record.position();
        let event = record.event();
        if event.device_name.to_lowercase() != self.host {
            return;
        }
        self.host_records += 1;
        let class = record.class();
        if position.record == self.subject.position.record {
            self.found = class == RecordClass::ProcessCreation;
            return;
        }
        let time = match &class {
            RecordClass::ProcessCreation => event.timestamp,
            RecordClass::Other(_) => record.timestamp().ok().flatten(),
        };
        let Some(time) = time else {
            self.untimed += 1;
            return;
        };
        let key = (time, position.record);
        let near = self.key.is_some_and(|row| {
            (time.0 - row.0 .0).unsigned_abs() <= (NEARBY_SECONDS * TICKS_PER_SEC) as u64
        });
        match class {
            RecordClass::ProcessCreation => {
                self.process(key, position, &event, &record.fields());
                if !near {
                    return;
                }
                let kind = String::from("process creation");
                let detail = event.process_command_line.clone();
                self.near(key, position, kind, event.file_name.clone(), detail);
            }
            RecordClass::Other(label) => {
                if !near {
                    return;
                }
                let fields = record.fields();
                let image = first(&fields, &IMAGE_FIELDS)
                    .map(|i| String::from(basename(i.trim())))
                    .unwrap_or_default();
                let detail: Vec<String> = DETAIL_FIELDS
                    .iter()
                    .filter_map(|n| {
                        field(&fields, n)
                            .filter(|v| !v.is_empty())
                            .map(|v| format!("{n}={v}"))
                    })
                    .collect();
                self.near(key, position, label, image, detail.join("; "));
            }
        }
    }

    fn skip(&mut self, _: Skip) {
        self.records += 1;
    }
}

/// The second pass for one row: feed it the row's file, chunk by chunk.
pub struct ContextScan {
    feed: Feed,
    collector: Collector,
}

impl ContextScan {
    /// The context of `subject`, read from its file in `format` (or
    /// recognised from the content: `None`).
    pub fn new(subject: Subject, format: Option<Format>) -> Self {
        ContextScan {
            feed: Feed::new(format),
            collector: Collector::new(subject),
        }
    }

    /// The next bytes of the file.
    pub fn push(&mut self, chunk: &[u8]) {
        self.feed.push(chunk, &mut self.collector);
    }

    /// End of the file: the context.
    pub fn finish(mut self) -> ProcessContext {
        let error = self.feed.finish(&mut self.collector);
        self.collector.finish(error)
    }
}
