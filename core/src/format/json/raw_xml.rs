//! Fields of a Windows event kept as XML text inside a JSON event (Splunk's
//! `_raw` for the `XmlWinEventLog` source types).
//!
//! This is a tolerant extractor, not an XML parser (the XML decoder needs
//! `std`; JSON must not): it reads `Provider/@Name`, `EventID`,
//! `TimeCreated/@SystemTime`, `Computer` and every `<Data Name="..">`, and
//! decodes the five predefined entities and character references. Nothing
//! is expanded beyond that. The names are [`crate::format::winevent`]'s.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use crate::format::winevent;

/// The event's fields, named as the JSON decoder names evtx_dump's
/// (`Provider.Name`, `EventID`, `TimeCreated.SystemTime`, `Computer`, then
/// each `Data` by its `Name`). Empty when the text holds no `<Event`.
pub(super) fn event_fields(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !xml.contains("<Event") {
        return out;
    }
    let system = [
        (
            "Provider.Name",
            tag_attribute(xml, winevent::PROVIDER, winevent::NAME_ATTRIBUTE),
        ),
        (winevent::EVENT_ID, element_text(xml, winevent::EVENT_ID)),
        (
            "TimeCreated.SystemTime",
            tag_attribute(xml, winevent::TIME_CREATED, winevent::TIME_ATTRIBUTE),
        ),
        ("Computer", element_text(xml, "Computer")),
    ];
    for (name, value) in system {
        if let Some(value) = value {
            out.push((name.to_owned(), value));
        }
    }
    let mut rest = xml;
    while let Some((tag, after)) = next_tag(rest, winevent::DATA) {
        rest = after;
        let Some(name) = attribute(tag, winevent::NAME_ATTRIBUTE) else {
            continue;
        };
        let value = if tag.ends_with('/') {
            String::new()
        } else {
            match rest.find("</Data>") {
                Some(end) => {
                    let value = unescape(&rest[..end]);
                    rest = &rest[end + "</Data>".len()..];
                    value
                }
                None => break,
            }
        };
        out.push((name, value));
    }
    out
}

/// The inside of the next `<name ...>` start tag, and the text after it.
fn next_tag<'a>(xml: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    let mut rest = xml;
    loop {
        let start = rest.find('<')?;
        rest = &rest[start + 1..];
        let Some(after_name) = rest.strip_prefix(name) else {
            continue;
        };
        if !after_name.starts_with(|c: char| c == '>' || c == '/' || c.is_ascii_whitespace()) {
            continue;
        }
        let end = after_name.find('>')?;
        return Some((&after_name[..end], &after_name[end + 1..]));
    }
}

fn tag_attribute(xml: &str, tag: &str, name: &str) -> Option<String> {
    let (inside, _) = next_tag(xml, tag)?;
    attribute(inside, name)
}

/// The text of the first `<name>text</name>` (whatever its attributes).
fn element_text(xml: &str, name: &str) -> Option<String> {
    let (tag, after) = next_tag(xml, name)?;
    if tag.ends_with('/') {
        return Some(String::new());
    }
    let close = ["</", name, ">"].concat();
    let end = after.find(&close)?;
    Some(unescape(after[..end].trim()))
}

/// The value of attribute `name` inside a start tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    loop {
        let at = rest.find(name)?;
        let before = rest[..at].chars().next_back();
        let after = rest[at + name.len()..].trim_start();
        rest = &rest[at + name.len()..];
        if !before.is_some_and(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        let body = &value[1..];
        let end = body.find(quote)?;
        return Some(unescape(&body[..end]));
    }
}

/// Decode `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` and `&#..;` references;
/// anything else is kept as written.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').filter(|&end| end <= 12).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_system_and_data_fields() {
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
            <Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625}'/>\
            <EventID Qualifiers=''>4688</EventID><TimeCreated SystemTime='2024-05-01T10:00:00.0Z'/>\
            <Computer>ws1</Computer></System><EventData>\
            <Data Name='SubjectUserName'>bob</Data><Data Name='Empty'/>\
            <Data Name=\"CommandLine\">cmd /c echo &lt;a&gt; &amp; &#x41;&#66; &bogus; &amp</Data>\
            <DataX Name='Not'>x</DataX></EventData></Event>";
        let got = event_fields(xml);
        let want = [
            ("Provider.Name", "Microsoft-Windows-Security-Auditing"),
            ("EventID", "4688"),
            ("TimeCreated.SystemTime", "2024-05-01T10:00:00.0Z"),
            ("Computer", "ws1"),
            ("SubjectUserName", "bob"),
            ("Empty", ""),
            ("CommandLine", "cmd /c echo <a> & AB &bogus; &amp"),
        ];
        let got: Vec<(&str, &str)> = got.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(got, want);
        assert!(event_fields("<not an event/>").is_empty());
        assert!(event_fields("<Event><Data Name='x'>unclosed").is_empty());
    }
}
