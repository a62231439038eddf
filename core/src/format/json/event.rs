//! One JSON value → one [`NamedRecord`]: flattening and wrapper names.
//!
//! Values are parsed by `serde_json` (which enforces its own nesting limit of
//! 128) straight into `(name, value)` pairs by a small visitor, so keys keep
//! their source order (`serde_json::Value` would sort them).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde_core::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::event::{Position, RecordSink, Skip};
use crate::format::named::NamedRecord;
use crate::format::DecodeErrorKind as ErrorKind;

/// Name prefixes that only wrap an event's own fields; they are removed (repeatedly,
/// longest first) so the fields map through [`crate::mapping::FIELD_MAP`]:
/// evtx_dump (`Event.EventData.Image`), winlogbeat 7+ (`winlog.event_data.Image`,
/// `winlog.event_id`), winlogbeat 6 (`event_data.Image`), Splunk (`result.Image`),
/// Azure diagnostic / Event Hub records (`properties.FileName`), Elasticsearch
/// documents (`_source.process.name`).
pub const WRAPPER_PREFIXES: [&str; 9] = [
    "winlog.event_data.",
    "Event.EventData.",
    "Event.UserData.",
    "Event.System.",
    "event_data.",
    "properties.",
    "_source.",
    "winlog.",
    "result.",
];

/// Segments dropped from names: evtx_dump's XML attribute and text markers
/// (`TimeCreated.#attributes.SystemTime` → `TimeCreated.SystemTime`).
const DROPPED_SEGMENTS: [&str; 2] = ["#attributes", "#text"];

/// A field name with wrapper prefixes removed.
///
/// ```
/// use cmdhunt_core::format::json::field_name;
/// assert_eq!(field_name("winlog.event_data.CommandLine"), "CommandLine");
/// assert_eq!(field_name("result._source.process.name"), "process.name");
/// assert_eq!(field_name("process.parent.name"), "process.parent.name");
/// ```
pub fn field_name(mut name: &str) -> &str {
    'strip: loop {
        for prefix in WRAPPER_PREFIXES {
            if let Some(rest) = name.strip_prefix(prefix) {
                if !rest.is_empty() {
                    name = rest;
                    continue 'strip;
                }
            }
        }
        return name;
    }
}

/// What kind of JSON value a visitor met at its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    Scalar(&'static str),
}

/// Flattens a value into dotted `(name, value)` pairs under `name`.
struct Flatten<'a> {
    name: &'a mut String,
    out: &'a mut Vec<(String, String)>,
}

impl Flatten<'_> {
    fn leaf(self, value: String) {
        self.out.push((field_name(self.name).to_owned(), value));
    }
}

