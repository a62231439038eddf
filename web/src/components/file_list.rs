//! One line per file: progress bar, bytes and rate, status (with the reason
//! when it failed, where it stopped when cancelled, which file it repeats
//! when it is a duplicate), cancel or "scan anyway", and the format override
//! that re-runs the file.

use cmdhunt_core::display::display_safe;
use cmdhunt_core::format::Format;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::app::Ctx;
use super::breakable;
use crate::state::{Action, FileEntry, Status};
use crate::text::{self, BreakAt};

/// The status line of a file (`data-testid="file-status"`).
pub fn status_text(f: &FileEntry, files: &[FileEntry]) -> String {
    let text = match &f.status {
        Status::Queued => "queued".into(),
        Status::Running => "reading".into(),
        Status::Done => match f.summary.as_ref().and_then(|s| s.error.as_ref()) {
            Some(e) => format!("stopped on an error: {} ({})", e.message, e.position),
            None => "done".into(),
        },
        Status::Cancelled { at } => format!("cancelled at byte {at} of {}", f.size),
        Status::Failed(m) => format!("failed: {m}"),
        Status::Duplicate { of } => format!(
            "duplicate of file {} ({}): not scanned",
            of + 1,
            files.get(*of as usize).map_or("", |o| o.name.as_str())
        ),
    };
    display_safe(&text)
}

fn file_line(ctx: &Ctx, f: &FileEntry, files: &[FileEntry]) -> Html {
    let (id, job) = (f.id, f.job);
    let on_cancel = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| {
            // What already arrived from the worker counts: apply it, then stop.
            let arrived = ctx.workers.borrow_mut().take_queued(job);
            for action in arrived {
                ctx.dispatch(action);
            }
            ctx.dispatch(Action::Cancel(id));
        })
    };
    let on_format = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            ctx.dispatch(Action::Rerun(id, Format::from_name(&select.value())));
        })
    };
    let detected = match (f.forced, f.live.format) {
        (None, Some(d)) => format!("auto (detected: {d})"),
        _ => "auto".to_string(),
    };
    let forced = f.forced.map(Format::name).unwrap_or("auto");
    // A file that failed shows where it stopped, in the error colour (not a
    // full bar that reads as "done").
    let failed = f.failure().is_some();
    let stopped_at = f
        .summary
        .as_ref()
        .and_then(|s| s.error.as_ref())
        .map_or(f.bytes_done, |e| e.position.byte.min(f.bytes_done));
    let percent = text::percent(if failed { stopped_at } else { f.bytes_done }, f.size);
    let on_scan = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.dispatch(Action::ScanAnyway(id)))
    };
    let duplicate = matches!(f.status, Status::Duplicate { .. });
    let name = display_safe(&f.name);
    html! {
        <li class={classes!("file", failed.then_some("failed"), duplicate.then_some("duplicate"))} data-testid="file-line" data-file={f.name.clone()}>
            <span class="file-name" title={name.clone()}>{ breakable(&name, BreakAt::Path) }</span>
            <progress data-testid="progress" max="100" value={format!("{percent:.1}")}
                aria-label={format!("{} progress", f.name)} />
            <span class="file-progress" data-testid="progress-text">
                { format!("{} of {} · {:.1} MB/s", text::bytes(f.bytes_done), text::bytes(f.size), f.rate_mb_s()) }
            </span>
            <span class="file-status" data-testid="file-status" role="status">{ status_text(f, files) }</span>
            <label class="format">
                { "Format " }
                <select data-testid="format-select" onchange={on_format}>
                    <option value="auto" selected={forced == "auto"}>{ detected }</option>
                    { for Format::ALL.iter().map(|fmt| html! {
                        <option value={fmt.name()} selected={forced == fmt.name()}>{ fmt.name() }</option>
                    }) }
                </select>
            </label>
            if !f.is_settled() {
                <button type="button" class="secondary" data-testid="cancel" onclick={on_cancel}
                    aria-label={format!("Cancel {}", f.name)}>{ "Cancel" }</button>
            }
            if duplicate {
                <button type="button" class="secondary" data-testid="scan-anyway" onclick={on_scan}
                    aria-label={format!("Scan {} anyway", f.name)}>{ "Scan anyway" }</button>
            }
        </li>
    }
}

/// The list of files.
#[function_component(FileList)]
pub fn file_list() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let state = ctx.state();
    html! {
        <section class="files" aria-label="Files">
            <ul>{ for state.files.iter().map(|f| file_line(&ctx, f, &state.files)) }</ul>
        </section>
    }
}
