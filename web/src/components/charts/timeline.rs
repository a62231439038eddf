//! The timeline: per bin, every `cmd.exe` event (light) and the flagged rows
//! (dark) over the data's whole time range, the time window shaded on it.
//! Dragging across it sets a custom window ([`model::brush_window`], the
//! same `Action::SetWindow` as the window control).
//!
//! The flagged rows drawn are those the chips, search and allowlist choices
//! keep, whatever the window (the window is what the chart shows on top).

use std::rc::Rc;

use cmdhunt_core::histogram::width_ticks;
use cmdhunt_core::results::Window;
use cmdhunt_core::time::Duration;
use web_sys::Element;
use yew::prelude::*;

use crate::browser;
use crate::charts::{self as model, timeline_of, Timeline as Model};
use crate::components::app::Ctx;
use crate::state::Action;
use crate::window::span_text;

/// The SVG's drawing width and bar height (user units; it stretches to the page).
const W: f64 = 1000.0;
const H: f64 = 120.0;

/// The horizontal position (0..1) of a mouse event across the plot
/// (`plot`, the `<div>` the handlers are on). Nothing inside the plot takes
/// pointer events (style sheet), so the event's target is the div and
/// `offsetX` is in CSS pixels from its padding edge. (Not the event's
/// `currentTarget`: Yew delegates events, that is the page's root.)
fn fraction(e: &MouseEvent, plot: &NodeRef) -> Option<f64> {
    let plot: Element = plot.cast::<Element>()?;
    let width = f64::from(plot.client_width());
    (width > 0.0).then(|| (f64::from(e.offset_x()) / width).clamp(0.0, 1.0))
}

/// The bins of one drawn timeline: rendered again only for a new model
/// (the same `Rc` while [`super::use_chart_data`] keeps it), however often
/// the timeline around them renders.
#[derive(Properties)]
struct BinsProps {
    model: Rc<Model>,
}

impl PartialEq for BinsProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model)
    }
}

/// Per bin, a `<g>` of its two bars and their title (inside the `<svg>`).
#[function_component(Bins)]
fn bins(props: &BinsProps) -> Html {
    let m = &props.model;
    let n = m.bins.len().max(1) as f64;
    let bw = W / n;
    // Square-root heights: a few flagged rows stay visible beside thousands of events.
    let peak = (m.peak() as f64).sqrt();
    let height = |c: u64| (c as f64).sqrt() / peak * H;
    let bins = m.bins.iter().enumerate().map(|(k, b)| {
        let x = k as f64 * bw;
        let (ha, hf) = (height(b.all), height(b.flagged));
        let title = format!(
            "{}: {} flagged of {} cmd.exe events",
            b.start, b.flagged, b.all
        );
        html! {
            <g data-testid="tbin" data-start={b.start.0.to_string()}
                data-flagged={b.flagged.to_string()} data-all={b.all.to_string()}>
                <title>{ title }</title>
                <rect class="all" x={format!("{x:.2}")} y={format!("{:.2}", H - ha)}
                    width={format!("{:.2}", bw * 0.9)} height={format!("{ha:.2}")} />
                <rect class="flagged" x={format!("{x:.2}")} y={format!("{:.2}", H - hf)}
                    width={format!("{:.2}", bw * 0.9)} height={format!("{hf:.2}")} />
            </g>
        }
    });
    html! { { for bins } }
}

