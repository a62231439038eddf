//! What the EVTX rendering path keeps between records: the class of each
//! provider and event id ([`Classes`], shared with the template reader),
//! the quick class read of a rendered record's head ([`Head`]), and the field
//! map of each set of field names ([`Schemas`]).

use alloc::string::String;
use alloc::vec::Vec;

use memchr::memchr;
use memchr::memmem::Finder;

use super::scanner::FieldSpan;
use crate::event::RecordClass;
use crate::format::winevent;
use crate::mapping::Schema;

/// How many classes [`Classes`] keeps.
const CLASSES: usize = 256;

/// Classes already decided ([`winevent::classify`]), by provider and event id.
#[derive(Default)]
pub(super) struct Classes {
    list: Vec<(String, String, RecordClass)>,
}

impl Classes {
    /// The class of `provider`'s event `event_id` (both trimmed).
    pub(super) fn get(&mut self, provider: Option<&str>, event_id: Option<&str>) -> RecordClass {
        let key = (provider.unwrap_or("\0"), event_id.unwrap_or("\0"));
        let known = self.list.iter().find(|(p, e, _)| e == key.1 && p == key.0);
        if let Some((_, _, class)) = known {
            return class.clone();
        }
        let class = winevent::classify(provider, event_id);
        if self.list.len() < CLASSES {
            let (p, e) = (String::from(key.0), String::from(key.1));
            self.list.push((p, e, class.clone()));
        }
        class
    }
}

/// The usual head of a rendered record, found without reading it tag by tag:
/// `System`'s `<Provider Name="...">` and `<EventID ...>N</EventID>`.
pub(super) struct Head {
    system_end: Finder<'static>,
    provider: Finder<'static>,
    event_id: Finder<'static>,
    classes: Classes,
}

impl Default for Head {
    fn default() -> Self {
        Head {
            system_end: Finder::new(b"</System>"),
            provider: Finder::new(b"<Provider Name=\""),
            event_id: Finder::new(b"<EventID"),
            classes: Classes::default(),
        }
    }
}

impl Head {
    /// The class of the record, when its head has the usual shape (no
    /// references, attributes where `evtx` puts them); `None` otherwise.
    pub(super) fn class(&mut self, xml: &[u8]) -> Option<RecordClass> {
        let system = xml.get(..self.system_end.find(xml)?)?;
        let p = self.provider.find(system)? + self.provider.needle().len();
        let provider = system.get(p..p + memchr(b'"', system.get(p..)?)?)?;
        let e = self.event_id.find(system)? + self.event_id.needle().len();
        let gt = e + memchr(b'>', system.get(e..)?)?;
        let attributes = system.get(e..gt)?;
        // `<EventID>` or `<EventID Qualifiers="...">`, whose `>` is not in a value.
        let quotes = attributes.iter().filter(|&&b| b == b'"').count();
        if !(attributes.is_empty() || attributes.starts_with(b" "))
            || quotes % 2 == 1
            || memchr(b'\'', attributes).is_some()
        {
            return None;
        }
        let text_end = gt + 1 + memchr(b'<', system.get(gt + 1..)?)?;
        if !system.get(text_end..)?.starts_with(b"</EventID") {
            return None;
        }
        let id = system.get(gt + 1..text_end)?;
        if memchr(b'&', provider).is_some() || memchr(b'&', id).is_some() {
            return None;
        }
        let provider = core::str::from_utf8(provider).ok()?.trim();
        let id = core::str::from_utf8(id).ok()?.trim();
        Some(self.classes.get(Some(provider), Some(id)))
    }
}

/// How many sets of field names [`Schemas`] keeps.
const SCHEMAS: usize = 32;

/// Resolved schemas, one per set of field names, most recently used first.
#[derive(Default)]
pub(super) struct Schemas {
    list: Vec<(Vec<String>, Schema)>,
}

impl Schemas {
    /// The schema of the field names in `spans`.
    pub(super) fn get(&mut self, xml: &str, spans: &[FieldSpan]) -> &Schema {
        let same = |(names, _): &(Vec<String>, Schema)| {
            names.len() == spans.len()
                && names
                    .iter()
                    .zip(spans)
                    .all(|(name, span)| span.name_is(xml, name))
        };
        match self.list.iter().position(same) {
            Some(i) => self.list[..=i].rotate_right(1),
            None => {
                let names: Vec<String> = spans.iter().map(|s| s.name(xml).into_owned()).collect();
                let schema = Schema::resolve(&names);
                self.list.truncate(SCHEMAS - 1);
                self.list.insert(0, (names, schema));
            }
        }
        &self.list[0].1
    }
}
