//! The page's validation view (issue 12, item 5), free of browser APIs so it
//! tests natively: what a worker sends back from a file's
//! [`FileValidation`] ([`ValidationDto`]), and the table built from every
//! file's result, [`page_report`]: the core's [`Report::build_tuned`], so the
//! page shows exactly what `cmdhunt validate` prints for the same files and
//! config.
//!
//! The file's bytes stay in the worker: when the page asks for validation
//! (`ToWorker::Scan`'s `validate`), the worker feeds the chunks it scans to
//! a [`FileValidation`] as well and sends its result with the scan's `Done`
//! (`FromWorker::Validated`): the signals seen and the rows carrying one of
//! the four tests' flags (the only rows the table reads).
//!
//! ```
//! use cmdhunt_core::matcher::CompiledRule;
//! use cmdhunt_core::time::Timestamp;
//! use cmdhunt_core::validation::FileValidation;
//! use cmdhunt_web::validation::{page_report, ValidationDto};
//! let csv = "Timestamp,FileName,ProcessCommandLine,InitiatingProcessFileName\n\
//!            2024-05-01T10:00:00Z,cmd.exe,cmd /c vssadmin list shadows,powershell.exe\n";
//! let rule = CompiledRule::new();
//! let mut file = FileValidation::new(&rule, 3, "atomic.csv", None);
//! file.push(csv.as_bytes());
//! let dto = ValidationDto::new(&file.finish());
//! let files = [("atomic.csv".to_owned(), dto)];
//! let report = page_report(&files, None, Timestamp(0)).unwrap();
//! assert!(report.tests[1].signals[0].present);
//! assert!(!report.tests[1].rule.fired);
//! ```

use cmdhunt_core::scan::{FileSummary, FlaggedRow};
use cmdhunt_core::time::Timestamp;
use cmdhunt_core::tuning::Allowlist;
#[cfg(doc)]
use cmdhunt_core::validation::FileValidation;
use cmdhunt_core::validation::{FileResult, Report, Seen, TESTS};
use serde::{Deserialize, Serialize};

use crate::protocol::{FieldBlock, RowDto};

/// What one file's [`FileValidation`] gave, as the page needs it: the
/// signals seen ([`Seen`], the core's own type on the wire) and the rows
/// carrying a test's flag (their original fields are not sent: the table
/// never shows them).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ValidationDto {
    /// The signals and samples, their evidence numbered as the worker knew
    /// the file (the page renumbers).
    pub seen: Seen,
    /// The rule's rows (no time window) with one of the tests' flags.
    pub rows: Vec<FlaggedRow>,
}

impl ValidationDto {
    /// The wire form of `result`.
    pub fn new(result: &FileResult) -> Self {
        // The rows' fields go to a block that is dropped: they are not sent.
        let mut block = FieldBlock::default();
        ValidationDto {
            seen: result.seen.clone(),
            rows: result
                .rows
                .iter()
                .filter(|r| TESTS.iter().any(|t| r.verdict.flags.0[t.flag]))
                .map(|r| RowDto::new(r, &mut block).into_row())
                .collect(),
        }
    }

    /// The file's result again, as file number `index` of the report, named
    /// `name`. A result that does not have the shape of [`TESTS`] (one entry
    /// per test and per expected signal) is an error, never a panic.
    pub fn into_result(self, index: usize, name: &str) -> Result<FileResult, String> {
        let mut seen = self.seen;
        let shaped = seen.signals.len() == TESTS.len()
            && seen.samples.len() == TESTS.len()
            && seen
                .signals
                .iter()
                .zip(TESTS.iter())
                .all(|(s, t)| s.len() == t.expected.len());
        if !shaped {
            return Err(format!(
                "{name}: the validation result does not have the four tests' shape"
            ));
        }
        // The evidence, said to come from file `index` (its place in the report).
        let evidence = seen
            .signals
            .iter_mut()
            .flatten()
            .flat_map(|s| s.first.iter_mut().chain(s.near_first.iter_mut()))
            .chain(seen.samples.iter_mut().flatten());
        for e in evidence {
            e.file = index;
        }
        Ok(FileResult {
            summary: FileSummary {
                name: name.to_owned(),
                ..FileSummary::default()
            },
            rows: self
                .rows
                .into_iter()
                .map(|r| FlaggedRow {
                    file: index as u32,
                    ..r
                })
                .collect(),
            seen,
        })
    }
}

