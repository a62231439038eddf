//! Timestamps: Kusto's `datetime` (100-nanosecond ticks, UTC) and the textual
//! forms exports write them in.
//!
//! Accepted forms (all seen in real exports: the public test data the README's
//! "Layout" section names):
//!
//! | example | where |
//! |---|---|
//! | `2021-08-02T13:11:39.7724491Z` | Defender / Sentinel, EVTX `SystemTime` |
//! | `2021-06-23 03:08:14.159814200+00:00` | pandas-written Defender exports |
//! | `2024-10-23 12:17:08.2485006`, `2017-12-26 13:10:29.134` | zone-less exports, Sysmon `UtcTime` |
//! | `Oct 9, 2024 2:41:10 PM` | Defender portal CSV |
//! | `10/25/2023, 9:43:21.994 AM` | Sentinel portal CSV (month/day/year) |
//! | `2020/10/16 0:00:01.403` | nxlog-style |
//!
//! 0 to 9 fraction digits are read; digits past the seventh are truncated
//! (Kusto's resolution is 100 ns). **A time without a zone is taken as UTC**:
//! Sentinel and Defender export UTC, and Sysmon's `UtcTime` is UTC by name.
//! Offsets (`+02:00`, `-0500`) are applied.

use core::fmt;

/// Ticks (100 ns) per second.
pub const TICKS_PER_SEC: i64 = 10_000_000;

/// A point in time: 100-nanosecond ticks since 1970-01-01T00:00:00Z.
///
/// Ordering is chronological. Years 0001 to 9999 are representable, as in Kusto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Timestamp(pub i64);

/// A length of time in 100-nanosecond ticks (Kusto's `timespan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub i64);

impl Duration {
    /// A duration of whole seconds.
    pub const fn from_secs(secs: i64) -> Self {
        Duration(secs * TICKS_PER_SEC)
    }

    /// Parse a Kusto-style timespan literal: a number and a unit, `24h`, `7d`,
    /// `90m`, `30s`, `500ms`, `1.5h`.
    ///
    /// ```
    /// use cmdhunt_core::time::Duration;
    /// assert_eq!(Duration::parse("24h"), Some(Duration::from_secs(86_400)));
    /// assert_eq!(Duration::parse("1.5h"), Some(Duration::from_secs(5_400)));
    /// assert_eq!(Duration::parse("h"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, unit) = text.split_at(split);
        let unit_ticks: i64 = match unit.to_ascii_lowercase().as_str() {
            "d" | "day" | "days" => 86_400 * TICKS_PER_SEC,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600 * TICKS_PER_SEC,
            "m" | "min" | "minute" | "minutes" => 60 * TICKS_PER_SEC,
            "s" | "sec" | "second" | "seconds" => TICKS_PER_SEC,
            "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => TICKS_PER_SEC / 1000,
            _ => return None,
        };
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut ticks = int.checked_mul(unit_ticks)?;
        let mut scale = unit_ticks;
        for d in frac.bytes() {
            if !d.is_ascii_digit() {
                return None;
            }
            scale /= 10;
            ticks = ticks.checked_add(i64::from(d - b'0') * scale)?;
        }
        Some(Duration(ticks))
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
const fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number counted from
/// 1970-01-01 (proleptic Gregorian; Howard Hinnant's algorithm, the inverse
/// of `days_from_civil`).
pub(crate) const fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

impl Timestamp {
    /// 0001-01-01T00:00:00Z, the earliest time Kusto represents.
    pub const MIN: Timestamp = Timestamp(days_from_civil(1, 1, 1) * 86_400 * TICKS_PER_SEC);
    /// 9999-12-31T23:59:59.9999999Z, the latest.
    pub const MAX: Timestamp =
        Timestamp(days_from_civil(10_000, 1, 1) * 86_400 * TICKS_PER_SEC - 1);

