//! The process context of a flagged row (`cmdhunt_core::context`) against
//! an oracle that keeps every record of the file in memory and links them
//! the slow, obvious way: on real Sysmon, Security 4688 and Defender logs,
//! in any chunking, and on small generated exports for pid reuse and the caps.

mod common;

use cmdhunt_core::context::{
    identities, process_ids, same_identity, ChainEnd, ContextScan, ProcessContext, Subject,
    KEPT_PER_PID, MAX_CHILDREN, MAX_NEARBY, NEARBY_SECONDS,
};
use cmdhunt_core::event::{Position, Record, RecordClass, RecordSink, Skip};
use cmdhunt_core::format::sniff;
use cmdhunt_core::scan::FlaggedRow;
use cmdhunt_core::time::{Timestamp, TICKS_PER_SEC};
use common::*;

/// One record as the oracle keeps it.
struct Event {
    position: Position,
    creation: bool,
    host: String,
    time: Option<Timestamp>,
    pid: Option<u64>,
    parent_pid: Option<u64>,
    identity: Option<String>,
    parent_identity: Option<String>,
}

#[derive(Default)]
struct All(Vec<Event>);

impl RecordSink for All {
    fn record(&mut self, record: &dyn Record) {
        let fields = record.fields();
        let creation = record.class() == RecordClass::ProcessCreation;
        let (pid, parent_pid) = if creation {
            process_ids(&fields)
        } else {
            (None, None)
        };
        let (identity, parent_identity) = identities(&fields);
        self.0.push(Event {
            position: record.position(),
            creation,
            host: record.event().device_name.to_lowercase(),
            time: record.timestamp().ok().flatten(),
            pid,
            parent_pid,
            identity,
            parent_identity,
        });
    }
    fn skip(&mut self, _: Skip) {}
}

fn all_events(bytes: &[u8]) -> Vec<Event> {
    let format = sniff(&bytes[..bytes.len().min(4096)]).expect("a known format");
    let mut all = All::default();
    let mut d = format.decoder();
    d.push(bytes, &mut all).unwrap();
    d.finish(&mut all).unwrap();
    all.0
}

/// What the oracle says of a row: record numbers of the chain, the
/// children and the nearby events (all of them, uncut).
#[derive(Debug, PartialEq)]
struct Expected {
    chain: Vec<u64>,
    children: Vec<u64>,
    nearby: Vec<u64>,
}

fn key(e: &Event) -> (Timestamp, u64) {
    (e.time.unwrap(), e.position.record)
}

fn oracle(events: &[Event], row: &FlaggedRow, s: &Subject) -> Expected {
    let (pid, parent) = (s.pid, s.parent.pid);
    let host = row.event.device_name.to_lowercase();
    let row_key = (row.event.timestamp.unwrap(), row.position.record);
    let on_host: Vec<&Event> = events
        .iter()
        .filter(|e| e.host == host && e.time.is_some() && e.position.record != row.position.record)
        .collect();
    // The chain: each parent the latest creation of its id before its child.
    let mut chain = Vec::new();
    let (mut want, mut before) = (parent, row_key);
    let mut named = s.parent_identity.clone();
    while let Some(p) = want {
        let hit = on_host
            .iter()
            .filter(|e| e.creation && e.pid == Some(p) && key(e) < before)
            .filter(|e| same_identity(named.as_deref(), e.identity.as_deref()))
            .max_by_key(|e| key(e));
        let Some(hit) = hit else { break };
        chain.push(hit.position.record);
        if chain.len() == cmdhunt_core::context::MAX_DEPTH {
            break;
        }
        (want, before) = (hit.parent_pid, key(hit));
        named = hit.parent_identity.clone();
    }
    // Children: after the row, before its pid is created again.
    let reused = on_host
        .iter()
        .filter(|e| e.creation && pid.is_some() && e.pid == pid && key(e) > row_key)
        .map(|e| key(e))
        .min();
    let mut children: Vec<&&Event> = on_host
        .iter()
        .filter(|e| e.creation && pid.is_some() && e.parent_pid == pid && key(e) > row_key)
        .filter(|e| same_identity(e.parent_identity.as_deref(), s.identity.as_deref()))
        .filter(|e| reused.is_none_or(|r| key(e) < r))
        .collect();
    children.sort_by_key(|e| key(e));
    let window = NEARBY_SECONDS * TICKS_PER_SEC;
    let mut nearby: Vec<&&Event> = on_host
        .iter()
        .filter(|e| (e.time.unwrap().0 - row_key.0 .0).abs() <= window)
        .collect();
    nearby.sort_by_key(|e| key(e));
    Expected {
        chain,
        children: children.iter().map(|e| e.position.record).collect(),
        nearby: nearby.iter().map(|e| e.position.record).collect(),
    }
}

