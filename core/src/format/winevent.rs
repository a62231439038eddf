//! Windows events: the one home of what every reader of a Windows event
//! knows about it, whatever the format it came in.
//!
//! Four readers take fields out of Windows event XML: [`super::xml`] (XML
//! files, and EVTX records the fast reader leaves to it), the EVTX fast
//! reader of `evtx`'s rendering (`evtx/scanner.rs`), the EVTX template
//! reader (`evtx/template.rs`, which names the fields the rendering would
//! have without rendering it) and the tolerant reader of XML kept inside a
//! JSON event (`json/raw_xml.rs`). They take the same fields by the same
//! names ([`Section`], [`system_field`], [`DATA`], [`unnamed_data`]), and
//! every format decides a record's class with [`classify`] (XML, EVTX) or
//! [`classify_fields`] (JSON, CSV, XLSX: formats where a provider column is
//! optional).
//!
//! # Classification
//!
//! A process creation is Sysmon event 1 or Security-Auditing event 4688.
//! "Sysmon" is any provider whose name, lowercased with everything but
//! ASCII letters and digits removed, contains `sysmon`:
//! `Microsoft-Windows-Sysmon` (Windows) and `Linux-Sysmon` (Sysmon for
//! Linux, whose event 1 is a process creation too: Defender's
//! `DeviceProcessEvents`, the table the rule is written for, holds Linux
//! devices' process creations as well, and the rule's own
//! `FileName =~ "cmd.exe"` is what keeps them out of its results).
//! Security is `Microsoft-Windows-Security-Auditing`, however spaced or
//! cased (Splunk writes `Microsoft Windows security auditing.`).
//!
//! ```
//! use cmdhunt_core::event::RecordClass;
//! use cmdhunt_core::format::winevent::classify;
//! assert_eq!(classify(Some("Linux-Sysmon"), Some("1")), RecordClass::ProcessCreation);
//! assert_eq!(
//!     classify(Some("Microsoft-Windows-Sysmon"), Some("3")),
//!     RecordClass::Other("Sysmon event 3".into())
//! );
//! ```

use alloc::format;
use alloc::string::String;

use crate::event::RecordClass;
use crate::mapping;

/// The provider of Windows Sysmon events.
pub const SYSMON_PROVIDER: &str = "Microsoft-Windows-Sysmon";
/// The provider of Sysmon for Linux events.
pub const LINUX_SYSMON_PROVIDER: &str = "Linux-Sysmon";
/// The provider of Security audit events.
pub const SECURITY_PROVIDER: &str = "Microsoft-Windows-Security-Auditing";
/// Sysmon's process-creation event id.
pub const SYSMON_PROCESS_CREATION: &str = "1";
/// Security-Auditing's process-creation event id.
pub const SECURITY_PROCESS_CREATION: &str = "4688";

/// The `System` field naming the provider (its `Name` attribute).
pub const PROVIDER: &str = "Provider";
/// The `System` field holding the event id.
pub const EVENT_ID: &str = "EventID";
/// The `System` field holding the time (`TimeCreated`'s `SystemTime` attribute).
pub const TIME_CREATED: &str = "TimeCreated";
/// The element of an `EventData` field.
pub const DATA: &str = "Data";
/// The attribute naming an `EventData/Data` field, and the provider.
pub const NAME_ATTRIBUTE: &str = "Name";
/// The attribute of `TimeCreated` that holds the time.
pub const TIME_ATTRIBUTE: &str = "SystemTime";

/// Fields naming an event's provider in flattened formats (JSON after
/// wrapper removal, CSV, XLSX), in priority order.
pub const PROVIDER_FIELDS: [&str; 5] = [
    "Provider.Name",
    "SourceName",
    "provider_name",
    "source_name",
    "event.provider",
];

/// Fields holding the Windows event id in flattened formats, in priority order.
pub const EVENT_ID_FIELDS: [&str; 5] =
    ["EventID", "EventId", "event_id", "event.code", "EventCode"];