/// The timeline.
#[function_component(Timeline)]
pub fn timeline() -> Html {
    let ctx = use_context::<Ctx>();
    let drag = use_state(|| None::<(f64, f64)>);
    let plot = use_node_ref();
    let model = super::use_chart_data(ctx.as_ref(), |s| timeline_of(s).map(Rc::new));
    let (Some(ctx), Some(model)) = (ctx, model) else {
        return Html::default();
    };
    let Some(m) = model.as_ref().clone() else {
        return Html::default();
    };
    let state = ctx.state();
    // The time window, shaded.
    let window = match state.spec.window {
        Window::All => None,
        w => w.bounds(state.spec.newest).map(|(start, end)| {
            let a = m.fraction_of(start);
            let b = end.map_or(1.0, |e| m.fraction_of(e));
            (a, b.max(a))
        }),
    };
    let window_rect = window.filter(|(a, b)| b > a).map(|(a, b)| {
        html! {
            <rect class="window" data-testid="timeline-window" x={format!("{:.2}", a * W)} y="0"
                width={format!("{:.2}", (b - a) * W)} height={H.to_string()} />
        }
    });
    let brush_rect = drag.as_ref().map(|&(a, b)| {
        let (lo, hi) = (a.min(b), a.max(b));
        html! {
            <rect class="brush" x={format!("{:.2}", lo * W)} y="0"
                width={format!("{:.2}", (hi - lo) * W)} height={H.to_string()} />
        }
    });
    let on_down = {
        let (drag, plot) = (drag.clone(), plot.clone());
        Callback::from(move |e: MouseEvent| {
            if e.button() == 0 {
                if let Some(f) = fraction(&e, &plot) {
                    e.prevent_default();
                    drag.set(Some((f, f)));
                }
            }
        })
    };
    let on_move = {
        let (drag, plot) = (drag.clone(), plot.clone());
        Callback::from(move |e: MouseEvent| {
            if let (Some((a, _)), Some(f)) = (*drag, fraction(&e, &plot)) {
                drag.set(Some((a, f)));
            }
        })
    };
    let on_up = {
        let (drag, ctx, m, plot) = (drag.clone(), ctx.clone(), m.clone(), plot.clone());
        Callback::from(move |e: MouseEvent| {
            let Some((a, b)) = *drag else { return };
            drag.set(None);
            let b = fraction(&e, &plot).unwrap_or(b);
            // A click (no drag) sets nothing.
            if (a - b).abs() * W >= 2.0 {
                let choice = model::brush_window(m.time_at(a), m.time_at(b));
                ctx.dispatch(Action::SetWindow(choice, browser::now_ms()));
            }
        })
    };
    let on_leave = {
        let drag = drag.clone();
        Callback::from(move |_: MouseEvent| drag.set(None))
    };
    let (start, end) = m.span();
    let all: u64 = m.bins.iter().map(|b| b.all).sum::<u64>() + m.all_untimed;
    let flagged: u64 = m.bins.iter().map(|b| b.flagged).sum::<u64>() + m.flagged_untimed;
    let untimed = (m.all_untimed > 0 || m.flagged_untimed > 0).then(|| {
        format!(
            " Without a time (not drawn): {} cmd.exe events, {} flagged rows.",
            m.all_untimed, m.flagged_untimed
        )
    });
    html! {
        <figure class="timeline" data-testid="timeline">
            <figcaption>
                <span data-testid="timeline-total">
                    { format!("{flagged} flagged rows (dark) among {all} cmd.exe events (light)") }
                </span>
                { format!(", one bar per {}; heights are square roots of the counts. Drag across the chart to set the time window.",
                    span_text(Duration(width_ticks(m.level)))) }
                { untimed.unwrap_or_default() }
            </figcaption>
            <div class="timeline-plot" data-testid="timeline-plot" role="img" ref={plot.clone()}
                aria-label="Flagged rows and cmd.exe events over time; drag to set the time window"
                onmousedown={on_down} onmousemove={on_move} onmouseup={on_up} onmouseleave={on_leave}>
                <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" aria-hidden="true">
                    <Bins model={m.clone()} />
                    { for window_rect }
                    { for brush_rect }
                </svg>
            </div>
            <div class="timeline-axis">
                <span data-testid="timeline-start">{ start.to_string() }</span>
                <span data-testid="timeline-end">{ end.to_string() }</span>
            </div>
        </figure>
    }
}
