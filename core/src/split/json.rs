//! One big JSON lines file scanned as `k` byte ranges, with results
//! identical to a scan of the whole file, when its lines are *clean*.
//!
//! The JSON decoder's state between lines (open containers, a string broken
//! by a raw line break, stray text, whether every object so far sat on one
//! line, the line numbers in some skip reasons) is not exposed, so a seam is
//! only trusted when that state is known from the bytes alone. A line is
//! clean when, outside strings (escapes followed as the decoder follows
//! them), it is white space, one `{` … `}` whose brackets balance on that
//! line, and white space; no string in it breaks at the line's end, no NUL
//! byte lies outside a string, and no string directly inside the object is
//! `tables` (a Log Analytics table, whose skip reasons name positions). A
//! range is clean when every line in it is clean or blank and it holds at
//! least one object. After clean lines the decoder is between top-level
//! values with nothing pending, so a fresh decoder reads the next clean
//! lines exactly as the whole scan does, and every skip reason in them is
//! free of positions.
//!
//! The protocol is [`super::evtx`]'s (a stack of accepted scanners, all
//! kept open) with one more condition: range `i` is accepted when the top
//! scanner is [clean](JsonRangeScan::clean) (only range 0's can be unclean
//! there) and range `i` [stands alone](JsonRangeScan::stands_alone) (clean,
//! and no Security 4688 parent looked up and not found,
//! [`FileScan::parents_not_found`]). Otherwise the top scanner reads on
//! through range `i` (the rescan); a later range's scanner that reads an
//! unclean line stops standing alone (its line numbers are its own, and
//! some skip reasons name a line), so it is dropped and the one below reads
//! on through both, down to range 0's if need be. A file with an unclean
//! line is therefore read by one worker from there on: correct, not faster. JSON arrays,
//! API envelopes over many lines and pretty-printed objects are refused by
//! [`plan`] (their first line is not a whole object).
//!
//! ```
//! use cmdhunt_core::format::Format;
//! use cmdhunt_core::matcher::CompiledRule;
//! use cmdhunt_core::scan::FileScan;
//! use cmdhunt_core::split::{json, merge_all};
//!
//! let file = b"{\"EventID\":4688,\"NewProcessName\":\"C:\\\\x\\\\cmd.exe\"}\n{\"a\":1}\n{\"b\":2}\n";
//! let size = file.len() as u64;
//! let middle = file.len() / 2;
//! let plan = json::plan(file, &[(middle as u64, &file[middle..])], size).expect("JSON lines");
//! let rule = CompiledRule::new();
//! let mut first = json::JsonRangeScan::first(FileScan::new(&rule, 0, "x.json", None), &plan);
//! let b = plan.starts[0] as usize;
//! first.push(&file[..b]);
//! let mut second =
//!     json::JsonRangeScan::after(FileScan::new(&rule, 0, "x.json", Some(Format::Json)), b as u64);
//! second.push(&file[b..]);
//! assert!(first.clean() && second.stands_alone());
//! let (summary, _) = merge_all(vec![first.finish(), second.finish()]).expect("parts");
//! assert_eq!(summary.records, 3);
//! ```

use alloc::vec::Vec;

use memchr::{memchr, memchr3};

use super::RangePart;
use crate::format::text::{detect, Encoding};
use crate::format::{sniff, Format};
use crate::scan::{FileScan, FileSummary, FlaggedRow};

/// Where a JSON lines file is cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPlan {
    /// Length of the UTF-8 byte-order mark (0 or 3).
    pub bom: usize,
    /// The later ranges' first bytes, increasing (each follows a `\n`).
    pub starts: Vec<u64>,
}

