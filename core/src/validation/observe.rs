//! Watching every record of a file for the validation signals: process
//! creations, Sysmon 3 network connections and Security 4698 / 4720 / 4732,
//! the last three decoded into a few named fields ([`OtherEvent`]).
//!
//! This is a [`RecordSink`] of its own, fed by the same decoders as the
//! scan ([`SignalScan`] drives them like [`crate::scan::FileScan`]): the
//! rule's results never see these events, which the scan still counts as
//! other events.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::event::{basename, Position, ProcessEvent, Record, RecordClass, RecordSink, Skip};
use crate::format::winevent::{self, SECURITY_PROVIDER, SYSMON_PROVIDER};
use crate::format::{sniff, Decoder, Format, SNIFF_BYTES};

/// Sysmon's network-connection event id.
pub const SYSMON_NETWORK_CONNECTION: &str = "3";
/// Security: a scheduled task was created.
pub const SECURITY_TASK_CREATED: &str = "4698";
/// Security: a user account was created.
pub const SECURITY_USER_CREATED: &str = "4720";
/// Security: a member was added to a security-enabled local group.
pub const SECURITY_LOCAL_GROUP_MEMBER_ADDED: &str = "4732";

/// A non-process event the validation looks at, with its named fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtherEvent {
    /// Sysmon 3: a network connection.
    NetworkConnection {
        /// `Image`'s basename: the process that connected.
        image: String,
        /// `DestinationIp`
        destination_ip: String,
        /// `DestinationPort`
        destination_port: String,
    },
    /// Security 4698: a scheduled task was created.
    TaskCreated {
        /// `TaskName` (`\Folder\Name`).
        task_name: String,
        /// `SubjectUserName`: who created it.
        subject_user: String,
    },
    /// Security 4720: a user account was created.
    UserCreated {
        /// `TargetUserName`: the new account.
        target_user: String,
        /// `SubjectUserName`: who created it.
        subject_user: String,
    },
    /// Security 4732: a member was added to a security-enabled local group.
    LocalGroupMemberAdded {
        /// `TargetUserName`: the group.
        group: String,
        /// `MemberSid`
        member_sid: String,
        /// `MemberName` (`-` for local accounts).
        member_name: String,
    },
}

/// The value of the field `name`: matched case-insensitively against a
/// field's name or the last `.`-separated part of it (`winlog.event_data.TaskName`).
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| {
            let last = k.rsplit('.').next().unwrap_or(k);
            last.eq_ignore_ascii_case(name)
        })
        .map_or("", |(_, v)| v.as_str())
}

impl OtherEvent {
    /// Decode a record of class `Other(label)` when it is one of the four
    /// kinds, by the label the one Windows-event classifier gives
    /// ([`winevent::classify`]).
    pub fn decode(label: &str, record: &dyn Record) -> Option<OtherEvent> {
        let is = |provider: &str, id: &str| {
            winevent::classify(Some(provider), Some(id)) == RecordClass::Other(label.into())
        };
        let kind = if is(SYSMON_PROVIDER, SYSMON_NETWORK_CONNECTION) {
            0
        } else if is(SECURITY_PROVIDER, SECURITY_TASK_CREATED) {
            1
        } else if is(SECURITY_PROVIDER, SECURITY_USER_CREATED) {
            2
        } else if is(SECURITY_PROVIDER, SECURITY_LOCAL_GROUP_MEMBER_ADDED) {
            3
        } else {
            return None;
        };
        let fields = record.fields();
        let get = |name: &str| String::from(field(&fields, name).trim());
        Some(match kind {
            0 => OtherEvent::NetworkConnection {
                image: basename(&get("Image")).into(),
                destination_ip: get("DestinationIp"),
                destination_port: get("DestinationPort"),
            },
            1 => OtherEvent::TaskCreated {
                task_name: get("TaskName"),
                subject_user: get("SubjectUserName"),
            },
            2 => OtherEvent::UserCreated {
                target_user: get("TargetUserName"),
                subject_user: get("SubjectUserName"),
            },
            _ => OtherEvent::LocalGroupMemberAdded {
                group: get("TargetUserName"),
                member_sid: get("MemberSid"),
                member_name: get("MemberName"),
            },
        })
    }
}

/// What a [`SignalScan`] hands its observer.
pub trait Observer {
    /// A process creation (its projected columns; the parent as read).
    fn process(&mut self, position: Position, event: &ProcessEvent);
    /// One of the four other kinds of event.
    fn other(&mut self, position: Position, event: &OtherEvent);
}

/// The sink: process creations and the four kinds to the observer; every
/// other record and skip ignored (the scan accounts for them).
struct Watch<'o> {
    observer: &'o mut dyn Observer,
}

impl RecordSink for Watch<'_> {
    fn record(&mut self, record: &dyn Record) {
        match record.class() {
            RecordClass::ProcessCreation => {
                self.observer.process(record.position(), &record.event());
            }
            RecordClass::Other(label) => {
                if let Some(e) = OtherEvent::decode(&label, record) {
                    self.observer.other(record.position(), &e);
                }
            }
        }
    }

    fn skip(&mut self, _: Skip) {}
}

/// Feeds one file's bytes, chunk by chunk, through its format's decoder to
/// an [`Observer`] (any chunking gives the same calls). Decoding errors end
/// the observation quietly: the scan beside it reports them.
pub struct SignalScan {
    decoder: Option<Box<dyn Decoder>>,
    head: Vec<u8>,
    failed: bool,
}

impl SignalScan {
    /// A scan of a file in `format`, or recognised from its content (`None`).
    pub fn new(format: Option<Format>) -> Self {
        SignalScan {
            decoder: format.map(Format::decoder),
            head: Vec::new(),
            failed: false,
        }
    }

    /// The next bytes of the file.
    pub fn push(&mut self, chunk: &[u8], observer: &mut dyn Observer) {
        if self.failed {
            return;
        }
        if self.decoder.is_none() {
            self.head.extend_from_slice(chunk);
            if self.head.len() >= SNIFF_BYTES {
                self.start(observer);
            }
            return;
        }
        self.run(observer, |d, sink| d.push(chunk, sink));
    }

    /// End of the file.
    pub fn finish(mut self, observer: &mut dyn Observer) {
        if self.decoder.is_none() && !self.failed {
            self.start(observer);
        }
        self.run(observer, |d, sink| d.finish(sink));
    }

    fn start(&mut self, observer: &mut dyn Observer) {
        let head = core::mem::take(&mut self.head);
        match sniff(&head) {
            Some(format) => {
                self.decoder = Some(format.decoder());
                self.run(observer, |d, sink| d.push(&head, sink));
            }
            None => self.failed = true,
        }
    }

    fn run(
        &mut self,
        observer: &mut dyn Observer,
        step: impl FnOnce(
            &mut dyn Decoder,
            &mut dyn RecordSink,
        ) -> Result<(), crate::format::DecodeError>,
    ) {
        if self.failed {
            return;
        }
        let Some(decoder) = self.decoder.as_deref_mut() else {
            return;
        };
        if step(decoder, &mut Watch { observer }).is_err() {
            self.failed = true;
        }
    }
}
