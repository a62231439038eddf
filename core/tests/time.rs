//! Timestamps in every form real exports write them (the test data's provenance, README "Layout"),
//! and the ones that must be refused.

use cmdhunt_core::time::{Duration, Timestamp};

/// (text, RFC 3339 it must mean; None = must be refused)
const CASES: &[(&str, Option<&str>)] = &[
    (
        "2021-08-02T13:11:39.7724491Z",
        Some("2021-08-02T13:11:39.7724491Z"),
    ),
    ("2021-08-02T13:11:39Z", Some("2021-08-02T13:11:39.0000000Z")),
    (
        "2021-08-02T13:11:39.1Z",
        Some("2021-08-02T13:11:39.1000000Z"),
    ),
    (
        "2021-08-02T13:11:39.123456789Z",
        Some("2021-08-02T13:11:39.1234567Z"),
    ), // 100 ns resolution
    (
        "2024-10-23 12:17:08.2485006",
        Some("2024-10-23T12:17:08.2485006Z"),
    ), // zone-less = UTC
    (
        "2017-12-26 13:10:29.134",
        Some("2017-12-26T13:10:29.1340000Z"),
    ), // Sysmon UtcTime
    (
        "2021-06-23 03:08:14.159814200+00:00",
        Some("2021-06-23T03:08:14.1598142Z"),
    ),
    (
        "2024-10-09T16:41:10+02:00",
        Some("2024-10-09T14:41:10.0000000Z"),
    ),
    (
        "2024-10-09T09:41:10-0500",
        Some("2024-10-09T14:41:10.0000000Z"),
    ),
    (
        "Oct 9, 2024 2:41:10 PM",
        Some("2024-10-09T14:41:10.0000000Z"),
    ),
    (
        "Oct 9, 2024 12:05:00 AM",
        Some("2024-10-09T00:05:00.0000000Z"),
    ),
    (
        "October 9, 2024 12:05:00 PM",
        Some("2024-10-09T12:05:00.0000000Z"),
    ),
    (
        "10/25/2023, 9:43:21.994 AM",
        Some("2023-10-25T09:43:21.9940000Z"),
    ),
    (
        "10/25/2023, 9:43:21.994 PM",
        Some("2023-10-25T21:43:21.9940000Z"),
    ),
    (
        "2020/10/16 0:00:01.403",
        Some("2020-10-16T00:00:01.4030000Z"),
    ),
    (
        "2019-01-15 05:24:24.010",
        Some("2019-01-15T05:24:24.0100000Z"),
    ),
    (
        "  2019-01-15T05:24:24Z  ",
        Some("2019-01-15T05:24:24.0000000Z"),
    ),
    ("2024-02-29T00:00:00Z", Some("2024-02-29T00:00:00.0000000Z")),
    ("2024-03-10", Some("2024-03-10T00:00:00.0000000Z")),
    ("0001-01-01T00:00:00Z", Some("0001-01-01T00:00:00.0000000Z")),
    (
        "9999-12-31T23:59:59.9999999Z",
        Some("9999-12-31T23:59:59.9999999Z"),
    ),
    // Refused: impossible or out of Kusto's range, or not a time at all.
    ("2023-02-29T00:00:00Z", None),
    ("2024-13-01T00:00:00Z", None),
    ("2024-01-32T00:00:00Z", None),
    ("2024-01-01T24:00:00Z", None),
    ("2024-01-01T23:60:00Z", None),
    ("0000-01-01T00:00:00Z", None),
    ("10000-01-01T00:00:00Z", None),
    ("9999-12-31T23:59:59-01:00", None), // past year 9999 once the offset is applied
    ("0001-01-01T00:00:00+01:00", None), // before year 1
    ("13/25/2023, 9:43:21 AM", None),
    ("10/25/2023, 13:43:21 PM", None),
    ("2024-01-01T00:00:00.Z", None),
    ("2024-01-01T00:00:00.1234567890Z", None),
    ("2024-01-01T00:00:00Zjunk", None),
    ("yesterday", None),
    ("", None),
    ("1700000000", None),
];

#[test]
fn timestamp_forms() {
    for &(text, want) in CASES {
        let got = Timestamp::parse(text).map(|t| t.to_string());
        assert_eq!(got.as_deref(), want, "{text:?}");
    }
}

#[test]
fn display_round_trips() {
    for &(_, want) in CASES {
        if let Some(rfc) = want {
            let t = Timestamp::parse(rfc).unwrap();
            assert_eq!(t.to_string(), rfc);
        }
    }
}

#[test]
fn ordering_is_chronological() {
    let a = Timestamp::parse("1969-12-31T23:59:59.9999999Z").unwrap();
    let b = Timestamp::parse("1970-01-01T00:00:00Z").unwrap();
    let c = Timestamp::parse("Oct 9, 2024 2:41:10 PM").unwrap();
    assert!(a < b && b < c);
    assert_eq!(b.0, 0);
    assert_eq!(
        c.minus(Duration::from_secs(86_400)).to_string(),
        "2024-10-08T14:41:10.0000000Z"
    );
}

#[test]
fn durations() {
    let cases: &[(&str, Option<i64>)] = &[
        ("24h", Some(86_400)),
        ("1d", Some(86_400)),
        ("7d", Some(604_800)),
        ("90m", Some(5_400)),
        ("30s", Some(30)),
        ("1.5h", Some(5_400)),
        ("0h", Some(0)),
        ("", None),
        ("h", None),
        ("24", None),
        ("24x", None),
        ("-1h", None),
        ("99999999999999999999d", None),
    ];
    for &(text, secs) in cases {
        assert_eq!(
            Duration::parse(text),
            secs.map(Duration::from_secs),
            "{text:?}"
        );
    }
    assert_eq!(Duration::parse("500ms"), Some(Duration(5_000_000)));
}