/// Plan a split of a JSON lines file of `size` bytes: `head` is its first
/// bytes (up to [`super::HEAD_BYTES`]), `windows` are `(window_start,
/// window)` pairs, one per wanted cut, in increasing order, as for
/// [`super::plan_n`]; each cut is the first line start in its window. `None`
/// (scan it whole): not UTF-8 JSON, its first line is not a clean whole
/// object (an array, an envelope, pretty-printed JSON), or no cut is left.
pub fn plan(head: &[u8], windows: &[(u64, &[u8])], size: u64) -> Option<JsonPlan> {
    if sniff(head) != Some(Format::Json) {
        return None;
    }
    let (encoding, bom) = detect(head);
    if encoding != Encoding::Utf8 {
        return None;
    }
    let first_end = bom + memchr(b'\n', &head[bom..])? + 1;
    let mut lines = Lines::new(bom);
    lines.push(&head[..first_end]);
    if !lines.clean() {
        return None;
    }
    let mut starts: Vec<u64> = Vec::new();
    for &(at, window) in windows {
        let cut = at + memchr(b'\n', window)? as u64 + 1;
        if cut < first_end as u64 || cut >= size {
            continue;
        }
        if starts.last().is_none_or(|&last| cut > last) {
            starts.push(cut);
        }
    }
    (!starts.is_empty()).then_some(JsonPlan { bom, starts })
}

/// The bytes that matter inside a line's object, outside strings.
static INSIDE_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut k = 0;
    let special = *b"\"{}[]\n\0";
    while k < special.len() {
        t[special[k] as usize] = true;
        k += 1;
    }
    t
};

/// Where the line being read stands (outside strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Only white space so far.
    Blank,
    /// Inside the line's object.
    Inside,
    /// The object closed; only white space may follow.
    Closed,
}

/// Follows a range's bytes as the JSON decoder reads them, and tells
/// whether every line so far is clean (see the [module docs](self)).
#[derive(Debug, Clone)]
struct Lines {
    /// Bytes still to ignore (the byte-order mark).
    skip: usize,
    line: Line,
    depth: u64,
    in_string: bool,
    /// A backslash ended the last push inside a string.
    escape: bool,
    /// The string being read lies directly inside the line's object: its
    /// first bytes and length.
    key: Option<([u8; 6], usize)>,
    objects: u64,
    clean: bool,
}

impl Lines {
    fn new(bom: usize) -> Self {
        Lines {
            skip: bom,
            line: Line::Blank,
            depth: 0,
            in_string: false,
            escape: false,
            key: None,
            objects: 0,
            clean: true,
        }
    }

