//! The time-window control's model: what the analyst picked, turned into a
//! [`Window`] for [`cmdhunt_core::results`]. The core has no clock; "now" is
//! passed in (the page passes `Date.now()`).

use cmdhunt_core::results::{Anchor, Window};
use cmdhunt_core::rule::DEFAULT_WINDOW_SECS;
use cmdhunt_core::time::{Duration, Timestamp, TICKS_PER_SEC};

/// The choices of the window control.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WindowChoice {
    /// 24 hours back from the newest event read (the default).
    #[default]
    NewestDay,
    /// 24 hours back from now.
    NowDay,
    /// A duration (`7d`, `36h`, `90m`) back from an anchor (empty: the newest
    /// event; otherwise a date and time, UTC, as a `datetime-local` input writes it).
    Custom {
        /// The look-back, Kusto timespan syntax.
        duration: String,
        /// The anchor text.
        anchor: String,
    },
    /// No time filter.
    All,
}

impl WindowChoice {
    /// The `value` of the control's `<option>` for this choice.
    pub fn key(&self) -> &'static str {
        match self {
            WindowChoice::NewestDay => "newest",
            WindowChoice::NowDay => "now",
            WindowChoice::Custom { .. } => "custom",
            WindowChoice::All => "all",
        }
    }

    /// The choice for an option `value` (custom starts as 24h from the newest event).
    pub fn from_key(key: &str) -> WindowChoice {
        match key {
            "now" => WindowChoice::NowDay,
            "custom" => WindowChoice::Custom {
                duration: "24h".into(),
                anchor: String::new(),
            },
            "all" => WindowChoice::All,
            _ => WindowChoice::NewestDay,
        }
    }

    /// The window, given the current time in milliseconds since the Unix epoch;
    /// an error in words when the custom duration or anchor cannot be read.
    pub fn window(&self, now_ms: f64) -> Result<Window, String> {
        let day = Duration::from_secs(DEFAULT_WINDOW_SECS);
        Ok(match self {
            WindowChoice::NewestDay => Window::default(),
            WindowChoice::NowDay => Window::Last {
                duration: day,
                anchor: Anchor::Now(timestamp_from_ms(now_ms)),
            },
            WindowChoice::All => Window::All,
            WindowChoice::Custom { duration, anchor } => {
                let duration = Duration::parse(duration)
                    .filter(|d| d.0 > 0)
                    .ok_or_else(|| {
                        format!("{duration:?} is not a duration such as 24h, 7d or 90m")
                    })?;
                let anchor = match anchor.trim() {
                    "" => Anchor::Newest,
                    text => Anchor::At(parse_anchor(text).ok_or_else(|| {
                        format!("{text:?} is not a date and time such as 2024-05-14T12:00")
                    })?),
                };
                Window::Last { duration, anchor }
            }
        })
    }
}

/// The window in words, with its anchor and bounds, for the line under the
/// control (`data-testid="window-bounds"`): what is shown is never a
/// mystery, whichever file's newest event anchors it.
pub fn describe(window: &Window, newest: Option<Timestamp>) -> String {
    let Window::Last { duration, anchor } = *window else {
        return "All time: every flagged row, with or without a time.".into();
    };
    let Some((start, end)) = window.bounds(newest) else {
        return format!(
            "{} back from the newest event read: no event time read yet.",
            span_text(duration)
        );
    };
    let Some(end) = end else {
        // Anchor::Now: Sentinel's ago() from the run time, no end.
        return format!(
            "Rows after {start}: {} back from now, as Sentinel's ago() (later-dated events kept).",
            span_text(duration)
        );
    };
    let from = match anchor {
        Anchor::Newest => format!("the newest event read, {end}"),
        Anchor::At(_) | Anchor::Now(_) => end.to_string(),
    };
    format!(
        "Rows after {start} and up to {end}: {} back from {from}.",
        span_text(duration)
    )
}

