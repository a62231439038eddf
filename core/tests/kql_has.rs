//! Golden tables for KQL `has`, `has_any` and `=~` as cmdhunt models them
//! (see `cmdhunt_core::kql`), checked against both the reference functions
//! and the compiled automaton, one line per case.

use cmdhunt_core::kql::{decode_string_literal, equals_ci, has, spans};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::rule::{SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};

/// (haystack, needle, expected `has`)
const HAS: &[(&str, &str, bool)] = &[
    // The issue's examples for "reg add".
    ("reg add HKCU\\Software\\x", "reg add", true),
    ("x/reg add", "reg add", true),
    ("\"reg add\"", "reg add", true),
    ("REG.exe add", "reg add", false),
    ("preg add", "reg add", false),
    ("reg  add", "reg add", false),
    ("reg addx", "reg add", false),
    ("preg add reg add", "reg add", true), // the second occurrence counts
    // Case folding.
    ("cmd /c REG ADD hklm\\x", "reg add", true),
    ("Reg Add", "reg add", true),
    // Boundaries at string edges and punctuation.
    ("reg add", "reg add", true),
    ("(reg add)", "reg add", true),
    ("reg add;", "reg add", true),
    ("reg_add", "reg add", false),
    ("1reg add", "reg add", false),
    ("reg add1", "reg add", false),
    ("reg\tadd", "reg add", false),
    // Unicode alphanumerics are term characters.
    ("éreg add", "reg add", false),
    ("reg addé", "reg add", false),
    ("日reg add", "reg add", false),
    ("«reg add»", "reg add", true),
    // The Kelvin sign folds to ASCII k; a dotted capital I folds to i + U+0307.
    ("ta\u{212A}eown /f x", "takeown /f", true),
    ("\u{130}cacls /grant", "icacls /grant", false),
    // Needles whose edges are punctuation impose no boundary there.
    ("x> \\\\pipe\\y", "> \\\\pipe\\", true),
    ("echo a> \\\\pipe\\svc", "> \\\\pipe\\", true), // letters on both sides: no boundary needed
    ("echo a>  \\\\pipe\\svc", "> \\\\pipe\\", false), // two spaces
    ("echo | set /p=abc", "echo | set /p=", true),
    ("xecho | set /p=abc", "echo | set /p=", false),
    ("echo | set /p=", "echo | set /p=", true),
    ("echo |set /p=", "echo | set /p=", false),
    // Right edge: "for /f" ends alphanumeric.
    ("for /f \"tokens=*\" %a in (x)", "for /f", true),
    ("for /foo", "for /f", false),
    ("for /F", "for /f", true),
    ("therefor /f", "for /f", false),
    // Numbers are terms too.
    ("ping -n 1 -w 3000 1.1.1.1", "ping -n 1 -w", true),
    ("ping -n 10 -w 3000", "ping -n 1 -w", false),
    ("ping -n 1 -wait", "ping -n 1 -w", false),
    // Overlapping occurrences.
    ("reg reg add", "reg add", true),
    ("net user /add", "net user /add", true),
    ("net user /addx", "net user /add", false),
    ("net user /add:x", "net user /add", true),
    ("internet user /add", "net user /add", false),
    // Empty needle and empty haystack.
    ("", "reg add", false),
    ("reg add", "", false),
];

#[test]
fn has_golden_table() {
    for &(haystack, needle, want) in HAS {
        assert_eq!(has(haystack, needle), want, "{haystack:?} has {needle:?}");
    }
}

#[test]
fn automaton_agrees_with_reference_on_golden_table() {
    let rule = CompiledRule::new();
    for &(haystack, needle, _) in HAS {
        if let Some(i) = SUSPICIOUS_PATTERNS.iter().position(|n| n.value == needle) {
            let fast = rule.pattern_set(haystack) & (1 << i) != 0;
            assert_eq!(
                fast,
                has(haystack, needle),
                "automaton vs reference: {haystack:?} has {needle:?}"
            );
        }
    }
}

