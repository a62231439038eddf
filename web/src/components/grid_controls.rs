//! The grid's controls above the table ([`crate::columns`]): "Group
//! identical" (with the number of groups), local time, wrap, and the column
//! chooser. The hidden columns and the local-time and wrap choices are read
//! from `localStorage` once and written back on every change, like the
//! tuning config.

use std::collections::BTreeSet;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::app::Ctx;
use crate::browser;
use crate::columns::{
    chooser_columns, offset_text, parse_hidden, parse_prefs, prefs_json, GridAction, PREFS_KEY,
    STORAGE_KEY,
};
use crate::state::Action;

/// The controls' props.
#[derive(Properties, Clone, PartialEq)]
pub struct GridControlsProps {
    /// How many groups the table shows, when it groups.
    pub groups: Option<usize>,
}

/// Keep the local-time and wrap choices after `action` in `localStorage`.
fn store_prefs(ctx: &Ctx, action: &GridAction) {
    let (mut local_time, mut wrap) = {
        let state = ctx.state();
        (state.grid.local_time, state.grid.wrap)
    };
    match action {
        GridAction::LocalTime(on) => local_time = *on,
        GridAction::Wrap(on) => wrap = *on,
        _ => return,
    }
    if let Err(e) = browser::storage_set(PREFS_KEY, &prefs_json(local_time, wrap)) {
        web_sys::console::warn_1(&e);
    }
}

/// A checkbox dispatching `make(checked)` (local time and wrap are kept).
fn toggle(
    ctx: &Ctx,
    testid: &'static str,
    checked: bool,
    label: Html,
    title: &'static str,
    make: fn(bool) -> GridAction,
) -> Html {
    let onchange = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let i: HtmlInputElement = e.target_unchecked_into();
            let action = make(i.checked());
            store_prefs(&ctx, &action);
            ctx.dispatch(Action::Grid(action));
        })
    };
    html! {
        <label class="grid-toggle" {title}>
            <input type="checkbox" data-testid={testid} {checked} {onchange} />
            { label }
        </label>
    }
}

/// The browser's offset from UTC now, as `UTC+HH:MM`.
fn offset_now() -> String {
    let east = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    format!("UTC{}", offset_text(east))
}

/// The grid's controls.
#[function_component(GridControls)]
pub fn grid_controls(props: &GridControlsProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    // The chooser's choice, once, from localStorage (a bad value is ignored
    // and replaced on the next change).
    {
        let ctx = ctx.clone();
        use_effect_with((), move |_| {
            if let Some(Ok(hidden)) = browser::storage_get(STORAGE_KEY).map(|t| parse_hidden(&t)) {
                ctx.dispatch(Action::Grid(GridAction::SetHidden(hidden)));
            }
            if let Some(Ok(prefs)) = browser::storage_get(PREFS_KEY).map(|t| parse_prefs(&t)) {
                ctx.dispatch(Action::Grid(prefs));
            }
        });
    }
    let state = ctx.state();
    let grid = &state.grid;
    let columns = chooser_columns().map(|name| {
        let shown = grid.shows(name);
        let onchange = {
            let ctx = ctx.clone();
            let hidden: BTreeSet<String> = grid.hidden.clone();
            Callback::from(move |_: Event| {
                let mut hidden = hidden.clone();
                if !hidden.remove(name) {
                    hidden.insert(name.to_owned());
                }
                let json = serde_json::to_string(&hidden).unwrap_or_else(|_| "[]".into());
                if let Err(e) = browser::storage_set(STORAGE_KEY, &json) {
                    web_sys::console::warn_1(&e);
                }
                ctx.dispatch(Action::Grid(GridAction::ToggleColumn(name.to_owned())));
            })
        };
        html! {
            <label class="column-choice">
                <input type="checkbox" data-testid={format!("column-{name}")} checked={shown} {onchange} />
                { name }
            </label>
        }
    });
    let hidden = grid.hidden.len();
    html! {
        <div class="grid-controls" role="group" aria-label="Table layout" data-testid="grid-controls">
            { toggle(&ctx, "group-toggle", grid.grouped, html! { <>{ "Group identical" }</> },
                "One line per identical device, account, command line and parent, with its count and first and last seen",
                GridAction::Group) }
            if let Some(n) = props.groups {
                <span class="group-total" data-testid="group-total">{ format!("{n} groups") }</span>
            }
            { toggle(&ctx, "local-time-toggle", grid.local_time, html! { <>{ format!("Local time ({})", offset_now()) }</> },
                "Times in this browser's time zone, with the offset; exports stay UTC",
                GridAction::LocalTime) }
            { toggle(&ctx, "wrap-toggle", grid.wrap, html! { <>{ "Wrap long cells" }</> },
                "Taller rows whose cells wrap instead of ending in …",
                GridAction::Wrap) }
            <details class="column-chooser" data-testid="column-chooser">
                <summary>{ if hidden == 0 { "Columns".to_owned() } else { format!("Columns ({hidden} hidden)") } }</summary>
                <div class="column-list">{ for columns }</div>
            </details>
        </div>
    }
}
