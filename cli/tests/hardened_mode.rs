//! `cmdhunt scan --mode parity|hardened`: parity output unchanged, hardened
//! rows labelled, run as a process on real exports.

use serde_json::Value;

mod common;
use common::{cmdhunt, shared, stderr, stdout};

/// Real exports with parity rows, hardened rows, or both, in four formats.
const FILES: [&str; 5] = [
    "defender/mde_proc_cs1.csv",
    "defender/processes_on_host.csv",
    "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    "otrf/schtask_create_2020-12-1907003032.json",
    "xml/PanacheSysmon_vs_AtomicRedTeam01.events.xml",
];

/// The keys hardened mode adds to an NDJSON row.
const ADDED: [&str; 4] = ["Detection", "Rules", "Evasions", "FileName"];

#[test]
fn mode_parity_is_byte_identical_to_the_default() {
    for file in FILES.map(shared) {
        for format in ["ndjson", "csv", "table"] {
            let base = ["scan", "--window", "all", "--format", format];
            let default = cmdhunt(&[&base[..], &[file.as_str()]].concat());
            let parity = cmdhunt(&[&base[..], &["--mode", "parity", file.as_str()]].concat());
            assert!(default.status.success(), "{file}: {}", stderr(&default));
            assert_eq!(stdout(&parity), stdout(&default), "{file} {format}: stdout");
            assert_eq!(stderr(&parity), stderr(&default), "{file} {format}: stderr");
        }
    }
}

#[test]
fn hardened_ndjson_keeps_every_parity_row_and_labels_the_rest() {
    let mut hardened_rows = 0;
    for file in FILES.map(shared) {
        let args = ["scan", "--window", "all", "--format", "ndjson"];
        let parity = cmdhunt(&[&args[..], &[file.as_str()]].concat());
        let hardened = cmdhunt(&[&args[..], &["--mode", "hardened", file.as_str()]].concat());
        assert!(hardened.status.success(), "{file}: {}", stderr(&hardened));
        let parity: Vec<Value> = stdout(&parity)
            .lines()
            .map(|l| {
                let mut row: Value = serde_json::from_str(l).expect("JSON row");
                row.as_object_mut().expect("an object").remove("Why");
                row
            })
            .collect();
        let mut kept = Vec::new();
        for line in stdout(&hardened).lines() {
            let mut row: Value = serde_json::from_str(line).expect("JSON row");
            let object = row.as_object_mut().expect("an object");
            let detection = object["Detection"].as_str().expect("Detection").to_string();
            let rules = object["Rules"].as_array().expect("Rules").clone();
            assert!(object["FileName"].is_string(), "{line}");
            assert!(object["Evasions"].is_array(), "{line}");
            match detection.as_str() {
                "parity" => {
                    // `Why` names the hardened rules a parity row fires
                    // too in hardened mode (none in parity mode).
                    for key in ADDED.iter().chain(&["Why"]) {
                        object.remove(*key);
                    }
                    kept.push(row);
                }
                "hardened" => {
                    assert!(!rules.is_empty(), "a hardened row names its rules: {line}");
                    hardened_rows += 1;
                }
                other => panic!("Detection {other:?}"),
            }
        }
        // The parity rows, in the same order, exactly as parity mode writes them.
        assert_eq!(kept, parity, "{file}");
    }
    assert!(hardened_rows > 0, "hardened mode added no rows");
}

#[test]
fn hardened_rows_name_their_rules_and_image() {
    let file = shared("defender/mde_proc_cs1.csv");
    let o = cmdhunt(&[
        "scan", "--window", "all", "--format", "ndjson", "--mode", "hardened", &file,
    ]);
    let rows: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON row"))
        .collect();
    let hardened: Vec<&Value> = rows
        .iter()
        .filter(|r| r["Detection"] == "hardened")
        .collect();
    assert!(!hardened.is_empty());
    // A child of cmd.exe: its own image, not cmd.exe.
    let child = hardened
        .iter()
        .find(|r| r["FileName"] == "reg.exe")
        .expect("a reg.exe child of cmd.exe");
    assert_eq!(child["InitiatingProcessFileName"], "cmd.exe");
    assert_eq!(child["Rules"], serde_json::json!(["reg-modify"]));
    // The native-messaging hosts bridged to pipes are not flagged.
    assert!(!stdout(&o).contains("nativeMessaging"));
    // Counts of each kind on stderr.
    let err = stderr(&o);
    let total = err
        .lines()
        .find(|l| l.starts_with("total:"))
        .expect("a total line");
    let parity = rows.iter().filter(|r| r["Detection"] == "parity").count();
    assert!(
        total.contains(&format!("({parity} parity, {} hardened)", hardened.len())),
        "{total}"
    );
    assert!(
        err.contains(&format!(
            "  hardened: {} rows only the hardened rules flag",
            hardened.len()
        )),
        "{err}"
    );
}

#[test]
fn hardened_csv_and_table_gain_the_columns() {
    let file = shared("defender/mde_proc_cs1.csv");
    let csv = cmdhunt(&[
        "scan", "--window", "all", "--format", "csv", "--mode", "hardened", &file,
    ]);
    let text = stdout(&csv);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(&header[header.len() - 4..], ADDED);
    let records: Vec<csv::StringRecord> =
        reader.records().map(|r| r.expect("a CSV record")).collect();
    assert!(records.iter().all(|r| r.len() == header.len()));
    let labels: Vec<&str> = records.iter().map(|r| &r[header.len() - 4]).collect();
    assert!(
        labels.contains(&"parity") && labels.contains(&"hardened"),
        "{labels:?}"
    );

    let table = cmdhunt(&["scan", "--window", "all", "--mode", "hardened", &file]);
    let head = stdout(&table);
    let first = head.lines().next().expect("a header line");
    for column in ["Detection", "Rules", "FileName", "ProcessCommandLine"] {
        assert!(first.contains(column), "{first}");
    }
    assert!(head
        .lines()
        .any(|l| l.contains("hardened") && l.contains("mshta-script")));
    let parity_table = cmdhunt(&["scan", "--window", "all", &file]);
    assert!(!stdout(&parity_table)
        .lines()
        .next()
        .unwrap_or("")
        .contains("Detection"));
}

#[test]
fn mode_option_errors_are_usage_errors() {
    for bad in [["scan", "--mode", "strict"], ["scan", "--mode", "HARD"]] {
        let o = cmdhunt(&[bad[0], bad[1], bad[2], "x.csv"]);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(stderr(&o).contains("--mode"), "{}", stderr(&o));
    }
}

#[test]
fn a_configs_mode_chooses_hardened_and_the_option_overrides_it() {
    let config = std::env::temp_dir().join(format!("cmdhunt-hardened-{}.json", std::process::id()));
    std::fs::write(&config, r#"{"version": 1, "mode": "hardened"}"#).expect("write the config");
    let config = config.display().to_string();
    let file = shared("defender/mde_proc_cs1.csv");
    let base = [
        "scan", "--window", "all", "--format", "ndjson", "--config", &config,
    ];
    let from_config = cmdhunt(&[&base[..], &[file.as_str()]].concat());
    let overridden = cmdhunt(&[&base[..], &["--mode", "parity", file.as_str()]].concat());
    let _ = std::fs::remove_file(&config);
    assert!(from_config.status.success(), "{}", stderr(&from_config));
    assert!(stdout(&from_config).contains(r#""Detection":"hardened""#));
    assert!(
        !stdout(&overridden).contains("Detection"),
        "--mode parity wins over the config"
    );
}
