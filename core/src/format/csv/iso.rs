//! The export's usual time form, `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, read
//! without the general parser.
//!
//! Every process creation's time is read, so this is on the hot path. Rows of
//! an export share their date far more often than not, so the date's day
//! number is kept from the last row ([`IsoClock`]) and only the time of day is
//! read anew. The answer is always [`Timestamp::parse`]'s for the same text
//! (a test compares them); any other form gives `None` and the caller falls
//! back to the general parser.

use core::cell::Cell;

use crate::time::{Timestamp, TICKS_PER_SEC};

/// Reads `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, remembering the last date seen.
#[derive(Debug, Clone, Default)]
pub(super) struct IsoClock {
    /// The last date's text and its midnight.
    day: Cell<Option<([u8; 10], Timestamp)>>,
}

impl IsoClock {
    /// The time `raw` names, or `None` when it is not exactly this form or
    /// names an impossible time.
    pub(super) fn read(&self, raw: &[u8]) -> Option<Timestamp> {
        let (&b'Z', body) = raw.split_last()? else {
            return None;
        };
        let head: &[u8; 19] = body.get(..19)?.try_into().ok()?;
        let date: [u8; 10] = head[..10].try_into().ok()?;
        let midnight = match self.day.get() {
            Some((text, midnight)) if text == date => midnight,
            _ => {
                let midnight = read_date(&date)?;
                self.day.set(Some((date, midnight)));
                midnight
            }
        };
        if head[10] != b'T' || head[13] != b':' || head[16] != b':' {
            return None;
        }
        let h = two_digits(head[11], head[12])?;
        let mi = two_digits(head[14], head[15])?;
        let s = two_digits(head[17], head[18])?;
        // A leap second (:60) is folded into the next minute, as `from_parts` does.
        if h >= 24 || mi >= 60 || s >= 61 {
            return None;
        }
        let ticks = fraction(&body[19..])?;
        let secs = i64::from(h * 3600 + mi * 60 + s);
        let t = Timestamp(midnight.0 + secs * TICKS_PER_SEC + ticks);
        (t <= Timestamp::MAX).then_some(t)
    }
}

/// `YYYY-MM-DD` as its midnight.
fn read_date(date: &[u8; 10]) -> Option<Timestamp> {
    if date[4] != b'-' || date[7] != b'-' {
        return None;
    }
    let year = two_digits(date[0], date[1])? * 100 + two_digits(date[2], date[3])?;
    let month = two_digits(date[5], date[6])?;
    let day = two_digits(date[8], date[9])?;
    Timestamp::from_parts(i64::from(year), month, day, 0, 0, 0, 0)
}

/// Two ASCII digits as a number.
fn two_digits(tens: u8, ones: u8) -> Option<u32> {
    let (t, o) = (tens.wrapping_sub(b'0'), ones.wrapping_sub(b'0'));
    (t < 10 && o < 10).then(|| u32::from(t) * 10 + u32::from(o))
}

/// `""` or `.` and 1 to 9 digits, as 100 ns ticks (digits past the 7th are
/// below a tick and dropped).
fn fraction(text: &[u8]) -> Option<i64> {
    let Some((&b'.', digits)) = text.split_first() else {
        return text.is_empty().then_some(0);
    };
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    // The weight of each digit in ticks (100 ns): the 8th and 9th are below a tick.
    const WEIGHTS: [i64; 9] = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1, 0, 0];
    let mut ticks = 0i64;
    for (&b, weight) in digits.iter().zip(WEIGHTS) {
        let d = b.wrapping_sub(b'0');
        if d >= 10 {
            return None;
        }
        ticks += i64::from(d) * weight;
    }
    Some(ticks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;

    /// The clock agrees with the general parser on every case, read alone
    /// and after another date (so both the cached and the fresh path run).
    #[test]
    fn agrees_with_the_general_parser() {
        let cases = [
            "2024-05-01T00:00:14.0710000Z",
            "2024-05-01T23:59:59.9999999Z",
            "2024-05-01T23:59:59.999999999Z",
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.5Z",
            "2024-02-29T12:00:00Z",
            "2023-02-29T12:00:00Z",
            "2024-04-31T12:00:00Z",
            "2024-13-01T12:00:00Z",
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.9999999Z",
            "9999-12-31T23:59:60Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T23:60:00Z",
            "2024-05-01T23:59:60Z",
            "2024-05-01T23:59:61Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00.1234567890Z",
            "2024-05-01T12:00:00",
            "2024-05-01 12:00:00Z",
            "2024-5-01T12:00:00Z",
            "2024-05-01T12:00:0xZ",
            "2024-05-01T12:00:00+00:00",
            "+024-05-01T12:00:00Z",
            "2024-05-01T12:00:00zZ",
            "",
            "Z",
        ];
        for case in cases {
            let want = Timestamp::parse(case);
            for warm in ["", "2024-05-01T00:00:00Z", "1999-01-01T00:00:00Z"] {
                let clock = IsoClock::default();
                clock.read(warm.as_bytes());
                let got = clock.read(case.as_bytes());
                // Either the same answer, or the form is not this one and
                // the caller asks the general parser.
                assert!(got.is_none() || got == want, "{case} after {warm:?}");
                // Every valid text of exactly this form is read here.
                let exact = case.len() >= 20 && case.as_bytes()[10] == b'T' && case.ends_with('Z');
                if exact && want.is_some() {
                    assert_eq!(got, want, "{case} after {warm:?}");
                }
            }
        }
    }

    /// Random times in the form, against the general parser.
    #[test]
    fn random_times_agree() {
        let clock = IsoClock::default();
        let mut rng = crate::testing::Rng(0x2545_f491_4f6c_dd1du64);
        for _ in 0..20_000 {
            let state = rng.next();
            let digits = (state % 10) as usize;
            let frac = if digits == 0 {
                String::new()
            } else {
                format!(".{:09}", state % 1_000_000_000)[..=digits].into()
            };
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}Z",
                1990 + (state >> 8) % 3,
                1 + (state >> 12) % 12,
                1 + (state >> 16) % 31,
                (state >> 24) % 25,
                (state >> 32) % 61,
                (state >> 40) % 62,
            );
            assert_eq!(
                clock.read(text.as_bytes()),
                Timestamp::parse(&text),
                "{text}"
            );
        }
    }
}
