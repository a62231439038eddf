//! Splitting a command line into plain and matched pieces for the detail
//! panel. The pieces are rendered as text nodes (never markup).

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
