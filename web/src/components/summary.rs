//! The account of every file and the total: records read, process
//! creations, cmd.exe, flagged, per-flag counts, skipped, the format, and
//! every error and skip with its file and position.

use cmdhunt_core::rule::FLAGS;
use cmdhunt_core::scan::FileSummary;
use yew::prelude::*;

use super::app::Ctx;
use super::breakable;
use crate::state::{FileEntry, Status};
use crate::text::{self, BreakAt};

/// How many skip reasons are listed per file (all are counted).
const SKIPS_SHOWN: usize = 20;

/// Counts of one line of the table.
#[derive(Default, Clone, Copy)]
struct Counts {
    records: u64,
    process: u64,
    shell: u64,
    flagged: u64,
    flags: [u64; 5],
    skipped: u64,
}

impl Counts {
    fn of(s: &FileSummary) -> Counts {
        Counts {
            records: s.records,
            process: s.process_creations,
            shell: s.shell,
            flagged: s.flagged,
            flags: s.flag_counts,
            skipped: s.skipped,
        }
    }

    fn add(&mut self, o: &Counts) {
        self.records += o.records;
        self.process += o.process;
        self.shell += o.shell;
        self.flagged += o.flagged;
        self.skipped += o.skipped;
        for (a, b) in self.flags.iter_mut().zip(o.flags) {
            *a += b;
        }
    }

    fn cells(&self) -> Html {
        html! { <>
            <td>{ self.records }</td><td>{ self.process }</td><td>{ self.shell }</td>
            <td>{ self.flagged }</td>
            { for self.flags.iter().map(|n| html! { <td>{ n }</td> }) }
            <td>{ self.skipped }</td>
        </> }
    }
}

/// Messages about one file: its error, unreadable times, skips.
fn notes(f: &FileEntry) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if let Status::Failed(m) = &f.status {
        out.push((format!("{}: {m}", f.name), "file-error"));
    }
    let Some(s) = &f.summary else { return out };
    if let Some(e) = &s.error {
        out.push((
            format!("{}: {}", text::place(&f.name, &e.position), e.message),
            "file-error",
        ));
    }
    if let Some((pos, t)) = &s.first_bad_timestamp {
        out.push((
            format!(
                "{} process creations have an unreadable time, first at {}: {t:?} (their Timestamp is null)",
                s.bad_timestamps,
                text::place(&f.name, pos)
            ),
            "file-note",
        ));
    }
    for k in s.skips.iter().take(SKIPS_SHOWN) {
        out.push((
            format!(
                "skipped {}: {}",
                text::place(&f.name, &k.position),
                k.reason
            ),
            "file-skip",
        ));
    }
    let listed = s.skips.len().min(SKIPS_SHOWN) as u64;
    if s.skipped > listed {
        out.push((
            format!("{}: {} more skipped records", f.name, s.skipped - listed),
            "file-skip",
        ));
    }
    if !s.other_events.is_empty() {
        let kinds: Vec<String> = s
            .other_events
            .iter()
            .take(8)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        out.push((
            format!(
                "{}: other events read and not matched: {}",
                f.name,
                kinds.join(", ")
            ),
            "file-note",
        ));
    }
    out
}

/// The summary section (`data-testid="summary"`).
#[function_component(Summary)]
pub fn summary() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let state = ctx.state();
    let mut total = Counts::default();
    let lines: Vec<Html> = state
        .files
        .iter()
        .map(|f| {
            let counts = f.summary.as_ref().map(Counts::of).unwrap_or(Counts {
                records: f.records,
                flagged: f.flagged,
                ..Counts::default()
            });
            total.add(&counts);
            let format = f.format.map(|x| x.name()).unwrap_or("-");
            html! {
                <tr data-testid="summary-row">
                    <th scope="row" title={f.name.clone()}>{ breakable(&f.name, BreakAt::Path) }</th>
                    <td data-testid="summary-format">{ format }</td>
                    { counts.cells() }
                </tr>
            }
        })
        .collect();
    let notes: Vec<(String, &str)> = state.files.iter().flat_map(notes).collect();
    html! {
        <section class="summary" data-testid="summary" aria-label="Summary">
            <h2>{ "Summary" }</h2>
            <div class="table-wrap">
            <table class="counts">
                <thead><tr>
                    <th scope="col">{ "File" }</th><th scope="col">{ "Format" }</th>
                    <th scope="col">{ "Records" }</th><th scope="col">{ "Process creations" }</th>
                    <th scope="col">{ "cmd.exe" }</th><th scope="col">{ "Flagged" }</th>
                    { for FLAGS.iter().map(|f| html! { <th scope="col">{ breakable(f.name, BreakAt::Words) }</th> }) }
                    <th scope="col">{ "Skipped" }</th>
                </tr></thead>
                <tbody>{ for lines }</tbody>
                <tfoot><tr data-testid="summary-total">
                    <th scope="row">{ "Total" }</th><td></td>{ total.cells() }
                </tr></tfoot>
            </table>
            </div>
            if !notes.is_empty() {
                <ul class="notes">
                    { for notes.into_iter().map(|(t, kind)| html! { <li class={kind} data-testid={kind}>{ t }</li> }) }
                </ul>
            }
        </section>
    }
}
