//! A fast field reader for the XML that `evtx` renders.
//!
//! It reads what [`crate::format::xml::event_fields`] reads, the same way (the
//! tests compare the two on every real log; the names are
//! [`crate::format::winevent`]'s), but as byte ranges into the rendered text,
//! in one pass that can stop after `System`: elements, attributes in either
//! quote, text with references. Anything else (comments, CDATA, a DOCTYPE,
//! broken markup) makes it give up, and the full XML reader takes the record.
//! The records it feeds are in `super::records`.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use memchr::memchr;
use memchr::memmem;

use crate::format::winevent::{self, Section, SystemField};

/// Where a field's name comes from.
#[derive(Debug, Clone, Copy)]
enum Name {
    /// A `System` field.
    Fixed(&'static str),
    /// Bytes of the text (an element name or a `Name` attribute), escaped or not.
    Text(usize, usize, bool),
    /// The n-th `Data` without a `Name`.
    Unnamed(usize),
}

/// One field: its name, and its value as a byte range (escaped or not).
#[derive(Debug, Clone, Copy)]
pub(super) struct FieldSpan {
    name: Name,
    start: usize,
    end: usize,
    escaped: bool,
}

fn text_of(xml: &str, start: usize, end: usize, escaped: bool) -> Cow<'_, str> {
    let raw = xml.get(start..end).unwrap_or("");
    if escaped {
        quick_xml::escape::unescape(raw).unwrap_or(Cow::Borrowed(raw))
    } else {
        Cow::Borrowed(raw)
    }
}

impl FieldSpan {
    pub(super) fn name<'a>(&self, xml: &'a str) -> Cow<'a, str> {
        match self.name {
            Name::Fixed(n) => Cow::Borrowed(n),
            Name::Text(s, e, escaped) => text_of(xml, s, e, escaped),
            Name::Unnamed(n) => Cow::Owned(winevent::unnamed_data(n)),
        }
    }

    pub(super) fn name_is(&self, xml: &str, wanted: &str) -> bool {
        match self.name {
            Name::Fixed(n) => n == wanted,
            Name::Text(s, e, false) => xml.get(s..e) == Some(wanted),
            _ => self.name(xml) == wanted,
        }
    }

    pub(super) fn value<'a>(&self, xml: &'a str) -> Cow<'a, str> {
        text_of(xml, self.start, self.end, self.escaped)
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where a scan of one rendered record is.
pub(super) struct Scan<'x> {
    xml: &'x [u8],
    pos: usize,
    depth: usize,
    section: Section,
    /// The element whose text is being read: its field name, depth, and where its text starts.
    capture: Option<(Name, usize, usize)>,
    unnamed: usize,
    started: bool,
    /// Whether the record has any `&` at all (most have none).
    any_amp: bool,
}

/// How far a scan went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reached {
    /// The end of `System` (asked to stop there).
    SystemEnd,
    /// The end of the event.
    End,
}

impl<'x> Scan<'x> {
    /// A scan at the start of `xml`.
    pub(super) fn new(xml: &'x [u8]) -> Self {
        Scan {
            xml,
            pos: 0,
            depth: 0,
            section: Section::Ignored,
            capture: None,
            unnamed: 0,
            started: false,
            any_amp: memchr(b'&', xml).is_some(),
        }
    }

    /// Whether `xml[start..end]` is escaped text; `None` when a reference
    /// is not one the full reader takes.
    fn escaped(&self, start: usize, end: usize) -> Option<bool> {
        if !self.any_amp {
            return Some(false);
        }
        let raw = self.xml.get(start..end)?;
        if memchr(b'&', raw).is_none() {
            return Some(false);
        }
        let text = core::str::from_utf8(raw).ok()?;
        quick_xml::escape::unescape(text).ok()?;
        Some(true)
    }

    fn skip_space(&self, mut i: usize) -> Option<usize> {
        while is_space(*self.xml.get(i)?) {
            i += 1;
        }
        Some(i)
    }

