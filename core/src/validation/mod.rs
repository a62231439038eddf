//! Validation against the rule's four Atomic Red Team tests ("Testing
//! Methodology" of the published rule): for each test, whether every
//! expected signal is in the telemetry, and whether the rule fired — with
//! the reason when it could not.
//!
//! Each file is read twice at once: by a [`FileScan`] (the rule's rows,
//! exactly as `cmdhunt scan` finds them) and by an
//! [`observe::SignalScan`] that sees every record, including the Sysmon 3
//! and Security 4698 / 4720 / 4732 events the rule never matches (and
//! Defender's `ActionType`s for the same facts).
//! [`Report::build`] merges the files. The time window is not applied:
//! test telemetry is judged whenever it was recorded.
//!
//! ```
//! use cmdhunt_core::matcher::CompiledRule;
//! use cmdhunt_core::validation::{FileValidation, Report};
//! let csv = "Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
//!            2024-05-01T10:00:00Z,cmd.exe,cmd /c vssadmin list shadows,powershell.exe\n";
//! let rule = CompiledRule::new();
//! let mut file = FileValidation::new(&rule, 0, "atomic.csv", None);
//! file.push(csv.as_bytes());
//! let report = Report::build(&[file.finish()]);
//! let test2 = &report.tests[1];
//! assert!(test2.signals[0].present); // cmd.exe with 'vssadmin'
//! assert!(!test2.rule.fired);
//! assert!(test2.rule.reason.as_deref().unwrap().contains("vssadmin list"));
//! ```

pub mod observe;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::event::{Position, ProcessEvent};
use crate::format::Format;
use crate::kql;
use crate::matcher::CompiledRule;
use crate::rule::{FLAGS, SHELL_FILE_NAME};
use crate::scan::{FileScan, FileSummary, FlaggedRow};
use crate::tuning::Allowlist;

use observe::{Observer, OtherEvent, SignalScan};

/// A signal a test expects in its telemetry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A process creation of cmd.exe whose command line contains `text`
    /// (any case).
    Shell {
        /// The text.
        text: &'static str,
    },
    /// A process creation of `image` whose parent is cmd.exe.
    Child {
        /// The child's image name.
        image: &'static str,
    },
    /// A Sysmon 3 network connection to `ip`:`port`.
    Connection {
        /// `DestinationIp`
        ip: &'static str,
        /// `DestinationPort`
        port: &'static str,
    },
    /// A Security 4698 whose task name contains `name` (any case).
    TaskCreated {
        /// Part of `TaskName`.
        name: &'static str,
    },
    /// A Security 4720.
    UserCreated,
    /// A Security 4732.
    GroupMemberAdded,
}

/// One Atomic Red Team test of the published rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtomicTest {
    /// Its number in the rule's "Testing Methodology".
    pub number: u8,
    /// Its name there.
    pub name: &'static str,
    /// The signals it expects, each with the words of the methodology.
    pub expected: &'static [(Expect, &'static str)],
    /// The flag (index in [`FLAGS`]) that should fire on it.
    pub flag: usize,
    /// Words a cmd.exe command line of this test has (the sample a reason
    /// is given for).
    pub keywords: &'static [&'static str],
    /// Words that, all present in that command line, explain why the flag
    /// cannot fire, and the explanation.
    pub known: Option<(&'static [&'static str], &'static str)>,
}

