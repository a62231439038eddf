//! One EVTX log scanned as k byte ranges cut on chunk boundaries
//! (`cmdhunt_core::split::evtx`, what the page's workers do) gives exactly
//! the whole-file scan's summary and rows (every field, every position,
//! every skip with its kind, position and words), in parity and hardened
//! mode: every `.evtx` under ../shared/data (damaged ones included: bad chunk
//! magic, a dirty header whose chunk count is wrong, unused blocks), the
//! same logs cut inside a chunk, with a chunk zeroed or its magic broken,
//! split at every chunk boundary (small logs) or at seeded random ones, into
//! 2 to 4 ranges, pushed in random slices.

mod common;

use common::split::{assert_same, evtx_split_scan as split_scan, fresh, whole, Seams};
use common::{evtx_files, read, shared, Rng};

use cmdhunt_core::format::Format;
use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::split::evtx::{is_chunk_start, plan, EvtxRangeScan, HEADER_BYTES};

const HEADER: u64 = 4096;
const CHUNK: u64 = 65536;

/// Chunk boundaries of a file of `size` bytes (where a later range may start).
fn boundaries(size: usize) -> Vec<u64> {
    (1..)
        .map(|n| HEADER + n * CHUNK)
        .take_while(|&b| b < size as u64)
        .collect()
}

/// `k - 1` distinct random boundaries, sorted, after 0.
fn random_starts(all: &[u64], k: usize, rng: &mut Rng) -> Vec<u64> {
    let mut picked = std::collections::BTreeSet::new();
    while picked.len() < (k - 1).min(all.len()) {
        picked.insert(all[rng.below(all.len())]);
    }
    [0].into_iter().chain(picked).collect()
}

/// Split `data` at every boundary (two ranges) when it has at most
/// `every_up_to` of them, and at `random` seeded random sets of 2 to 4
/// ranges; every result must be the whole scan's (parity, and hardened
/// every other split).
fn check(what: &str, data: &[u8], every_up_to: usize, random: usize, seed: u64) -> Seams {
    let rule = CompiledRule::new();
    let hardened = HardenedRules::new();
    let want = whole(&rule, None, data);
    let want_hardened = whole(&rule, Some(&hardened), data);
    let all = boundaries(data.len());
    let mut rng = Rng(seed);
    let mut plans: Vec<Vec<u64>> = Vec::new();
    if all.len() <= every_up_to {
        plans.extend(all.iter().map(|&b| vec![0, b]));
    }
    if !all.is_empty() {
        for _ in 0..random {
            let k = 2 + rng.below(3);
            plans.push(random_starts(&all, k, &mut rng));
        }
    }
    let mut total = Seams::default();
    for (i, starts) in plans.iter().enumerate() {
        let h = (i % 2 == 1).then_some(&hardened);
        let (got, seams) = split_scan(&rule, h, data, starts, &mut rng);
        let want = if h.is_some() { &want_hardened } else { &want };
        let mode = if h.is_some() { "hardened" } else { "parity" };
        assert_same(&format!("{what} at {starts:?} ({mode})"), &got, want);
        total.held += seams.held;
        total.rescanned += seams.rescanned;
        total.later_rows += seams.later_rows;
        total.later_skips += seams.later_skips;
    }
    total
}

fn add(total: &mut Seams, s: Seams) {
    total.held += s.held;
    total.rescanned += s.rescanned;
    total.later_rows += s.later_rows;
    total.later_skips += s.later_skips;
}

#[test]
fn every_shared_log_splits_to_the_same_result() {
    let files = evtx_files(&shared(""));
    assert!(files.len() >= 250, "{}", files.len());
    let mut total = Seams::default();
    let mut split = 0;
    for (n, path) in files.iter().enumerate() {
        let data = read(path);
        if boundaries(data.len()).is_empty() {
            continue;
        }
        split += 1;
        let s = check(&path.display().to_string(), &data, 4, 2, n as u64 + 1);
        add(&mut total, s);
    }
    // Most logs are one chunk (68 KiB); the 18 or so longer ones are split, and
    // their later ranges hold flagged
    // rows and skips, so their positions and words are compared too.
    assert!(split >= 15, "{split}");
    assert!(total.held >= 50, "{total:?}");
    assert!(total.later_rows >= 50, "{total:?}");
    assert!(total.later_skips >= 10, "{total:?}");
}

/// The biggest logs (by chunk count), and the damaged samples: at every
/// chunk boundary up to 17 chunks (`sample_with_a_bad_chunk_magic.evtx`,
/// `sysmon.evtx` with its dirty header, PanacheSysmon), at random sets of
/// boundaries for all.
#[test]
fn big_and_damaged_logs_split_at_every_boundary() {
    let named = [
        "evtx-samples/samples/sample_with_a_bad_chunk_magic.evtx",
        "evtx-samples/samples/sysmon.evtx",
        "evtx-samples/samples/security.evtx",
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
        "security-4688/TA0005-Defense Evasion/T1562.004-Impair Defenses-Disable or Modify System Firewall/ID4688-5447-4950-Firewall disabled (command).evtx",
    ];
    let mut total = Seams::default();
    for (n, name) in named.iter().enumerate() {
        let data = read(&shared(name));
        add(&mut total, check(name, &data, 20, 8, 100 + n as u64));
    }
    assert!(total.later_skips >= 100, "{total:?}");
    assert!(total.later_rows >= 20, "{total:?}");
}

