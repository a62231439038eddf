//! Hardened mode's coverage on the public corpora in `../shared/data`: per
//! corpus, the files with `cmd.exe` activity, how many of them the parity
//! rule catches (one row or more) and how many hardened mode catches, and the
//! rows flagged on the benign exports.
//!
//! ```sh
//! cargo run --release -p cmdhunt-core --example coverage            # the README's table
//! cargo run --release -p cmdhunt-core --example coverage -- --rows  # and every hardened-only row
//! cargo run --release -p cmdhunt-core --example coverage -- --data DIR
//! ```
//!
//! A file has `cmd.exe` activity when one of its process creations is
//! `cmd.exe` or has `cmd.exe` as its parent. Files are found by walking the
//! corpus folders; formats are recognised from content (files no decoder
//! reads, such as the Atomic Red Team YAML, are skipped and counted).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cmdhunt_core::event::{Record, RecordClass, RecordSink, Skip};
use cmdhunt_core::format::{sniff, Format, SNIFF_BYTES};
use cmdhunt_core::hardened::{Detection, HardenedRules};
use cmdhunt_core::kql::equals_ci;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::FileScan;

/// (corpus label, folder under the data root, benign?)
const CORPORA: [(&str, &str, bool); 7] = [
    (
        "Sysmon EVTX (EVTX-ATTACK-SAMPLES, incl. Atomic Red Team)",
        "sysmon-evtx",
        false,
    ),
    ("OTRF Security-Datasets (Mordor JSON)", "otrf", false),
    (
        "Security 4688 / Sysmon EVTX per technique (EVTX-to-MITRE-Attack)",
        "security-4688",
        false,
    ),
    (
        "Defender / Sentinel exports: attack (mde_proc_cs1, msticpy SecurityEvent)",
        "defender",
        false,
    ),
    (
        "Defender exports: benign (advanced_hunting_test.csv, Microsoft365DefenderEvents.json)",
        "defender",
        true,
    ),
    (
        "Parser samples (evtx-samples: VMware Tools batch files, ping delays; benign)",
        "evtx-samples",
        true,
    ),
    (
        "Sigma regression samples (process-creation test events; seen while writing the rules)",
        "sigma-regression",
        false,
    ),
];

/// The benign Defender exports (the rest of `defender/` is attack data).
const BENIGN: [&str; 2] = [
    "advanced_hunting_test.csv",
    "Microsoft365DefenderEvents.json",
];

/// Does a file have cmd.exe activity? Counted by a plain pass of its decoder.
#[derive(Default)]
struct Activity {
    shell_or_child: u64,
}

impl RecordSink for Activity {
    fn record(&mut self, record: &dyn Record) {
        if record.class() != RecordClass::ProcessCreation {
            return;
        }
        let e = record.event();
        if equals_ci(&e.file_name, "cmd.exe")
            || equals_ci(&e.initiating_process_file_name, "cmd.exe")
        {
            self.shell_or_child += 1;
        }
    }
    fn skip(&mut self, _: Skip) {}
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[derive(Default)]
struct Tally {
    files: u64,
    unreadable: u64,
    active: u64,
    parity_files: u64,
    hardened_files: u64,
    parity_rows: u64,
    hardened_rows: u64,
    by_rule: BTreeMap<&'static str, u64>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_rows = args.iter().any(|a| a == "--rows");
    let root = args
        .iter()
        .position(|a| a == "--data")
        .and_then(|i| args.get(i + 1))
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
            PathBuf::from,
        );
    if !root.is_dir() {
        eprintln!(
            "coverage: no data folder at {} (use --data DIR)",
            root.display()
        );
        return ExitCode::from(2);
    }
    let (rule, hardened) = (CompiledRule::new(), HardenedRules::new());
    println!("| corpus | files read | with cmd.exe activity | caught by parity | caught by hardened | parity rows | hardened-only rows |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut total_by_rule: BTreeMap<&'static str, u64> = BTreeMap::new();
    // The attack corpora of the first four lines together.
    let mut attack = Tally::default();
    for (label, folder, benign) in CORPORA {
        let mut files = Vec::new();
        files_under(&root.join(folder), &mut files);
        let mut t = Tally::default();
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let is_benign = BENIGN.contains(&name);
            if folder == "defender" && is_benign != benign {
                continue;
            }
            let Ok(data) = std::fs::read(&path) else {
                t.unreadable += 1;
                continue;
            };
            let Some(format) = sniff(&data[..data.len().min(SNIFF_BYTES)]) else {
                t.unreadable += 1;
                continue;
            };
            // The Sigma samples hold each event twice (EVTX and JSON): EVTX only.
            if folder == "sigma-regression" && format != Format::Evtx {
                continue;
            }
            t.files += 1;
            let mut activity = Activity::default();
            let mut decoder = format.decoder();
            let _ = decoder.push(&data, &mut activity);
            let _ = decoder.finish(&mut activity);
            let mut scan = FileScan::new(&rule, 0, name, Some(format)).hardened(&hardened);
            scan.push(&data);
            let (_, rows) = scan.finish();
            let parity = rows
                .iter()
                .filter(|r| r.detection == Detection::Parity)
                .count() as u64;
            let extra = rows.len() as u64 - parity;
            t.parity_rows += parity;
            t.hardened_rows += extra;
            if activity.shell_or_child > 0 || !rows.is_empty() {
                t.active += 1;
                t.parity_files += u64::from(parity > 0);
                t.hardened_files += u64::from(!rows.is_empty());
            }
            for r in &rows {
                for id in r.hardened.ids() {
                    *t.by_rule.entry(id).or_insert(0) += 1;
                }
            }
            if show_rows {
                for r in rows.iter().filter(|r| r.detection == Detection::Hardened) {
                    let line: String = r.event.process_command_line.chars().take(140).collect();
                    eprintln!(
                        "{name} #{}: {} <- {} [{}] {line}",
                        r.position.record,
                        r.event.file_name,
                        r.event.initiating_process_file_name,
                        r.hardened.ids().collect::<Vec<_>>().join(",")
                    );
                }
            }
        }
        println!(
            "| {label} | {} | {} | {} | {} | {} | {} |",
            t.files, t.active, t.parity_files, t.hardened_files, t.parity_rows, t.hardened_rows
        );
        if !benign && folder != "sigma-regression" {
            attack.files += t.files;
            attack.active += t.active;
            attack.parity_files += t.parity_files;
            attack.hardened_files += t.hardened_files;
            attack.parity_rows += t.parity_rows;
            attack.hardened_rows += t.hardened_rows;
        }
        if !benign {
            for (id, n) in t.by_rule {
                *total_by_rule.entry(id).or_insert(0) += n;
            }
        }
    }
    println!(
        "| **attack corpora above (Sysmon, OTRF, Security 4688, Defender attack)** | {} | {} | **{}** | **{}** | {} | {} |",
        attack.files,
        attack.active,
        attack.parity_files,
        attack.hardened_files,
        attack.parity_rows,
        attack.hardened_rows
    );
    println!();
    let fired: Vec<String> = total_by_rule
        .iter()
        .map(|(id, n)| format!("`{id}` {n}"))
        .collect();
    println!(
        "Rows per hardened rule (attack corpora, parity rows included): {}",
        fired.join(", ")
    );
    ExitCode::SUCCESS
}