/// The four tests, as the rule's "Testing Methodology" lists them.
pub const TESTS: [AtomicTest; 4] = [
    AtomicTest {
        number: 1,
        name: "Certutil Download Cradle",
        expected: &[
            (
                Expect::Shell { text: "certutil -urlcache" },
                "Sysmon 1: cmd.exe with CommandLine containing 'certutil -urlcache'",
            ),
            (
                Expect::Child { image: "certutil.exe" },
                "child process event for certutil.exe (parent cmd.exe)",
            ),
            (
                Expect::Connection { ip: "127.0.0.1", port: "8080" },
                "Sysmon 3: network connection to 127.0.0.1:8080",
            ),
        ],
        flag: 0,
        keywords: &["certutil"],
        known: None,
    },
    AtomicTest {
        number: 2,
        name: "Shadow Copy Deletion via cmd.exe",
        expected: &[(
            Expect::Shell { text: "vssadmin" },
            "Sysmon 1: cmd.exe with CommandLine containing 'vssadmin'",
        )],
        flag: 3,
        keywords: &["vssadmin"],
        known: Some((
            &["vssadmin", "list"],
            "the test runs `vssadmin list` (its safe variant) instead of `vssadmin delete shadows`: \
             ShadowDelete cannot fire on it",
        )),
    },
    AtomicTest {
        number: 3,
        name: "Scheduled Task Creation via cmd.exe",
        expected: &[
            (
                Expect::Child { image: "schtasks.exe" },
                "Sysmon 1: cmd.exe spawning schtasks.exe",
            ),
            (
                Expect::TaskCreated { name: "df00tech-test" },
                "Security 4698: scheduled task created, task name 'df00tech-test'",
            ),
        ],
        flag: 1,
        keywords: &["schtasks"],
        known: None,
    },
    AtomicTest {
        number: 4,
        name: "Local Account Creation via cmd.exe",
        expected: &[
            (
                Expect::Shell { text: "net user" },
                "Sysmon 1: cmd.exe with 'net user' in CommandLine",
            ),
            (Expect::UserCreated, "Security 4720: user account created"),
            (
                Expect::GroupMemberAdded,
                "Security 4732: member added to a security-enabled local group",
            ),
        ],
        flag: 2,
        keywords: &["net", "user"],
        known: None,
    },
];

/// Where a signal was seen: the file (index among those validated), the
/// record, and a short text (command line, task name, destination).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Evidence {
    /// Index of the file.
    pub file: usize,
    /// Where in it.
    pub position: Position,
    /// What it said (at most 160 characters).
    pub text: String,
}

/// What one file showed for one expected signal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SignalSeen {
    /// Events that are the signal.
    pub count: u64,
    /// The first of them.
    pub first: Option<Evidence>,
    /// Events that nearly are (same words, other spelling; same child, other
    /// parent; same kind, other values).
    pub near: u64,
    /// The first near one.
    pub near_first: Option<Evidence>,
}

/// What one file showed: per test, per expected signal; and per test the
/// first cmd.exe command line with the test's keywords.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Seen {
    /// `[test][signal]`, as [`TESTS`].
    pub signals: Vec<Vec<SignalSeen>>,
    /// Per test: the first [`MAX_SAMPLES`] cmd.exe process creations whose
    /// command lines have all the test's keywords.
    pub samples: Vec<Vec<Evidence>>,
}

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(160).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// Does `haystack` have every one of `words` as a KQL term match?
fn all_words(haystack: &str, words: &[&str]) -> bool {
    words.iter().all(|w| kql::has(haystack, w))
}

/// How many cmd.exe command lines per test and file are kept as samples
/// for explaining why the rule did not fire.
pub const MAX_SAMPLES: usize = 16;

struct Collector {
    file: usize,
    seen: Seen,
}

impl Collector {
    fn note(&mut self, test: usize, signal: usize, hit: bool, position: Position, text: &str) {
        let file = self.file;
        let s = &mut self.seen.signals[test][signal];
        let evidence = || Evidence {
            file,
            position,
            text: short(text),
        };
        if hit {
            s.count += 1;
            if s.first.is_none() {
                s.first = Some(evidence());
            }
        } else {
            s.near += 1;
            if s.near_first.is_none() {
                s.near_first = Some(evidence());
            }
        }
    }
}

impl Observer for Collector {
    fn process(&mut self, position: Position, e: &ProcessEvent) {
        let shell = kql::equals_ci(&e.file_name, SHELL_FILE_NAME);
        for (t, test) in TESTS.iter().enumerate() {
            if shell
                && self.seen.samples[t].len() < MAX_SAMPLES
                && has_keywords(&e.process_command_line, test.keywords)
            {
                self.seen.samples[t].push(Evidence {
                    file: self.file,
                    position,
                    text: short(&e.process_command_line),
                });
            }
            for (s, (expect, _)) in test.expected.iter().enumerate() {
                match *expect {
                    Expect::Shell { text } if shell => {
                        let cmd = &e.process_command_line;
                        if contains_ci(cmd, text) {
                            self.note(t, s, true, position, cmd);
                        } else if all_words(cmd, &text.split(' ').collect::<Vec<_>>()) {
                            self.note(t, s, false, position, cmd);
                        }
                    }
                    Expect::Child { image } if kql::equals_ci(&e.file_name, image) => {
                        let from_shell =
                            kql::equals_ci(&e.initiating_process_file_name, SHELL_FILE_NAME);
                        let text = format!(
                            "{} (parent {}): {}",
                            e.file_name, e.initiating_process_file_name, e.process_command_line
                        );
                        self.note(t, s, from_shell, position, &text);
                    }
                    _ => {}
                }
            }
        }
    }

