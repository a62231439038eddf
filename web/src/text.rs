//! Numbers and places in words, for the page.

use cmdhunt_core::event::Position;

/// Bytes with a binary unit: `512 B`, `1.5 KiB`, `2.0 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Progress as a percentage of `total` (100 for an empty file), 0 to 100.
pub fn percent(done: u64, total: u64) -> f64 {
    if total == 0 {
        100.0
    } else {
        (done as f64 * 100.0 / total as f64).min(100.0)
    }
}

/// An error's place, for a message naming the file: `a.csv, record 3, line 4, byte 120`.
pub fn place(file: &str, position: &Position) -> String {
    format!("{file}, {position}")
}

/// Where a long name may wrap (the page puts a `<wbr>` between the pieces
/// of [`break_pieces`], so names never break mid-word when a better place exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakAt {
    /// Between the words of a CamelCase name (`Suspicious|Parent`).
    Words,
    /// After a path separator, `_`, `.` or `-` (`logs/|day_|1.|csv`).
    Path,
}

/// `text` cut where [`BreakAt`] allows a line break; the pieces joined give `text`.
pub fn break_pieces(text: &str, at: BreakAt) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut previous: Option<char> = None;
    for (i, c) in text.char_indices() {
        let cut = match at {
            BreakAt::Words => c.is_uppercase() && previous.is_some_and(char::is_lowercase),
            BreakAt::Path => previous.is_some_and(|p| matches!(p, '/' | '\\' | '_' | '.' | '-')),
        };
        if cut && i > start {
            pieces.push(&text[start..i]);
            start = i;
        }
        previous = Some(c);
    }
    if start < text.len() || pieces.is_empty() {
        pieces.push(&text[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_break_between_words_and_after_separators() {
        for (text, at, want) in [
            (
                "SuspiciousParent",
                BreakAt::Words,
                vec!["Suspicious", "Parent"],
            ),
            ("Timestamp", BreakAt::Words, vec!["Timestamp"]),
            ("ABC", BreakAt::Words, vec!["ABC"]),
            ("", BreakAt::Words, vec![""]),
            (
                "exports/host_01.day-2.csv",
                BreakAt::Path,
                vec!["exports/", "host_", "01.", "day-", "2.", "csv"],
            ),
            (
                "C:\\logs\\a.evtx",
                BreakAt::Path,
                vec!["C:\\", "logs\\", "a.", "evtx"],
            ),
            ("trailing_", BreakAt::Path, vec!["trailing_"]),
            ("ééé_ü", BreakAt::Path, vec!["ééé_", "ü"]),
        ] {
            let pieces = break_pieces(text, at);
            assert_eq!(pieces, want, "{text:?}");
            assert_eq!(pieces.concat(), text);
        }
    }

    #[test]
    fn bytes_table() {
        for (n, want) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1536, "1.5 KiB"),
            (3 << 20, "3.0 MiB"),
            (2 << 30, "2.0 GiB"),
        ] {
            assert_eq!(bytes(n), want);
        }
    }

    #[test]
    fn percent_and_place() {
        assert_eq!(percent(5, 10), 50.0);
        assert_eq!(percent(0, 0), 100.0);
        assert_eq!(percent(11, 10), 100.0);
        let p = Position {
            byte: 120,
            line: 4,
            record: 3,
        };
        assert_eq!(place("a.csv", &p), "a.csv, record 3, line 4, byte 120");
    }
}