    /// Build from civil UTC parts; `None` when a part is out of range
    /// (month 13, February 30, hour 24, year 0 or past 9999...).
    pub fn from_parts(
        y: i64,
        mo: u32,
        d: u32,
        h: u32,
        mi: u32,
        s: u32,
        ticks: u32,
    ) -> Option<Self> {
        let valid = (1..=9999).contains(&y)
            && (1..=12).contains(&mo)
            && d >= 1
            && d <= days_in_month(y, mo)
            && h < 24
            && mi < 60
            && s < 61 // a leap second is folded into the next minute
            && i64::from(ticks) < TICKS_PER_SEC;
        if !valid {
            return None;
        }
        let secs = days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s);
        Some(Timestamp(secs * TICKS_PER_SEC + i64::from(ticks)))
    }

    /// A record's time field: blank text is no time (`Ok(None)`), readable
    /// text its time, anything else an error carrying the text (the scanner
    /// counts and reports it).
    pub fn from_field(text: &str) -> Result<Option<Self>, alloc::string::String> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        Timestamp::parse(text).map(Some).ok_or_else(|| text.into())
    }

    /// Parse any of the forms in the [module docs](self); `None` if the text is
    /// none of them or names an impossible time.
    ///
    /// ```
    /// use cmdhunt_core::time::Timestamp;
    /// let a = Timestamp::parse("2024-10-09T14:41:10Z").unwrap();
    /// assert_eq!(Timestamp::parse("Oct 9, 2024 2:41:10 PM"), Some(a));
    /// assert_eq!(Timestamp::parse("10/9/2024, 2:41:10.000 PM"), Some(a));
    /// assert_eq!(Timestamp::parse("2024-10-09 16:41:10+02:00"), Some(a));
    /// assert_eq!(a.to_string(), "2024-10-09T14:41:10.0000000Z");
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let mut p = Parser {
            s: text.trim().as_bytes(),
            i: 0,
        };
        if p.s.is_empty() {
            return None;
        }
        let ts = if p.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            p.month_name_date()?
        } else {
            p.numeric_date()?
        };
        (p.i == p.s.len()).then_some(ts)
    }

    /// `self - duration`, saturating.
    pub fn minus(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_sub(d.0))
    }

    /// Civil parts `(year, month, day, hour, minute, second, ticks)` in UTC.
    pub fn parts(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(TICKS_PER_SEC);
        let ticks = self.0.rem_euclid(TICKS_PER_SEC) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, sod / 3600, sod / 60 % 60, sod % 60, ticks)
    }
}

/// RFC 3339 in UTC with Kusto's seven fraction digits: `2021-08-02T13:11:39.7724491Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, t) = self.parts();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{t:07}Z")
    }
}