    fn push(&mut self, data: &[u8]) {
        let skip = self.skip.min(data.len());
        self.skip -= skip;
        let data = &data[skip..];
        let mut i = 0;
        if self.escape && !data.is_empty() {
            self.escape = false;
            self.escaped(data[0]);
            i = 1;
        }
        while self.clean && i < data.len() {
            if self.in_string {
                i = self.string(data, i);
                continue;
            }
            if self.line == Line::Inside {
                // Inside the object only strings, brackets, line breaks and
                // NUL matter: step over the rest.
                while i < data.len() && !INSIDE_SPECIAL[data[i] as usize] {
                    i += 1;
                }
                if i == data.len() {
                    break;
                }
            }
            let b = data[i];
            match (b, self.line) {
                (b'\n', Line::Inside) => self.clean = false,
                (b'\n', _) => self.line = Line::Blank,
                (b' ' | b'\t' | b'\r', _) => {}
                (b'{', Line::Blank) => {
                    self.line = Line::Inside;
                    self.depth = 1;
                    self.objects += 1;
                }
                (b'{' | b'[', Line::Inside) => self.depth += 1,
                (b'}' | b']', Line::Inside) => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.line = Line::Closed;
                    }
                }
                (b'"', Line::Inside) => {
                    self.in_string = true;
                    self.key = (self.depth == 1).then_some(([0; 6], 0));
                }
                (0, _) => self.clean = false,
                (_, Line::Inside) => {}
                _ => self.clean = false,
            }
            i += 1;
        }
    }

    /// Inside a string from `i`: find its end, as the decoder does.
    fn string(&mut self, data: &[u8], i: usize) -> usize {
        let Some(j) = memchr3(b'"', b'\\', b'\n', &data[i..]) else {
            self.string_part(&data[i..]);
            return data.len();
        };
        let k = i + j;
        self.string_part(&data[i..k]);
        match data[k] {
            b'\\' if k + 1 < data.len() => {
                self.string_part(&data[k..k + 1]);
                self.escaped(data[k + 1]);
                k + 2
            }
            b'\\' => {
                self.string_part(&data[k..]);
                self.escape = true;
                data.len()
            }
            b'"' => {
                self.in_string = false;
                if let Some((text, len)) = self.key.take() {
                    if len == 6 && text.eq_ignore_ascii_case(b"tables") {
                        self.clean = false;
                    }
                }
                k + 1
            }
            // A raw line break ends a broken string: not clean.
            _ => {
                self.clean = false;
                data.len()
            }
        }
    }

    /// The byte after a backslash in a string: taken into the string, even a
    /// line break (the decoder then counts no line: not clean, as the line
    /// numbers of later ranges would be off).
    fn escaped(&mut self, b: u8) {
        if b == b'\n' {
            self.clean = false;
        }
        self.string_part(&[b]);
    }

    fn string_part(&mut self, part: &[u8]) {
        if let Some((text, len)) = self.key.as_mut() {
            let room = text.len().saturating_sub(*len).min(part.len());
            if room > 0 {
                text[*len..*len + room].copy_from_slice(&part[..room]);
            }
            *len += part.len();
        }
    }

    /// Every line so far is clean or blank, at least one holds an object,
    /// and the bytes end at a line's end (or after a closed object).
    fn clean(&self) -> bool {
        self.clean && self.objects > 0 && !self.in_string && self.line != Line::Inside
    }
}

/// A scan of one range of a JSON lines file.
pub struct JsonRangeScan<'r> {
    scan: FileScan<'r>,
    /// The range's first byte in the file.
    start: u64,
    bytes: u64,
    newlines: u64,
    lines: Lines,
}

impl<'r> JsonRangeScan<'r> {
    /// The first range (from byte 0) of a file planned by [`plan`]; `scan`
    /// is a fresh [`FileScan`] set up as for the whole file.
    pub fn first(scan: FileScan<'r>, plan: &JsonPlan) -> Self {
        JsonRangeScan {
            scan,
            start: 0,
            bytes: 0,
            newlines: 0,
            lines: Lines::new(plan.bom),
        }
    }

    /// A later range starting at `start` (one of the plan's `starts`);
    /// `scan` should force [`Format::Json`] and be set up as the first
    /// range's. Nothing is fed before the range.
    pub fn after(scan: FileScan<'r>, start: u64) -> Self {
        JsonRangeScan {
            scan,
            start,
            bytes: 0,
            newlines: 0,
            lines: Lines::new(0),
        }
    }

