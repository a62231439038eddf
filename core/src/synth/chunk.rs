//! The chunk being written: BinXML tokens, names and templates at chunk
//! offsets, records, and the chunk header (see [`super::evtx`] for the layout).

use alloc::string::String;
use alloc::vec::Vec;

use super::crc32::{crc32, Crc32};
use super::evtx::{SynthError, SynthEvent, CHUNK_BYTES, EVENT_NAMESPACE};
use super::value::{kind, utf16, Guid, SynthValue};

/// Size of a chunk's header (with its string and template tables).
const CHUNK_HEADER_BYTES: usize = 512;

use crate::binxml::token;

/// An element's dependency id when it has none.
const NO_DEPENDENCY: u16 = 0xffff;

/// Why a record was not written in a chunk.
pub(super) enum Refused {
    /// It does not fit in what is left of the chunk.
    Full,
    /// A value cannot be written at all.
    Value(SynthError),
}

/// An element being written: where its size (and its attribute list size) go.
struct Open {
    size_at: usize,
    attributes_at: Option<usize>,
}

/// A template of the chunk: its definition's offset and GUID.
#[derive(Debug, Clone, Copy)]
struct Template {
    offset: u32,
    guid: Guid,
}

/// An `EventData` shape: each field's name and type.
type Shape = Vec<(String, u8)>;

/// The chunk being filled.
#[derive(Debug)]
pub(super) struct Chunk {
    /// Header (512 bytes, filled at the end) and records.
    data: Vec<u8>,
    /// String table: the newest name entry of each bucket.
    strings: [u32; 64],
    /// Template table: the newest definition of each bucket.
    templates: [u32; 32],
    /// Names written: `(name, entry offset)`.
    names: Vec<(String, u32)>,
    /// `System` templates, by computer.
    system: Vec<(String, Template)>,
    /// `EventData` templates: shape hash, `(name, type)` of each field.
    event_data: Vec<(u64, Shape, Template)>,
    first_id: u64,
    last_id: u64,
    last_record: u32,
}

/// What to undo when a record does not fit.
struct Mark {
    len: usize,
    names: usize,
    system: usize,
    event_data: usize,
    strings: [u32; 64],
    templates: [u32; 32],
}

impl Chunk {
    pub(super) fn new() -> Chunk {
        let mut data = Vec::with_capacity(CHUNK_BYTES + 4096);
        data.resize(CHUNK_HEADER_BYTES, 0);
        Chunk {
            data,
            strings: [0; 64],
            templates: [0; 32],
            names: Vec::new(),
            system: Vec::new(),
            event_data: Vec::new(),
            first_id: 0,
            last_id: 0,
            last_record: 0,
        }
    }

    pub(super) fn records(&self) -> u64 {
        if self.first_id == 0 {
            0
        } else {
            self.last_id - self.first_id + 1
        }
    }

    fn mark(&self) -> Mark {
        Mark {
            len: self.data.len(),
            names: self.names.len(),
            system: self.system.len(),
            event_data: self.event_data.len(),
            strings: self.strings,
            templates: self.templates,
        }
    }

    fn undo(&mut self, mark: Mark) {
        self.data.truncate(mark.len);
        self.names.truncate(mark.names);
        self.system.truncate(mark.system);
        self.event_data.truncate(mark.event_data);
        self.strings = mark.strings;
        self.templates = mark.templates;
    }

    /// The size `event`'s record takes in this chunk (nothing is kept).
    pub(super) fn measure(&mut self, event: &SynthEvent, id: u64, n: u64) -> usize {
        let mark = self.mark();
        let start = self.data.len();
        let _ = self.write_record(event, id, n);
        let bytes = self.data.len() - start;
        self.undo(mark);
        bytes
    }

    /// Write `event` as record `id` (the `n`th event), or leave the chunk as it was.
    pub(super) fn record(&mut self, event: &SynthEvent, id: u64, n: u64) -> Result<(), Refused> {
        let mark = self.mark();
        let start = self.data.len();
        if let Err(e) = self.write_record(event, id, n) {
            self.undo(mark);
            return Err(Refused::Value(e));
        }
        if self.data.len() > CHUNK_BYTES {
            self.undo(mark);
            return Err(Refused::Full);
        }
        if self.first_id == 0 {
            self.first_id = id;
        }
        self.last_id = id;
        self.last_record = start as u32;
        Ok(())
    }