fn context_of(bytes: &[u8], row: &FlaggedRow, slice: usize) -> ProcessContext {
    let mut scan = ContextScan::new(Subject::of(row), None);
    for c in bytes.chunks(slice) {
        scan.push(c);
    }
    scan.finish()
}

/// The context equals the oracle's for every flagged row of `path`;
/// returns (rows, rows with a chain, rows with children, rows cut).
fn check_file(path: &str, hardened: bool) -> (usize, usize, usize, usize) {
    let bytes = read(&shared(path));
    let rule = cmdhunt_core::matcher::CompiledRule::new();
    let rules = cmdhunt_core::hardened::HardenedRules::new();
    let mut scan = cmdhunt_core::scan::FileScan::new(&rule, 0, path, None);
    if hardened {
        scan = scan.hardened(&rules);
    }
    scan.push(&bytes);
    let (_, rows) = scan.finish();
    assert!(!rows.is_empty(), "{path}: no flagged row");
    let events = all_events(&bytes);
    let (mut chained, mut with_children, mut cut) = (0, 0, 0);
    for row in &rows {
        let subject = Subject::of(row);
        let ctx = context_of(&bytes, row, 64 << 10);
        assert!(ctx.found, "{path} {}: the row itself was met", row.position);
        assert!(ctx.error.is_none());
        let want = oracle(&events, row, &subject);
        let at = row.position;
        let chain: Vec<u64> = ctx.chain.iter().map(|p| p.position.record).collect();
        assert_eq!(chain, want.chain, "{path} {at}: chain");
        let children: Vec<u64> = ctx.children.iter().map(|p| p.position.record).collect();
        let first_children: Vec<u64> = want.children.iter().take(MAX_CHILDREN).copied().collect();
        assert_eq!(children, first_children, "{path} {at}: children");
        assert_eq!(
            ctx.children_cut as usize,
            want.children.len() - children.len(),
            "{path} {at}: children cut"
        );
        assert_eq!(
            ctx.nearby.len() + ctx.nearby_cut as usize,
            want.nearby.len(),
            "{path} {at}: nearby"
        );
        if want.nearby.len() <= MAX_NEARBY {
            let nearby: Vec<u64> = ctx.nearby.iter().map(|n| n.position.record).collect();
            assert_eq!(nearby, want.nearby, "{path} {at}: nearby");
        }
        // Every link is what the file says of that record.
        for p in ctx.chain.iter().chain(&ctx.children) {
            let e = events.iter().find(|e| e.position == p.position).unwrap();
            assert_eq!(
                (e.position, e.pid, e.parent_pid),
                (p.position, p.pid, p.parent_pid)
            );
        }
        chained += usize::from(!ctx.chain.is_empty());
        with_children += usize::from(!ctx.children.is_empty());
        cut += usize::from(ctx.children_cut > 0 || ctx.nearby_cut > 0);
    }
    (rows.len(), chained, with_children, cut)
}

#[test]
fn atomic_red_team_sysmon_log_links_parents_and_children_as_the_oracle_does() {
    let path = "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx";
    let (rows, chained, with_children, cut) = check_file(path, false);
    // The log exercises every part: chains, children, and the caps.
    assert!(
        chained == rows && with_children > 0 && cut > 0,
        "{rows} {chained} {with_children} {cut}"
    );
}

#[test]
fn other_real_logs_match_the_oracle_too() {
    for (path, hardened) in [
        (
            "sysmon-evtx/AutomatedTestingTools/Malware/rundll32_cmd_schtask.evtx",
            false,
        ),
        (
            "sysmon-evtx/AutomatedTestingTools/panache_sysmon_vs_EDRTestingScript.evtx",
            true,
        ),
        ("otrf/schtask_create_2020-12-1907003032.json", true),
        (
            "otrf/cmd_mshta_vbscript_execute_psh_2020-10-2202580804.json",
            true,
        ),
        ("defender/mde_proc_cs1.csv", true),
        ("xml/PanacheSysmon_vs_AtomicRedTeam01.events.xml", false),
    ] {
        check_file(path, hardened);
    }
}