/// Per pattern: haystacks where it must match and where it must not.
/// Positive cases put it at the start, the end, behind punctuation and in
/// another case; negative cases break each alphanumeric edge.
#[test]
fn each_pattern_has_positive_and_negative_boundary_cases() {
    let rule = CompiledRule::new();
    for (i, pattern) in SUSPICIOUS_PATTERNS.iter().enumerate() {
        let p = pattern.value;
        let upper = p.to_uppercase();
        let mut positives = vec![
            p.to_string(),
            format!("cmd.exe /c {p} x"),
            format!("\"{p}\""),
            format!("x/{upper}/y"),
            format!("prefix {p}"),
        ];
        let mut negatives = vec![p.replace(' ', "  "), p[..p.len() - 1].to_string()];
        let first_alnum = p.chars().next().is_some_and(char::is_alphanumeric);
        let last_alnum = p.chars().last().is_some_and(char::is_alphanumeric);
        if first_alnum {
            negatives.push(format!("x{p}"));
            negatives.push(format!("9{p} y"));
        } else {
            positives.push(format!("x{p}"));
        }
        if last_alnum {
            negatives.push(format!("{p}x"));
            negatives.push(format!("a {p}2"));
        } else {
            positives.push(format!("{p}x"));
        }
        for h in &positives {
            assert!(has(h, p), "reference: {h:?} should have {p:?}");
            assert!(
                rule.pattern_set(h) & (1 << i) != 0,
                "automaton: {h:?} should have {p:?}"
            );
        }
        for h in &negatives {
            assert!(!has(h, p), "reference: {h:?} should not have {p:?}");
            assert!(
                rule.pattern_set(h) & (1 << i) == 0,
                "automaton: {h:?} should not have {p:?}"
            );
        }
    }
}

#[test]
fn parents_match_on_term_boundaries() {
    let rule = CompiledRule::new();
    let cases: &[(&str, u32)] = &[
        ("WINWORD.EXE", 1 << 0),
        ("excel.exe", 1 << 1),
        ("mshta.exe", 1 << 4),
        ("Rundll32.exe", 1 << 7),
        ("regsvr32.exe", 1 << 8),
        ("notwinword.exe", 0),
        ("winword.exe2", 0),
        ("winword.exe.bak", 1 << 0),
        ("explorer.exe", 0),
        ("", 0),
        ("wscript.exe cscript.exe", (1 << 5) | (1 << 6)),
    ];
    for &(name, want) in cases {
        assert_eq!(rule.parent_set(name), want, "{name:?}");
        for (i, parent) in SUSPICIOUS_PARENTS.iter().enumerate() {
            assert_eq!(
                has(name, parent.value),
                want & (1 << i) != 0,
                "{name:?} has {:?}",
                parent.value
            );
        }
    }
}

#[test]
fn equals_ci_is_whole_string_and_case_insensitive() {
    let cases = [
        ("cmd.exe", true),
        ("CMD.EXE", true),
        ("Cmd.Exe", true),
        ("cmd.exe ", false),
        (" cmd.exe", false),
        ("cmd", false),
        ("xcmd.exe", false),
        ("C:\\Windows\\System32\\cmd.exe", false),
        ("cmd.exe\0", false),
        ("", false),
    ];
    for (name, want) in cases {
        assert_eq!(equals_ci(name, "cmd.exe"), want, "{name:?} =~ cmd.exe");
    }
    assert!(equals_ci("ÄBC", "äbc"));
}

#[test]
fn rule_literals_decode_to_their_values() {
    for needle in SUSPICIOUS_PATTERNS.iter().chain(SUSPICIOUS_PARENTS.iter()) {
        assert_eq!(
            decode_string_literal(needle.literal).as_deref(),
            Ok(needle.value),
            "{}",
            needle.literal
        );
    }
    // The pipe pattern is the 9 characters `> \\pipe\` (the KQL literal doubles each backslash).
    assert_eq!(SUSPICIOUS_PATTERNS[21].value.chars().count(), 9);
    assert_eq!(SUSPICIOUS_PATTERNS[21].value, "> \\\\pipe\\");
    assert!(decode_string_literal(r#""bad \q""#).is_err());
    assert!(decode_string_literal(r#""open"#).is_err());
}

#[test]
fn rule_literals_appear_verbatim_in_the_kql() {
    let kql = cmdhunt_core::rule::KQL_TEXT;
    for needle in SUSPICIOUS_PATTERNS.iter().chain(SUSPICIOUS_PARENTS.iter()) {
        assert!(
            kql.contains(needle.literal),
            "{} not in the KQL text",
            needle.literal
        );
    }
    for flag in cmdhunt_core::rule::FLAGS {
        assert!(
            kql.contains(&format!("extend {} =", flag.name)),
            "{}",
            flag.name
        );
    }
}

#[test]
fn spans_report_every_boundary_respecting_occurrence() {
    assert_eq!(spans("preg add reg add", "reg add"), vec![(9, 16)]);
    assert_eq!(
        spans("reg add & REG ADD", "reg add"),
        vec![(0, 7), (10, 17)]
    );
    let rule = CompiledRule::new();
    let s = rule.pattern_spans("cmd /c reg add x & for /f y");
    let found: Vec<(usize, usize, usize)> = s.iter().map(|s| (s.start, s.end, s.needle)).collect();
    assert_eq!(found, vec![(7, 14, 5), (19, 25, 19)]);
}
