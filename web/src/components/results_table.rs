//! The results: a real `<table data-testid="results">` (with explicit ARIA
//! roles) of the 11 projected columns, sortable headers with `aria-sort`,
//! and virtual rendering (only the rows in view plus a margin are in the DOM;
//! spacer rows keep the scroll height), so 100,000 rows scroll smoothly.
//!
//! Kept cheap while rows stream in: the style sheet lays the table out as
//! flex rows of fixed height, each a containment box (no table algorithm,
//! new text re-lays out its own row only); the `<tr>`s are keyed by position
//! modulo the slice, so they are reused, never rebuilt; the component
//! re-renders only when [`crate::state::AppState::view_version`] moves.

use cmdhunt_core::display::display_safe;
use cmdhunt_core::hardened::{Detection, Mode};
use cmdhunt_core::rule::{FLAGS, PROJECTED_COLUMNS};
use cmdhunt_core::scan::FlaggedRow;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

use super::app::Ctx;
use super::breakable;
use crate::state::{Action, AppState};
use crate::text::BreakAt;
use crate::view::{visible_slice, Column};

/// Every row is this tall (CSS keeps cells on one line).
pub const ROW_HEIGHT: u32 = 30;
/// Rows rendered beyond the viewport, each side.
const OVERSCAN: usize = 2;
/// At most this many more rows than last time are rendered at once; the
/// rest follow in the next task. Creating a screenful of rows (the first
/// batch) is then spread over a few short tasks instead of one long one.
const NEW_ROWS_PER_RENDER: usize = 8;
/// Each column's class (`col-N`: its width in the style sheet).
const COL_CLASSES: [&str; 11] = [
    "col-0", "col-1", "col-2", "col-3", "col-4", "col-5", "col-6", "col-7", "col-8", "col-9",
    "col-10",
];
/// Viewport height assumed before the first scroll event.
const DEFAULT_VIEWPORT: f64 = 600.0;

fn header(ctx: &Ctx, col: usize) -> Html {
    let state = ctx.state();
    let column = Column(col);
    let sort = state.spec.sort;
    let aria = if sort.column == column {
        sort.direction.aria()
    } else {
        "none"
    };
    let arrow = match aria {
        "ascending" => " ▲",
        "descending" => " ▼",
        _ => "",
    };
    let onclick = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.dispatch(Action::SortBy(column)))
    };
    let title = column.flag().and_then(|f| FLAGS.get(f)).map(|f| f.meaning);
    html! {
        <th scope="col" role="columnheader" aria-sort={aria} class={COL_CLASSES[col]} {onclick} title={title}>
            <button type="button" class="sort">{ breakable(PROJECTED_COLUMNS[col], BreakAt::Words) }{ arrow }</button>
        </th>
    }
}

fn cell(row: &FlaggedRow, col: usize) -> Html {
    let column = Column(col);
    if let Some(f) = column.flag() {
        let on = row.verdict.flags.0[f];
        // The cell itself is the badge: one box less per flag to lay out.
        return html! {
            <td role="cell" class={classes!(COL_CLASSES[col], "flag", if on { "on" } else { "off" })}>
                { if on { "true" } else { "false" } }
            </td>
        };
    }
    // Shown with control and bidi characters escaped: a right-to-left
    // override cannot reverse what the analyst reads.
    let text = display_safe(&column.text(row));
    let inferred = col == 4 && row.event.parent_inferred;
    html! {
        <td role="cell" class={COL_CLASSES[col]} title={text.clone()}>
            { text }
            if inferred { <span class="inferred" title="inferred from an earlier event">{ " (inferred)" }</span> }
        </td>
    }
}

/// The Detection cell of a hardened-mode row: `parity` or `hardened`, a badge.
fn detection_cell(row: &FlaggedRow) -> Html {
    let name = row.detection.name();
    html! {
        <td role="cell" class={classes!("col-detection", "detection", name)} data-testid="detection"
            title={if row.detection == Detection::Hardened { "only the hardened rules flag it" } else { "the Sentinel rule returns it" }}>
            { name }
        </td>
    }
}

/// The "Suppressed by" cell: the allowlist entries that matched the row.
fn suppressed_cell(state: &AppState, index: usize) -> Html {
    let ids: Vec<&str> = state
        .suppressed_by
        .get(index)
        .and_then(Option::as_deref)
        .unwrap_or(&[])
        .iter()
        .filter_map(|&e| state.config.allowlist.entries.get(e as usize))
        .map(|e| e.id.as_str())
        .collect();
    let text = display_safe(&ids.join(", "));
    html! { <td role="cell" class="col-suppressed" data-testid="suppressed-by" title={text.clone()}>{ text }</td> }
}