#[test]
fn a_reused_pid_is_not_a_parent_or_a_child_across_its_reuse() {
    // On the Atomic Red Team log, process 5840's cmd.exe (record 562) shares
    // its pid with an earlier bcdedit's parent: that earlier child is not its child.
    let path = "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx";
    let bytes = read(&shared(path));
    let (_, rows) = scan_in(&bytes, path, None, 1 << 16);
    let events = all_events(&bytes);
    let mut seen_reuse = false;
    for row in &rows {
        let s = Subject::of(row);
        let row_key = (row.event.timestamp.unwrap(), row.position.record);
        let earlier: Vec<u64> = events
            .iter()
            .filter(|e| e.creation && e.parent_pid == s.pid && key(e) < row_key)
            .map(|e| e.position.record)
            .collect();
        let ctx = context_of(&bytes, row, 1 << 16);
        for r in &earlier {
            seen_reuse = true;
            assert!(ctx.children.iter().all(|c| c.position.record != *r));
        }
    }
    assert!(
        seen_reuse,
        "the log has a child of an earlier process with the same pid"
    );
}

#[test]
fn any_chunking_gives_the_same_context() {
    let path = "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx";
    let bytes = read(&shared(path));
    let (_, rows) = scan_in(&bytes, path, None, 1 << 16);
    for row in rows.iter().take(3) {
        let whole = context_of(&bytes, row, bytes.len());
        for slice in [7, 4096, 65_537] {
            assert_eq!(context_of(&bytes, row, slice), whole, "slices of {slice}");
        }
    }
}

#[test]
fn evtx_and_its_xml_rendering_give_the_same_context() {
    let evtx = read(&shared(
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
    ));
    let xml = read(&shared("xml/PanacheSysmon_vs_AtomicRedTeam01.events.xml"));
    let (_, a) = scan_in(&evtx, "a.evtx", None, 1 << 16);
    let (_, b) = scan_in(&xml, "b.xml", None, 1 << 16);
    assert_eq!(a.len(), b.len());
    let strip = |c: &ProcessContext| {
        let links =
            |v: &[cmdhunt_core::context::Process]| -> Vec<(u64, Option<u64>, String, String)> {
                v.iter()
                    .map(|p| {
                        (
                            p.position.record,
                            p.pid,
                            p.file_name.clone(),
                            p.command_line.clone(),
                        )
                    })
                    .collect()
            };
        let near: Vec<(u64, i64, String)> = c
            .nearby
            .iter()
            .map(|n| (n.position.record, n.offset_ms, n.kind.clone()))
            .collect();
        (
            links(&c.chain),
            links(&c.children),
            near,
            c.children_cut,
            c.nearby_cut,
        )
    };
    for (ra, rb) in a.iter().zip(&b) {
        let (ca, cb) = (
            context_of(&evtx, ra, 1 << 16),
            context_of(&xml, rb, 1 << 16),
        );
        assert_eq!(strip(&ca), strip(&cb), "{}", ra.position);
    }
}

