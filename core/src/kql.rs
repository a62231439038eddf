//! The three KQL string operators the rule uses, as plain functions.
//!
//! These are the *reference* semantics: simple, obviously correct, and used by
//! the tests as the oracle for the fast automaton in [`crate::matcher`].
//!
//! # `=~` (case-insensitive equality)
//!
//! Both sides are folded with Unicode lowercase (`char::to_lowercase`) and
//! compared whole. Nothing is trimmed: `"cmd.exe "` is not `=~ "cmd.exe"`.
//!
//! # `has` / `has_any` (term match)
//!
//! Kusto indexes strings as *terms*: maximal runs of alphanumeric characters
//! (here: Unicode [`char::is_alphanumeric`]). `lhs has rhs` is true when `rhs`
//! occurs in `lhs` case-insensitively (Unicode lowercase folding) such that
//!
//! * if `rhs` starts with an alphanumeric character, the character before the
//!   occurrence is not alphanumeric (or the occurrence starts the string), and
//! * if `rhs` ends with an alphanumeric character, the character after the
//!   occurrence is not alphanumeric (or the occurrence ends the string).
//!
//! Every occurrence is tried: `"preg add reg add" has "reg add"` is true because
//! the second occurrence sits on term boundaries although the first does not.
//! Edges that are punctuation or white space impose no boundary, so
//! `has "> \\pipe\"` behaves like a case-insensitive substring test.
//!
//! Microsoft documents `has` for single terms only ("`has` searches for a full
//! term"); for multi-word and punctuated right-hand sides this boundary model is
//! our reading, and it agrees with every example in Microsoft's documentation.
//!
//! # String literals
//!
//! [`decode_string_literal`] turns a KQL string literal as written in the rule
//! (`"> \\\\pipe\\"`) into its value (`> \\pipe\`).

use alloc::string::String;
use alloc::vec::Vec;

/// Case-insensitive whole-string equality, KQL's `=~`.
///
/// ```
/// use cmdhunt_core::kql::equals_ci;
/// assert!(equals_ci("CMD.EXE", "cmd.exe"));
/// assert!(!equals_ci("cmd.exe ", "cmd.exe"));
/// ```
pub fn equals_ci(lhs: &str, rhs: &str) -> bool {
    if lhs.is_ascii() && rhs.is_ascii() {
        return lhs.eq_ignore_ascii_case(rhs);
    }
    lhs.chars()
        .flat_map(char::to_lowercase)
        .eq(rhs.chars().flat_map(char::to_lowercase))
}

/// KQL `has`: does `haystack` contain `needle` on term boundaries, ignoring case?
///
/// This is the slow reference implementation (it folds and scans character by
/// character); [`crate::matcher::CompiledRule`] answers the same question for
/// all of the rule's needles at once.
///
/// ```
/// use cmdhunt_core::kql::has;
/// assert!(has("reg add HKCU\\x", "reg add"));
/// assert!(has("x/REG ADD y", "reg add"));
/// assert!(!has("preg add", "reg add"));
/// assert!(!has("reg  add", "reg add"));
/// assert!(!has("reg addx", "reg add"));
/// assert!(has("preg add reg add", "reg add"));
/// ```
pub fn has(haystack: &str, needle: &str) -> bool {
    !spans(haystack, needle).is_empty()
}

/// KQL `has_any`: true when `haystack` [`has`] at least one of `needles`.
pub fn has_any<S: AsRef<str>>(haystack: &str, needles: &[S]) -> bool {
    needles.iter().any(|n| has(haystack, n.as_ref()))
}

