//! `cmdhunt context --record N FILE` on a real Sysmon log (the Atomic Red Team
//! run, where cmd.exe rows have parents, grandparents and children in the
//! same file): every flagged row's JSON equals what the test works out
//! itself from the decoded events (Sysmon's own `ProcessId` /
//! `ParentProcessId`, linked the slow, obvious way).

mod common;

use common::{cmdhunt, json_lines, scan_ndjson, shared, stderr, stdout};

use cmdhunt_core::event::{Record, RecordClass, RecordSink, Skip};
use cmdhunt_core::format::sniff;
use cmdhunt_core::time::{Timestamp, TICKS_PER_SEC};
use serde_json::Value;

const LOG: &str = "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx";

struct Event {
    record: u64,
    creation: bool,
    time: Timestamp,
    pid: Option<u64>,
    parent_pid: Option<u64>,
    guid: Option<String>,
    parent_guid: Option<String>,
    image: String,
}

#[derive(Default)]
struct All(Vec<Event>);

impl RecordSink for All {
    fn record(&mut self, r: &dyn Record) {
        let fields = r.fields();
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse().ok())
        };
        let text = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.to_lowercase())
        };
        let image = fields
            .iter()
            .find(|(k, _)| k == "Image")
            .map(|(_, v)| v.rsplit('\\').next().unwrap().to_string())
            .unwrap_or_default();
        self.0.push(Event {
            record: r.position().record,
            creation: r.class() == RecordClass::ProcessCreation,
            time: r.timestamp().unwrap().unwrap(),
            pid: get("ProcessId"),
            parent_pid: get("ParentProcessId"),
            guid: text("ProcessGuid"),
            parent_guid: text("ParentProcessGuid"),
            image,
        });
    }
    fn skip(&mut self, s: Skip) {
        panic!("{s:?}");
    }
}

fn events() -> Vec<Event> {
    let bytes = std::fs::read(shared(LOG)).unwrap();
    let mut all = All::default();
    let mut d = sniff(&bytes[..4096]).unwrap().decoder();
    d.push(&bytes, &mut all).unwrap();
    d.finish(&mut all).unwrap();
    // One host in this log: every event is the row's host's.
    all.0
}

fn records(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p["record"].as_u64().unwrap())
        .collect()
}

