//! The NDJSON `Why` key: every row's reasons as `cmdhunt_core::why` names
//! them (what the page's `Matched` column shows), in parity mode, hardened
//! mode and with a config's edited lists; its patterns and parents are the
//! row's `Matched`, its hardened rules the row's `Rules`.

mod common;

use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::results::{select, Window};
use cmdhunt_core::scan::FileScan;
use cmdhunt_core::why::Names;
use serde_json::Value;

use common::{json_lines, scan_ndjson, shared, stderr};

/// The core's `Why` of every row of `file` (all time, the rule's order).
fn core_whys(file: &str, rule: &CompiledRule, hardened: bool) -> Vec<Value> {
    let bytes = std::fs::read(file).expect("the export");
    let rules = HardenedRules::new();
    let mut scan = FileScan::new(rule, 0, file, None);
    if hardened {
        scan = scan.hardened(&rules);
    }
    scan.push(&bytes);
    let (summary, rows) = scan.finish();
    let names = Names::of(rule);
    select(&rows, &Window::All, summary.newest)
        .into_iter()
        .map(|i| serde_json::from_str(&names.why(&rows[i]).json()).expect("JSON"))
        .collect()
}

#[test]
fn why_is_the_cores_in_every_mode() {
    let file = shared("defender/mde_proc_cs1.csv");
    for hardened in [false, true] {
        let mode = if hardened { "hardened" } else { "parity" };
        let o = scan_ndjson(&["--mode", mode], &file);
        assert!(o.status.success(), "{}", stderr(&o));
        let rows = json_lines(&o);
        let whys: Vec<Value> = rows.iter().map(|r| r["Why"].clone()).collect();
        assert_eq!(
            whys,
            core_whys(&file, &CompiledRule::new(), hardened),
            "{mode}"
        );
        for r in &rows {
            let why = &r["Why"];
            let named: Vec<Value> = why["patterns"]
                .as_array()
                .unwrap()
                .iter()
                .chain(why["parents"].as_array().unwrap())
                .cloned()
                .collect();
            assert_eq!(Value::Array(named), r["Matched"], "{mode}: {r}");
            if hardened {
                assert_eq!(why["hardened"], r["Rules"], "{r}");
            }
        }
        let reasons: Vec<&str> = whys.iter().filter_map(|w| w["reason"].as_str()).collect();
        // Parity mode has both "only" kinds; hardened mode adds rows only its rules flag.
        assert!(
            hardened || (reasons.contains(&"parent_only") && reasons.contains(&"pattern_only"))
        );
        assert_eq!(hardened, reasons.contains(&"hardened_only"), "{mode}");
    }
}

#[test]
fn why_names_a_configs_own_needles() {
    let file = shared("defender/mde_proc_cs1.csv");
    let dir = std::env::temp_dir().join(format!("cmdhunt-why-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.json");
    // The published lists with the first pattern moved to the end: bits change, names must not.
    let mut patterns: Vec<&str> = cmdhunt_core::rule::SUSPICIOUS_PATTERNS
        .iter()
        .map(|n| n.value)
        .collect();
    patterns.rotate_left(1);
    let parents: Vec<&str> = cmdhunt_core::rule::SUSPICIOUS_PARENTS
        .iter()
        .map(|n| n.value)
        .collect();
    let json = serde_json::json!({ "version": 1, "SuspiciousPatterns": patterns, "SuspiciousParents": parents });
    std::fs::write(&config, json.to_string()).unwrap();
    let o = scan_ndjson(&["--config", config.to_str().unwrap()], &file);
    assert!(o.status.success(), "{}", stderr(&o));
    let whys: Vec<Value> = json_lines(&o).iter().map(|r| r["Why"].clone()).collect();
    let rule = CompiledRule::from_lists(&patterns, &parents).unwrap();
    assert_eq!(whys, core_whys(&file, &rule, false));
    std::fs::remove_dir_all(&dir).ok();
}