    fn other(&mut self, position: Position, event: &OtherEvent) {
        for (t, test) in TESTS.iter().enumerate() {
            for (s, (expect, _)) in test.expected.iter().enumerate() {
                match (*expect, event) {
                    (
                        Expect::Connection { ip, port },
                        OtherEvent::NetworkConnection {
                            image,
                            destination_ip,
                            destination_port,
                        },
                    ) => {
                        let hit = destination_ip == ip && destination_port == port;
                        let text = format!("{image} to {destination_ip}:{destination_port}");
                        self.note(t, s, hit, position, &text);
                    }
                    (
                        Expect::TaskCreated { name },
                        OtherEvent::TaskCreated {
                            task_name,
                            subject_user,
                        },
                    ) => {
                        let text = format!("task {task_name} by {subject_user}");
                        self.note(t, s, contains_ci(task_name, name), position, &text);
                    }
                    (
                        Expect::UserCreated,
                        OtherEvent::UserCreated {
                            target_user,
                            subject_user,
                        },
                    ) => {
                        let text = format!("account {target_user} by {subject_user}");
                        self.note(t, s, true, position, &text);
                    }
                    (
                        Expect::GroupMemberAdded,
                        OtherEvent::LocalGroupMemberAdded {
                            group,
                            member_sid,
                            member_name,
                        },
                    ) => {
                        let text = format!("{member_sid} ({member_name}) added to {group}");
                        self.note(t, s, true, position, &text);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// One file's validation: the rule's scan and the signal watch, fed the
/// same chunks.
pub struct FileValidation<'r> {
    scan: FileScan<'r>,
    signals: SignalScan,
    collector: Collector,
}

/// What one file gave: the scan's account and rows, and the signals seen.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// The scan's account of the file (every record counted).
    pub summary: FileSummary,
    /// The rows the rule returns (no time window).
    pub rows: Vec<FlaggedRow>,
    /// The signals.
    pub seen: Seen,
}

impl<'r> FileValidation<'r> {
    /// Validate file number `file`, called `name`, in `format` (or
    /// recognised from its content).
    pub fn new(rule: &'r CompiledRule, file: u32, name: &str, format: Option<Format>) -> Self {
        let seen = Seen {
            signals: TESTS
                .iter()
                .map(|t| alloc::vec![SignalSeen::default(); t.expected.len()])
                .collect(),
            samples: alloc::vec![Vec::new(); TESTS.len()],
        };
        FileValidation {
            scan: FileScan::new(rule, file, name, format).without_fields(),
            signals: SignalScan::new(format),
            collector: Collector {
                file: file as usize,
                seen,
            },
        }
    }

    /// The next bytes of the file.
    pub fn push(&mut self, chunk: &[u8]) {
        self.scan.push(chunk);
        self.signals.push(chunk, &mut self.collector);
    }

    /// The scan's summary so far.
    pub fn summary(&self) -> &FileSummary {
        self.scan.summary()
    }

    /// Stop: the file could not be read further.
    pub fn abandon(self, error: crate::format::DecodeError) -> FileResult {
        let (summary, rows) = self.scan.abandon(error);
        FileResult {
            summary,
            rows,
            seen: self.collector.into_seen(),
        }
    }

    /// End of the file.
    pub fn finish(mut self) -> FileResult {
        self.signals.finish(&mut self.collector);
        let (summary, rows) = self.scan.finish();
        FileResult {
            summary,
            rows,
            seen: self.collector.into_seen(),
        }
    }
}

impl Collector {
    fn into_seen(self) -> Seen {
        self.seen
    }
}

/// One expected signal, over every file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalReport {
    /// What the methodology expects, in its words.
    pub expected: &'static str,
    /// Whether it is in the telemetry.
    pub present: bool,
    /// How many events are the signal.
    pub count: u64,
    /// The first of them.
    pub first: Option<Evidence>,
    /// When absent, what came close (`None` when nothing did).
    pub note: Option<String>,
}

/// Whether the rule fired for a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleReport {
    /// The flag that should fire (`CertutilAbuse`, ...).
    pub flag: &'static str,
    /// Whether any row the rule returns has it (and no allowlist entry
    /// suppresses it).
    pub fired: bool,
    /// How many rows have it (not suppressed).
    pub rows: u64,
    /// How many more rows have it but are suppressed by the allowlist.
    pub suppressed: u64,
    /// The first such row.
    pub first: Option<Evidence>,
    /// Why it did not fire.
    pub reason: Option<String>,
}

/// One test's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestReport {
    /// The test.
    pub test: AtomicTest,
    /// Each expected signal.
    pub signals: Vec<SignalReport>,
    /// The rule.
    pub rule: RuleReport,
}

/// The validation table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// One entry per test, in [`TESTS`] order.
    pub tests: Vec<TestReport>,
}