    fn write_record(&mut self, event: &SynthEvent, id: u64, n: u64) -> Result<(), SynthError> {
        let start = self.data.len();
        self.data.extend_from_slice(b"**\0\0");
        self.u32(0); // size, below
        self.data.extend_from_slice(&id.to_le_bytes());
        self.data.extend_from_slice(&event.time.to_le_bytes());
        self.fragment_header();
        self.system_instance(event, id, n)?;
        self.data.push(token::END_OF_STREAM);
        // Records are 8-byte aligned; the size is repeated at the end.
        let size = (self.data.len() - start + 4).next_multiple_of(8);
        self.data.resize(start + size - 4, 0);
        self.u32(size as u32);
        self.patch_u32(start + 4, size as u32);
        Ok(())
    }

    fn u16(&mut self, v: u16) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }

    fn patch_u32(&mut self, at: usize, v: u32) {
        self.data[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn pos(&self) -> u32 {
        self.data.len() as u32
    }

    fn fragment_header(&mut self) {
        self.data
            .extend_from_slice(&[token::FRAGMENT_HEADER, 1, 1, 0]);
    }

    /// A name reference: the offset of its string entry, written right
    /// here the first time the chunk uses it.
    fn name(&mut self, name: &str) {
        if let Some(&(_, at)) = self.names.iter().find(|(n, _)| n == name) {
            self.u32(at);
            return;
        }
        let at = self.pos() + 4;
        self.u32(at);
        let hash = name_hash(name.encode_utf16());
        let bucket = (hash % 64) as usize;
        self.u32(self.strings[bucket]);
        self.u16(hash as u16);
        self.u16(name.encode_utf16().count() as u16);
        utf16(name, &mut self.data);
        self.u16(0);
        self.strings[bucket] = at;
        self.names.push((String::from(name), at));
    }

    fn open(&mut self, name: &str, dependency: u16, attributes: bool) -> Open {
        self.data.push(if attributes {
            token::OPEN_START_ELEMENT_WITH_ATTRIBUTES
        } else {
            token::OPEN_START_ELEMENT
        });
        self.u16(dependency);
        let size_at = self.data.len();
        self.u32(0);
        self.name(name);
        let attributes_at = attributes.then(|| {
            let at = self.data.len();
            self.u32(0);
            at
        });
        Open {
            size_at,
            attributes_at,
        }
    }

    fn attribute(&mut self, name: &str, more: bool) {
        self.data.push(if more {
            token::ATTRIBUTE_MORE
        } else {
            token::ATTRIBUTE
        });
        self.name(name);
    }

    fn end_attributes(&mut self, open: &Open) {
        if let Some(at) = open.attributes_at {
            let size = self.data.len() - (at + 4);
            self.patch_u32(at, size as u32);
        }
    }

    fn close_start(&mut self, open: &Open) {
        self.end_attributes(open);
        self.data.push(token::CLOSE_START_ELEMENT);
    }

    fn end_size(&mut self, open: Open) {
        let size = self.data.len() - (open.size_at + 4);
        self.patch_u32(open.size_at, size as u32);
    }

    fn close_empty(&mut self, open: Open) {
        self.end_attributes(&open);
        self.data.push(token::CLOSE_EMPTY_ELEMENT);
        self.end_size(open);
    }

    fn end(&mut self, open: Open) {
        self.data.push(token::END_ELEMENT);
        self.end_size(open);
    }

    fn literal(&mut self, text: &str) {
        self.data.push(token::VALUE);
        self.data.push(token::STRING_VALUE);
        self.u16(text.encode_utf16().count() as u16);
        utf16(text, &mut self.data);
    }

    fn substitution(&mut self, optional: bool, index: u16, kind: u8) {
        self.data.push(if optional {
            token::OPTIONAL_SUBSTITUTION
        } else {
            token::NORMAL_SUBSTITUTION
        });
        self.u16(index);
        self.data.push(kind);
    }

    /// `<name dep=dependency>` + optional substitution `index` + `</name>`.
    fn system_value(&mut self, name: &str, index: u16, kind: u8) {
        let open = self.open(name, index, false);
        self.close_start(&open);
        self.substitution(true, index, kind);
        self.end(open);
    }

    /// A template definition at the current position: header, `body`, size.
    fn define(&mut self, guid: Guid, body: impl FnOnce(&mut Chunk)) -> Template {
        let offset = self.pos();
        let bucket = (name_hash(guid_units(guid)) % 32) as usize;
        self.u32(self.templates[bucket]);
        self.data.extend_from_slice(&guid.to_bytes());
        let size_at = self.data.len();
        self.u32(0);
        body(self);
        let size = self.data.len() - (size_at + 4);
        self.patch_u32(size_at, size as u32);
        self.templates[bucket] = offset;
        Template { offset, guid }
    }

    /// The `System` template of `computer` (after the instance's header).
    fn system_template(&mut self, computer: &str) -> Template {
        let guid = shape_guid(&[b"System", computer.as_bytes()]);
        self.define(guid, |c| {
            use kind::*;
            c.fragment_header();
            let event = c.open("Event", 17, true);
            c.attribute("xmlns", false);
            c.literal(EVENT_NAMESPACE);
            c.close_start(&event);
            let system = c.open("System", NO_DEPENDENCY, false);
            c.close_start(&system);
            let provider = c.open("Provider", NO_DEPENDENCY, true);
            c.attribute("Name", true);
            c.substitution(true, 14, STRING);
            c.attribute("Guid", false);
            c.substitution(true, 15, GUID);
            c.close_empty(provider);
            let event_id = c.open("EventID", 3, true);
            c.attribute("Qualifiers", false);
            c.substitution(true, 4, UINT16);
            c.close_start(&event_id);
            c.substitution(true, 3, UINT16);
            c.end(event_id);
            c.system_value("Version", 11, UINT8);
            c.system_value("Level", 0, UINT8);
            c.system_value("Task", 2, UINT16);
            c.system_value("Opcode", 1, UINT8);
            c.system_value("Keywords", 5, HEX64);
            let created = c.open("TimeCreated", NO_DEPENDENCY, true);
            c.attribute("SystemTime", false);
            c.substitution(true, 6, FILETIME);
            c.close_empty(created);
            c.system_value("EventRecordID", 10, UINT64);
            let correlation = c.open("Correlation", NO_DEPENDENCY, true);
            c.attribute("ActivityID", true);
            c.substitution(true, 7, GUID);
            c.attribute("RelatedActivityID", false);
            c.substitution(true, 13, GUID);
            c.close_empty(correlation);
            let execution = c.open("Execution", NO_DEPENDENCY, true);
            c.attribute("ProcessID", true);
            c.substitution(true, 8, UINT32);
            c.attribute("ThreadID", false);
            c.substitution(true, 9, UINT32);
            c.close_empty(execution);
            c.system_value("Channel", 16, STRING);
            let name = c.open("Computer", NO_DEPENDENCY, false);
            c.close_start(&name);
            c.literal(computer);
            c.end(name);
            let security = c.open("Security", NO_DEPENDENCY, true);
            c.attribute("UserID", false);
            c.substitution(true, 12, SID);
            c.close_empty(security);
            c.end(system);
            c.substitution(true, 17, BINXML);
            c.end(event);
            c.data.push(token::END_OF_STREAM);
        })
    }

    /// The `EventData` template of `fields`.
    fn event_data_template(&mut self, guid: Guid, fields: &[(String, SynthValue)]) -> Template {
        self.define(guid, |c| {
            c.fragment_header();
            let data = c.open("EventData", NO_DEPENDENCY, false);
            c.close_start(&data);
            for (i, (name, value)) in fields.iter().enumerate() {
                let field = c.open("Data", NO_DEPENDENCY, true);
                c.attribute("Name", false);
                c.literal(name);
                c.close_start(&field);
                c.substitution(false, i as u16, value.kind());
                c.end(field);
            }
            c.end(data);
            c.data.push(token::END_OF_STREAM);
        })
    }

    /// A `TemplateInstance` header: the template's id and offset, its
    /// definition written here when the chunk does not have it yet.
    fn instance(
        &mut self,
        known: Option<Template>,
        define: impl FnOnce(&mut Chunk) -> Template,
    ) -> Template {
        self.data.push(token::TEMPLATE_INSTANCE);
        self.data.push(1);
        match known {
            Some(t) => {
                self.data.extend_from_slice(&t.guid.to_bytes()[..4]);
                self.u32(t.offset);
                t
            }
            None => {
                let id_at = self.data.len();
                self.u32(0);
                let here = self.pos() + 4;
                self.u32(here);
                let t = define(self);
                self.data[id_at..id_at + 4].copy_from_slice(&t.guid.to_bytes()[..4]);
                t
            }
        }
    }

    /// Value descriptors for `count` values (sizes and types set by [`Chunk::value`]).
    fn descriptors(&mut self, count: usize) -> usize {
        self.u32(count as u32);
        let at = self.data.len();
        self.data.resize(at + 4 * count, 0);
        at
    }

    /// Write value `index` of the instance whose descriptors are at `table`.
    fn value(
        &mut self,
        table: usize,
        index: usize,
        kind: u8,
        write: impl FnOnce(&mut Chunk) -> Result<(), SynthError>,
        name: &str,
        n: u64,
    ) -> Result<(), SynthError> {
        let start = self.data.len();
        write(self)?;
        let size = self.data.len() - start;
        let size16 = u16::try_from(size).map_err(|_| SynthError::ValueTooLarge {
            event: n,
            name: String::from(name),
            bytes: size,
        })?;
        let d = table + 4 * index;
        self.data[d..d + 2].copy_from_slice(&size16.to_le_bytes());
        self.data[d + 2] = kind;
        self.data[d + 3] = 0;
        Ok(())
    }

    /// The record's `System` template instance, its `EventData` in value 17.
    fn system_instance(&mut self, event: &SynthEvent, id: u64, n: u64) -> Result<(), SynthError> {
        use kind::*;
        let known = self
            .system
            .iter()
            .find(|(computer, _)| *computer == event.computer)
            .map(|&(_, t)| t);
        let computer = event.computer.as_str();
        let t = self.instance(known, |c| c.system_template(computer));
        if known.is_none() {
            self.system.push((event.computer.clone(), t));
        }
        let table = self.descriptors(18);
        let raw = |bytes: Vec<u8>| {
            move |c: &mut Chunk| {
                c.data.extend_from_slice(&bytes);
                Ok(())
            }
        };
        let e = event;
        let v = |c: &mut Chunk, i: usize, kind: u8, bytes: &[u8], name: &str| {
            c.value(
                table,
                i,
                kind,
                |c| {
                    c.data.extend_from_slice(bytes);
                    Ok(())
                },
                name,
                n,
            )
        };
        v(self, 0, UINT8, &[e.level], "Level")?;
        v(self, 1, UINT8, &[e.opcode], "Opcode")?;
        v(self, 2, UINT16, &e.task.to_le_bytes(), "Task")?;
        v(self, 3, UINT16, &e.event_id.to_le_bytes(), "EventID")?;
        v(self, 4, NULL, &[], "Qualifiers")?;
        v(self, 5, HEX64, &e.keywords.to_le_bytes(), "Keywords")?;
        v(self, 6, FILETIME, &e.time.to_le_bytes(), "TimeCreated")?;
        v(self, 7, NULL, &[], "ActivityID")?;
        v(self, 8, UINT32, &e.process_id.to_le_bytes(), "ProcessID")?;
        v(self, 9, UINT32, &e.thread_id.to_le_bytes(), "ThreadID")?;
        v(self, 10, UINT64, &id.to_le_bytes(), "EventRecordID")?;
        v(self, 11, UINT8, &[e.version], "Version")?;
        match &e.user_sid {
            Some(sid) => {
                let mut bytes = Vec::new();
                SynthValue::Sid(sid.clone()).write(&mut bytes);
                self.value(table, 12, SID, raw(bytes), "UserID", n)?;
            }
            None => v(self, 12, NULL, &[], "UserID")?,
        }
        v(self, 13, NULL, &[], "RelatedActivityID")?;
        self.value(
            table,
            14,
            STRING,
            |c| {
                utf16(&e.provider.name, &mut c.data);
                Ok(())
            },
            "Provider",
            n,
        )?;
        v(self, 15, GUID, &e.provider.guid.to_bytes(), "Guid")?;
        self.value(
            table,
            16,
            STRING,
            |c| {
                utf16(&e.channel, &mut c.data);
                Ok(())
            },
            "Channel",
            n,
        )?;
        self.value(table, 17, BINXML, |c| c.event_data(e, n), "EventData", n)
    }

    /// The `EventData` fragment: one template instance and its values.
    fn event_data(&mut self, event: &SynthEvent, n: u64) -> Result<(), SynthError> {
        let fields = &event.data;
        let hash = shape_hash(fields);
        let known = self
            .event_data
            .iter()
            .find(|(h, shape, _)| {
                *h == hash
                    && shape.len() == fields.len()
                    && shape
                        .iter()
                        .zip(fields)
                        .all(|((name, kind), (n, v))| name == n && *kind == v.kind())
            })
            .map(|&(_, _, t)| t);
        self.fragment_header();
        let guid = Guid(
            u128::from(hash) << 64 | u128::from(fnv(0x6c62_272e_07bb_0142, b"EventData", hash)),
        );
        let t = self.instance(known, |c| c.event_data_template(guid, fields));
        if known.is_none() {
            let shape = fields
                .iter()
                .map(|(name, v)| (name.clone(), v.kind()))
                .collect();
            self.event_data.push((hash, shape, t));
        }
        let table = self.descriptors(fields.len());
        for (i, (name, value)) in fields.iter().enumerate() {
            self.value(
                table,
                i,
                value.kind(),
                |c| {
                    value.write(&mut c.data);
                    Ok(())
                },
                name,
                n,
            )?;
        }
        self.data.push(token::END_OF_STREAM);
        Ok(())
    }

    /// Fill in the header and append the chunk, 64 KiB, to `out`.
    pub(super) fn finish(mut self, out: &mut Vec<u8>) {
        let free = self.data.len() as u32;
        let (first, last) = (self.first_id, self.last_id);
        let h = &mut self.data;
        h[..8].copy_from_slice(b"ElfChnk\0");
        h[8..16].copy_from_slice(&first.to_le_bytes());
        h[16..24].copy_from_slice(&last.to_le_bytes());
        h[24..32].copy_from_slice(&first.to_le_bytes());
        h[32..40].copy_from_slice(&last.to_le_bytes());
        h[40..44].copy_from_slice(&128u32.to_le_bytes());
        h[44..48].copy_from_slice(&self.last_record.to_le_bytes());
        h[48..52].copy_from_slice(&free.to_le_bytes());
        let records = crc32(&h[CHUNK_HEADER_BYTES..]);
        h[52..56].copy_from_slice(&records.to_le_bytes());
        for (i, at) in self.strings.iter().enumerate() {
            h[128 + 4 * i..132 + 4 * i].copy_from_slice(&at.to_le_bytes());
        }
        for (i, at) in self.templates.iter().enumerate() {
            h[384 + 4 * i..388 + 4 * i].copy_from_slice(&at.to_le_bytes());
        }
        h[120..124].copy_from_slice(&0u32.to_le_bytes()); // flags: clean
        let mut crc = Crc32::new();
        crc.update(&h[..120]);
        crc.update(&h[128..CHUNK_HEADER_BYTES]);
        h[124..128].copy_from_slice(&crc.finish().to_le_bytes());
        h.resize(CHUNK_BYTES, 0);
        out.extend_from_slice(h);
    }
}

/// The hash Windows gives a name (and, here, a template GUID): 65599 times
/// the hash so far plus each UTF-16 unit.
fn name_hash(units: impl Iterator<Item = u16>) -> u32 {
    units.fold(0u32, |h, u| {
        h.wrapping_mul(65599).wrapping_add(u32::from(u))
    })
}

/// A GUID's bytes as eight little-endian UTF-16 units.
fn guid_units(guid: Guid) -> impl Iterator<Item = u16> {
    let bytes = guid.to_bytes();
    (0..8).map(move |i| u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]))
}