impl<'de> DeserializeSeed<'de> for Flatten<'_> {
    type Value = Kind;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Flatten<'_> {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Kind, E> {
        self.leaf(v.to_string());
        Ok(Kind::Scalar("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Kind, E> {
        self.leaf(v.to_string());
        Ok(Kind::Scalar("a number"))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Kind, E> {
        self.leaf(v.to_string());
        Ok(Kind::Scalar("a number"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Kind, E> {
        // serde_json's own rendering (`1.5`, `1e300`), as the number would be re-serialised.
        let text = serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string());
        self.leaf(text);
        Ok(Kind::Scalar("a number"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        self.leaf(v.to_owned());
        Ok(Kind::Scalar("a string"))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Kind, E> {
        self.leaf(v);
        Ok(Kind::Scalar("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        self.leaf(String::new());
        Ok(Kind::Scalar("null"))
    }
    fn visit_none<E: de::Error>(self) -> Result<Kind, E> {
        self.visit_unit()
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let base = self.name.len();
        let mut empty = true;
        while let Some(key) = map.next_key::<String>()? {
            empty = false;
            if !DROPPED_SEGMENTS.contains(&key.as_str()) {
                if base > 0 {
                    self.name.push('.');
                }
                self.name.push_str(&key);
            }
            map.next_value_seed(Flatten {
                name: self.name,
                out: self.out,
            })?;
            self.name.truncate(base);
        }
        if empty && base > 0 {
            self.leaf("{}".to_owned());
        }
        Ok(Kind::Object)
    }

    /// Arrays stay whole, as compact JSON text (`["a","b"]`): an analyst reads
    /// them as one value, and no rule column is an array.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<serde_json::Value>()? {
            items.push(item);
        }
        let text = serde_json::to_string(&serde_json::Value::Array(items))
            .map_err(|e| de::Error::custom(e.to_string()))?;
        self.leaf(text);
        Ok(Kind::Array)
    }
}

/// A row of a table result (`rows: [[...], ...]`): cell `i` is named `columns[i]`.
struct Row<'a> {
    columns: &'a [String],
    out: &'a mut Vec<(String, String)>,
}

impl<'de> DeserializeSeed<'de> for Row<'_> {
    type Value = Kind;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Row<'_> {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table row (an array of cells)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut name = String::new();
        let mut i = 0;
        loop {
            name.clear();
            match self.columns.get(i) {
                Some(column) => name.push_str(column),
                None => name.push_str(&format!("(extra column {})", i + 1)),
            }
            let cell = Flatten {
                name: &mut name,
                out: self.out,
            };
            if seq.next_element_seed(cell)?.is_none() {
                return Ok(Kind::Array);
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Kind, A::Error> {
        let mut name = String::new();
        Flatten {
            name: &mut name,
            out: self.out,
        }
        .visit_map(map)
    }
}

/// Parse one complete value with `seed`, requiring nothing but white space after it.
fn parse<'de, S>(bytes: &'de [u8], seed: S) -> Result<Kind, String>
where
    S: DeserializeSeed<'de, Value = Kind>,
{
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let kind = seed.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(kind)
}

/// The fields of an event object, or why it is not one.
pub(super) fn object_fields(bytes: &[u8]) -> Result<Vec<(String, String)>, (ErrorKind, String)> {
    let mut fields = Vec::new();
    let mut name = String::new();
    let kind = parse(
        bytes,
        Flatten {
            name: &mut name,
            out: &mut fields,
        },
    )
    .map_err(|e| (ErrorKind::JsonSyntax, format!("invalid JSON: {e}")))?;
    match kind {
        Kind::Object => {
            add_raw(&mut fields);
            Ok(fields)
        }
        Kind::Array => Err((
            ErrorKind::JsonNotEvent,
            "an array, not an event object".to_owned(),
        )),
        Kind::Scalar(what) => Err((
            ErrorKind::JsonNotEvent,
            format!("{what}, not an event object"),
        )),
    }
}

/// The fields of a table row, named by `columns`.
pub(super) fn row_fields(
    bytes: &[u8],
    columns: &[String],
) -> Result<Vec<(String, String)>, (ErrorKind, String)> {
    let mut fields = Vec::new();
    let kind = parse(
        bytes,
        Row {
            columns,
            out: &mut fields,
        },
    )
    .map_err(|e| (ErrorKind::JsonSyntax, format!("invalid JSON: {e}")))?;
    match kind {
        Kind::Scalar(what) => Err((ErrorKind::JsonNotEvent, format!("{what}, not a table row"))),
        _ => Ok(fields),
    }
}

/// Column names from a table's `columns` value: `[{"name": ..}]`,
/// `[{"ColumnName": ..}]` (older Log Analytics / Kusto v1) or `["a", "b"]`.
pub(super) fn column_names(bytes: &[u8]) -> Result<Vec<String>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON in columns: {e}"))?;
    let serde_json::Value::Array(columns) = value else {
        return Err("table columns are not an array".to_owned());
    };
    let mut names = Vec::with_capacity(columns.len());
    for (i, column) in columns.iter().enumerate() {
        let name = match column {
            serde_json::Value::String(s) => Some(s.as_str()),
            serde_json::Value::Object(o) => ["name", "ColumnName", "Name"]
                .iter()
                .find_map(|k| o.get(*k).and_then(serde_json::Value::as_str)),
            _ => None,
        };
        match name {
            Some(n) => names.push(n.to_owned()),
            None => return Err(format!("table column {} has no name", i + 1)),
        }
    }
    Ok(names)
}

/// Splunk keeps the original event in `_raw`; its fields are appended after
/// the extracted ones when it is JSON (a winlogbeat or ECS event) or Windows
/// event XML (the `XmlWinEventLog` source types, see [`super::raw_xml`]).
fn add_raw(fields: &mut Vec<(String, String)>) {
    let Some((_, raw)) = fields.iter().find(|(n, _)| n == "_raw") else {
        return;
    };
    let raw = raw.trim_start();
    if raw.starts_with('<') {
        let mut extra = super::raw_xml::event_fields(raw);
        fields.append(&mut extra);
        return;
    }
    if !raw.starts_with('{') {
        return;
    }
    let mut extra = Vec::new();
    let mut name = String::new();
    let seed = Flatten {
        name: &mut name,
        out: &mut extra,
    };
    if let Ok(Kind::Object) = parse(raw.as_bytes(), seed) {
        fields.append(&mut extra);
    }
}

/// Hand an event's fields to the sink as a [`NamedRecord`].
/// It is classified as [`NamedRecord`]s are, by its provider when it names one.
pub(super) fn emit(fields: Vec<(String, String)>, position: Position, sink: &mut dyn RecordSink) {
    sink.record(&NamedRecord::new(fields, position));
}

/// Report a value that cannot be analysed.
pub(super) fn skip(kind: ErrorKind, position: Position, reason: String, sink: &mut dyn RecordSink) {
    sink.skip(Skip::new(kind, position, reason));
}
