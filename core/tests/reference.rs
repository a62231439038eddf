//! Property tests: the compiled automaton against the naive reference
//! implementation of `has` (`cmdhunt_core::kql`), on random command lines built
//! from fragments of the rule's needles, near-misses, case changes, Unicode and
//! punctuation; and whole-scan results against a naive scan.

use cmdhunt_core::kql::{equals_ci, has};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::rule::{FLAGS, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};

mod common;
use common::Rng;

const FRAGMENTS: &[&str] = &[
    " ",
    "  ",
    "\t",
    "/",
    "\\",
    "\"",
    "'",
    "-",
    ".",
    "|",
    ">",
    "=",
    "x",
    "p",
    "9",
    "_",
    "é",
    "İ",
    "\u{212A}",
    "日",
    "reg",
    "add",
    "REG",
    "Add",
    "cmd",
    "/c",
    "for",
    "/f",
    "/F",
    "net",
    "user",
    "/add",
    "echo",
    "set",
    "/p=",
    "ping",
    "-n",
    "1",
    "-w",
    "pipe",
    "\\\\pipe\\",
    "certutil",
    "-urlcache",
    "-decode",
    "schtasks",
    "/create",
    "vssadmin",
    "delete",
    "shadows",
    "wmic",
    "shadowcopy",
    "takeown",
    "icacls",
    "/grant",
    "bitsadmin",
    "/transfer",
    "bcdedit",
    "/set",
    "localgroup",
    "administrators",
    "process",
    "call",
    "create",
];

fn random_text(rng: &mut Rng) -> String {
    let mut s = String::new();
    let parts = 1 + rng.below(12);
    for _ in 0..parts {
        match rng.below(4) {
            0 => s.push_str(SUSPICIOUS_PATTERNS[rng.below(SUSPICIOUS_PATTERNS.len())].value),
            1 => s.push_str(&rng.pick(FRAGMENTS).to_uppercase()),
            _ => s.push_str(rng.pick(FRAGMENTS)),
        }
    }
    s
}

#[test]
fn automaton_matches_reference_on_random_command_lines() {
    let rule = CompiledRule::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut positives = 0;
    for case in 0..20_000 {
        let text = random_text(&mut rng);
        let fast = rule.pattern_set(&text);
        for (i, p) in SUSPICIOUS_PATTERNS.iter().enumerate() {
            let want = has(&text, p.value);
            positives += usize::from(want);
            assert_eq!(
                fast & (1 << i) != 0,
                want,
                "case {case}: {text:?} has {:?}",
                p.value
            );
        }
        // Spans are exactly the reference's occurrences.
        for span in rule.pattern_spans(&text) {
            let occ = &text[span.start..span.end];
            assert!(
                equals_ci(occ, SUSPICIOUS_PATTERNS[span.needle].value) || occ.contains('\u{212A}'),
                "{occ:?}"
            );
        }
    }
    assert!(
        positives > 5_000,
        "the generator should hit patterns often, got {positives}"
    );
}

#[test]
fn parent_automaton_matches_reference_on_random_names() {
    let rule = CompiledRule::new();
    let mut rng = Rng(42);
    let names: Vec<&str> = SUSPICIOUS_PARENTS.iter().map(|p| p.value).collect();
    for case in 0..10_000 {
        let mut s = String::new();
        for _ in 0..1 + rng.below(3) {
            match rng.below(3) {
                0 => s.push_str(rng.pick(&names)),
                1 => s.push_str(&rng.pick(&names).to_uppercase()),
                _ => s.push_str(rng.pick(&["x", ".", "\\", " ", "2", "exe", "é"])),
            }
        }
        let fast = rule.parent_set(&s);
        for (i, p) in SUSPICIOUS_PARENTS.iter().enumerate() {
            assert_eq!(
                fast & (1 << i) != 0,
                has(&s, p.value),
                "case {case}: {s:?} has {:?}",
                p.value
            );
        }
    }
}

#[test]
fn flags_are_the_kql_extends() {
    let rule = CompiledRule::new();
    let mut rng = Rng(7);
    for _ in 0..5_000 {
        let cmd = random_text(&mut rng);
        let parent = rng.pick(&["winword.exe", "explorer.exe", "MSHTA.EXE", "x", ""]);
        let v = rule.verdict(&cmd, parent);
        for (k, flag) in FLAGS.iter().enumerate() {
            let haystack = match flag.column {
                cmdhunt_core::rule::Column::ProcessCommandLine => cmd.as_str(),
                cmdhunt_core::rule::Column::InitiatingProcessFileName => parent,
            };
            let want = flag.needles.iter().any(|n| has(haystack, n));
            assert_eq!(v.flags.0[k], want, "{} on {haystack:?}", flag.name);
        }
        let want_flagged = SUSPICIOUS_PATTERNS.iter().any(|p| has(&cmd, p.value))
            || SUSPICIOUS_PARENTS.iter().any(|p| has(parent, p.value));
        assert_eq!(v.is_flagged(), want_flagged, "{cmd:?} / {parent:?}");
    }
}