/// FNV-1a of `bytes` after `seed`'s eight bytes, from `basis`.
fn fnv(basis: u64, bytes: &[u8], seed: u64) -> u64 {
    let mut h = basis;
    for &b in seed.to_le_bytes().iter().chain(bytes) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A 64-bit hash of an `EventData` shape: each field's name and type.
fn shape_hash(fields: &[(String, SynthValue)]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for (name, value) in fields {
        for &b in name.as_bytes().iter().chain([0, value.kind()].iter()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A GUID from a shape's parts.
fn shape_guid(parts: &[&[u8]]) -> Guid {
    let (mut a, mut b) = (0xcbf2_9ce4_8422_2325u64, 0x6c62_272e_07bb_0142u64);
    for part in parts {
        a = fnv(a, part, part.len() as u64);
        b = fnv(b, part, part.len() as u64);
    }
    Guid(u128::from(a) << 64 | u128::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hash_as_windows_hashes_them() {
        // Hashes stored in a Sysmon log's string table, and their buckets.
        for (name, hash, bucket) in [
            ("Event", 0x0cba, 58),
            ("Data", 0x6f8a, 10),
            ("SystemTime", 0x7b3c, 60),
            ("RelatedActivityID", 0xc535, 53),
        ] {
            let h = name_hash(name.encode_utf16());
            assert_eq!((h as u16, h % 64), (hash, bucket), "{name}");
        }
        // Template GUIDs of real logs and the template table bucket they were in.
        for (guid, bucket) in [
            (0xf5a513a6_6561_50d4_252e_678a9f2e92fau128, 7),
            (0xc3cfc1cd_140c_133b_bca8_0a8c88be0aa7, 1),
        ] {
            assert_eq!(name_hash(guid_units(Guid(guid))) % 32, bucket);
        }
    }
}
