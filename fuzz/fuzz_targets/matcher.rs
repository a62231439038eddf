//! The compiled automaton against the reference `has` on arbitrary UTF-8:
//! `pattern_set` / `parent_set` must equal, needle by needle,
//! `cmdhunt_core::kql::has`, and the highlight spans must agree with the sets.
#![no_main]

use cmdhunt_core::kql::has;
use cmdhunt_core::matcher::{CompiledRule, NeedleSet, Span};
use cmdhunt_core::rule::{Needle, SUSPICIOUS_PARENTS, SUSPICIOUS_PATTERNS};
use libfuzzer_sys::fuzz_target;

fn reference(text: &str, needles: &[Needle]) -> NeedleSet {
    needles
        .iter()
        .enumerate()
        .filter(|(_, n)| has(text, n.value))
        .fold(0, |acc, (i, _)| acc | (1 << i))
}

fn check_spans(text: &str, spans: &[Span], set: NeedleSet) {
    let mut from_spans: NeedleSet = 0;
    for s in spans {
        assert!(
            s.start < s.end && s.end <= text.len(),
            "span {s:?} out of {}",
            text.len()
        );
        assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "span {s:?} splits a character"
        );
        from_spans |= 1 << s.needle;
    }
    assert_eq!(from_spans, set, "spans and set disagree on {text:?}");
}

thread_local! {
    static RULE: CompiledRule = CompiledRule::new();
}

fuzz_target!(|text: &str| {
    RULE.with(|rule| {
        let patterns = rule.pattern_set(text);
        assert_eq!(
            patterns,
            reference(text, &SUSPICIOUS_PATTERNS),
            "patterns on {text:?}"
        );
        let parents = rule.parent_set(text);
        assert_eq!(
            parents,
            reference(text, &SUSPICIOUS_PARENTS),
            "parents on {text:?}"
        );
        check_spans(text, &rule.pattern_spans(text), patterns);
        check_spans(text, &rule.parent_spans(text), parents);
    });
});
