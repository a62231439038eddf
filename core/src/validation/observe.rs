//! Watching every record of a file for the validation signals: process
//! creations, Sysmon 3 network connections and Security 4698 / 4720 / 4732,
//! the last four decoded into a few named fields ([`OtherEvent`]). Defender
//! exports hold the same facts as `ActionType`s (`ConnectionSuccess`,
//! `ConnectionFailed`, `ConnectionAttempt`, `ScheduledTaskCreated`,
//! `UserAccountCreated`, `UserAccountAddedToLocalGroup`), decoded the same way.
//!
//! This is a [`RecordSink`] of its own, fed by the same decoders as the
//! scan ([`SignalScan`] drives them like [`crate::scan::FileScan`]): the
//! rule's results never see these events, which the scan still counts as
//! other events.

use alloc::string::String;
use alloc::string::ToString;

use crate::event::{basename, Position, ProcessEvent, Record, RecordClass, RecordSink, Skip};
use crate::feed::Feed;
use crate::format::winevent::{self, SECURITY_PROVIDER, SYSMON_PROVIDER};
use crate::format::Format;

/// Sysmon's network-connection event id.
pub const SYSMON_NETWORK_CONNECTION: &str = "3";
/// Security: a scheduled task was created.
pub const SECURITY_TASK_CREATED: &str = "4698";
/// Security: a user account was created.
pub const SECURITY_USER_CREATED: &str = "4720";
/// Security: a member was added to a security-enabled local group.
pub const SECURITY_LOCAL_GROUP_MEMBER_ADDED: &str = "4732";

/// Defender `DeviceNetworkEvents` action types that name a connection.
pub const DEFENDER_CONNECTIONS: [&str; 3] =
    ["ConnectionSuccess", "ConnectionFailed", "ConnectionAttempt"];
/// Defender `DeviceEvents`: a scheduled task was created (`AdditionalFields.TaskName`).
pub const DEFENDER_TASK_CREATED: &str = "ScheduledTaskCreated";
/// Defender `DeviceEvents`: a local account was created.
pub const DEFENDER_USER_CREATED: &str = "UserAccountCreated";
/// Defender `DeviceEvents`: an account was added to a local group.
pub const DEFENDER_GROUP_MEMBER_ADDED: &str = "UserAccountAddedToLocalGroup";

/// A key of the JSON object in Defender's `AdditionalFields`.
fn additional(fields: &[(String, String)], key: &str) -> String {
    let text = field(fields, "AdditionalFields");
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

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
        let label = RecordClass::Other(label.into());
        let windows =
            |provider: &str, id: &str| winevent::classify(Some(provider), Some(id)) == label;
        let defender = |action: &str| {
            crate::mapping::classify(Some(action), None).map_err(RecordClass::Other)
                == Err(label.clone())
        };
        let fields = || record.fields();
        let get =
            |fields: &[(String, String)], name: &str| String::from(field(fields, name).trim());
        if windows(SYSMON_PROVIDER, SYSMON_NETWORK_CONNECTION) {
            let f = fields();
            return Some(OtherEvent::NetworkConnection {
                image: basename(&get(&f, "Image")).into(),
                destination_ip: get(&f, "DestinationIp"),
                destination_port: get(&f, "DestinationPort"),
            });
        }
        if DEFENDER_CONNECTIONS.iter().any(|a| defender(a)) {
            let f = fields();
            return Some(OtherEvent::NetworkConnection {
                image: get(&f, "InitiatingProcessFileName"),
                destination_ip: get(&f, "RemoteIP"),
                destination_port: get(&f, "RemotePort"),
            });
        }
        if windows(SECURITY_PROVIDER, SECURITY_TASK_CREATED) {
            let f = fields();
            return Some(OtherEvent::TaskCreated {
                task_name: get(&f, "TaskName"),
                subject_user: get(&f, "SubjectUserName"),
            });
        }
        if defender(DEFENDER_TASK_CREATED) {
            let f = fields();
            return Some(OtherEvent::TaskCreated {
                task_name: additional(&f, "TaskName"),
                subject_user: additional(&f, "SubjectUserName"),
            });
        }
        if windows(SECURITY_PROVIDER, SECURITY_USER_CREATED) {
            let f = fields();
            return Some(OtherEvent::UserCreated {
                target_user: get(&f, "TargetUserName"),
                subject_user: get(&f, "SubjectUserName"),
            });
        }
        if defender(DEFENDER_USER_CREATED) {
            let f = fields();
            return Some(OtherEvent::UserCreated {
                target_user: get(&f, "AccountName"),
                subject_user: get(&f, "InitiatingProcessAccountName"),
            });
        }
        if windows(SECURITY_PROVIDER, SECURITY_LOCAL_GROUP_MEMBER_ADDED) {
            let f = fields();
            return Some(OtherEvent::LocalGroupMemberAdded {
                group: get(&f, "TargetUserName"),
                member_sid: get(&f, "MemberSid"),
                member_name: get(&f, "MemberName"),
            });
        }
        if defender(DEFENDER_GROUP_MEMBER_ADDED) {
            let f = fields();
            return Some(OtherEvent::LocalGroupMemberAdded {
                group: additional(&f, "GroupName"),
                member_sid: get(&f, "AccountSid"),
                member_name: get(&f, "AccountName"),
            });
        }
        None
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
/// an [`Observer`] (any chunking gives the same calls; the decoder loop is
/// [`Feed`]'s). Decoding errors end the observation quietly: the scan beside
/// it reports them.
pub struct SignalScan {
    feed: Feed,
}

impl SignalScan {
    /// A scan of a file in `format`, or recognised from its content (`None`).
    pub fn new(format: Option<Format>) -> Self {
        SignalScan {
            feed: Feed::new(format),
        }
    }

    /// The next bytes of the file.
    pub fn push(&mut self, chunk: &[u8], observer: &mut dyn Observer) {
        self.feed.push(chunk, &mut Watch { observer });
    }

    /// End of the file.
    pub fn finish(self, observer: &mut dyn Observer) {
        self.feed.finish(&mut Watch { observer });
    }
}
