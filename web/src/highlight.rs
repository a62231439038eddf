//! Splitting a command line into plain and matched pieces for the detail
//! panel. The pieces are rendered as text nodes (never markup), with
//! control and bidi characters shown as escapes ([`shown_pieces`]).

use cmdhunt_core::display::display_spans;
use cmdhunt_core::matcher::Span;

/// A piece of text and whether a suspicious pattern covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<'a> {
    /// The text.
    pub text: &'a str,
    /// Inside a match.
    pub matched: bool,
}

/// Cut `text` at the edges of `spans` (byte ranges, possibly overlapping,
/// from [`cmdhunt_core::matcher::CompiledRule::pattern_spans`]). Overlapping
/// spans merge; spans that do not fall on character boundaries are ignored.
pub fn pieces<'a>(text: &'a str, spans: &[Span]) -> Vec<Piece<'a>> {
    let mut ranges: Vec<(usize, usize)> = spans
        .iter()
        .filter(|s| s.start < s.end && text.get(s.start..s.end).is_some())
        .map(|s| (s.start, s.end))
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end) in merged {
        if let (Some(before), Some(inside)) = (text.get(at..start), text.get(start..end)) {
            if !before.is_empty() {
                out.push(Piece {
                    text: before,
                    matched: false,
                });
            }
            out.push(Piece {
                text: inside,
                matched: true,
            });
            at = end;
        }
    }
    if let Some(rest) = text.get(at..) {
        if !rest.is_empty() {
            out.push(Piece {
                text: rest,
                matched: false,
            });
        }
    }
    out
}

/// A piece of shown text (owned) and whether a match covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPiece {
    /// The text, as shown: control and bidi characters escaped
    /// ([`cmdhunt_core::display::display_safe`]).
    pub text: String,
    /// Inside a match.
    pub matched: bool,
}

/// `text` as shown (escaped), cut at the edges of `spans` found in the raw
/// text: the matches cover the same characters as in the raw text, and a
/// right-to-left override can no longer reverse the text or its highlight.
pub fn shown_pieces(text: &str, spans: &[Span]) -> Vec<ShownPiece> {
    let raw: Vec<(usize, usize)> = spans.iter().map(|s| (s.start, s.end)).collect();
    let (shown, moved) = display_spans(text, &raw);
    let moved: Vec<Span> = moved
        .into_iter()
        .map(|(start, end)| Span {
            start,
            end,
            needle: 0,
        })
        .collect();
    pieces(&shown, &moved)
        .into_iter()
        .map(|p| ShownPiece {
            text: p.text.to_owned(),
            matched: p.matched,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmdhunt_core::matcher::CompiledRule;

    fn show(text: &str) -> String {
        let rule = CompiledRule::new();
        pieces(text, &rule.pattern_spans(text))
            .iter()
            .map(|p| {
                if p.matched {
                    format!("[{}]", p.text)
                } else {
                    p.text.to_owned()
                }
            })
            .collect()
    }

    #[test]
    fn matched_patterns_are_marked() {
        for (text, want) in [
            ("cmd /c dir", "cmd /c dir"),
            (
                "cmd /c REG ADD x & reg add y",
                "cmd /c [REG ADD] x & [reg add] y",
            ),
            (
                "cmd /c vssadmin delete shadows /all & wmic shadowcopy delete",
                "cmd /c [vssadmin delete shadows] /all & [wmic shadowcopy delete]",
            ),
            (
                "<img src=x onerror=alert(1)> reg add",
                "<img src=x onerror=alert(1)> [reg add]",
            ),
            ("ÉÉ certutil -decode é", "ÉÉ [certutil -decode] é"),
            ("", ""),
        ] {
            assert_eq!(show(text), want, "{text}");
        }
    }

    #[test]
    fn a_right_to_left_override_is_shown_escaped_and_the_match_stays_on_its_words() {
        let rule = CompiledRule::new();
        let text = "cmd /c echo \u{202e} gnp.exe & schtasks /create /tn x /tr y";
        let pieces = shown_pieces(text, &rule.pattern_spans(text));
        let joined: String = pieces.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            joined,
            "cmd /c echo \\u{202e} gnp.exe & schtasks /create /tn x /tr y"
        );
        assert!(pieces.iter().all(|p| !p.text.contains('\u{202e}')));
        let marked: Vec<&str> = pieces
            .iter()
            .filter(|p| p.matched)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(marked, vec!["schtasks /create"]);
    }

    #[test]
    fn overlapping_and_bad_spans() {
        let s = |start, end| Span {
            start,
            end,
            needle: 0,
        };
        let p = pieces("abcdef", &[s(1, 3), s(2, 5), s(4, 4), s(9, 12)]);
        assert_eq!(
            p,
            vec![
                Piece {
                    text: "a",
                    matched: false
                },
                Piece {
                    text: "bcde",
                    matched: true
                },
                Piece {
                    text: "f",
                    matched: false
                },
            ]
        );
        // 'é' is two bytes: a span ending inside it is ignored.
        assert_eq!(
            pieces("é", &[s(0, 1)]),
            vec![Piece {
                text: "é",
                matched: false
            }]
        );
    }
}
