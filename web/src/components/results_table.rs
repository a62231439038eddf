//! The results: a real `<table data-testid="results">` (with explicit ARIA
//! roles) of the 11 projected columns and `Matched` (why the row is here,
//! [`crate::why`]), sortable headers with `aria-sort`, and virtual rendering
//! (only the rows in view plus a margin are in the DOM; spacer rows keep the
//! scroll height), so 100,000 rows scroll smoothly.
//!
//! Above it, the grid's controls ([`super::grid_controls`]): "Group
//! identical" turns the lines into groups of identical rows
//! ([`crate::grouping`]; a group line opens to its rows on click or Enter),
//! local time, wrap, and the column chooser. Cells not of the projection
//! (`Matched`, a group's count and first-seen) carry `data-extra`.
//!
//! Kept cheap while rows stream in: the style sheet lays the table out as
//! flex rows of fixed height, each a containment box (no table algorithm,
//! new text re-lays out its own row only); the `<tr>`s are keyed by position
//! modulo the slice, so they are reused, never rebuilt; the component
//! re-renders only when [`crate::state::AppState::view_version`] moves.

use cmdhunt_core::display::display_safe;
use cmdhunt_core::grouping::Group;
use cmdhunt_core::hardened::{Detection, Mode};
use cmdhunt_core::rule::{FLAGS, PROJECTED_COLUMNS};
use cmdhunt_core::scan::FlaggedRow;
use cmdhunt_core::time::Timestamp;
use cmdhunt_core::why::Names;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

use super::app::Ctx;
use super::breakable;
use super::grid_controls::GridControls;
use crate::columns::{self, Grid, GridAction, MATCHED};
use crate::grouping::{owned_key, Grouped, Line};
use crate::keyboard::{use_row_keys, RowKeys};
use crate::state::{Action, AppState};
use crate::text::BreakAt;
use crate::view::{visible_slice, Column};

/// Every row is this tall (CSS keeps cells on one line) unless cells wrap
/// ([`columns::WRAP_ROW_HEIGHT`]).
pub const ROW_HEIGHT: u32 = columns::ROW_HEIGHT;
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
/// The command line's least width (CSS pixels) the table's own minimum
/// width leaves it; the cell itself never goes below `24ch` (style sheet).
const COMMAND_LINE_MIN_PX: f64 = 190.0;

/// Fixed widths (px) and shares (%) of the columns, as the style sheet
/// sets them, for the table's minimum width.
fn column_width(col: usize) -> (f64, f64) {
    match col {
        0 => (232.0, 0.0),
        1 => (0.0, 9.0),
        2 => (0.0, 7.5),
        3 => (COMMAND_LINE_MIN_PX, 0.0),
        4 => (0.0, 8.5),
        5 => (0.0, 13.0),
        _ => (50.0, 0.0),
    }
}

/// The table's least width: wide enough that the command line keeps
/// [`COMMAND_LINE_MIN_PX`] beside every other shown column; below it the
/// table scrolls sideways (a detail panel open beside it, a narrow window).
fn min_table_width(cols: &[usize], extra_px: f64) -> String {
    let (fixed, share) = cols
        .iter()
        .map(|&c| column_width(c))
        .fold((extra_px, 0.0), |(f, s), (w, p)| (f + w, s + p));
    format!("{:.0}px", fixed / (1.0 - share / 100.0))
}

/// A time as the grid shows it: the core's RFC 3339 UTC text, or in the
/// browser's time zone with its offset.
fn time_text(ts: Option<Timestamp>, local: bool) -> String {
    match ts {
        Some(t) if local => {
            let date = js_sys::Date::new(&columns::unix_ms(t).into());
            // getTimezoneOffset is minutes *behind* UTC.
            let east = -(date.get_timezone_offset() as i32);
            columns::local_text(t, east)
        }
        Some(t) => t.to_string(),
        None => String::new(),
    }
}

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

