//! Synthetic events as Event Viewer's "Save as XML" writes them
//! (`<Events><Event xmlns=…>…</Event>…</Events>`): the same events as
//! [`super::evtx`] writes, for the XML decoder and for comparing the two.

use alloc::string::String;

use super::evtx::{SynthEvent, EVENT_NAMESPACE};
use super::value::{filetime_text, SynthValue};

/// Append `text` with `&`, `<` and `>` escaped (and `"` and `'` in an
/// attribute), as the `evtx` crate escapes them.
fn escape_as(text: &str, attribute: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// Element text, escaped.
fn escape(text: &str, out: &mut String) {
    escape_as(text, false, out)
}

/// An attribute value, escaped.
fn escape_attribute(text: &str, out: &mut String) {
    escape_as(text, true, out)
}

/// Append `event`, record `record_id`, as one `<Event>` element.
pub fn event_xml(event: &SynthEvent, record_id: u64, out: &mut String) {
    use core::fmt::Write;
    let e = event;
    // `write!` to a String cannot fail.
    let _ = write!(
        out,
        "<Event xmlns=\"{EVENT_NAMESPACE}\"><System><Provider Name=\""
    );
    escape_attribute(&e.provider.name, out);
    let _ = write!(
        out,
        "\" Guid=\"{}\"/><EventID>{}</EventID><Version>{}</Version><Level>{}</Level><Task>{}</Task><Opcode>{}</Opcode><Keywords>0x{:x}</Keywords><TimeCreated SystemTime=\"{}\"/><EventRecordID>{record_id}</EventRecordID><Correlation/><Execution ProcessID=\"{}\" ThreadID=\"{}\"/><Channel>",
        e.provider.guid,
        e.event_id,
        e.version,
        e.level,
        e.task,
        e.opcode,
        e.keywords,
        filetime_text(e.time),
        e.process_id,
        e.thread_id
    );
    escape(&e.channel, out);
    out.push_str("</Channel><Computer>");
    escape(&e.computer, out);
    out.push_str("</Computer>");
    match &e.user_sid {
        Some(sid) => {
            let _ = write!(out, "<Security UserID=\"{sid}\"/>");
        }
        None => out.push_str("<Security/>"),
    }
    out.push_str("</System><EventData>");
    for (name, value) in &e.data {
        out.push_str("<Data Name=\"");
        escape_attribute(name, out);
        if *value == SynthValue::Null {
            out.push_str("\"/>");
            continue;
        }
        out.push_str("\">");
        escape(&value.text(), out);
        out.push_str("</Data>");
    }
    out.push_str("</EventData></Event>");
}

/// `events` as one XML export, `EventRecordID` from 1 (as [`super::evtx::write_log`] numbers them).
pub fn xml_export<'e>(events: impl IntoIterator<Item = &'e SynthEvent>) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Events>");
    for (i, event) in events.into_iter().enumerate() {
        event_xml(event, i as u64 + 1, &mut out);
        out.push('\n');
    }
    out.push_str("</Events>\n");
    out
}