/// The part of an `<Event>` an element is in (by its depth-2 ancestor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Section {
    /// `System`: a few fields by name ([`system_field`]).
    System,
    /// `EventData`: every child, `Data` by its `Name`.
    EventData,
    /// `UserData`: every leaf by its element name.
    UserData,
    /// Anything else (`RenderingInfo`, ...): no fields.
    #[default]
    Ignored,
}

impl Section {
    /// The section a depth-2 element of this local name opens.
    pub fn of(local: &[u8]) -> Section {
        match local {
            b"System" => Section::System,
            b"EventData" => Section::EventData,
            b"UserData" => Section::UserData,
            _ => Section::Ignored,
        }
    }
}

/// What a child of `System` gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemField {
    /// A field named `field` whose value is the element's `attribute`.
    Attribute {
        /// The field's name.
        field: &'static str,
        /// The attribute holding its value.
        attribute: &'static str,
    },
    /// A field named after the element, whose value is its text.
    Text(&'static str),
}

/// The field a child of `System` (by local name) gives, if any: `Provider`
/// (its `Name`), `TimeCreated` (its `SystemTime`), and the text of
/// `EventID`, `EventRecordID`, `Channel` and `Computer`.
pub fn system_field(local: &[u8]) -> Option<SystemField> {
    Some(match local {
        b"Provider" => SystemField::Attribute {
            field: PROVIDER,
            attribute: NAME_ATTRIBUTE,
        },
        b"TimeCreated" => SystemField::Attribute {
            field: TIME_CREATED,
            attribute: TIME_ATTRIBUTE,
        },
        b"EventID" => SystemField::Text(EVENT_ID),
        b"EventRecordID" => SystemField::Text("EventRecordID"),
        b"Channel" => SystemField::Text("Channel"),
        b"Computer" => SystemField::Text("Computer"),
        _ => return None,
    })
}

/// The name of the `n`-th (1-based) `EventData/Data` without a `Name`: `Data[n]`.
pub fn unnamed_data(n: usize) -> String {
    format!("{DATA}[{n}]")
}

/// The providers whose event ids mean something to the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Sysmon,
    Security,
}

impl Family {
    fn of(provider: &str) -> Option<Family> {
        let squeezed: String = provider
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if squeezed.contains("sysmon") {
            Some(Family::Sysmon)
        } else if squeezed == "microsoftwindowssecurityauditing" {
            Some(Family::Security)
        } else {
            None
        }
    }
}

/// The class of a Windows event from its provider and event id (see the
/// [module docs](self)); anything but a process creation is labelled
/// `Sysmon event 3`, `Security event 4624`, `<provider> event <id>`, with
/// `(no provider)` / `(no EventID)` for a missing or blank one. Values are
/// trimmed.
pub fn classify(provider: Option<&str>, event_id: Option<&str>) -> RecordClass {
    let provider = provider.map_or("", str::trim);
    let id = event_id.map_or("", str::trim);
    let family = Family::of(provider);
    let creation = match family {
        Some(Family::Sysmon) => SYSMON_PROCESS_CREATION,
        Some(Family::Security) => SECURITY_PROCESS_CREATION,
        None => "",
    };
    if !creation.is_empty() && id == creation {
        return RecordClass::ProcessCreation;
    }
    let source = match family {
        Some(Family::Sysmon) => "Sysmon",
        Some(Family::Security) => "Security",
        None if provider.is_empty() => "(no provider)",
        None => provider,
    };
    let id = if id.is_empty() { "(no EventID)" } else { id };
    RecordClass::Other(format!("{source} event {id}"))
}

/// The class of a record of a format where the provider is optional (JSON,
/// CSV, XLSX): by [`classify`] when it names a provider and an event id
/// (neither blank), else by Defender's `ActionType` / `EventID`
/// ([`mapping::classify`]; a record with neither is a process creation).
pub fn classify_fields(
    provider: Option<&str>,
    action_type: Option<&str>,
    event_id: Option<&str>,
) -> RecordClass {
    if let (Some(provider), Some(id)) = (filled(provider), filled(event_id)) {
        return classify(Some(provider), Some(id));
    }
    match mapping::classify(action_type, event_id) {
        Ok(()) => RecordClass::ProcessCreation,
        Err(label) => RecordClass::Other(label),
    }
}