    /// Read fields into `out` until the end of the event, or of `System`
    /// when `system_only`. `None`: markup this reader leaves to the full one.
    pub(super) fn run(&mut self, out: &mut Vec<FieldSpan>, system_only: bool) -> Option<Reached> {
        let xml = self.xml;
        while let Some(j) = memchr(b'<', xml.get(self.pos..)?) {
            let lt = self.pos + j;
            if self.section == Section::EventData && self.depth == 2 && self.data(lt, out)? {
                continue;
            }
            match *xml.get(lt + 1)? {
                b'?' if !self.started => {
                    self.pos = lt + memmem::find(xml.get(lt..)?, b"?>")? + 2;
                }
                b'?' | b'!' => return None,
                b'/' => {
                    let mut gt = lt + 2;
                    while *xml.get(gt)? != b'>' {
                        gt += 1;
                    }
                    if let Some((name, at, start)) = self.capture.take() {
                        if at == self.depth {
                            let escaped = self.escaped(start, lt)?;
                            out.push(FieldSpan {
                                name,
                                start,
                                end: lt,
                                escaped,
                            });
                        }
                    }
                    let system_end = self.depth == 2 && self.section == Section::System;
                    self.depth = self.depth.checked_sub(1)?;
                    self.pos = gt + 1;
                    if self.depth == 0 {
                        return Some(Reached::End);
                    }
                    if system_only && system_end {
                        return Some(Reached::SystemEnd);
                    }
                }
                _ => {
                    if self.start_tag(lt, out)? {
                        return Some(Reached::End); // `<Event/>`
                    }
                }
            }
        }
        None
    }

    /// The common shape of an `EventData` field, `<Data Name="N">value</Data>`
    /// (or `<Data Name="N"/>`), at `xml[lt]`, read in one go; `Some(false)`
    /// when it is something else (the general path reads it then).
    fn data(&mut self, lt: usize, out: &mut Vec<FieldSpan>) -> Option<bool> {
        const OPEN: &[u8] = b"<Data Name=\"";
        const CLOSE: &[u8] = b"</Data>";
        let xml = self.xml;
        let rest = xml.get(lt..)?;
        if !rest.starts_with(OPEN) {
            return Some(false);
        }
        let name_start = lt + OPEN.len();
        let name_end = name_start + memchr(b'"', xml.get(name_start..)?)?;
        let after = xml.get(name_end + 1..)?;
        let (start, end, next) = if after.starts_with(b">") {
            let start = name_end + 2;
            let end = start + memchr(b'<', xml.get(start..)?)?;
            if !xml.get(end..)?.starts_with(CLOSE) {
                return Some(false);
            }
            (start, end, end + CLOSE.len())
        } else if after.starts_with(b"/>") {
            (0, 0, name_end + 3)
        } else {
            return Some(false);
        };
        let name = Name::Text(name_start, name_end, self.escaped(name_start, name_end)?);
        let escaped = self.escaped(start, end)?;
        out.push(FieldSpan {
            name,
            start,
            end,
            escaped,
        });
        self.pos = next;
        Some(true)
    }

    /// A start tag at `xml[lt]`; `Some(true)` when it is an empty root.
    fn start_tag(&mut self, lt: usize, out: &mut Vec<FieldSpan>) -> Option<bool> {
        let xml = self.xml;
        if self.started && self.depth == 0 {
            return None;
        }
        self.started = true;
        let name_start = lt + 1;
        let mut name_end = name_start;
        let mut colon = name_start;
        loop {
            match *xml.get(name_end)? {
                b'>' | b'/' => break,
                b if is_space(b) => break,
                b':' => colon = name_end + 1,
                _ => {}
            }
            name_end += 1;
        }
        let local_start = colon;
        let local = xml.get(local_start..name_end)?;
        // Attributes: the ones a field needs.
        let mut i = name_end;
        let mut name_attr = None;
        let mut time_attr = None;
        let empty = loop {
            i = self.skip_space(i)?;
            match *xml.get(i)? {
                b'>' => {
                    i += 1;
                    break false;
                }
                b'/' if xml.get(i + 1) == Some(&b'>') => {
                    i += 2;
                    break true;
                }
                _ => {}
            }
            let key_start = i;
            let mut key_local = i;
            loop {
                match *xml.get(i)? {
                    b'=' | b'>' => break,
                    b if is_space(b) => break,
                    b':' => key_local = i + 1,
                    _ => {}
                }
                i += 1;
            }
            if i == key_start {
                return None;
            }
            let key = xml.get(key_local..i)?;
            i = self.skip_space(i)?;
            if *xml.get(i)? != b'=' {
                return None;
            }
            i = self.skip_space(i + 1)?;
            let quote = *xml.get(i)?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            let v_start = i + 1;
            let v_end = v_start + memchr(quote, xml.get(v_start..)?)?;
            match key {
                k if k == winevent::NAME_ATTRIBUTE.as_bytes() && name_attr.is_none() => {
                    name_attr = Some((v_start, v_end, self.escaped(v_start, v_end)?));
                }
                k if k == winevent::TIME_ATTRIBUTE.as_bytes() && time_attr.is_none() => {
                    time_attr = Some((v_start, v_end, self.escaped(v_start, v_end)?));
                }
                _ => {
                    self.escaped(v_start, v_end)?;
                }
            }
            i = v_end + 1;
        };
        self.pos = i;
        let at = self.depth + 1;
        self.capture = None;
        if !empty {
            self.depth += 1;
            if at == 2 {
                self.section = Section::of(local);
            }
        }
        let element = Name::Text(local_start, name_end, false);
        let field = match self.section {
            Section::System if at == 3 => match winevent::system_field(local) {
                Some(SystemField::Attribute { field, attribute }) => {
                    let value = if attribute == winevent::NAME_ATTRIBUTE {
                        name_attr
                    } else {
                        time_attr
                    };
                    if let Some((start, end, escaped)) = value {
                        out.push(FieldSpan {
                            name: Name::Fixed(field),
                            start,
                            end,
                            escaped,
                        });
                    }
                    None
                }
                Some(SystemField::Text(field)) => Some(Name::Fixed(field)),
                None => None,
            },
            Section::EventData if at == 3 => match (local, name_attr) {
                (l, Some((s, e, escaped))) if l == winevent::DATA.as_bytes() => {
                    Some(Name::Text(s, e, escaped))
                }
                (l, None) if l == winevent::DATA.as_bytes() => {
                    self.unnamed += 1;
                    Some(Name::Unnamed(self.unnamed))
                }
                _ => Some(element),
            },
            Section::UserData if at >= 3 => Some(element),
            _ => None,
        };
        if let Some(name) = field {
            if empty {
                out.push(FieldSpan {
                    name,
                    start: 0,
                    end: 0,
                    escaped: false,
                });
            } else {
                self.capture = Some((name, at, i));
            }
        }
        Some(empty && at == 1)
    }
}

