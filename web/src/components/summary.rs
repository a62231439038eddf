//! The account of every file and the total: records read, process
//! creations, cmd.exe, flagged, per-flag counts, skipped, how many flagged
//! rows the time window shows, the format, and every error and skip with
//! its file and position. A cancelled file is marked partial (where it
//! stopped) beside its numbers; a duplicate says which file it repeats.

use cmdhunt_core::display::display_safe;
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

    fn cells(&self, in_window: u64) -> Html {
        html! { <>
            <td>{ self.records }</td><td>{ self.process }</td><td>{ self.shell }</td>
            <td>{ self.flagged }</td>
            { for self.flags.iter().map(|n| html! { <td>{ n }</td> }) }
            <td>{ self.skipped }</td>
            <td data-testid="summary-in-window">{ in_window }</td>
        </> }
    }
}

/// Messages about one file: its error, unreadable times, skips.
fn notes(f: &FileEntry, files: &[FileEntry]) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    match &f.status {
        Status::Failed(m) => out.push((format!("{}: {m}", f.name), "file-error")),
        Status::Duplicate { of } => out.push((
            format!(
                "{}: the same file as file {} ({}: same name, size, first and last 64 KiB), not scanned so its rows are not counted twice; \"Scan anyway\" reads it",
                f.name,
                of + 1,
                files.get(*of as usize).map_or("", |o| o.name.as_str())
            ),
            "file-note",
        )),
        Status::Cancelled { .. } => {
            if let Some(p) = partial_text(f) {
                out.push((
                    format!("{}: {p}: its numbers and rows cover only the bytes read before the cancel", f.name),
                    "file-note",
                ));
            }
        }
        _ => {}
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

/// "cancelled at byte N of M" for a cancelled file.
fn partial_text(f: &FileEntry) -> Option<String> {
    f.partial()
        .map(|(at, size)| format!("cancelled at byte {at} of {size}"))
}

/// The summary section (`data-testid="summary"`).
#[function_component(Summary)]
pub fn summary() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let state = ctx.state();
    let mut total = Counts::default();
    let in_window = state.in_window();
    let lines: Vec<Html> = state
        .files
        .iter()
        .map(|f| {
            // Done or cancelled: the final (or partial) account; reading:
            // the latest account, every count in step with the rows.
            let counts = Counts::of(f.summary.as_ref().unwrap_or(&f.live));
            total.add(&counts);
            let format = f.live.format.map(|x| x.name()).unwrap_or("-");
            let shown = in_window.get(f.id as usize).copied().unwrap_or(0);
            let name = display_safe(&f.name);
            html! {
                <tr data-testid="summary-row" class={classes!(f.partial().is_some().then_some("partial"))}>
                    <th scope="row" title={name.clone()}>
                        { breakable(&name, BreakAt::Path) }
                        if let Some(p) = partial_text(f) {
                            <span class="partial-note" data-testid="summary-partial">{ format!(" (partial: {p})") }</span>
                        }
                    </th>
                    <td data-testid="summary-format">{ format }</td>
                    { counts.cells(shown) }
                </tr>
            }
        })
        .collect();
    let total_in_window: u64 = in_window.iter().sum();
    let any_partial = state.files.iter().any(|f| f.partial().is_some());
    let notes: Vec<(String, &str)> = state
        .files
        .iter()
        .flat_map(|f| notes(f, &state.files))
        .map(|(text, kind)| (display_safe(&text), kind))
        .collect();
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
                    <th scope="col" title="Flagged rows inside the time window (before chips and search)">{ "In window" }</th>
                </tr></thead>
                <tbody>{ for lines }</tbody>
                <tfoot><tr data-testid="summary-total">
                    <th scope="row">
                        { "Total" }
                        if any_partial {
                            <span class="partial-note" data-testid="summary-partial">{ " (partial: includes cancelled files)" }</span>
                        }
                    </th>
                    <td></td>{ total.cells(total_in_window) }
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