/// The table's props: the store, and [`crate::state::AppState::view_version`]
/// (the only thing compared: progress messages do not re-render the table).
#[derive(Properties, Clone)]
pub struct ResultsTableProps {
    /// The store and workers.
    pub ctx: Ctx,
    /// The state's view version.
    pub view: u64,
}

impl PartialEq for ResultsTableProps {
    fn eq(&self, other: &Self) -> bool {
        self.view == other.view
    }
}

/// The results table.
#[function_component(ResultsTable)]
pub fn results_table(props: &ResultsTableProps) -> Html {
    let ctx = props.ctx.clone();
    let scroll = use_state(|| (0.0f64, DEFAULT_VIEWPORT));
    let onscroll = {
        let scroll = scroll.clone();
        Callback::from(move |e: Event| {
            let el: Element = e.target_unchecked_into();
            scroll.set((f64::from(el.scroll_top()), f64::from(el.client_height())));
        })
    };
    // How many rows were rendered last time: at most NEW_ROWS_PER_RENDER
    // more are rendered now, the rest in the next task (see the effect).
    let built = use_state(|| 0usize);
    let state = ctx.state();
    let total = state.shown.len();
    let hardened = state.config.mode == Mode::Hardened;
    let show_suppressed = state.spec.show_suppressed;
    let slice = visible_slice(scroll.0, scroll.1, ROW_HEIGHT, total, OVERSCAN);
    let want = slice.end - slice.start;
    let rendered = want.min(*built + NEW_ROWS_PER_RENDER);
    {
        let built = built.clone();
        use_effect_with(rendered, move |&rendered| {
            if rendered != *built {
                crate::browser::later(0, move || built.set(rendered));
            }
        });
    }
    // Keys are positions modulo the longest slice: every <tr> is reused,
    // whether rows stream in above (new text in the same <tr>s) or the
    // table scrolls (the <tr>s leaving one end come back at the other).
    let slots = visible_slice(0.0, scroll.1, ROW_HEIGHT, usize::MAX, OVERSCAN).end + OVERSCAN;
    let rows = state.shown.get(slice.start..slice.start + rendered).unwrap_or(&[]).iter().enumerate().filter_map(|(k, &i)| {
        let row = state.rows.get(i)?;
        let selected = state.selected == Some(i);
        let open = {
            let ctx = ctx.clone();
            Callback::from(move |_: MouseEvent| ctx.dispatch(Action::Select(Some(i))))
        };
        let key = {
            let ctx = ctx.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    ctx.dispatch(Action::Select(Some(i)));
                }
            })
        };
        let position = slice.start + k;
        Some(html! {
            <tr key={position % slots.max(1)} role="row" class={classes!("row", selected.then_some("selected"))} data-testid="result-row"
                aria-rowindex={(position + 2).to_string()} aria-selected={selected.to_string()}
                tabindex="0" onclick={open} onkeydown={key}>
                { for (0..PROJECTED_COLUMNS.len()).map(|c| cell(row, c)) }
                if hardened { { detection_cell(row) } }
                if show_suppressed { { suppressed_cell(&state, i) } }
            </tr>
        })
    });
    let spacer = |px: u32, name: &'static str| {
        (px > 0).then(|| html! {
            <tr class="spacer" aria-hidden="true" key={name}><td colspan="11" style={format!("height:{px}px")}></td></tr>
        })
    };
    html! {
        <section class="results" aria-label="Flagged rows">
            <div class="table-scroll" data-testid="results-scroll" {onscroll}>
                <table data-testid="results" role="table" aria-rowcount={(total + 1).to_string()}>
                    <thead role="rowgroup"><tr role="row">
                        { for (0..PROJECTED_COLUMNS.len()).map(|c| header(&ctx, c)) }
                        if hardened { <th scope="col" role="columnheader" class="col-detection">{ "Detection" }</th> }
                        if show_suppressed { <th scope="col" role="columnheader" class="col-suppressed">{ "Suppressed by" }</th> }
                    </tr></thead>
                    <tbody role="rowgroup">
                        { spacer(slice.top, "top") }
                        { for rows }
                        { spacer(slice.bottom + (want - rendered) as u32 * ROW_HEIGHT, "bottom") }
                    </tbody>
                </table>
                if total == 0 {
                    <p class="empty" data-testid="no-rows">
                        { state.empty_text() }
                    </p>
                }
            </div>
        </section>
    }
}
