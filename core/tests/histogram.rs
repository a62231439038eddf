//! The scan's `cmd.exe` time histogram ([`FileSummary::shell_times`]) on
//! real exports: it counts every `cmd.exe` process creation once (its total
//! is the summary's `shell`), stays bounded, and its bins hold the times the
//! flagged rows (a subset of those events) fall in.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cmdhunt_core::histogram::{bin_index, MAX_BINS};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::scan::{FileScan, FileSummary, FlaggedRow};

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(rel)
}

fn scan(rel: &str, chunk: usize) -> (FileSummary, Vec<FlaggedRow>) {
    let path = shared(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rule = CompiledRule::new();
    let mut scan = FileScan::new(&rule, 0, rel, None);
    for piece in bytes.chunks(chunk) {
        scan.push(piece);
    }
    scan.finish()
}

#[test]
fn every_cmd_exe_event_is_counted_once_and_flagged_rows_fit_their_bins() {
    for rel in [
        "defender/mde_proc_cs1.csv",
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    ] {
        let (summary, rows) = scan(rel, 64 * 1024);
        let h = &summary.shell_times;
        assert!(summary.shell > 0, "{rel}: no cmd.exe event");
        assert_eq!(h.total(), summary.shell, "{rel}: every cmd.exe event once");
        assert!(h.bins().count() <= MAX_BINS, "{rel}");
        // Any chunking gives the same histogram.
        assert_eq!(scan(rel, 997).0.shell_times, *h, "{rel}: chunking");
        // Flagged rows are cmd.exe events: each bin holds at least the
        // flagged rows whose time falls in it.
        let level = h.level();
        let bins: BTreeMap<i64, u64> = h.at_level(level);
        let mut flagged: BTreeMap<i64, u64> = BTreeMap::new();
        for r in &rows {
            if let Some(t) = r.event.timestamp {
                *flagged.entry(bin_index(t, level)).or_insert(0) += 1;
            }
        }
        for (bin, n) in flagged {
            assert!(
                bins.get(&bin).copied().unwrap_or(0) >= n,
                "{rel}: bin {bin} holds {n} flagged rows"
            );
        }
        // Its first and last bins hold the oldest and newest cmd.exe times,
        // within the file's process-creation range.
        let (first, last) = (h.bins().next(), h.bins().last());
        if let (Some((a, _)), Some((b, _)), Some(oldest), Some(newest)) =
            (first, last, summary.oldest, summary.newest)
        {
            assert!(bin_index(oldest, level) <= bin_index(a, level), "{rel}");
            assert!(bin_index(b, level) <= bin_index(newest, level), "{rel}");
        }
    }
}
