//! `why` and `grouping` over a real export: every row's reasons are the
//! matcher's own (the needles `CompiledRule::matched` names, each found again
//! in the row's text by the matcher's spans), and groups partition the rows.

mod common;

use std::collections::BTreeMap;

use cmdhunt_core::grouping::{group, key};
use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::{select, Window};
use cmdhunt_core::scan::FileScan;
use cmdhunt_core::why::{reason, Names, Reason};

use common::{read, scan_in, shared};

#[test]
fn every_reason_on_the_real_export_is_the_matchers() {
    let bytes = read(&shared("defender/mde_proc_cs1.csv"));
    let (_, rows) = scan_in(&bytes, "mde_proc_cs1.csv", None, 1 << 16);
    assert!(
        rows.len() > 10,
        "the export has flagged rows: {}",
        rows.len()
    );
    let rule = CompiledRule::new();
    let names = Names::of(&rule);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        let why = names.why(row);
        let matched: Vec<&str> = rule.matched(&row.verdict).collect();
        let mine: Vec<&str> = why.patterns.iter().chain(&why.parents).copied().collect();
        assert_eq!(mine, matched, "record {}", row.position.record);
        // Each pattern named occurs in the command line as the matcher finds it.
        let spans = rule.pattern_spans(&row.event.process_command_line);
        for p in &why.patterns {
            let bit = names.patterns.iter().position(|n| n == p).unwrap();
            assert!(
                spans.iter().any(|s| s.needle == bit),
                "{p} in record {}",
                row.position.record
            );
        }
        let parent_spans = rule.parent_spans(&row.event.initiating_process_file_name);
        assert_eq!(why.parents.is_empty(), parent_spans.is_empty());
        assert!(
            why.hardened.is_empty(),
            "parity mode names no hardened rule"
        );
        assert_ne!(why.reason(), Reason::Nothing);
        assert_eq!(reason(row), why.reason());
        *reasons.entry(format!("{:?}", why.reason())).or_default() += 1;
    }
    // The export has both kinds of "only": the chips have rows to show.
    assert!(
        reasons.get("PatternOnly").copied().unwrap_or(0) > 0,
        "{reasons:?}"
    );
    assert!(
        reasons.get("ParentOnly").copied().unwrap_or(0) > 0,
        "{reasons:?}"
    );
}

#[test]
fn hardened_rows_name_their_rules() {
    let bytes = read(&shared("defender/mde_proc_cs1.csv"));
    let (rule, hardened) = (CompiledRule::new(), HardenedRules::new());
    let mut scan = FileScan::new(&rule, 0, "mde_proc_cs1.csv", None).hardened(&hardened);
    scan.push(&bytes);
    let rows = scan.finish().1;
    let names = Names::of(&rule);
    let mut hardened_only = 0;
    for row in &rows {
        let why = names.why(row);
        assert_eq!(why.hardened, row.hardened.ids().collect::<Vec<_>>());
        assert_eq!(reason(row), why.reason());
        if why.reason() == Reason::HardenedOnly {
            hardened_only += 1;
            assert!(why.text().starts_with("hardened: "));
        }
    }
    assert!(hardened_only > 0, "the export has hardened-only rows");
}

#[test]
fn groups_partition_the_rows_with_their_times() {
    let bytes = read(&shared("defender/mde_proc_cs1.csv"));
    let (summary, rows) = scan_in(&bytes, "mde_proc_cs1.csv", None, 1 << 16);
    let order = select(&rows, &Window::All, summary.newest);
    let groups = group(&rows, &order);
    assert!(groups.len() < rows.len(), "the export repeats rows");
    let mut seen: Vec<usize> = groups.iter().flat_map(|g| g.members.clone()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..rows.len()).collect::<Vec<_>>());
    for g in &groups {
        let k = key(&rows[g.head()]);
        assert!(g.members.iter().all(|&i| key(&rows[i]) == k));
        let times: Vec<_> = g
            .members
            .iter()
            .filter_map(|&i| rows[i].event.timestamp)
            .collect();
        assert_eq!(g.first, times.iter().min().copied());
        assert_eq!(g.last, times.iter().max().copied());
    }
    // Groups come in the order of their first row.
    let heads: Vec<usize> = groups
        .iter()
        .map(|g| order.iter().position(|&i| i == g.head()).unwrap())
        .collect();
    assert!(heads.windows(2).all(|w| w[0] < w[1]));
}

/// How long grouping and naming take for 40,000 rows (the export's rows
/// repeated, every 7th with its own command line so groups are many):
/// `cargo test --release -p cmdhunt-core --test why -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement"]
fn grouping_and_why_of_40k_rows_timing() {
    let bytes = read(&shared("defender/mde_proc_cs1.csv"));
    let (_, rows) = scan_in(&bytes, "mde_proc_cs1.csv", None, 1 << 16);
    let mut many = Vec::with_capacity(40_000);
    for n in 0..40_000 {
        let mut row = rows[n % rows.len()].clone();
        if n % 7 == 0 {
            row.event.process_command_line.push_str(&format!(" #{n}"));
        }
        many.push(row);
    }
    let order: Vec<usize> = (0..many.len()).collect();
    let rule = CompiledRule::new();
    let names = Names::of(&rule);
    let best = |f: &dyn Fn() -> usize| {
        (0..5)
            .map(|_| {
                let t = std::time::Instant::now();
                let n = f();
                (t.elapsed(), n)
            })
            .min()
            .unwrap()
    };
    let (g, groups) = best(&|| group(&many, &order).len());
    let (w, chars) = best(&|| many.iter().map(|r| names.why(r).text().len()).sum());
    println!(
        "40000 rows: group {g:?} ({groups} groups); why text of every row {w:?} ({chars} chars)"
    );
}
