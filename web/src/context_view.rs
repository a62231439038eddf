//! The detail panel's "Process context" section (`data-testid="context"`):
//! the parent and grandparent from the row's own fields at once, and, on
//! demand, the chain of ancestors, the children and the host's events within
//! five minutes from a worker's second read of the same file
//! ([`crate::context_job`], [`cmdhunt_core::context`]). Loading, errors and
//! what was cut are said; every event text goes through `display_safe`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use cmdhunt_core::context::{
    ChainEnd, Nearby, Process, ProcessContext, Relative, Subject, MAX_DEPTH, NEARBY_SECONDS,
};
use cmdhunt_core::display::display_safe;
use yew::prelude::*;

use crate::components::app::Ctx;
use crate::context_job::{self, ContextRun};

thread_local! {
    /// Context requests are numbered for the worker's messages.
    static NEXT_JOB: Cell<u32> = const { Cell::new(1) };
}

/// The row a context is for: (file id, record number).
type Key = (u32, u64);

#[derive(Clone, PartialEq)]
enum Status {
    Idle,
    Loading,
    Done(Rc<ProcessContext>),
    Failed(String),
}

/// A process named by the row or the chain: image, pid, command line.
fn relative(r: &Relative, testid: &'static str, source: &str) -> Html {
    if r.is_empty() {
        return html! { <dd data-testid={testid} class="unknown">{ "not known" }{ source }</dd> };
    }
    html! {
        <dd data-testid={testid} data-pid={r.pid.map(|p| p.to_string())}>
            <strong class="image">{ display_safe(&r.file_name) }</strong>
            if let Some(p) = r.pid { <span class="pid">{ format!(" pid {p}") }</span> }
            if !r.command_line.is_empty() {
                <code class="cmdline">{ display_safe(&r.command_line) }</code>
            }
            <span class="from">{ source }</span>
        </dd>
    }
}

fn process(p: &Process, testid: &'static str) -> Html {
    html! {
        <li data-testid={testid} data-record={p.position.record.to_string()}>
            <span class="when">{ p.time.to_string() }</span>
            <strong class="image">{ display_safe(&p.file_name) }</strong>
            <span class="pid">{ p.pid.map_or_else(String::new, |p| format!(" pid {p}")) }</span>
            <code class="cmdline">{ display_safe(&p.command_line) }</code>
            <span class="where">{ format!("record {}", p.position.record) }</span>
        </li>
    }
}

fn nearby(n: &Nearby) -> Html {
    html! {
        <tr data-testid="context-near" data-record={n.position.record.to_string()}>
            <td class="offset">{ format!("{:+.3} s", n.offset_ms as f64 / 1000.0) }</td>
            <td>{ display_safe(&n.kind) }</td>
            <td>{ display_safe(&n.image) }</td>
            <td class="detail-text">{ display_safe(&n.detail) }</td>
            <td class="where">{ n.position.record }</td>
        </tr>
    }
}

/// The second read's part: chain, children, nearby events, what was cut.
fn found(c: &ProcessContext) -> Html {
    let end = match &c.chain_end {
        ChainEnd::Depth => format!("stopped after {MAX_DEPTH} levels"),
        other => format!("ends: {}", other.describe()),
    };
    html! {
        <div class="context-found" data-testid="context-found">
            if let Some(e) = &c.error {
                <p class="error" data-testid="context-error">
                    { "The second read stopped early (what was read before is shown): " }{ display_safe(&e.to_string()) }
                </p>
            }
            if !c.found {
                <p class="error" data-testid="context-missing">
                    { "The second read did not meet this row: the file may have changed since it was scanned." }
                </p>
            }
            <h4>{ format!("Chain, parent first ({} linked by process id in this file)", c.chain.len()) }</h4>
            <ol class="context-list" data-testid="context-chain">
                { for c.chain.iter().map(|p| process(p, "context-link")) }
            </ol>
            <p class="note" data-testid="context-chain-end">{ end }</p>
            <h4>{ "Children: what it ran" }</h4>
            <p class="note" data-testid="context-children-count" data-shown={c.children.len().to_string()} data-cut={c.children_cut.to_string()}>
                { format!("{} shown", c.children.len()) }
                if c.children_cut > 0 { { format!(", {} more not shown", c.children_cut) } }
            </p>
            <ul class="context-list" data-testid="context-children">
                { for c.children.iter().map(|p| process(p, "context-child")) }
            </ul>
            <h4>{ format!("On this host within ±{} minutes", NEARBY_SECONDS / 60) }</h4>
            <p class="note" data-testid="context-nearby-count" data-shown={c.nearby.len().to_string()} data-cut={c.nearby_cut.to_string()}>
                { format!("{} events shown", c.nearby.len()) }
                if c.nearby_cut > 0 { { format!(", {} farther ones not shown", c.nearby_cut) } }
            </p>
            <table class="context-nearby" data-testid="context-nearby">
                <thead><tr><th>{ "offset" }</th><th>{ "kind" }</th><th>{ "image" }</th><th>{ "what" }</th><th>{ "record" }</th></tr></thead>
                <tbody>{ for c.nearby.iter().map(nearby) }</tbody>
            </table>
            <p class="note" data-testid="context-read">
                { format!("{} records read again, {} of this host", c.records, c.host_records) }
                if c.untimed > 0 { { format!(", {} without a time (not linked)", c.untimed) } }
            </p>
        </div>
    }
}

