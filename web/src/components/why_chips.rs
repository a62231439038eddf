//! The "why" chips in the toolbar ([`crate::why`]): one per suspicious
//! pattern present among the rows in the time window (with how many rows
//! have it), and "pattern only" / "parent only" (rows whose one reason is
//! of that kind). Pattern chips combine with "or"; an "only" chip narrows.

use cmdhunt_core::display::display_safe;
use cmdhunt_core::scan::FlaggedRow;
use yew::prelude::*;

use super::app::Ctx;
use crate::state::Action;
use crate::why::{names, only_counts, pattern_counts, Only, WhyAction};

/// The why chips.
#[function_component(WhyChips)]
pub fn why_chips() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let state = ctx.state();
    if state.rows.is_empty() {
        return Html::default();
    }
    let names = names(&state.config);
    let (spec, show) = (&state.spec, state.spec.show_suppressed);
    // The rows the counts are of: in the window, and kept (or suppressed,
    // when those are shown) by the allowlist.
    let (rows, suppressed) = (&state.rows, &state.suppressed_by);
    let in_view: Vec<&FlaggedRow> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            spec.window.admits(r.event.timestamp, spec.newest)
                && suppressed.get(*i).is_some_and(Option::is_some) == show
        })
        .map(|(_, r)| r)
        .collect();
    let counts = pattern_counts(in_view.iter().copied());
    let (pattern_only, parent_only) = only_counts(in_view.iter().copied());
    let chip = |on: bool,
                testid: String,
                label: String,
                title: String,
                action: WhyAction,
                extra: Option<(usize, String)>| {
        let ctx = ctx.clone();
        let onclick = Callback::from(move |_: MouseEvent| ctx.dispatch(Action::Why(action)));
        let (bit, name) = extra.map_or((None, None), |(b, n)| (Some(b.to_string()), Some(n)));
        html! {
            <button type="button" class={classes!("chip", "why", on.then_some("on"))} aria-pressed={on.to_string()}
                data-testid={testid} data-bit={bit} data-name={name} {title} {onclick}>{ label }</button>
        }
    };
    let patterns = counts.iter().filter_map(|&(bit, n)| {
        let name = names.pattern(bit)?;
        let shown = display_safe(name);
        Some(chip(
            spec.why.pattern_on(bit),
            "why-chip".into(),
            format!("{shown} ({n})"),
            format!("Rows whose command line has {shown}"),
            WhyAction::TogglePattern(bit),
            Some((bit, name.to_owned())),
        ))
    });
    let only = |kind: Only, testid: &str, what: &str, n: usize| {
        chip(
            spec.why.only == Some(kind),
            testid.into(),
            format!("{what} only ({n})"),
            format!("Rows flagged by a suspicious {what} and nothing else"),
            WhyAction::ToggleOnly(kind),
            None,
        )
    };
    html! {
        <div class="chips why-chips" role="group" aria-label="Show only rows matched for these reasons" data-testid="why-chips">
            { only(Only::Pattern, "why-only-pattern", "pattern", pattern_only) }
            { only(Only::Parent, "why-only-parent", "parent", parent_only) }
            { for patterns }
        </div>
    }
}