/// A duration in the largest whole unit (one day as the rule writes it,
/// `24h`): `24h`, `7d`, `90m`, `30s`, `1500ms`.
pub fn span_text(d: Duration) -> String {
    let ms = d.0 / (TICKS_PER_SEC / 1000);
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if ms != 0 && ms % size == 0 && !(unit == "d" && ms == size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// Milliseconds since the Unix epoch as a [`Timestamp`].
pub fn timestamp_from_ms(ms: f64) -> Timestamp {
    Timestamp((ms * (TICKS_PER_SEC / 1000) as f64) as i64)
}

/// A `datetime-local` value (`2024-05-14T12:00`, seconds optional), read as
/// UTC, or any form [`Timestamp::parse`] knows.
fn parse_anchor(text: &str) -> Option<Timestamp> {
    Timestamp::parse(text).or_else(|| Timestamp::parse(&format!("{text}:00")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: f64 = 1_715_688_000_000.0; // 2024-05-14T12:00:00Z

    #[test]
    fn choices_become_windows() {
        let now = Timestamp::parse("2024-05-14T12:00:00Z").expect("time");
        assert_eq!(timestamp_from_ms(NOW_MS), now);
        let day = Duration::from_secs(86_400);
        let custom = |d: &str, a: &str| WindowChoice::Custom {
            duration: d.into(),
            anchor: a.into(),
        };
        let at = |t: &str| Anchor::At(Timestamp::parse(t).expect("time"));
        for (choice, want) in [
            (WindowChoice::NewestDay, Window::default()),
            (
                WindowChoice::NowDay,
                Window::Last {
                    duration: day,
                    anchor: Anchor::Now(now),
                },
            ),
            (WindowChoice::All, Window::All),
            (
                custom("7d", ""),
                Window::Last {
                    duration: Duration::from_secs(7 * 86_400),
                    anchor: Anchor::Newest,
                },
            ),
            (
                custom("90m", "2024-05-14T10:30"),
                Window::Last {
                    duration: Duration::from_secs(5_400),
                    anchor: at("2024-05-14T10:30:00Z"),
                },
            ),
            (
                custom("1h", "2024-05-14T10:30:15"),
                Window::Last {
                    duration: Duration::from_secs(3_600),
                    anchor: at("2024-05-14T10:30:15Z"),
                },
            ),
        ] {
            assert_eq!(choice.window(NOW_MS), Ok(want), "{choice:?}");
        }
        for bad in [
            custom("soon", ""),
            custom("0h", ""),
            custom("1h", "yesterday"),
        ] {
            assert!(bad.window(NOW_MS).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_window_is_described_with_its_anchor_and_bounds() {
        let newest = Timestamp::parse("2024-10-25T12:00:00Z");
        assert_eq!(
            describe(&Window::default(), newest),
            "Rows after 2024-10-24T12:00:00.0000000Z and up to 2024-10-25T12:00:00.0000000Z: \
             24h back from the newest event read, 2024-10-25T12:00:00.0000000Z."
        );
        let custom = WindowChoice::Custom {
            duration: "90m".into(),
            anchor: "2024-10-10T00:00".into(),
        }
        .window(NOW_MS)
        .expect("window");
        assert_eq!(
            describe(&custom, newest),
            "Rows after 2024-10-09T22:30:00.0000000Z and up to 2024-10-10T00:00:00.0000000Z: \
             90m back from 2024-10-10T00:00:00.0000000Z."
        );
        let now = WindowChoice::NowDay.window(NOW_MS).expect("window");
        assert_eq!(
            describe(&now, newest),
            "Rows after 2024-05-13T12:00:00.0000000Z: 24h back from now, as Sentinel's ago() \
             (later-dated events kept)."
        );
        assert!(describe(&Window::default(), None).contains("no event time read yet"));
        assert!(describe(&Window::All, newest).starts_with("All time"));
        assert_eq!(span_text(Duration::from_secs(7 * 86_400)), "7d");
        assert_eq!(span_text(Duration(15_000_000)), "1500ms");
    }

    #[test]
    fn keys_round_trip() {
        for key in ["newest", "now", "custom", "all"] {
            assert_eq!(WindowChoice::from_key(key).key(), key);
        }
    }
}
