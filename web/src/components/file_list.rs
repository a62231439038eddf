//! One line per file: progress bar, bytes and rate, status, cancel, and the
//! format override that re-runs the file.

use cmdhunt_core::format::Format;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::app::Ctx;
use super::breakable;
use crate::state::{Action, FileEntry, Status};
use crate::text::{self, BreakAt};

fn status_text(f: &FileEntry) -> String {
    match &f.status {
        Status::Queued => "queued".into(),
        Status::Running => "reading".into(),
        Status::Done => match f.summary.as_ref().and_then(|s| s.error.as_ref()) {
            Some(_) => "stopped on an error".into(),
            None => "done".into(),
        },
        Status::Cancelled => "cancelled".into(),
        Status::Failed(m) => format!("failed: {m}"),
    }
}

fn file_line(ctx: &Ctx, f: &FileEntry) -> Html {
    let id = f.id;
    let on_cancel = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.dispatch(Action::Cancel(id)))
    };
    let on_format = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            ctx.dispatch(Action::Rerun(id, Format::from_name(&select.value())));
        })
    };
    let detected = match (f.forced, f.format) {
        (None, Some(d)) => format!("auto (detected: {d})"),
        _ => "auto".to_string(),
    };
    let forced = f.forced.map(Format::name).unwrap_or("auto");
    let percent = text::percent(f.bytes_done, f.size);
    let failed = matches!(f.status, Status::Failed(_));
    html! {
        <li class={classes!("file", failed.then_some("failed"))} data-testid="file-line" data-file={f.name.clone()}>
            <span class="file-name" title={f.name.clone()}>{ breakable(&f.name, BreakAt::Path) }</span>
            <progress data-testid="progress" max="100" value={format!("{percent:.1}")}
                aria-label={format!("{} progress", f.name)} />
            <span class="file-progress" data-testid="progress-text">
                { format!("{} of {} · {:.1} MB/s", text::bytes(f.bytes_done), text::bytes(f.size), f.rate_mb_s()) }
            </span>
            <span class="file-status" data-testid="file-status" role="status">{ status_text(f) }</span>
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
            <ul>{ for state.files.iter().map(|f| file_line(&ctx, f)) }</ul>
        </section>
    }
}
