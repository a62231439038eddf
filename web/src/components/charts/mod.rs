//! Pictures of the results, inline SVG drawn by Yew (no chart library, no
//! network): the data's time range in words, a timeline of the flagged rows
//! against every `cmd.exe` event (drag across it to set the time window),
//! and top-10 bars of hosts, accounts, parents and patterns (click one to
//! add its `field=value` term to the search box, again to remove it).
//!
//! What is drawn is computed in [`crate::charts`] (tested natively); the `cmd.exe`
//! times come from each file's [`FileSummary::shell_times`], which the
//! worker sends with its account.

pub mod bars;
pub mod timeline;

use std::rc::Rc;

use yew::prelude::*;

use super::app::Ctx;
use crate::charts::{charts_key, range_text, ChartsKey};
use crate::state::AppState;

/// A chart's data, `compute(state)`, computed again only when
/// [`ChartsKey::redraw`] says so (the same `Rc` otherwise, so a child
/// component given it skips its render); `None` without a context.
#[hook]
fn use_chart_data<T: 'static>(
    ctx: Option<&Ctx>,
    compute: impl FnOnce(&AppState) -> T,
) -> Option<Rc<T>> {
    let drawn = use_mut_ref(|| None::<(ChartsKey, f64, Rc<T>)>);
    let ctx = ctx?;
    let state = ctx.state();
    let key = charts_key(&state);
    let now = crate::browser::now_ms();
    let mut drawn = drawn.borrow_mut();
    let again = match drawn.as_ref() {
        Some((before, at, _)) => before.redraw(*at, &key, now),
        None => true,
    };
    if again {
        *drawn = Some((key, now, Rc::new(compute(&state))));
    }
    drawn.as_ref().map(|(_, _, data)| data.clone())
}

/// The charts section.
#[function_component(Charts)]
pub fn charts() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let text = range_text(&ctx.state());
    html! {
        <section class="charts" aria-label="Charts">
            <p class="time-range" data-testid="time-range">{ text }</p>
            <timeline::Timeline />
            <bars::TopBars />
        </section>
    }
}