/// Every field of the spans, named, with its value.
pub(super) fn materialize(xml: &str, spans: &[FieldSpan]) -> Vec<(String, String)> {
    spans
        .iter()
        .map(|s| (s.name(xml).into_owned(), s.value(xml).into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::xml::event_fields;

    fn fields(xml: &str) -> Option<Vec<(String, String)>> {
        let mut spans = Vec::new();
        Scan::new(xml.as_bytes()).run(&mut spans, false)?;
        Some(materialize(xml, &spans))
    }

    #[test]
    fn reads_what_the_full_reader_reads() {
        let cases = [
            "<?xml version=\"1.0\"?>\n<Event xmlns=\"x\"><System><Provider Name=\"P&amp;Q\" Guid='{1}'/><EventID Qualifiers=\"0\">1</EventID><TimeCreated SystemTime=\"2020-01-01T00:00:00Z\"/><Computer/></System><EventData><Data Name=\"A\">a &lt;b&gt; &#x41;</Data><Data>x</Data><Data Name=\"E\"></Data><Binary>00</Binary></EventData></Event>",
            "<Event><System><Channel>Security</Channel></System><UserData><W xmlns=\"u\"><A>1</A><B><C>2</C></B><D/></W></UserData></Event>",
            "<Event/>",
            "<e:Event xmlns:e=\"x\"><e:System><e:Provider e:Name=\"p\"/></e:System></e:Event>",
        ];
        for xml in cases {
            let full = event_fields(xml).unwrap();
            assert_eq!(fields(xml), Some(full), "{xml}");
        }
    }

    #[test]
    fn stops_after_system_when_asked_and_goes_on_from_there() {
        let xml = "<Event><System><Provider Name=\"p\"/><EventID>1</EventID></System><EventData><Data Name=\"A\">a</Data></EventData></Event>";
        let mut spans = Vec::new();
        let mut scan = Scan::new(xml.as_bytes());
        assert_eq!(scan.run(&mut spans, true), Some(Reached::SystemEnd));
        assert_eq!(spans.len(), 2);
        assert_eq!(scan.run(&mut spans, false), Some(Reached::End));
        assert_eq!(materialize(xml, &spans), event_fields(xml).unwrap());
    }

    #[test]
    fn leaves_other_markup_to_the_full_reader() {
        for xml in [
            "<Event><!-- c --><System/></Event>",
            "<Event><System><Computer><![CDATA[x]]></Computer></System></Event>",
            "<Event><System><Computer>&bogus;</Computer></System></Event>",
            "<Event><System></Event>",
            "<Event><System>",
            "<Event a=b/>",
        ] {
            assert_eq!(fields(xml), None, "{xml}");
        }
    }
}