fn filled(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The class of a record made of named fields (JSON, XLSX): its provider
/// ([`PROVIDER_FIELDS`]) and event id ([`EVENT_ID_FIELDS`]) when it names
/// both, else its `action_type` and `event_id` columns, by
/// [`classify_fields`].
pub fn class_of_fields(
    fields: &[(String, String)],
    action_type: Option<&str>,
    event_id: Option<&str>,
) -> RecordClass {
    let provider = lookup(fields, &PROVIDER_FIELDS);
    let event_id = match provider {
        Some(_) => lookup(fields, &EVENT_ID_FIELDS).or(event_id),
        None => event_id,
    };
    classify_fields(provider, action_type, event_id)
}

/// The first non-blank value (trimmed) of a field named one of `names`
/// (case-insensitively), in the priority order of `names`.
fn lookup<'a>(fields: &'a [(String, String)], names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|wanted| {
        fields
            .iter()
            .find(|(n, v)| n.eq_ignore_ascii_case(wanted) && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_provider() {
        let other = |label: &str| RecordClass::Other(label.into());
        let creation = RecordClass::ProcessCreation;
        let cases: &[(Option<&str>, Option<&str>, RecordClass)] = &[
            (Some(SYSMON_PROVIDER), Some("1"), creation.clone()),
            (Some(LINUX_SYSMON_PROVIDER), Some("1"), creation.clone()),
            (Some(" linux-sysmon "), Some(" 1 "), creation.clone()),
            (Some(SECURITY_PROVIDER), Some("4688"), creation.clone()),
            (
                Some("Microsoft Windows security auditing."),
                Some("4688"),
                creation.clone(),
            ),
            (Some(SYSMON_PROVIDER), Some("3"), other("Sysmon event 3")),
            (
                Some(LINUX_SYSMON_PROVIDER),
                Some("3"),
                other("Sysmon event 3"),
            ),
            (
                Some(SYSMON_PROVIDER),
                Some("4688"),
                other("Sysmon event 4688"),
            ),
            (
                Some("Microsoft-Windows-Eventlog"),
                Some("1"),
                other("Microsoft-Windows-Eventlog event 1"),
            ),
            (
                Some(SECURITY_PROVIDER),
                Some("1"),
                other("Security event 1"),
            ),
            (None, Some("1"), other("(no provider) event 1")),
            (None, None, other("(no provider) event (no EventID)")),
            (
                Some(""),
                Some(" "),
                other("(no provider) event (no EventID)"),
            ),
        ];
        for (provider, id, want) in cases {
            assert_eq!(classify(*provider, *id), *want, "{provider:?} {id:?}");
        }
    }

    #[test]
    fn formats_without_a_provider_fall_back_to_action_type_and_event_id() {
        let other = |label: &str| RecordClass::Other(label.into());
        let creation = RecordClass::ProcessCreation;
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            RecordClass,
        );
        let cases: &[Case] = &[
            (
                Some(LINUX_SYSMON_PROVIDER),
                None,
                Some("1"),
                creation.clone(),
            ),
            (Some("ESENT"), None, Some("1"), other("ESENT event 1")),
            (Some(" "), None, Some("1"), creation.clone()),
            (Some("ESENT"), None, None, creation.clone()),
            (None, Some("ProcessCreated"), None, creation.clone()),
            (
                None,
                Some("FileCreated"),
                None,
                other("ActionType FileCreated"),
            ),
            (None, None, Some("3"), other("EventID 3")),
            (None, None, None, creation.clone()),
        ];
        for (provider, action, id, want) in cases {
            assert_eq!(
                classify_fields(*provider, *action, *id),
                *want,
                "{provider:?} {action:?} {id:?}"
            );
        }
    }
}