fn cell(row: &FlaggedRow, col: usize, grid: &Grid) -> Html {
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
    if col == 0 && grid.local_time {
        let utc = time_text(row.event.timestamp, false);
        return html! {
            <td role="cell" class={classes!(COL_CLASSES[0], "local")} title={format!("{utc} (UTC)")}>
                { time_text(row.event.timestamp, true) }
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

/// The `Matched` cell: the patterns, parent and hardened rules that put the
/// row here ([`cmdhunt_core::why::Why::text`]), escaped for the screen.
fn matched_cell(names: &Names<'_>, row: &FlaggedRow) -> Html {
    let text = display_safe(&crate::why::matched_text(names, row));
    html! {
        <td role="cell" class="col-matched" data-extra="matched" data-testid="matched" title={text.clone()}>{ text }</td>
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

/// What every line of the table needs to render its cells.
struct Cells<'a> {
    state: &'a AppState,
    names: Names<'a>,
    /// The projected columns shown, in order.
    cols: Vec<usize>,
    matched: bool,
    hardened: bool,
    show_suppressed: bool,
}

impl Cells<'_> {
    /// The cells of row `i` after the leading ones (projection, Matched,
    /// Detection, Suppressed by); `first` replaces the Timestamp cell.
    fn of(&self, i: usize, row: &FlaggedRow, first: Option<Html>) -> Html {
        let grid = &self.state.grid;
        let mut first = first;
        html! { <>
            { for self.cols.iter().map(|&c| match (c, first.take()) {
                (0, Some(cell0)) => cell0,
                _ => cell(row, c, grid),
            }) }
            if self.matched { { matched_cell(&self.names, row) } }
            if self.hardened { { detection_cell(row) } }
            if self.show_suppressed { { suppressed_cell(self.state, i) } }
        </> }
    }
}

/// A group's line (`data-testid="group-row"`): its count, first and last
/// seen (in the Timestamp column), and its first row's cells; click or
/// Enter opens or closes it.
fn group_line(
    ctx: &Ctx,
    keys: &RowKeys,
    cells: &Cells<'_>,
    group: &Group,
    position: usize,
    key: usize,
    open: bool,
) -> Option<Html> {
    let head = group.head();
    let row = cells.state.rows.get(head)?;
    let local = cells.state.grid.local_time;
    let toggle = {
        let (ctx, k) = (ctx.clone(), owned_key(row));
        Callback::from(move |_: MouseEvent| {
            ctx.dispatch(Action::Grid(GridAction::ToggleGroup(k.clone())))
        })
    };
    let keydown = {
        let (ctx, k) = (ctx.clone(), owned_key(row));
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                ctx.dispatch(Action::Grid(GridAction::ToggleGroup(k.clone())));
            }
        })
    };
    let last = html! {
        <td role="cell" class={classes!(COL_CLASSES[0], "group-last")} data-testid="group-last" title="last seen">
            { time_text(group.last, local) }
        </td>
    };
    let count = group.count();
    Some(html! {
        <tr key={key} role="row" class={classes!("row", "group", open.then_some("open"))} data-testid="group-row"
            aria-rowindex={(position + 2).to_string()} aria-expanded={open.to_string()} tabindex={keys.tabindex(position)}
            data-count={count.to_string()} onclick={toggle} onkeydown={keys.keydown(ctx, position, false, keydown)}
            onfocus={keys.onfocus(position)}
            title={format!("{count} identical rows: click or Enter to {}", if open { "close" } else { "open" })}>
            <td role="cell" class="col-count" data-extra="count" data-testid="group-count">
                <span aria-hidden="true">{ if open { "▾ " } else { "▸ " } }</span>{ count }
            </td>
            <td role="cell" class="col-first" data-extra="first" data-testid="group-first" title="first seen">
                { time_text(group.first, local) }
            </td>
            { cells.of(head, row, Some(last)) }
        </tr>
    })
}