/// Undoes one spelling of a command line.
type Respell = fn(&str) -> String;

/// Spellings the rule's term match misses (README, "Known limits"), each
/// with a function that undoes it.
const RESPELLINGS: [(&str, Respell); 3] = [
    ("an `.exe` suffix on the tool", |c| {
        c.to_lowercase()
            .replace(".exe ", " ")
            .replace(".exe\"", "\"")
    }),
    ("repeated spaces", |c| {
        c.split_whitespace().collect::<Vec<_>>().join(" ")
    }),
    ("`^` carets", |c| c.replace('^', "")),
];

/// Does a command line have the keywords, as written or respelled?
fn has_keywords(cmd: &str, keywords: &[&str]) -> bool {
    all_words(cmd, keywords)
        || RESPELLINGS
            .iter()
            .any(|(_, r)| all_words(&r(cmd), keywords))
}

/// Why the test's flag did not fire, from the test's cmd.exe command lines
/// (`samples`): the test's known reason, else a spelling the term match
/// misses, else that no needle of the flag is there.
fn reason(test: &AtomicTest, samples: &[&Evidence]) -> String {
    let Some(first) = samples.first() else {
        return format!(
            "no cmd.exe process creation with {} in its command line is in the telemetry",
            test.keywords
                .iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(" and ")
        );
    };
    if let Some((words, why)) = test.known {
        if let Some(e) = samples.iter().find(|e| all_words(&e.text, words)) {
            return format!("{why} ({e})");
        }
    }
    let needles = FLAGS[test.flag].needles;
    for e in samples {
        for (what, respell) in RESPELLINGS {
            let fixed = respell(&e.text);
            if let Some(n) = needles.iter().find(|n| kql::has(&fixed, n)) {
                return format!(
                    "the command line has `{n}` but with {what}; KQL `has` needs the contiguous \
                     terms ({e})"
                );
            }
        }
    }
    format!(
        "no cmd.exe command line of the test has {} ({} seen; first: {first})",
        needles
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(" or "),
        samples.len()
    )
}

impl Report {
    /// Merge the files' results into the table.
    pub fn build(files: &[FileResult]) -> Report {
        Report::build_tuned(files, None, crate::time::Timestamp(0))
    }

