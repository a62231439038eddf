//! Event text made safe to *show* to a person (the page's table, detail panel
//! and search; a terminal).
//!
//! Command lines are attacker-controlled. A right-to-left override (U+202E)
//! makes `cmd /c echo \u{202e} gnp.exe & schtasks ...` render reversed, a
//! carriage return or an ANSI escape can rewrite what a terminal shows.
//! [`display_safe`] replaces every control character (Unicode `Cc`), every
//! bidirectional formatting character (marks, embeddings, overrides,
//! isolates) and the line and paragraph separators with a visible escape,
//! `\u{202e}`, so the text reads in logical order, one line, as stored.
//!
//! Exports (CSV, JSON, NDJSON) keep the raw text: they are data for programs.
//! [`display_spans`] moves byte ranges found in the raw text (matched
//! patterns) onto the escaped text, so a highlight still covers exactly the
//! characters that matched.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// Whether `c` is shown as an escape: a control character, a bidirectional
/// formatting character (U+061C, U+200E, U+200F, U+202A..U+202E,
/// U+2066..U+2069) or a line or paragraph separator (U+2028, U+2029).
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Append `c` to `out` as it is shown: itself, or `\u{hex}`.
fn push_shown(out: &mut String, c: char) {
    if needs_escape(c) {
        // Writing to a String cannot fail.
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    } else {
        out.push(c);
    }
}

/// `text` with every character [`needs_escape`] names written as `\u{hex}`
/// (lowercase hex, no padding: `\u{202e}`, `\u{d}`); other text unchanged.
///
/// ```
/// use cmdhunt_core::display::display_safe;
/// assert_eq!(display_safe("echo \u{202e} gnp.exe\r\n"), "echo \\u{202e} gnp.exe\\u{d}\\u{a}");
/// assert_eq!(display_safe("reg add HKCU\\x"), "reg add HKCU\\x");
/// ```
pub fn display_safe(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return String::from(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        push_shown(&mut out, c);
    }
    out
}

/// [`display_safe`] of `text`, and `spans` (byte ranges `(start, end)` of
/// `text`) moved onto it: each range covers, in the escaped text, exactly
/// the characters (or escapes) it covered in `text`. A range whose ends are
/// not character boundaries of `text`, or are out of order or out of
/// bounds, is dropped; the others keep their order.
///
/// ```
/// use cmdhunt_core::display::display_spans;
/// let raw = "echo \u{202e} x & schtasks /create";
/// let start = raw.find("schtasks").unwrap();
/// let (shown, spans) = display_spans(raw, &[(start, raw.len())]);
/// assert_eq!(&shown[spans[0].0..spans[0].1], "schtasks /create");
/// ```
pub fn display_spans(text: &str, spans: &[(usize, usize)]) -> (String, Vec<(usize, usize)>) {
    let valid: Vec<(usize, usize)> = spans
        .iter()
        .copied()
        .filter(|&(s, e)| s <= e && text.is_char_boundary(s) && text.is_char_boundary(e))
        .collect();
    // Every endpoint, sorted, mapped in one pass over the text.
    let mut ends: Vec<usize> = valid.iter().flat_map(|&(s, e)| [s, e]).collect();
    ends.sort_unstable();
    ends.dedup();
    let mut mapped: Vec<(usize, usize)> = Vec::with_capacity(ends.len());
    let mut out = String::with_capacity(text.len());
    let mut next = ends.iter().copied().peekable();
    for (i, c) in text.char_indices() {
        while next.peek() == Some(&i) {
            mapped.push((i, out.len()));
            next.next();
        }
        push_shown(&mut out, c);
    }
    for e in next {
        // Only `text.len()` is left (every other boundary was passed).
        mapped.push((e, out.len()));
    }
    let shown = |raw: usize| {
        mapped
            .binary_search_by_key(&raw, |&(r, _)| r)
            .map(|k| mapped[k].1)
            .unwrap_or(0)
    };
    let spans = valid.iter().map(|&(s, e)| (shown(s), shown(e))).collect();
    (out, spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn controls_and_bidi_become_visible_escapes() {
        for (raw, shown) in [
            ("plain text", "plain text"),
            ("", ""),
            (
                "cmd /c echo \u{202e} gnp.exe & schtasks /create",
                "cmd /c echo \\u{202e} gnp.exe & schtasks /create",
            ),
            ("a\u{1b}[31mred", "a\\u{1b}[31mred"),
            ("line\r\nnext\tx", "line\\u{d}\\u{a}next\\u{9}x"),
            ("\u{2066}x\u{2069}\u{200f}", "\\u{2066}x\\u{2069}\\u{200f}"),
            (
                "\u{2028}\u{61c}\u{7f}\u{85}",
                "\\u{2028}\\u{61c}\\u{7f}\\u{85}",
            ),
            // Other non-ASCII text is shown as is.
            ("École \u{5d0} 日本 \u{200d}", "École \u{5d0} 日本 \u{200d}"),
        ] {
            assert_eq!(display_safe(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn spans_follow_their_characters_through_the_escapes() {
        let raw = "a\u{202e}b schtasks /create\r\n\u{202e}reg add x";
        let find = |needle: &str| {
            let s = raw.find(needle).expect("needle");
            (s, s + needle.len())
        };
        let spans = [find("schtasks /create"), find("\u{202e}reg add"), find("b")];
        let (shown, moved) = display_spans(raw, &spans);
        assert_eq!(shown, display_safe(raw));
        let texts: Vec<&str> = moved.iter().map(|&(s, e)| &shown[s..e]).collect();
        assert_eq!(texts, vec!["schtasks /create", "\\u{202e}reg add", "b"]);
        // The whole text, an empty range at the end, and bad ranges.
        let (_, moved) = display_spans(raw, &[(0, raw.len()), (raw.len(), raw.len())]);
        assert_eq!(moved, vec![(0, shown.len()), (shown.len(), shown.len())]);
        let (_, moved) = display_spans(raw, &[(2, 3), (5, 4), (0, 999)]);
        assert!(moved.is_empty(), "{moved:?}"); // inside U+202E, reversed, past the end
    }
}