/// The section (inside the detail panel, for its selected row).
#[function_component(ProcessContextPanel)]
pub fn process_context_panel() -> Html {
    let status = use_state(|| (None::<Key>, Status::Idle));
    let running = use_mut_ref(|| None::<(u32, ContextRun)>);
    let ctx = use_context::<Ctx>();
    let selected = ctx.as_ref().and_then(|ctx| {
        let state = ctx.state();
        let i = state.selected?;
        let row = state.rows.get(i)?;
        let fields = state.row_fields(i).unwrap_or_default();
        let file = state.files.get(row.file as usize)?;
        let subject = Subject::from_parts(row.position, &row.event, &fields);
        Some((
            (row.file, row.position.record),
            subject,
            file.name.clone(),
            file.forced.map(|f| f.name().to_owned()),
        ))
    });
    // Another row (or none): the previous request is stopped.
    {
        let running = running.clone();
        let key = selected.as_ref().map(|s| s.0);
        use_effect_with(key, move |_| {
            running.borrow_mut().take();
        });
    }
    let (Some(ctx), Some((key, subject, name, format))) = (ctx, selected) else {
        return Html::default();
    };
    let current = match &*status {
        (Some(k), s) if *k == key => s.clone(),
        _ => Status::Idle,
    };
    let load = {
        let (status, running, subject) = (status.clone(), running.clone(), subject.clone());
        Callback::from(move |_: MouseEvent| {
            start(
                &ctx,
                &running,
                &status,
                key,
                &subject,
                &name,
                format.clone(),
            );
        })
    };
    let (parent, grandparent, from_chain) = match &current {
        Status::Done(c) => (c.parent(), c.grandparent(), true),
        _ => (subject.parent.clone(), subject.grandparent.clone(), false),
    };
    let source = |own: &Relative| {
        if !own.file_name.is_empty() {
            " (from the row's fields)"
        } else if from_chain {
            " (from the chain in this file)"
        } else {
            ""
        }
    };
    html! {
        <section class="process-context" data-testid="context" aria-label="Process context">
            <h3>{ "Process context" }</h3>
            <dl>
                <dt>{ "Process" }</dt>
                { relative(&Relative { file_name: subject.file_name.clone(), command_line: String::new(), pid: subject.pid }, "context-process", "") }
                <dt>{ "Parent" }</dt>
                { relative(&parent, "context-parent", source(&subject.parent)) }
                <dt>{ "Grandparent" }</dt>
                { relative(&grandparent, "context-grandparent", source(&subject.grandparent)) }
            </dl>
            { match current {
                Status::Idle => html! {
                    <button type="button" class="secondary" data-testid="context-load" onclick={load}>
                        { "Chain, nearby events and children" }
                    </button>
                },
                Status::Loading => html! {
                    <p class="note" data-testid="context-loading" role="status">
                        { "Reading the file again for this row's chain, children and nearby events…" }
                    </p>
                },
                Status::Failed(why) => html! {
                    <>
                        <p class="error" data-testid="context-error" role="alert">{ "The process context could not be read: " }{ display_safe(&why) }</p>
                        <button type="button" class="secondary" data-testid="context-load" onclick={load}>{ "Try again" }</button>
                    </>
                },
                Status::Done(c) => found(&c),
            } }
        </section>
    }
}

/// Start a worker for the context of `subject` (row `key` of file `name`).
fn start(
    ctx: &Ctx,
    running: &Rc<RefCell<Option<(u32, ContextRun)>>>,
    status: &UseStateHandle<(Option<Key>, Status)>,
    key: Key,
    subject: &Subject,
    name: &str,
    format: Option<String>,
) {
    let Some(file) = ctx.workers.borrow().file(key.0) else {
        status.set((
            Some(key),
            Status::Failed(format!(
                "{name}: the file handle was lost; add the file again"
            )),
        ));
        return;
    };
    let job = NEXT_JOB.with(|n| n.replace(n.get() + 1));
    let answer = {
        let (status, running) = (status.clone(), running.clone());
        move |result: Result<ProcessContext, String>| {
            status.set((
                Some(key),
                match result {
                    Ok(c) => Status::Done(Rc::new(c)),
                    Err(why) => Status::Failed(why),
                },
            ));
            // Answered: the worker is done (dropped after this call returns).
            let running = running.clone();
            crate::browser::later(0, move || {
                let mut running = running.borrow_mut();
                if running.as_ref().is_some_and(|(j, _)| *j == job) {
                    running.take();
                }
            });
        }
    };
    match context_job::run(&file, job, name, format, subject.clone(), answer) {
        Ok(run) => {
            *running.borrow_mut() = Some((job, run));
            status.set((Some(key), Status::Loading));
        }
        Err(why) => status.set((Some(key), Status::Failed(why))),
    }
}