    /// Merge the files' results, with the rows an allowlist suppresses (its
    /// entries judged at `now`) not counting as fired: a tuning must not
    /// hide the tests' detections.
    pub fn build_tuned(
        files: &[FileResult],
        allowlist: Option<&Allowlist>,
        now: crate::time::Timestamp,
    ) -> Report {
        let tests = TESTS
            .iter()
            .enumerate()
            .map(|(t, test)| {
                let signals = test
                    .expected
                    .iter()
                    .enumerate()
                    .map(|(s, (expect, words))| {
                        let all = || files.iter().map(|f| &f.seen.signals[t][s]);
                        let count = all().map(|x| x.count).sum::<u64>();
                        let first = all().find_map(|x| x.first.clone());
                        let near = all().map(|x| x.near).sum::<u64>();
                        let near_first = all().find_map(|x| x.near_first.clone());
                        let note = (count == 0 && near > 0).then(|| {
                            let what = match expect {
                                Expect::Shell { .. } => {
                                    "cmd.exe command lines with the words, spelled otherwise"
                                }
                                Expect::Child { .. } => "such processes with another parent",
                                Expect::Connection { .. } => "network connections elsewhere",
                                Expect::TaskCreated { .. } => {
                                    "scheduled-task creations for other tasks"
                                }
                                Expect::UserCreated | Expect::GroupMemberAdded => "near events",
                            };
                            let e = near_first.as_ref();
                            let at = e.map_or(String::new(), |e| {
                                format!("; first: file {} {}: {}", e.file, e.position, e.text)
                            });
                            format!("{near} {what}{at}")
                        });
                        SignalReport {
                            expected: words,
                            present: count > 0,
                            count,
                            first,
                            note,
                        }
                    })
                    .collect();
                let flagged = files
                    .iter()
                    .enumerate()
                    .flat_map(|(i, f)| f.rows.iter().map(move |r| (i, r)))
                    .filter(|(_, r)| r.verdict.flags.0[test.flag]);
                let (mut kept, mut suppressed) = (Vec::new(), 0);
                let mut by: Vec<usize> = Vec::new();
                for (i, r) in flagged {
                    let hits = allowlist.map_or(Vec::new(), |a| a.suppressing(&r.event, now));
                    if hits.is_empty() {
                        kept.push((i, r));
                    } else {
                        suppressed += 1;
                        by.extend(
                            hits.into_iter()
                                .filter(|h| !by.contains(h))
                                .collect::<Vec<_>>(),
                        );
                    }
                }
                let rows = kept.len() as u64;
                let first = kept.first().map(|&(i, r)| Evidence {
                    file: i,
                    position: r.position,
                    text: short(&r.event.process_command_line),
                });
                let samples: Vec<&Evidence> =
                    files.iter().flat_map(|f| &f.seen.samples[t]).collect();
                let why = || match (allowlist, suppressed) {
                    (Some(a), 1..) => {
                        let ids: Vec<&str> = by.iter().map(|&e| a.entries[e].id.as_str()).collect();
                        format!(
                            "the rule matched {suppressed} rows with {}, but the allowlist \
                             suppresses them ({})",
                            FLAGS[test.flag].name,
                            ids.join(", ")
                        )
                    }
                    _ => reason(test, &samples),
                };
                let rule = RuleReport {
                    flag: FLAGS[test.flag].name,
                    fired: rows > 0,
                    rows,
                    suppressed,
                    first,
                    reason: (rows == 0).then(why),
                };
                TestReport {
                    test: *test,
                    signals,
                    rule,
                }
            })
            .collect();
        Report { tests }
    }

    /// The report as one JSON object (`files` names the files by index).
    pub fn to_json(&self, files: &[String]) -> String {
        let s = |t: &str| serde_json::to_string(t).unwrap_or_else(|_| String::from("\"\""));
        let evidence = |e: &Option<Evidence>| match e {
            None => String::from("null"),
            Some(e) => format!(
                "{{\"file\":{},\"record\":{},\"text\":{}}}",
                s(files.get(e.file).map_or("", String::as_str)),
                e.position.record,
                s(&e.text)
            ),
        };
        let opt = |o: &Option<String>| o.as_deref().map_or(String::from("null"), s);
        let tests: Vec<String> = self
            .tests
            .iter()
            .map(|t| {
                let signals: Vec<String> = t
                    .signals
                    .iter()
                    .map(|g| {
                        format!(
                            "{{\"expected\":{},\"present\":{},\"count\":{},\"first\":{},\"note\":{}}}",
                            s(g.expected),
                            g.present,
                            g.count,
                            evidence(&g.first),
                            opt(&g.note)
                        )
                    })
                    .collect();
                format!(
                    "{{\"test\":{},\"name\":{},\"signals\":[{}],\"rule\":{{\"flag\":{},\"fired\":{},\"rows\":{},\"suppressed\":{},\"first\":{},\"reason\":{}}}}}",
                    t.test.number,
                    s(t.test.name),
                    signals.join(","),
                    s(t.rule.flag),
                    t.rule.fired,
                    t.rule.rows,
                    t.rule.suppressed,
                    evidence(&t.rule.first),
                    opt(&t.rule.reason)
                )
            })
            .collect();
        let names: Vec<String> = files.iter().map(|f| s(f)).collect();
        format!(
            "{{\"files\":[{}],\"tests\":[{}]}}",
            names.join(","),
            tests.join(",")
        )
    }
}

impl core::fmt::Display for Evidence {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "file {} {}: {}", self.file, self.position, self.text)
    }
}
