//! JSON exports, streamed: any number of events in any of the shapes tools
//! write, recognised by content (never by file name), in chunks of any size.
//!
//! # Shapes
//!
//! - **JSON lines** (one object per line) and **objects run together**,
//!   pretty-printed or not (Sigma regression data, Mordor / OTRF datasets,
//!   Elastic NDJSON, Defender events as JSON lines). evtx_dump's `Record N`
//!   lines between objects, and commas between objects, are separators.
//! - **A top-level array** of event objects: its elements are streamed one at
//!   a time, never parsed as one value.
//! - **Result envelopes**: a top-level object whose `Results` / `results` /
//!   `records` key holds an array (Defender advanced-hunting API
//!   `{"Schema":[..],"Results":[{..}]}`, Graph `runHuntingQuery`
//!   `{"schema":[..],"results":[{..}]}`, Splunk REST `results`, Azure
//!   diagnostic / Event Hub `{"records":[{"properties":{..}}]}`): each element
//!   is an event, streamed. The envelope's other keys are not events and are
//!   passed over.
//! - **Log Analytics tables** (`{"tables":[{"name":..,"columns":[{"name":..}],
//!   "rows":[[..]]}]}`, also the older `Tables`/`Columns`/`ColumnName`/`Rows`):
//!   each row is an event whose cells are named by the columns, streamed.
//!   Rows that arrive *before* their table's columns (JSON does not fix key
//!   order) are held until the columns come, up to [`MAX_RECORD_BYTES`](super::MAX_RECORD_BYTES) in
//!   all; that is the only data buffered beyond one event.
//!
//! # Fields
//!
//! Nested objects are flattened to dotted names (`process.parent.name`), then
//! wrapper prefixes are removed ([`field_name`], [`WRAPPER_PREFIXES`]) so that
//! `winlog.event_data.Image`, `Event.EventData.Image` and `result.Image` all
//! map as `Image`; evtx_dump's `#attributes` / `#text` levels are dropped
//! (`Event.System.TimeCreated.#attributes.SystemTime` → `TimeCreated.SystemTime`).
//! Numbers and booleans become their JSON text, `null` an empty string, an
//! array its compact JSON text. Splunk's `_raw`, when it holds a JSON event or
//! Windows event XML, adds that event's fields after the extracted ones.
//!
//! An event that names its provider and event id (`Provider.Name`,
//! `SourceName`, `provider_name`, `source_name`, `event.provider`) is
//! classified by them, as every format classifies Windows events
//! ([`super::winevent`]); otherwise by `ActionType` / `EventID` as for CSV.
//!
//! # Limits and errors
//!
//! A value nested deeper than [`MAX_DEPTH`] levels or larger than
//! [`MAX_RECORD_BYTES`](super::MAX_RECORD_BYTES) is skipped with its position, and so is a value
//! `serde_json` rejects (with its message) or one that is not an object; the
//! scanner then goes on with the next value. The splitter is iterative: a
//! value nested millions deep costs a counter, not a stack. In JSON lines, a
//! line whose value is cut short is reported when the next line starts a new
//! object. Positions are byte offsets in the file (after UTF-16 input is
//! converted to UTF-8, they count UTF-8 bytes), 1-based lines, and record
//! numbers counting events and skips alike.

mod event;
mod raw_xml;
mod scanner;

pub use event::{field_name, WRAPPER_PREFIXES};
pub use scanner::MAX_DEPTH;

use super::text::Front;
use super::{DecodeError, Decoder};
use crate::event::RecordSink;

/// Streaming JSON decoder. See the [module docs](self).
#[derive(Debug)]
pub struct JsonDecoder {
    front: Front,
    scanner: scanner::Scanner,
}

impl Default for JsonDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonDecoder {
    /// A decoder at the start of a file.
    pub fn new() -> Self {
        JsonDecoder {
            front: Front::new(),
            scanner: scanner::Scanner::new(),
        }
    }
}

impl Decoder for JsonDecoder {
    fn push(&mut self, chunk: &[u8], sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        let (text, bom) = self.front.text(chunk);
        self.scanner.bias = bom as u64;
        if !text.is_empty() {
            self.scanner.push(text, sink);
        }
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn RecordSink) -> Result<(), DecodeError> {
        let (text, bom) = self.front.finish();
        self.scanner.bias = bom as u64;
        if !text.is_empty() {
            self.scanner.push(text, sink);
        }
        self.scanner.finish(sink)
    }
}
