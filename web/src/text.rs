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

#[cfg(test)]
mod tests {
    use super::*;

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