#[test]
fn every_flagged_rows_context_is_the_logs_own_links() {
    let scan = scan_ndjson(&[], &shared(LOG));
    let rows = json_lines(&scan);
    assert!(rows.len() > 10);
    let all = events();
    let key = |e: &Event| (e.time, e.record);
    let (mut grandparents, mut cut) = (0, 0);
    for row in &rows {
        let n = row["Source"]["record"].as_u64().unwrap();
        let out = cmdhunt(&[
            "context",
            "--record",
            &n.to_string(),
            "--format",
            "json",
            &shared(LOG),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let got: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let me = all.iter().find(|e| e.record == n).unwrap();
        assert_eq!(got["row"]["ProcessId"].as_u64(), me.pid);
        assert_eq!(got["parent"]["FileName"], row["InitiatingProcessFileName"]);
        assert_eq!(
            got["parent"]["CommandLine"],
            row["InitiatingProcessCommandLine"]
        );
        // The chain: each parent the latest creation of its id before its
        // child with the GUID its child names.
        let mut chain = Vec::new();
        let (mut want, mut before, mut guid) = (me.parent_pid, key(me), me.parent_guid.clone());
        while let Some(p) = want {
            let Some(hit) = all
                .iter()
                .filter(|e| e.creation && e.pid == Some(p) && key(e) < before)
                .filter(|e| e.guid == guid)
                .max_by_key(|e| key(e))
            else {
                break;
            };
            chain.push(hit);
            (want, before, guid) = (hit.parent_pid, key(hit), hit.parent_guid.clone());
        }
        assert_eq!(
            records(&got["chain"]),
            chain.iter().map(|e| e.record).collect::<Vec<_>>(),
            "{n}"
        );
        for (link, e) in got["chain"].as_array().unwrap().iter().zip(&chain) {
            assert_eq!(link["FileName"], e.image.as_str());
            assert_eq!(link["ProcessId"].as_u64(), e.pid);
        }
        if let Some(gp) = chain.get(1) {
            grandparents += 1;
            assert_eq!(got["grandparent"]["FileName"], gp.image.as_str());
        }
        // Children: after the row, before its pid is created again.
        let again = all
            .iter()
            .filter(|e| e.creation && e.pid == me.pid && key(e) > key(me))
            .map(key)
            .min();
        let mut children: Vec<&Event> = all
            .iter()
            .filter(|e| e.creation && e.parent_pid == me.pid && key(e) > key(me))
            .filter(|e| e.parent_guid == me.guid)
            .filter(|e| again.is_none_or(|a| key(e) < a))
            .collect();
        children.sort_by_key(|e| key(e));
        let shown = records(&got["children"]);
        let first: Vec<u64> = children
            .iter()
            .take(shown.len())
            .map(|e| e.record)
            .collect();
        assert_eq!(shown, first, "{n}");
        assert_eq!(
            shown.len() as u64 + got["children_cut"].as_u64().unwrap(),
            children.len() as u64
        );
        // Nearby: every other event within five minutes.
        let window = 300 * TICKS_PER_SEC;
        let mut nearby: Vec<u64> = all
            .iter()
            .filter(|e| e.record != n && (e.time.0 - me.time.0).abs() <= window)
            .map(|e| e.record)
            .collect();
        let total =
            got["nearby"].as_array().unwrap().len() as u64 + got["nearby_cut"].as_u64().unwrap();
        assert_eq!(total, nearby.len() as u64, "{n}");
        if got["nearby_cut"] == 0 {
            nearby.sort_by_key(|r| {
                let e = all.iter().find(|e| e.record == *r).unwrap();
                key(e)
            });
            assert_eq!(records(&got["nearby"]), nearby, "{n}");
        } else {
            cut += 1;
        }
    }
    assert!(
        grandparents > 0 && cut > 0,
        "the log exercises grandparents ({grandparents}) and cuts ({cut})"
    );
}

#[test]
fn the_text_names_the_chain_and_children_and_bad_requests_say_why() {
    let scan = scan_ndjson(&[], &shared(LOG));
    let row = &json_lines(&scan)[0];
    let n = row["Source"]["record"].as_u64().unwrap().to_string();
    let json: Value = serde_json::from_str(&stdout(&cmdhunt(&[
        "context",
        "--record",
        &n,
        "--format=json",
        &shared(LOG),
    ])))
    .unwrap();
    let text = stdout(&cmdhunt(&["context", "--record", &n, &shared(LOG)]));
    assert!(
        text.starts_with(&format!("Process context of record {n} of ")),
        "{text}"
    );
    for link in json["chain"]
        .as_array()
        .unwrap()
        .iter()
        .chain(json["children"].as_array().unwrap())
    {
        let record = format!(
            "record {:<7} {}",
            link["record"].as_u64().unwrap(),
            link["Timestamp"].as_str().unwrap()
        );
        assert!(text.contains(&record), "{record} in {text}");
    }
    // Not a flagged row: exit 1, the reason on stderr.
    let out = cmdhunt(&["context", "--record", "1", &shared(LOG)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("record 1 is not a flagged row"),
        "{}",
        stderr(&out)
    );
    // Usage errors: exit 2.
    for args in [
        vec!["context", &shared(LOG)],
        vec!["context", "--record", "x", &shared(LOG)],
        vec!["context", "--record", "3", "-"],
    ] {
        let out = cmdhunt(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_row_only_a_tuned_list_flags_is_found_with_its_config() {
    // Add "gsecdump" to SuspiciousPatterns: the Atomic run's `cmd.exe /c
    // "gsecdump -a"` becomes a row; its context needs the same config.
    let config = stdout(&cmdhunt(&["config"])).replacen(
        "\"SuspiciousPatterns\": [",
        "\"SuspiciousPatterns\": [\n    \"gsecdump\",",
        1,
    );
    let path = std::env::temp_dir().join(format!("cmdhunt-context-{}.json", std::process::id()));
    std::fs::write(&path, config).unwrap();
    let path = path.display().to_string();
    let tuned = scan_ndjson(&["--config", &path], &shared(LOG));
    let published = json_lines(&scan_ndjson(&[], &shared(LOG)));
    let extra: Vec<Value> = json_lines(&tuned)
        .into_iter()
        .filter(|r| !published.iter().any(|p| p["Source"] == r["Source"]))
        .collect();
    assert!(!extra.is_empty(), "the tuned list flags more rows");
    let n = extra[0]["Source"]["record"].as_u64().unwrap().to_string();
    let without = cmdhunt(&["context", "--record", &n, &shared(LOG)]);
    assert_eq!(without.status.code(), Some(1), "{}", stderr(&without));
    let with = cmdhunt(&[
        "context",
        "--record",
        &n,
        "--config",
        &path,
        "--format",
        "json",
        &shared(LOG),
    ]);
    assert!(with.status.success(), "{}", stderr(&with));
    let got: Value = serde_json::from_str(&stdout(&with)).unwrap();
    assert_eq!(
        got["row"]["ProcessCommandLine"],
        extra[0]["ProcessCommandLine"]
    );
    let _ = std::fs::remove_file(&path);
}