#[test]
fn defender_rows_name_their_grandparent_from_their_own_fields() {
    let path = "defender/mde_proc_cs1.csv";
    let bytes = read(&shared(path));
    let (_, rows) = scan_in(&bytes, path, None, 1 << 16);
    for row in &rows {
        let f = |name: &str| {
            row.fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let s = Subject::of(row);
        let gp = f("InitiatingProcessParentProcessName");
        assert_eq!(s.grandparent.file_name, cmdhunt_core::event::basename(&gp));
        assert_eq!(
            s.grandparent.pid,
            f("InitiatingProcessParentProcessId").parse().ok()
        );
        assert_eq!(s.pid, f("CreatedProcessId").parse().ok());
        assert_eq!(s.parent.pid, f("InitiatingProcessId").parse().ok());
        let ctx = context_of(&bytes, row, 1 << 16);
        assert_eq!(ctx.grandparent(), s.grandparent);
    }
}

#[test]
fn security_4688_ids_read_new_process_id_as_the_process_and_process_id_as_its_creator() {
    let fields = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let sec = fields(&[
        ("ProcessID", "4"),
        ("NewProcessId", "0x18b8"),
        ("ProcessId", "0x1e40"),
    ]);
    assert_eq!(process_ids(&sec), (Some(0x18b8), Some(0x1e40)));
    let sysmon = fields(&[
        ("ProcessID", "2000"),
        ("ProcessId", "5828"),
        ("ParentProcessId", "4516"),
    ]);
    assert_eq!(process_ids(&sysmon), (Some(5828), Some(4516)));
    let ecs = fields(&[("process.pid", "7"), ("process.parent.pid", "3")]);
    assert_eq!(process_ids(&ecs), (Some(7), Some(3)));
}

/// A generated export: `(seconds, pid, parent pid, image, command line)`.
fn export(rows: &[(i64, u64, u64, &str, &str)]) -> String {
    let mut s = String::from(
        "Timestamp,DeviceName,FileName,ProcessCommandLine,InitiatingProcessFileName,ProcessId,InitiatingProcessId\n",
    );
    for (secs, pid, ppid, image, cmd) in rows {
        let t =
            Timestamp(Timestamp::parse("2024-05-01T10:00:00Z").unwrap().0 + secs * TICKS_PER_SEC);
        s.push_str(&format!("{t},ws1,{image},{cmd},x.exe,{pid},{ppid}\n"));
    }
    s
}

fn context_of_text(text: &str, record: u64) -> ProcessContext {
    let (_, rows) = scan_in(text.as_bytes(), "gen.csv", None, 1 << 16);
    let row = rows
        .iter()
        .find(|r| r.position.record == record)
        .expect("flagged row");
    context_of(text.as_bytes(), row, 1 << 16)
}

#[test]
fn the_parent_is_the_latest_creation_of_its_id_before_the_child() {
    let text = export(&[
        (0, 40, 4, "old.exe", "old"),                // 1: pid 40, too early
        (10, 40, 4, "winword.exe", "winword"),       // 2: pid 40, the parent
        (30, 44, 40, "cmd.exe", "cmd /c reg add x"), // 3: the row
        (40, 40, 4, "later.exe", "later"),           // 4: pid 40 again, after
        (50, 48, 44, "reg.exe", "reg add x"),        // 5: child
        (60, 44, 4, "other.exe", "other"),           // 6: pid 44 reused
        (70, 52, 44, "notmine.exe", "x"),            // 7: child of the new 44
    ]);
    let ctx = context_of_text(&text, 3);
    let chain: Vec<&str> = ctx.chain.iter().map(|p| p.file_name.as_str()).collect();
    assert_eq!(chain, ["winword.exe"]);
    assert_eq!(
        ctx.chain_end,
        ChainEnd::NotFound {
            pid: 4,
            incomplete: false
        }
    );
    let children: Vec<&str> = ctx.children.iter().map(|p| p.file_name.as_str()).collect();
    assert_eq!(children, ["reg.exe"]);
    assert_eq!(ctx.nearby.len(), 6);
    assert_eq!(ctx.nearby[0].offset_ms, -30_000);
}

#[test]
fn an_old_parent_beyond_the_kept_creations_is_said_to_be_maybe_missing() {
    // The parent's parent, pid 8, is created again KEPT_PER_PID times
    // between the parent and the row: only the latest KEPT_PER_PID
    // creations of an id before the row are kept, so the grandparent is gone.
    let mut rows = vec![(0, 8, 4, "root.exe", "root"), (5, 40, 8, "parent.exe", "p")];
    rows.push((10, 44, 40, "cmd.exe", "cmd /c reg add x"));
    let mut text_rows = rows.clone();
    for i in 0..KEPT_PER_PID as i64 {
        text_rows.insert(2, (6 + i, 8, 4, "again.exe", "again"));
    }
    let text = export(&text_rows);
    let record = text_rows.len() as u64;
    let ctx = context_of_text(&text, record);
    let chain: Vec<&str> = ctx.chain.iter().map(|p| p.file_name.as_str()).collect();
    assert_eq!(chain, ["parent.exe"]);
    assert_eq!(
        ctx.chain_end,
        ChainEnd::NotFound {
            pid: 8,
            incomplete: true
        }
    );
    // With one re-creation fewer, root.exe is found.
    text_rows.remove(2);
    let text = export(&text_rows);
    let ctx = context_of_text(&text, text_rows.len() as u64);
    let chain: Vec<&str> = ctx.chain.iter().map(|p| p.file_name.as_str()).collect();
    assert_eq!(chain, ["parent.exe", "root.exe"]);
}

#[test]
fn nearby_keeps_the_closest_and_counts_the_rest() {
    let mut rows = vec![(0, 44, 40, "cmd.exe", "cmd /c reg add x")];
    for i in 0..(MAX_NEARBY as i64 + 50) {
        rows.push((i - 100, 1000 + i as u64, 4, "n.exe", "n"));
    }
    rows.push((NEARBY_SECONDS + 1, 9, 4, "far.exe", "far"));
    let text = export(&rows);
    let ctx = context_of_text(&text, 1);
    assert_eq!(ctx.nearby.len(), MAX_NEARBY);
    assert_eq!(ctx.nearby_cut, 50);
    let farthest = ctx.nearby.iter().map(|n| n.offset_ms.abs()).max().unwrap();
    assert!(farthest <= 100_000, "the closest are kept: {farthest}");
    assert!(ctx.nearby.windows(2).all(|w| w[0].time <= w[1].time));
    assert!(ctx.nearby.iter().all(|n| n.image != "far.exe"));
}

#[test]
fn a_file_that_is_not_the_rows_file_says_so() {
    let text = export(&[(0, 44, 40, "cmd.exe", "cmd /c reg add x")]);
    let (_, rows) = scan_in(text.as_bytes(), "gen.csv", None, 1 << 16);
    let other = export(&[(0, 44, 40, "calc.exe", "calc")]).replace("ws1", "ws2");
    let ctx = context_of(other.as_bytes(), &rows[0], 1 << 16);
    assert!(!ctx.found);
    let ctx = context_of(b"\x00\x01garbage", &rows[0], 1 << 16);
    assert!(ctx.error.is_some() && !ctx.found);
}

#[test]
fn a_parent_whose_identity_is_not_the_one_its_child_names_is_not_linked() {
    // Defender names the parent's creation time: a process that had the
    // parent's pid two days earlier is not the parent.
    let path = "defender/mde_proc_cs1.csv";
    let bytes = read(&shared(path));
    let (_, rows) = scan_in(&bytes, path, None, 1 << 16);
    let events = all_events(&bytes);
    let mut rejected = 0;
    for row in &rows {
        let ctx = context_of(&bytes, row, 1 << 16);
        let mut wanted = ctx.subject.parent_identity.clone();
        for link in &ctx.chain {
            assert!(
                wanted.is_some() && link.identity == wanted,
                "{}",
                row.position
            );
            wanted = link.parent_identity.clone();
        }
        // Where the chain ends on a pid, an earlier creation of that pid on
        // the host exists: the time rule alone would have linked it.
        if let (ChainEnd::OtherIdentity { pid }, Some(last)) = (&ctx.chain_end, ctx.chain.last()) {
            let host = row.event.device_name.to_lowercase();
            let before = (last.time, last.position.record);
            rejected += usize::from(events.iter().any(|e| {
                e.creation
                    && e.host == host
                    && e.pid == Some(*pid)
                    && e.time.is_some()
                    && key(e) < before
            }));
        }
    }
    assert!(
        rejected > 0,
        "the export has a stale pid the identity rejects"
    );
    // A generated export: the same pid, the parent's time named by the child.
    let header = "Timestamp,DeviceName,FileName,ProcessCommandLine,InitiatingProcessFileName,ProcessId,InitiatingProcessId,ProcessCreationTime,InitiatingProcessCreationTime\n";
    let text = format!(
        "{header}2024-05-01T09:00:00Z,ws1,winword.exe,w,x.exe,40,4,2024-05-01T09:00:00Z,\n\
         2024-05-01T10:00:00Z,ws1,stale.exe,s,x.exe,40,4,2024-05-01T10:00:00Z,\n\
         2024-05-01T10:00:05Z,ws1,cmd.exe,cmd /c reg add x,winword.exe,44,40,2024-05-01T10:00:05Z,2024-05-01 09:00:00.0000000+00:00\n"
    );
    let ctx = context_of_text(&text, 3);
    let chain: Vec<&str> = ctx.chain.iter().map(|p| p.file_name.as_str()).collect();
    assert_eq!(chain, ["winword.exe"]);
}
