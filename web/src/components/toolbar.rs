//! Above the table: the time window (with its anchor and bounds in words),
//! the flag chips, the search box, the row count
//! (`data-testid="flagged-count"`, with "show all N" when rows are hidden)
//! and the exports (CSV neutralised against formulas unless "raw" is ticked).

use cmdhunt_core::rule::FLAGS;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::app::Ctx;
use crate::browser;
use crate::export;
use crate::state::Action;
use crate::window::{self, WindowChoice};

fn window_control(ctx: &Ctx, choice: &WindowChoice, error: Option<&String>) -> Html {
    let on_mode = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let s: HtmlSelectElement = e.target_unchecked_into();
            ctx.dispatch(Action::SetWindow(
                WindowChoice::from_key(&s.value()),
                browser::now_ms(),
            ));
        })
    };
    let custom = match choice {
        WindowChoice::Custom { duration, anchor } => {
            let (d, a) = (duration.clone(), anchor.clone());
            let on_duration = {
                let (ctx, a) = (ctx.clone(), a.clone());
                Callback::from(move |e: Event| {
                    let i: HtmlInputElement = e.target_unchecked_into();
                    let c = WindowChoice::Custom {
                        duration: i.value(),
                        anchor: a.clone(),
                    };
                    ctx.dispatch(Action::SetWindow(c, browser::now_ms()));
                })
            };
            let on_anchor = {
                let (ctx, d) = (ctx.clone(), d.clone());
                Callback::from(move |e: Event| {
                    let i: HtmlInputElement = e.target_unchecked_into();
                    let c = WindowChoice::Custom {
                        duration: d.clone(),
                        anchor: i.value(),
                    };
                    ctx.dispatch(Action::SetWindow(c, browser::now_ms()));
                })
            };
            html! { <>
                <label>{ "Look back " }
                    <input type="text" size="5" value={d} data-testid="window-duration" onchange={on_duration}
                        title="A Kusto timespan: 24h, 7d, 90m" />
                </label>
                <label>{ " from (UTC; empty = newest event) " }
                    <input type="datetime-local" step="1" value={a} data-testid="window-anchor" onchange={on_anchor} />
                </label>
            </> }
        }
        _ => Html::default(),
    };
    let key = choice.key();
    let opt = |value: &'static str, label: &'static str| {
        html! { <option value={value} selected={key == value}>{ label }</option> }
    };
    html! {
        <div class="window" role="group" aria-label="Time window">
            <label>{ "Time window " }
                <select data-testid="window-select" onchange={on_mode}>
                    { opt("newest", "last 24h before the newest event (rule default)") }
                    { opt("now", "last 24h before now") }
                    { opt("custom", "custom") }
                    { opt("all", "all time") }
                </select>
            </label>
            { custom }
            if let Some(e) = error {
                <span class="error" role="alert" data-testid="window-error">{ e }</span>
            }
        </div>
    }
}

/// The toolbar.
#[function_component(Toolbar)]
pub fn toolbar() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let state = ctx.state();
    let chips = FLAGS.iter().enumerate().map(|(i, f)| {
        let on = state.spec.flags[i];
        let ctx = ctx.clone();
        let onclick = Callback::from(move |_: MouseEvent| ctx.dispatch(Action::ToggleFlag(i)));
        html! {
            <button type="button" class={classes!("chip", on.then_some("on"))} aria-pressed={on.to_string()}
                data-testid={format!("chip-{}", f.name)} title={f.meaning} {onclick}>{ f.name }</button>
        }
    });
    let exporter = |kind: export::Kind| {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| export::download(&ctx.state(), kind))
    };
    let on_raw = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let i: HtmlInputElement = e.target_unchecked_into();
            ctx.dispatch(Action::SetCsvRaw(i.checked()));
        })
    };
    let on_show_all = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.dispatch(Action::ShowAll))
    };
    let total = state.rows.len();
    let hidden = total - state.shown.len().min(total);
    let outside = if hidden > 0 {
        state.outside_window()
    } else {
        0
    };
    html! {
        <section class="toolbar" aria-label="Filters and export">
            { window_control(&ctx, &state.window_choice, state.window_error.as_ref()) }
            <p class="window-bounds" data-testid="window-bounds">
                { window::describe(&state.spec.window, state.spec.newest) }
            </p>
            <div class="chips" role="group" aria-label="Show only rows with these flags">{ for chips }</div>
            <super::why_chips::WhyChips />
            <super::search::SearchBox />
            <p class="count" aria-live="polite">
                <span data-testid="flagged-count">{ state.shown.len() }</span>
                { format!(" rows shown of {total} flagged") }
                if outside > 0 {
                    <span class="hidden-rows" data-testid="outside-window">
                        { format!(" ({outside} outside the time window)") }
                    </span>
                }
                if hidden > 0 {
                    { " " }
                    <button type="button" class="secondary" data-testid="show-all" onclick={on_show_all}
                        title="All time, no chip, no search">{ format!("Show all {total}") }</button>
                }
            </p>
            <div class="exports">
                <label class="raw-csv" title="Cells starting with = + - @ tab or CR are written with a leading ' so a spreadsheet cannot run them as formulas; tick for the exact text">
                    <input type="checkbox" data-testid="csv-raw" checked={state.csv_raw} onchange={on_raw} />
                    { "raw CSV (no formula neutralisation)" }
                </label>
                <button type="button" data-testid="export-csv" onclick={exporter(export::Kind::Csv)}
                    title="The rows shown as CSV, and their context (window, filters, files, rule version) beside it as cmdhunt-results.meta.json">{ "Export CSV" }</button>
                <button type="button" data-testid="export-json" onclick={exporter(export::Kind::Json)}
                    title="The rows shown and their context in one JSON document">{ "Export JSON" }</button>
                <button type="button" data-testid="export-xlsx" onclick={exporter(export::Kind::Xlsx)}
                    title="An Excel workbook: the rows shown (sheet Rows, every cell text) and their context (sheet Context)">{ "Export XLSX" }</button>
            </div>
        </section>
    }
}