    /// Feed the range's next bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        self.newlines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        self.lines.push(chunk);
        self.scan.push(chunk);
    }

    /// Whether every line read so far is clean (the [module docs](self)):
    /// the scanner of the last range accepted must be, for the next seam to
    /// hold.
    pub fn clean(&self) -> bool {
        self.lines.clean()
    }

    /// After the range's last byte (or after reading on): whether its result
    /// is the whole scan's for these bytes, given a clean range before it (it
    /// is clean itself, and looked up no 4688 parent it did not find).
    /// Always `true` for the first range.
    pub fn stands_alone(&self) -> bool {
        self.start == 0 || (self.clean() && self.scan.parents_not_found() == 0)
    }

    /// The summary so far.
    pub fn summary(&self) -> &FileSummary {
        self.scan.summary()
    }

    /// Rows flagged since the last call (positions relative to the range).
    pub fn take_rows(&mut self) -> Vec<FlaggedRow> {
        self.scan.take_rows()
    }

    /// The range's bytes read so far (the rescan's included).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Line breaks in the range's bytes read so far.
    pub fn newlines(&self) -> u64 {
        self.newlines
    }

    /// End of the range: its part for [`super::merge_all`].
    pub fn finish(self) -> RangePart {
        let (summary, rows) = self.scan.finish();
        RangePart {
            summary,
            rows,
            start: self.start,
            prefix: 0,
            prefix_newlines: 0,
            newlines: self.newlines,
            bytes: self.bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(data: &[u8]) -> bool {
        let mut whole = Lines::new(0);
        whole.push(data);
        let mut bytewise = Lines::new(0);
        for b in data {
            bytewise.push(core::slice::from_ref(b));
        }
        assert_eq!(whole.clean(), bytewise.clean(), "{data:?}");
        whole.clean()
    }

    #[test]
    fn clean_lines_are_whole_objects_one_per_line() {
        assert!(clean(b"{\"a\":1}\n"));
        assert!(clean(b"  {\"a\":[1,{\"b\":\"}\"}]} \r\n\n{}\n"));
        assert!(clean(b"{\"a\":\"x\\\"}{\"}\n"));
        assert!(clean(b"{\"a\":\"x\\\\\"}\n"));
        assert!(clean(b"{\"Results\":[{\"a\":1}]}\n"));
        // The last line may end without a line break.
        assert!(clean(b"{\"a\":1}\n{\"b\":2}"));
        // Not clean: no object, an object over two lines, a string broken
        // by a line break, two values on a line, stray text, a top-level
        // array, a NUL outside strings, a Log Analytics table.
        for data in [
            &b"\n \n"[..],
            b"{\"a\":\n1}\n",
            b"{\"a\":\"x\n\"}\n",
            b"{\"a\":1},{\"b\":2}\n",
            b"{\"a\":1} x\n",
            b"Record 1\n{\"a\":1}\n",
            b"[{\"a\":1}]\n",
            b"{\"a\":1}\n}\n",
            b"{\0}\n",
            b"{\"tables\":[]}\n",
            b"{\"TABLES\":[]}\n",
            b"{\"a\":1}\n{\"b\":",
            b"{\"a\":\"x\\\n\"}\n",
        ] {
            assert!(!clean(data), "{:?}", core::str::from_utf8(data));
        }
        // `tables` deeper inside is an ordinary value.
        assert!(clean(b"{\"a\":{\"tables\":[]}}\n"));
    }

    #[test]
    fn plan_wants_utf8_json_lines() {
        let file = b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
        let n = file.len() as u64;
        let p = plan(file, &[(5, &file[5..]), (9, &file[9..])], n).expect("plan");
        assert_eq!(p.starts, [8, 16]);
        assert_eq!(p.bom, 0);
        // Cuts at the same line start collapse; none left: no plan.
        let p = plan(file, &[(9, &file[9..]), (10, &file[10..])], n).expect("plan");
        assert_eq!(p.starts, [16]);
        assert_eq!(plan(file, &[(20, &file[20..])], n), None);
        // Pretty-printed, an array, CSV: no plan.
        let pretty = b"{\n \"a\": 1\n}\n{\n \"b\": 2\n}\n";
        assert_eq!(
            plan(pretty, &[(8, &pretty[8..])], pretty.len() as u64),
            None
        );
        let array = b"[{\"a\":1},\n{\"b\":2}\n]\n";
        assert_eq!(plan(array, &[(5, &array[5..])], array.len() as u64), None);
        let csv = b"a,b\n1,2\n3,4\n";
        assert_eq!(plan(csv, &[(5, &csv[5..])], csv.len() as u64), None);
        // UTF-16: no plan.
        let utf16: Vec<u8> = file.iter().flat_map(|b| [*b, 0]).collect();
        let at = utf16.len() / 2;
        assert_eq!(
            plan(&utf16, &[(at as u64, &utf16[at..])], utf16.len() as u64),
            None
        );
    }
}
