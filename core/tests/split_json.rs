//! One JSON lines file scanned as k byte ranges (`cmdhunt_core::split::json`)
//! gives exactly the whole-file scan's summary and rows (every field, every
//! position, every skip), in parity and hardened mode: every JSON file in
//! ../shared/data that the plan accepts (the OTRF / Mordor logs, `evtx_dump`
//! JSON lines), and generated files whose clean lines are real events mixed
//! with every kind of unclean line (broken strings, objects over several
//! lines, escaped line breaks, stray text, tables, arrays, two values on a
//! line), cut into 2 to 4 ranges at seeded random places, pushed in random
//! slices; seams after unclean lines are rescanned.

mod common;

use std::path::{Path, PathBuf};

use common::split::{assert_same, feed, fresh, whole, Scan};
use common::{read, shared, Rng};

use cmdhunt_core::format::Format;
use cmdhunt_core::hardened::HardenedRules;
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::split::json::{plan, JsonRangeScan};
use cmdhunt_core::split::{merge_all, HEAD_BYTES, WINDOW_BYTES};

/// (seams held, seams rescanned, rows and skips from later parts)
type Seams = (usize, usize, usize);

/// The protocol, sequentially: plan cuts near `middles`, scan each range
/// alone, then the seams in order.
fn split_scan(
    rule: &CompiledRule,
    hardened: Option<&HardenedRules>,
    data: &[u8],
    middles: &[usize],
    rng: &mut Rng,
) -> Option<(Scan, Seams)> {
    let head = &data[..data.len().min(HEAD_BYTES)];
    let windows: Vec<(u64, &[u8])> = middles
        .iter()
        .map(|&m| (m as u64, &data[m..data.len().min(m + WINDOW_BYTES)]))
        .collect();
    let p = plan(head, &windows, data.len() as u64)?;
    let starts: Vec<usize> = [0]
        .into_iter()
        .chain(p.starts.iter().map(|&s| s as usize))
        .collect();
    let ends: Vec<usize> = starts[1..].iter().copied().chain([data.len()]).collect();
    let max = 1 + rng.below(70_000);
    let mut scans = Vec::new();
    for (&start, &end) in starts.iter().zip(&ends) {
        let mut range = if start == 0 {
            JsonRangeScan::first(fresh(rule, hardened, None), &p)
        } else {
            JsonRangeScan::after(fresh(rule, hardened, Some(Format::Json)), start as u64)
        };
        feed(&mut |c| range.push(c), &data[start..end], rng, max);
        scans.push((range, start, end));
    }
    // The seams in order. Every accepted scanner stays open: one that reads
    // on through a range and then no longer stands alone (an unclean line,
    // a 4688 parent it did not find) is dropped, and the one before it reads
    // on in its place (the first range's scanner always can).
    let (mut held, mut rescanned, mut later) = (0, 0, 0);
    let mut stack: Vec<(JsonRangeScan<'_>, usize)> = Vec::new();
    for (range, start, end) in scans {
        let top_clean = stack.last().is_none_or(|(top, _)| top.clean());
        if start == 0 || (top_clean && range.stands_alone()) {
            held += usize::from(start > 0);
            stack.push((range, end));
            continue;
        }
        rescanned += 1;
        loop {
            let (top, top_end) = stack.last_mut()?;
            feed(&mut |c| top.push(c), &data[*top_end..end], rng, max);
            *top_end = end;
            if top.stands_alone() {
                break;
            }
            stack.pop();
        }
    }
    let parts: Vec<_> = stack.into_iter().map(|(s, _)| s.finish()).collect();
    for part in &parts[1..] {
        later += part.rows.len() + part.summary.skips.len();
    }
    Some((merge_all(parts).expect("parts"), (held, rescanned, later)))
}

/// Cut `data` into 2 to 4 ranges at `points` random places (hardened every
/// fourth time, when `hardened_too`).
fn check(what: &str, data: &[u8], points: usize, hardened_too: bool, seed: u64) -> (usize, Seams) {
    let rule = CompiledRule::new();
    let hardened = HardenedRules::new();
    let want = whole(&rule, None, data);
    let want_hardened = hardened_too.then(|| whole(&rule, Some(&hardened), data));
    let mut rng = Rng(seed);
    let mut total = (0, 0, 0);
    let mut planned = 0;
    for i in 0..points {
        let k = 2 + rng.below(3);
        let mut middles: Vec<usize> = (1..k).map(|_| rng.below(data.len())).collect();
        middles.sort();
        let h = want_hardened.as_ref().filter(|_| i % 4 == 1);
        let Some((got, seams)) = split_scan(&rule, h.map(|_| &hardened), data, &middles, &mut rng)
        else {
            continue;
        };
        planned += 1;
        assert_same(
            &format!("{what} cut near {middles:?}"),
            &got,
            h.unwrap_or(&want),
        );
        total.0 += seams.0;
        total.1 += seams.1;
        total.2 += seams.2;
    }
    (planned, total)
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "json" || e == "jsonl" || e == "ndjson")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn shared_json_lines_split_to_the_same_result() {
    let files = json_files(&shared(""));
    assert!(files.len() >= 100, "{}", files.len());
    let (mut split_files, mut total) = (0, (0, 0, 0));
    for (n, path) in files.iter().enumerate() {
        let data = read(path);
        let size = data.len();
        // Debug builds decode slowly: fewer cuts for the biggest logs.
        let (points, hardened) = match size {
            s if s > 8 << 20 => (1, false),
            s if s > 1 << 20 => (3, true),
            _ => (4, true),
        };
        let (planned, seams) = check(
            &path.display().to_string(),
            &data,
            points,
            hardened,
            n as u64 + 1,
        );
        split_files += usize::from(planned > 0);
        total.0 += seams.0;
        total.1 += seams.1;
        total.2 += seams.2;
    }
    // The OTRF logs and evtx_dump's JSON lines are split; their seams hold.
    assert!(split_files >= 10, "{split_files}");
    assert!(total.0 >= 50, "{total:?}");
    assert!(total.2 >= 100, "{total:?}");
}

/// Real event lines with every kind of unclean line mixed in, about one
/// line in `rate`.
fn hostile_file(seed: u64, lines: usize, rate: usize) -> Vec<u8> {
    let source = read(&shared(
        "otrf/cmd_psexec_lsa_secrets_dump_2020-10-1903305471.json",
    ));
    let real: Vec<&[u8]> = source
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"{"))
        .collect();
    assert!(real.len() > 50);
    let unclean: [&[u8]; 12] = [
        b"{\"EventID\":1,\"CommandLine\":\"cmd /c reg add x\n",
        b"{\n\"EventID\": 4688,\n\"NewProcessName\": \"C:\\\\Windows\\\\System32\\\\cmd.exe\",\n\"CommandLine\": \"cmd /c vssadmin delete shadows\"\n}\n",
        b"{\"EventID\":1,\"Image\":\"C:\\\\cmd.exe\",\"CommandLine\":\"a\\\n b\"}\n",
        b"Record 12\n",
        b"not json at all\n",
        b"{\"tables\":[{\"name\":\"t\",\"rows\":[[\"x\"]],\"columns\":[{\"name\":\"EventID\"}]}]}\n",
        b"[{\"EventID\":1}]\n",
        b"{\"a\":1},{\"b\":2}\n",
        b"}\n",
        b"{\"a\":[1,2\n",
        b"{\"Results\":[{\"EventID\":1},3]}\r\n",
        b"\"just a string\"\n",
    ];
    let mut rng = Rng(seed);
    let mut out = b"\xef\xbb\xbf".to_vec();
    out.extend_from_slice(real[0]);
    out.push(b'\n');
    for _ in 0..lines {
        match rng.below(rate) {
            0 => out.extend_from_slice(unclean[rng.below(unclean.len())]),
            1 | 2 if rng.below(20) == 0 => out.extend_from_slice(b" \r\n"),
            _ => {
                out.extend_from_slice(real[rng.below(real.len())]);
                out.extend_from_slice(if rng.below(5) == 0 { b"\r\n" } else { b"\n" });
            }
        }
    }
    out
}