/// Logs damaged here: cut inside a chunk (a last partial chunk, its header
/// cut too), a chunk zeroed in the middle, a chunk's magic broken, the
/// header's chunk count and dirty flag changed; each at seeded random sets
/// of 2 to 4 ranges (every boundary of one such log is tried above).
#[test]
fn logs_damaged_here_split_to_the_same_result() {
    let base = read(&shared(
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    ));
    let chunks = boundaries(base.len()).len() + 1;
    assert!(chunks >= 6, "{chunks}");
    let at = |n: usize| (HEADER + n as u64 * CHUNK) as usize;
    let mut rng = Rng(77);
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for _ in 0..4 {
        let cut = at(1) + rng.below(base.len() - at(1));
        cases.push((format!("cut at {cut}"), base[..cut].to_vec()));
    }
    cases.push((
        "cut in chunk 3's header".into(),
        base[..at(3) + 100].to_vec(),
    ));
    let mut zeroed = base.clone();
    zeroed[at(2)..at(3)].fill(0);
    cases.push(("chunk 2 zeroed".into(), zeroed));
    let mut magic = base.clone();
    magic[at(4)..at(4) + 8].copy_from_slice(b"XXXXXXXX");
    cases.push(("chunk 4's magic broken".into(), magic));
    let mut tail = base.clone();
    tail[at(3) + 20_000..at(4)].fill(0);
    cases.push(("chunk 3's tail zeroed".into(), tail));
    let mut dirty = base.clone();
    dirty[42..44].copy_from_slice(&1u16.to_le_bytes());
    dirty[120] |= 1;
    cases.push(("dirty header listing one chunk".into(), dirty));
    let mut total = Seams::default();
    for (n, (what, data)) in cases.iter().enumerate() {
        add(&mut total, check(what, data, 4, 8, 200 + n as u64));
    }
    assert!(total.later_skips >= 20, "{total:?}");
}

/// The seam check is what keeps a range right: a Security 4688 event
/// without `ParentProcessName` (older Windows) takes its parent from an
/// earlier process creation, which may lie before a range's start. The
/// scan counts such lookups that found nothing; on the fixture (its third
/// row's parent, `rundll32.exe`, is created in the first row) a scan from
/// the third row misses it, and its result, placed as a range's would be,
/// differs from the whole scan's: that is why such a range is rescanned.
/// On the shared logs, some seams do need earlier parents (Windows 7 era
/// Security logs); the tests above check that the rescan gives the whole
/// scan's result there.
#[test]
fn a_range_that_needs_earlier_parents_is_rescanned() {
    let rule = CompiledRule::new();
    let data = read(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/data/security_4688_inference.csv"),
    );
    let lines: Vec<usize> = data
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    let mut scan = fresh(&rule, None, Some(Format::Csv));
    scan.push(&data);
    // WS3's parent is nowhere in the file.
    assert_eq!(scan.parents_not_found(), 1);
    let want = scan.finish();
    assert!(
        want.1.iter().any(|r| r.event.parent_inferred),
        "{:?}",
        want.1
    );
    let (header, third) = (lines[0], lines[2]);
    let mut later = fresh(&rule, None, Some(Format::Csv));
    later.push(&data[..header]);
    later.push(&data[third..]);
    assert_eq!(later.parents_not_found(), 3);
    let (summary, _) = later.finish();
    // Rows 1 and 2 are not cmd.exe: every flagged row is from row 3 on, yet
    // the scan from row 3 alone flags none of them.
    assert_eq!(want.0.flagged, 1);
    assert_eq!(
        summary.flagged, 0,
        "the range alone loses the inferred parent"
    );

    let mut caught = 0;
    for path in evtx_files(&shared("")) {
        let data = read(&path);
        for &b in &boundaries(data.len()) {
            let scan = fresh(&rule, None, Some(Format::Evtx));
            let mut second =
                EvtxRangeScan::after(scan, &data[..HEADER_BYTES], b).expect("boundary");
            second.push(&data[b as usize..]);
            caught += usize::from(!second.stands_alone());
        }
    }
    assert!(caught > 0, "no shared log needs earlier parents at a seam");
}

#[test]
fn plans_cover_the_file_on_chunk_boundaries() {
    let data = read(&shared("evtx-samples/samples/security.evtx"));
    let size = data.len() as u64;
    for k in 2..=8 {
        let p = plan(&data[..HEADER_BYTES], size, k).expect("plan");
        assert_eq!(p.len(), k);
        let ranges: Vec<(u64, u64)> = p.ranges().collect();
        assert_eq!(ranges[0].0, 0);
        assert_eq!(ranges[k - 1].1, size);
        for w in ranges.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert!(is_chunk_start(w[1].0));
        }
        // As even as whole chunks allow.
        let sizes: Vec<u64> = ranges[1..k - 1].iter().map(|(s, e)| e - s).collect();
        let (lo, hi) = (sizes.iter().min(), sizes.iter().max());
        if let (Some(lo), Some(hi)) = (lo, hi) {
            assert!(hi - lo <= CHUNK, "{k}: {ranges:?}");
        }
        let rule = CompiledRule::new();
        let want = whole(&rule, None, &data);
        let (got, _) = split_scan(&rule, None, &data, &p.starts, &mut Rng(k as u64));
        assert_same(&format!("plan of {k}"), &got, &want);
    }
    // Not a chunk boundary, or not an EVTX header: no later range.
    let rule = CompiledRule::new();
    let scan = || fresh(&rule, None, Some(Format::Evtx));
    assert!(EvtxRangeScan::after(scan(), &data[..HEADER_BYTES], HEADER + CHUNK + 8).is_none());
    assert!(EvtxRangeScan::after(scan(), &data[..HEADER_BYTES], 0).is_none());
    assert!(EvtxRangeScan::after(scan(), &data[..100], HEADER + CHUNK).is_none());
    assert!(EvtxRangeScan::after(scan(), &[0; HEADER_BYTES], HEADER + CHUNK).is_none());
}
