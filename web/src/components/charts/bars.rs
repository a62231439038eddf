//! Top-10 bars of the rows shown: hosts, accounts, parents and the
//! suspicious patterns that matched. Each bar is a button: a click adds its
//! `field=value` term to the search box (visible, editable there), a second
//! click removes it ([`crate::query::toggle_equals`]).

use std::rc::Rc;

use cmdhunt_core::display::display_safe;
use yew::prelude::*;

use crate::charts::{tops, BAR_CHARTS};
use crate::components::app::Ctx;
use crate::query::{self, Field, Op};
use crate::state::Action;

/// The bars.
#[function_component(TopBars)]
pub fn top_bars() -> Html {
    let ctx = use_context::<Ctx>();
    let data = super::use_chart_data(ctx.as_ref(), tops);
    let (Some(ctx), Some(data)) = (ctx, data) else {
        return Html::default();
    };
    let search = ctx.state().spec.search.clone();
    html! { <Bars {data} {search} {ctx} /> }
}

/// What the bars are drawn from.
#[derive(Properties)]
struct BarsProps {
    /// Per chart of [`BAR_CHARTS`], its top values and counts.
    data: Rc<Vec<Vec<(String, usize)>>>,
    /// The search box (which bars are pressed).
    search: String,
    /// For the clicks (its state and dispatch are the page's, whichever
    /// render it came from).
    ctx: Ctx,
}

impl PartialEq for BarsProps {
    /// The same data (`Rc`: [`super::use_chart_data`] keeps it while the
    /// charts are not drawn again) and search: no render.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.data, &other.data) && self.search == other.search
    }
}

/// The bars themselves, rendered only when their data or the search changed.
#[function_component(Bars)]
fn bars(props: &BarsProps) -> Html {
    let BarsProps { data, search, ctx } = props;
    let terms = query::parse(search).map(|q| q.terms).unwrap_or_default();
    let pressed = |field: Field, value: &str| {
        let lower = value.to_lowercase();
        terms
            .iter()
            .any(|t| !t.negated && t.field == Some(field) && t.op == Op::Equals && t.value == lower)
    };
    let charts = BAR_CHARTS.iter().zip(data.iter()).map(|((title, field), values)| {
        let field = *field;
        let max = values.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1) as f64;
        let bars = values.iter().map(|(value, n)| {
            let on = pressed(field, value);
            let onclick = {
                let (ctx, value) = (ctx.clone(), value.clone());
                Callback::from(move |_: MouseEvent| {
                    let text = query::toggle_equals(&ctx.state().spec.search, field, &value);
                    ctx.dispatch(Action::Search(text));
                })
            };
            let label = if value.is_empty() {
                "(empty)".to_owned()
            } else {
                display_safe(value)
            };
            let width = *n as f64 / max * 100.0;
            let hint = format!(
                "{}: {n} rows; click to {} {}",
                label,
                if on { "remove" } else { "add" },
                query::equals_term(field, value)
            );
            html! {
                <li>
                    <button type="button" class={classes!("bar", on.then_some("on"))} data-testid="bar"
                        data-field={field.alias()} data-value={value.clone()} aria-pressed={on.to_string()}
                        title={hint} {onclick}>
                        <span class="bar-label">{ label }</span>
                        <svg class="bar-track" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                            <rect x="0" y="0" width={format!("{width:.2}")} height="10" />
                        </svg>
                        <span class="bar-count" data-testid="bar-count">{ n.to_string() }</span>
                    </button>
                </li>
            }
        });
        html! {
            <div class="bars" data-testid={format!("bars-{}", field.alias())}>
                <h3>{ *title }</h3>
                if values.is_empty() {
                    <p class="muted">{ "none" }</p>
                } else {
                    <ol>{ for bars }</ol>
                }
            </div>
        }
    });
    html! {
        <div class="top-bars" role="group" aria-label="Top 10 of the rows shown; click a bar to filter">
            { for charts }
        </div>
    }
}
