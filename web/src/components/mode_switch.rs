//! The mode switch (issue 11): Sentinel parity (the default) or hardened,
//! and, in hardened mode, the detection chips that filter parity and
//! hardened rows. Switching scans every file again (the page keeps their
//! `File` handles).

use cmdhunt_core::hardened::{describe_mode, Detection, Mode};
use yew::prelude::*;

use super::app::Ctx;
use crate::state::Action;

/// The switch (`data-testid="mode"`).
#[function_component(ModeSwitch)]
pub fn mode_switch() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let state = ctx.state();
    let mode = state.config.mode;
    let option = |m: Mode, label: &'static str| {
        let ctx = ctx.clone();
        let onchange = Callback::from(move |_: Event| ctx.dispatch(Action::SetMode(m)));
        html! {
            <label title={describe_mode(m)}>
                <input type="radio" name="mode" value={m.name()} checked={mode == m}
                    data-testid={format!("mode-{}", m.name())} {onchange} />
                { label }
            </label>
        }
    };
    let chips = (mode == Mode::Hardened).then(|| {
        let count = |d: Detection| state.rows.iter().filter(|r| r.detection == d).count();
        [Detection::Parity, Detection::Hardened]
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                let on = state.spec.detection[i];
                let ctx = ctx.clone();
                let onclick =
                    Callback::from(move |_: MouseEvent| ctx.dispatch(Action::ToggleDetection(i)));
                html! {
                    <button type="button" class={classes!("chip", "detection", d.name(), on.then_some("on"))}
                        aria-pressed={on.to_string()} data-testid={format!("chip-{}", d.name())} {onclick}>
                        { format!("{} ({})", d.name(), count(d)) }
                    </button>
                }
            })
            .collect::<Html>()
    });
    html! {
        <section class="mode" data-testid="mode" aria-label="Detection mode">
            <div role="radiogroup" aria-label="Mode">
                { "Mode: " }
                { option(Mode::Parity, "Sentinel parity") }
                { option(Mode::Hardened, "Hardened") }
            </div>
            <p class="mode-meaning" data-testid="mode-meaning">{ describe_mode(mode) }</p>
            if let Some(chips) = chips {
                <div class="chips" role="group" aria-label="Show only rows of this detection">{ chips }</div>
            }
        </section>
    }
}