/// Every occurrence of `needle` in `haystack` that satisfies [`has`], as byte
/// ranges into `haystack` (start inclusive, end exclusive), in order.
///
/// Occurrences may overlap. An empty needle never matches (Kusto rejects an
/// empty `has` operand, and an empty term occurs nowhere).
pub fn spans(haystack: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let folded_needle: Vec<char> = needle.chars().flat_map(char::to_lowercase).collect();
    let (Some(&first), Some(&last)) = (
        needle.chars().next().as_ref(),
        needle.chars().last().as_ref(),
    ) else {
        return out;
    };
    let need_left = first.is_alphanumeric();
    let need_right = last.is_alphanumeric();
    // (byte offset, char) of the original haystack.
    let chars: Vec<(usize, char)> = haystack.char_indices().collect();
    for start in 0..chars.len() {
        if need_left && start > 0 && chars[start - 1].1.is_alphanumeric() {
            continue;
        }
        // Fold original characters one at a time; a match must consume whole
        // original characters (folds never split across the needle's edges).
        let mut matched = 0;
        let mut end = start;
        while matched < folded_needle.len() && end < chars.len() {
            let mut ok = true;
            for c in chars[end].1.to_lowercase() {
                if matched < folded_needle.len() && folded_needle[matched] == c {
                    matched += 1;
                } else {
                    ok = false;
                    break;
                }
            }
            if !ok {
                break;
            }
            end += 1;
        }
        // `end` is one past the last original char consumed.
        let full = matched == folded_needle.len() && end > start;
        let folded_exact = full
            && chars[start..end]
                .iter()
                .flat_map(|&(_, c)| c.to_lowercase())
                .count()
                == folded_needle.len();
        if !folded_exact {
            continue;
        }
        if need_right && end < chars.len() && chars[end].1.is_alphanumeric() {
            continue;
        }
        let byte_start = chars[start].0;
        let byte_end = chars.get(end).map_or(haystack.len(), |&(b, _)| b);
        out.push((byte_start, byte_end));
    }
    out
}

/// Error from [`decode_string_literal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiteralError {
    /// Byte offset in the literal where decoding failed.
    pub offset: usize,
    /// What was wrong there.
    pub reason: &'static str,
}

impl core::fmt::Display for LiteralError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "bad KQL string literal at byte {}: {}",
            self.offset, self.reason
        )
    }
}

/// Decode a KQL string literal *as written* (with its surrounding `"` or `'`)
/// into the string value it denotes.
///
/// Supports the escapes Kusto documents for regular string literals:
/// `\\`, `\"`, `\'`, `\n`, `\r`, `\t`. Verbatim literals (`@"..."`) take the
/// text as is, with `""` standing for one `"`.
///
/// ```
/// use cmdhunt_core::kql::decode_string_literal;
/// assert_eq!(decode_string_literal(r#""> \\\\pipe\\""#).unwrap(), r"> \\pipe\");
/// assert_eq!(decode_string_literal(r#"@"C:\x""#).unwrap(), r"C:\x");
/// ```
pub fn decode_string_literal(literal: &str) -> Result<String, LiteralError> {
    let bytes = literal.as_bytes();
    let (verbatim, body_start) = match bytes.first() {
        Some(b'@') => (true, 1),
        _ => (false, 0),
    };
    let quote = match bytes.get(body_start) {
        Some(&q @ (b'"' | b'\'')) => q as char,
        _ => {
            return Err(LiteralError {
                offset: body_start,
                reason: "expected an opening quote",
            })
        }
    };
    let mut out = String::new();
    let mut it = literal[body_start + 1..].char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let offset = body_start + 1 + i;
        if c == quote {
            if verbatim && it.peek().map(|&(_, n)| n) == Some(quote) {
                it.next();
                out.push(quote);
                continue;
            }
            return if it.next().is_none() {
                Ok(out)
            } else {
                Err(LiteralError {
                    offset,
                    reason: "text after the closing quote",
                })
            };
        }
        if c == '\\' && !verbatim {
            let Some((_, e)) = it.next() else {
                return Err(LiteralError {
                    offset,
                    reason: "escape at end of literal",
                });
            };
            out.push(match e {
                '\\' => '\\',
                '"' => '"',
                '\'' => '\'',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                _ => {
                    return Err(LiteralError {
                        offset,
                        reason: "unknown escape sequence",
                    })
                }
            });
            continue;
        }
        out.push(c);
    }
    Err(LiteralError {
        offset: literal.len(),
        reason: "missing closing quote",
    })
}
