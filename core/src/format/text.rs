//! Text encodings: a streaming front end ([`Front`]) that turns UTF-8 (with or
//! without a BOM) and UTF-16 LE/BE (with a BOM, or guessed from ASCII text)
//! into UTF-8 bytes for the text decoders (CSV, JSON, XML).
//!
//! Chunk boundaries may fall anywhere, even inside a UTF-16 code unit or a
//! surrogate pair; the output does not depend on them. Unpaired surrogates
//! become U+FFFD (and are counted in [`Transcoder::replaced`]).

use alloc::vec::Vec;

/// The encoding a text file was found to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a leading BOM, if any, is dropped).
    Utf8,
    /// UTF-16 little-endian (announced by `FF FE`).
    Utf16Le,
    /// UTF-16 big-endian (announced by `FE FF`).
    Utf16Be,
}

/// Detect the encoding from the first bytes; returns it and the BOM length.
/// Needs at least 3 bytes (or the whole file if shorter) to be certain.
///
/// UTF-16 without a BOM (some export scripts write it) is recognised by its
/// ASCII first characters: `T\0i` is UTF-16 LE, `\0T\0` UTF-16 BE (no UTF-8
/// text starts with a NUL as its first or second byte).
pub fn detect(head: &[u8]) -> (Encoding, usize) {
    let text = |b: u8| b == b'\t' || b == b'\n' || b == b'\r' || (0x20..0x7F).contains(&b);
    match head {
        [0xEF, 0xBB, 0xBF, ..] => (Encoding::Utf8, 3),
        [0xFF, 0xFE, ..] => (Encoding::Utf16Le, 2),
        [0xFE, 0xFF, ..] => (Encoding::Utf16Be, 2),
        [a, 0, b, ..] if text(*a) && text(*b) => (Encoding::Utf16Le, 0),
        [0, a, 0, ..] if text(*a) => (Encoding::Utf16Be, 0),
        _ => (Encoding::Utf8, 0),
    }
}

/// The encoding front end of the text decoders: it holds the first bytes
/// until the encoding is known ([`detect`] wants 3), drops the byte-order
/// mark, and hands on UTF-8: UTF-8 input as it came (not copied), UTF-16
/// converted ([`Transcoder`]).
///
/// ```
/// use cmdhunt_core::format::text::Front;
/// let file = b"\xff\xfeT\0i\0m\0e\0"; // UTF-16 LE with a BOM
/// let mut front = Front::new();
/// let mut text = Vec::new();
/// for chunk in file.chunks(3) {
///     text.extend_from_slice(front.text(chunk).0);
/// }
/// let (tail, bom) = front.finish();
/// text.extend_from_slice(tail);
/// assert_eq!((text.as_slice(), bom), (&b"Time"[..], 2));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Front {
    /// Bytes held back until the encoding is known (at most 2).
    pending: Vec<u8>,
    transcoder: Option<Transcoder>,
    /// Length of the byte-order mark.
    bom: usize,
    /// Converted text (and the first bytes, once the encoding is known).
    utf8: Vec<u8>,
}

impl Front {
    /// A front end at the start of a file.
    pub fn new() -> Self {
        Front::default()
    }