/// A tiny cursor over ASCII bytes.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.i += usize::from(hit);
        hit
    }

    fn spaces(&mut self) -> usize {
        let start = self.i;
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        self.i - start
    }

    /// An unsigned decimal of `min..=max` digits.
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut v: u32 = 0;
        while self.i - start < max {
            match self.peek() {
                Some(b @ b'0'..=b'9') => {
                    v = v * 10 + u32::from(b - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        (self.i - start >= min).then_some(v)
    }

    /// `H:MM[:SS[.fffffffff]]` → (h, m, s, ticks)
    fn clock(&mut self) -> Option<(u32, u32, u32, u32)> {
        let h = self.number(1, 2)?;
        if !self.eat(b':') {
            return None;
        }
        let m = self.number(2, 2)?;
        let mut s = 0;
        let mut ticks = 0;
        if self.eat(b':') {
            s = self.number(2, 2)?;
            if self.eat(b'.') || self.eat(b',') {
                let start = self.i;
                let mut scale = TICKS_PER_SEC as u32;
                while let Some(b @ b'0'..=b'9') = self.peek() {
                    scale /= 10; // becomes 0 after 7 digits: later digits are truncated
                    ticks += u32::from(b - b'0') * scale;
                    self.i += 1;
                }
                if self.i == start || self.i - start > 9 {
                    return None;
                }
            }
        }
        Some((h, m, s, ticks))
    }

    /// Optional ` AM` / ` PM` applied to a 12-hour clock.
    fn meridiem(&mut self, h: u32) -> Option<u32> {
        let save = self.i;
        self.spaces();
        let rest = &self.s[self.i..];
        let pm = match rest
            .get(..2)
            .map(|r| [r[0].to_ascii_uppercase(), r[1].to_ascii_uppercase()])
        {
            Some([b'A', b'M']) => false,
            Some([b'P', b'M']) => true,
            _ => {
                self.i = save;
                return Some(h);
            }
        };
        self.i += 2;
        if !(1..=12).contains(&h) {
            return None;
        }
        Some(match (h, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        })
    }

    /// Optional `Z`, `UTC`, `+HH:MM`, `+HHMM`, `+HH`: the offset in seconds east of UTC.
    fn zone(&mut self) -> Option<i64> {
        let save = self.i;
        self.spaces();
        if self.eat(b'Z') || self.eat(b'z') {
            return Some(0);
        }
        if self.s[self.i..].eq_ignore_ascii_case(b"UTC")
            || self.s[self.i..].eq_ignore_ascii_case(b"GMT")
        {
            self.i += 3;
            return Some(0);
        }
        let sign = match self.peek() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => {
                self.i = save;
                return Some(0);
            }
        };
        self.i += 1;
        let h = self.number(2, 2)?;
        self.eat(b':');
        let m = if self.peek().is_some() {
            self.number(2, 2)?
        } else {
            0
        };
        if h > 23 || m > 59 {
            return None;
        }
        Some(sign * i64::from(h * 3600 + m * 60))
    }

    /// Finish a date with an optional clock, meridiem and zone.
    fn finish(&mut self, y: i64, mo: u32, d: u32, sep_required: bool) -> Option<Timestamp> {
        if self.i == self.s.len() {
            return Timestamp::from_parts(y, mo, d, 0, 0, 0, 0);
        }
        let had_t = self.eat(b'T') || self.eat(b't');
        if !had_t && self.spaces() == 0 && sep_required {
            return None;
        }
        let (h, mi, s, ticks) = self.clock()?;
        let h = if had_t { h } else { self.meridiem(h)? };
        let offset = self.zone()?;
        let ts = Timestamp::from_parts(y, mo, d, h, mi, s, ticks)?;
        let shifted = Timestamp(ts.0.checked_sub(offset * TICKS_PER_SEC)?);
        (Timestamp::MIN..=Timestamp::MAX)
            .contains(&shifted)
            .then_some(shifted)
    }

    /// `YYYY-MM-DD...`, `YYYY/MM/DD ...`, `MM/DD/YYYY[,] ...`
    fn numeric_date(&mut self) -> Option<Timestamp> {
        let first_start = self.i;
        let first = self.number(1, 4)?;
        let first_len = self.i - first_start;
        let sep = self.peek()?;
        if sep != b'-' && sep != b'/' {
            return None;
        }
        self.i += 1;
        let second = self.number(1, 2)?;
        if !self.eat(sep) {
            return None;
        }
        if first_len == 4 {
            let d = self.number(1, 2)?;
            return self.finish(i64::from(first), second, d, true);
        }
        // Month/day/year, as the Sentinel portal writes it.
        let y = self.number(4, 4)?;
        self.eat(b',');
        self.finish(i64::from(y), first, second, true)
    }

    /// `Oct 9, 2024 2:41:10 PM`
    fn month_name_date(&mut self) -> Option<Timestamp> {
        const MONTHS: [&[u8]; 12] = [
            b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
            b"dec",
        ];
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.i += 1;
        }
        let word = &self.s[start..self.i];
        let prefix = word.get(..3)?;
        let mo = MONTHS.iter().position(|m| prefix.eq_ignore_ascii_case(m))? as u32 + 1;
        self.eat(b'.');
        self.spaces();
        let d = self.number(1, 2)?;
        self.eat(b',');
        self.spaces();
        let y = self.number(4, 4)?;
        self.eat(b',');
        self.finish(i64::from(y), mo, d, true)
    }
}