/// A row's line (`data-testid="result-row"`); in a grouped table it is a
/// member of an open group, after two empty leading cells.
fn row_line(
    ctx: &Ctx,
    keys: &RowKeys,
    cells: &Cells<'_>,
    i: usize,
    position: usize,
    key: usize,
    grouped: bool,
) -> Option<Html> {
    let row = cells.state.rows.get(i)?;
    let selected = cells.state.selected == Some(i);
    let open = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.dispatch(Action::Select(Some(i))))
    };
    let keydown = {
        let ctx = ctx.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                ctx.dispatch(Action::Select(Some(i)));
            }
        })
    };
    Some(html! {
        <tr key={key} role="row" class={classes!("row", grouped.then_some("member"), selected.then_some("selected"))} data-testid="result-row"
            aria-rowindex={(position + 2).to_string()} aria-selected={selected.to_string()}
            tabindex={keys.tabindex(position)} onclick={open} onkeydown={keys.keydown(ctx, position, true, keydown)}
            onfocus={keys.onfocus(position)}>
            if grouped {
                <td role="cell" class="col-count" data-extra="count"></td>
                <td role="cell" class="col-first" data-extra="first"></td>
            }
            { cells.of(i, row, None) }
        </tr>
    })
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
    let grid = &state.grid;
    // The groups of the rows shown, rebuilt when the view changes.
    let grouped = use_memo((props.view, grid.grouped), |_| {
        grid.grouped
            .then(|| Grouped::new(&state.rows, &state.shown, &grid.expanded))
    });
    let grouped = grouped.as_ref().as_ref().filter(|_| grid.grouped);
    let total = grouped.map_or(state.shown.len(), |g| g.lines.len());
    let row_height = grid.row_height();
    let cells = Cells {
        state: &state,
        names: crate::why::names(&state.config),
        cols: (0..PROJECTED_COLUMNS.len())
            .filter(|&c| grid.shows(PROJECTED_COLUMNS[c]))
            .collect(),
        matched: grid.shows(MATCHED),
        hardened: state.config.mode == Mode::Hardened,
        show_suppressed: state.spec.show_suppressed,
    };
    let slice = visible_slice(scroll.0, scroll.1, row_height, total, OVERSCAN);
    let want = slice.end - slice.start;
    let rendered = want.min(*built + NEW_ROWS_PER_RENDER);
    let keys = use_row_keys(
        total,
        slice.start..slice.start + rendered,
        row_height,
        scroll.1,
    );
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
    let slots = visible_slice(0.0, scroll.1, row_height, usize::MAX, OVERSCAN).end + OVERSCAN;
    let lines = (slice.start..slice.start + rendered).filter_map(|position| {
        let key = position % slots.max(1);
        match grouped {
            None => {
                let &i = state.shown.get(position)?;
                row_line(&ctx, &keys, &cells, i, position, key, false)
            }
            Some(g) => match *g.lines.get(position)? {
                Line::Group(n) => {
                    let group = g.groups.get(n)?;
                    let open = grid
                        .expanded
                        .contains(&owned_key(state.rows.get(group.head())?));
                    group_line(&ctx, &keys, &cells, group, position, key, open)
                }
                Line::Member { row, .. } => row_line(&ctx, &keys, &cells, row, position, key, true),
            },
        }
    });
    let columns_shown = cells.cols.len()
        + usize::from(cells.matched)
        + usize::from(cells.hardened)
        + usize::from(cells.show_suppressed)
        + if grouped.is_some() { 2 } else { 0 };
    let spacer = |px: u32, name: &'static str| {
        (px > 0).then(|| html! {
            <tr class="spacer" aria-hidden="true" key={name}><td colspan={columns_shown.to_string()} style={format!("height:{px}px")}></td></tr>
        })
    };
    let extra_px = if cells.matched { 180.0 } else { 0.0 }
        + if cells.hardened { 80.0 } else { 0.0 }
        + if cells.show_suppressed { 140.0 } else { 0.0 }
        + if grouped.is_some() { 64.0 + 232.0 } else { 0.0 };
    let style = format!(
        "--row:{row_height}px;--table-min:{}",
        min_table_width(&cells.cols, extra_px)
    );
    let table_class = classes!(
        grid.wrap.then_some("wrap"),
        grid.grouped.then_some("grouped")
    );
    html! {
        <section class="results" aria-label="Flagged rows">
            <GridControls groups={grouped.map(|g| g.groups.len())} />
            <div class="table-scroll" data-testid="results-scroll" {onscroll}>
                <table data-testid="results" role="table" class={table_class} {style} aria-rowcount={(total + 1).to_string()}>
                    <thead role="rowgroup"><tr role="row">
                        if grouped.is_some() {
                            <th scope="col" role="columnheader" class="col-count" data-extra="count">{ "Count" }</th>
                            <th scope="col" role="columnheader" class="col-first" data-extra="first">{ "First seen" }</th>
                        }
                        { for cells.cols.iter().map(|&c| header(&ctx, c)) }
                        if cells.matched {
                            <th scope="col" role="columnheader" class="col-matched" data-extra="matched"
                                title="Why the row is here: the suspicious patterns, the parent and (hardened mode) the rules that fired">{ MATCHED }</th>
                        }
                        if cells.hardened { <th scope="col" role="columnheader" class="col-detection">{ "Detection" }</th> }
                        if cells.show_suppressed { <th scope="col" role="columnheader" class="col-suppressed">{ "Suppressed by" }</th> }
                    </tr></thead>
                    <tbody role="rowgroup">
                        { spacer(slice.top, "top") }
                        { for lines }
                        { spacer(slice.bottom + (want - rendered) as u32 * row_height, "bottom") }
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