/// The validation table over `files` (name and result, in the page's file
/// order; file `i` of the table is the `i`-th given): [`Report::build_tuned`]
/// with the page's allowlist judged at `now`, as `cmdhunt validate --config`
/// judges its own.
pub fn page_report(
    files: &[(String, ValidationDto)],
    allowlist: Option<&Allowlist>,
    now: Timestamp,
) -> Result<Report, String> {
    let results = files
        .iter()
        .enumerate()
        .map(|(i, (name, dto))| dto.clone().into_result(i, name))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Report::build_tuned(&results, allowlist, now))
}

/// The validation view of the page's state: the report over every file
/// with a validation, in file order, and the files left out with why.
#[derive(Debug, Clone, PartialEq)]
pub struct PageValidation {
    /// The report's files (file `i` of the report is `names[i]`).
    pub names: Vec<String>,
    /// The table, or why it could not be built.
    pub report: Result<Report, String>,
    /// Files with no validation yet (name, why): still being read,
    /// cancelled, failed.
    pub left_out: Vec<(String, String)>,
}

/// The validation view of `state`, `None` when validation is off.
pub fn of_state(state: &crate::state::AppState) -> Option<PageValidation> {
    use crate::state::Status;
    if !state.validate {
        return None;
    }
    let mut files = Vec::new();
    let mut left_out = Vec::new();
    for f in &state.files {
        match (&f.validation, &f.status) {
            (_, Status::Duplicate { of }) => left_out.push((
                f.name.clone(),
                format!("duplicate of file {of}: not scanned"),
            )),
            (Some(v), _) => files.push((f.name.clone(), v.clone())),
            (None, Status::Queued | Status::Running) => {
                left_out.push((f.name.clone(), "still being read".to_owned()))
            }
            (None, Status::Cancelled { .. }) => {
                left_out.push((f.name.clone(), "cancelled before its end".to_owned()))
            }
            (None, Status::Failed(why)) => left_out.push((f.name.clone(), why.clone())),
            (None, Status::Done) => {
                left_out.push((f.name.clone(), "scanned without validation".to_owned()))
            }
        }
    }
    let allowlist = &state.config.allowlist;
    let allowlist = (!allowlist.entries.is_empty()).then_some(allowlist);
    let now = state.now.unwrap_or(Timestamp(i64::MIN));
    Some(PageValidation {
        names: files.iter().map(|(n, _)| n.clone()).collect(),
        report: page_report(&files, allowlist, now),
        left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{decode, encode, FromWorker};
    use crate::session::ScanSession;
    use crate::testdata::shared_data;
    use cmdhunt_core::matcher::CompiledRule;
    use cmdhunt_core::tuning::Config;
    use cmdhunt_core::validation::FileValidation;

    /// The Atomic Red Team logs the CLI's validation tests read, and the
    /// Defender export with network, task and account events.
    const FILES: [&str; 3] = [
        "sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
        "sysmon-evtx/AutomatedTestingTools/panache_sysmon_vs_EDRTestingScript.evtx",
        "defender/advanced_hunting_test.csv",
    ];

    /// The core's own validation of `files` (what `cmdhunt validate` runs).
    fn reference(files: &[(String, Vec<u8>)], rule: &CompiledRule) -> Vec<FileResult> {
        files
            .iter()
            .enumerate()
            .map(|(i, (name, bytes))| {
                let mut v = FileValidation::new(rule, i as u32, name, None);
                for c in bytes.chunks(64 << 10) {
                    v.push(c);
                }
                v.finish()
            })
            .collect()
    }

    /// The page's way: a worker session per file (file ids that are not the
    /// report's indices), its `Validated` message through JSON.
    fn through_sessions(files: &[(String, Vec<u8>)], rule: &CompiledRule) -> Vec<ValidationDto> {
        files
            .iter()
            .enumerate()
            .map(|(i, (name, bytes))| {
                let id = 10 + i as u32;
                let mut s = ScanSession::new(rule, 1, id, name, None)
                    .expect("session")
                    .validating(FileValidation::new(rule, id, name, None));
                for c in bytes.chunks(1 << 20) {
                    s.push(c, 0.0);
                }
                let out = s.finish();
                let validated = out
                    .into_iter()
                    .find_map(|m| match m {
                        FromWorker::Validated { result, .. } => Some(result),
                        _ => None,
                    })
                    .expect("a Validated message");
                let wire = encode(&FromWorker::Validated {
                    job: 1,
                    result: validated,
                })
                .expect("encodes");
                match decode::<FromWorker>(&wire) {
                    Ok(FromWorker::Validated { result, .. }) => *result,
                    other => panic!("decoded {other:?}"),
                }
            })
            .collect()
    }

    fn load() -> Option<Vec<(String, Vec<u8>)>> {
        FILES
            .iter()
            .map(|f| shared_data(f).map(|b| (f.rsplit('/').next().unwrap_or(f).to_owned(), b)))
            .collect()
    }

    #[test]
    fn the_pages_report_is_the_cores_for_the_same_files() {
        let Some(files) = load() else {
            eprintln!("skipped: ../shared/data is not there");
            return;
        };
        let rule = CompiledRule::new();
        let want = Report::build(&reference(&files, &rule));
        let named: Vec<(String, ValidationDto)> = files
            .iter()
            .map(|(n, _)| n.clone())
            .zip(through_sessions(&files, &rule))
            .collect();
        let got = page_report(&named, None, Timestamp(0)).expect("report");
        assert_eq!(got, want);
        let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(got.to_json(&names), want.to_json(&names));
        // The logs hold what the README says: ShadowDelete misses the `.exe`
        // spelling, ScheduledTask fires, the evidence names the report's files.
        assert!(got.tests[1].signals[0].present);
        assert!(!got.tests[1].rule.fired);
        assert!(got.tests[2].rule.fired);
        assert!(got.tests[1]
            .rule
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("file 0"));
    }

    #[test]
    fn the_pages_report_follows_the_allowlist_as_validate_config_does() {
        let Some(files) = load() else {
            eprintln!("skipped: ../shared/data is not there");
            return;
        };
        let config = Config::parse(
            r#"{"version": 1, "allowlist": [{"id": "tasks", "reason": "deployment",
                "when": [{"field": "ProcessCommandLine", "match": "has", "value": "schtasks"}]}]}"#,
        )
        .expect("config");
        let rule = CompiledRule::new();
        let now = Timestamp(0);
        let want = Report::build_tuned(&reference(&files, &rule), Some(&config.allowlist), now);
        let named: Vec<(String, ValidationDto)> = files
            .iter()
            .map(|(n, _)| n.clone())
            .zip(through_sessions(&files, &rule))
            .collect();
        let got = page_report(&named, Some(&config.allowlist), now).expect("report");
        assert_eq!(got, want);
        assert!(!got.tests[2].rule.fired);
        assert!(got.tests[2].rule.suppressed > 0);
    }

    #[test]
    fn the_state_keeps_each_files_validation_and_a_rerun_drops_it() {
        use crate::state::{Action, AppState, NewFile};
        let csv = crate::testdata::sample_csv();
        let mut st = AppState::default();
        st.apply(Action::AddFiles(vec![NewFile::new(
            "sample.csv",
            csv.len() as u64,
        )]));
        assert_eq!(of_state(&st), None);
        let before = st.files[0].job;
        st.apply(Action::SetValidate(true));
        let job = st.files[0].job;
        assert_ne!(job, before, "turning validation on scans the file again");
        st.apply(Action::Started { job, now_ms: 0.0 });
        let v = of_state(&st).expect("on");
        assert_eq!(
            v.left_out,
            vec![("sample.csv".into(), "still being read".into())]
        );
        let rule = CompiledRule::new();
        let mut s = ScanSession::new(&rule, job, 0, "sample.csv", None)
            .expect("session")
            .validating(FileValidation::new(&rule, 0, "sample.csv", None));
        let mut messages = s.push(csv, 0.0);
        messages.extend(s.finish());
        for m in messages {
            st.apply(Action::Worker(m, 1.0));
        }
        let v = of_state(&st).expect("on");
        assert!(v.left_out.is_empty(), "{:?}", v.left_out);
        assert_eq!(v.names, vec!["sample.csv".to_owned()]);
        let files = [("sample.csv".to_owned(), csv.to_vec())];
        assert_eq!(v.report, Ok(Report::build(&reference(&files, &rule))));
        // Off and on again: the results are there, nothing is scanned again.
        st.apply(Action::SetValidate(false));
        assert_eq!(of_state(&st), None);
        st.apply(Action::SetValidate(true));
        assert_eq!(st.files[0].job, job);
        st.apply(Action::Rerun(0, None));
        assert!(st.files[0].validation.is_none());
    }

    #[test]
    fn a_result_of_the_wrong_shape_is_an_error() {
        let bad = ValidationDto::default();
        let err = page_report(&[("x.csv".into(), bad)], None, Timestamp(0)).unwrap_err();
        assert!(err.contains("x.csv"), "{err}");
        let mut short =
            ValidationDto::new(&FileValidation::new(&CompiledRule::new(), 0, "e", None).finish());
        assert!(short.clone().into_result(0, "e").is_ok());
        short.seen.signals[0].pop();
        assert!(short.into_result(0, "e").is_err());
    }
}