    /// The UTF-8 text of `chunk`, the next bytes of the file (empty while
    /// the encoding is not known yet), and the length of the byte-order mark
    /// (to add to byte offsets in the text; 0 until the encoding is known).
    pub fn text<'a>(&'a mut self, chunk: &'a [u8]) -> (&'a [u8], usize) {
        let text = match self.transcoder.as_mut() {
            Some(t) if t.encoding() == Encoding::Utf8 => chunk,
            Some(t) => {
                self.utf8.clear();
                t.push(chunk, &mut self.utf8);
                &self.utf8
            }
            None => {
                self.pending.extend_from_slice(chunk);
                if self.pending.len() < 3 {
                    return (&[], 0);
                }
                self.utf8.clear();
                self.start();
                &self.utf8
            }
        };
        (text, self.bom)
    }

    /// The end of the file: the text still held back (the whole of a file
    /// shorter than 3 bytes; a dangling UTF-16 byte or surrogate as U+FFFD),
    /// and the length of the byte-order mark.
    pub fn finish(&mut self) -> (&[u8], usize) {
        self.utf8.clear();
        if self.transcoder.is_none() {
            self.start();
        }
        if let Some(t) = self.transcoder.as_mut() {
            t.finish(&mut self.utf8);
        }
        (&self.utf8, self.bom)
    }

    /// Detect the encoding from the bytes held back, and convert them.
    fn start(&mut self) {
        let (encoding, bom) = detect(&self.pending);
        self.bom = bom;
        let mut t = Transcoder::new(encoding);
        t.push(&self.pending[bom..], &mut self.utf8);
        self.transcoder = Some(t);
        self.pending = Vec::new();
    }

    /// The encoding, once known.
    pub fn encoding(&self) -> Option<Encoding> {
        self.transcoder.as_ref().map(Transcoder::encoding)
    }
}

/// Streaming UTF-16 → UTF-8 converter (UTF-8 input passes through untouched).
#[derive(Debug, Clone)]
pub struct Transcoder {
    encoding: Encoding,
    /// A dangling odd byte from the previous chunk.
    odd: Option<u8>,
    /// A high surrogate waiting for its low half.
    high: Option<u16>,
    /// Number of U+FFFD substitutions made.
    pub replaced: u64,
}

impl Transcoder {
    /// A converter for `encoding`.
    pub fn new(encoding: Encoding) -> Self {
        Transcoder {
            encoding,
            odd: None,
            high: None,
            replaced: 0,
        }
    }

    /// The encoding converted from.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Convert `input`, appending UTF-8 to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if self.encoding == Encoding::Utf8 {
            out.extend_from_slice(input);
            return;
        }
        let mut bytes = input;
        if let Some(first) = self.odd.take() {
            match bytes.split_first() {
                Some((&second, rest)) => {
                    self.unit([first, second], out);
                    bytes = rest;
                }
                None => {
                    self.odd = Some(first);
                    return;
                }
            }
        }
        let mut pairs = bytes.chunks_exact(2);
        for pair in &mut pairs {
            self.unit([pair[0], pair[1]], out);
        }
        if let [last] = pairs.remainder() {
            self.odd = Some(*last);
        }
    }

    /// Flush at end of input: a dangling byte or surrogate becomes U+FFFD.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.odd.take().is_some() || self.high.take().is_some() {
            self.replacement(out);
        }
    }

    fn unit(&mut self, pair: [u8; 2], out: &mut Vec<u8>) {
        let u = match self.encoding {
            Encoding::Utf16Le => u16::from_le_bytes(pair),
            _ => u16::from_be_bytes(pair),
        };
        match (self.high.take(), u) {
            (Some(h), 0xDC00..=0xDFFF) => {
                let c = 0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
                push_char(char::from_u32(c).unwrap_or('\u{FFFD}'), out);
            }
            (prev, 0xD800..=0xDBFF) => {
                if prev.is_some() {
                    self.replacement(out);
                }
                self.high = Some(u);
            }
            (prev, _) => {
                if prev.is_some() {
                    self.replacement(out);
                }
                match char::from_u32(u32::from(u)) {
                    Some(c) => push_char(c, out),
                    None => self.replacement(out), // a lone low surrogate
                }
            }
        }
    }

    fn replacement(&mut self, out: &mut Vec<u8>) {
        self.replaced += 1;
        push_char('\u{FFFD}', out);
    }
}

fn push_char(c: char, out: &mut Vec<u8>) {
    let mut buf = [0; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Bytes as text, replacing invalid UTF-8 with U+FFFD (borrowed when valid).
pub fn lossy(bytes: &[u8]) -> alloc::borrow::Cow<'_, str> {
    alloc::string::String::from_utf8_lossy(bytes)
}