#[test]
fn unclean_lines_are_rescanned_and_the_result_is_the_same() {
    let mut total = (0, 0, 0);
    for seed in 1..=6u64 {
        // Many unclean lines, or one or two.
        let rate = if seed <= 3 { 60 } else { 500 };
        let data = hostile_file(seed, 400, rate);
        let (planned, seams) = check(&format!("hostile seed {seed}"), &data, 25, true, seed);
        assert!(planned > 15, "{planned}");
        total.0 += seams.0;
        total.1 += seams.1;
        total.2 += seams.2;
    }
    // Both outcomes occur: seams that hold and seams that are rescanned.
    assert!(total.0 >= 20, "{total:?}");
    assert!(total.1 >= 20, "{total:?}");
}

/// The seam check is what keeps these right: merging every range as if it
/// were clean differs from the whole scan for some cut of a hostile file.
#[test]
fn merging_unclean_ranges_anyway_would_differ() {
    let rule = CompiledRule::new();
    let mut differ = 0;
    for seed in 1..=6u64 {
        let data = hostile_file(seed, 400, 60);
        let want = whole(&rule, None, &data);
        let mut rng = Rng(seed + 100);
        for _ in 0..40 {
            let m = rng.below(data.len());
            let head = &data[..data.len().min(HEAD_BYTES)];
            let Some(p) = plan(head, &[(m as u64, &data[m..])], data.len() as u64) else {
                continue;
            };
            let b = p.starts[0] as usize;
            let mut first = JsonRangeScan::first(fresh(&rule, None, None), &p);
            first.push(&data[..b]);
            let mut second = JsonRangeScan::after(fresh(&rule, None, Some(Format::Json)), b as u64);
            second.push(&data[b..]);
            if first.clean() && second.stands_alone() {
                continue;
            }
            let naive = merge_all(vec![first.finish(), second.finish()]).expect("parts");
            differ += usize::from(naive != want);
        }
    }
    assert!(differ > 0, "no unclean seam mattered");
}
