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

use yew::prelude::*;

use super::app::Ctx;
use crate::charts::range_text;

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
