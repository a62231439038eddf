//! "Validate against the seed's tests" (issue 12, item 5): the rule's four
//! Atomic Red Team tests judged on the dropped telemetry, the table
//! `cmdhunt validate` prints, built by [`crate::validation::of_state`].
//! Every text from the files is shown through [`display_safe`].

use cmdhunt_core::display::display_safe;
use cmdhunt_core::validation::{Report, TestReport};
use yew::prelude::*;

use super::app::Ctx;
use crate::state::Action;
use crate::validation;

/// One test's table: each expected signal, then the rule's verdict.
fn test_view(t: &TestReport) -> Html {
    let signals = t
        .signals
        .iter()
        .map(|s| {
            let (mark, class) = if s.present {
                ("yes", "present")
            } else {
                ("NO", "absent")
            };
            let first = s.first.as_ref().map(|e| display_safe(&e.to_string()));
            let close = s.note.as_deref().map(display_safe);
            html! {
                <tr data-testid="vsignal" class={class}>
                    <td class="vmark" data-testid="vmark">{ mark }</td>
                    <td data-testid="vexpected">{ s.expected }</td>
                    <td class="num" data-testid="vcount">{ s.count }</td>
                    <td class="vevidence">
                        if let Some(first) = first {
                            <div>{ "first: " }<span data-testid="vfirst">{ first }</span></div>
                        }
                        if let Some(close) = close {
                            <div>{ "close: " }<span data-testid="vclose">{ close }</span></div>
                        }
                    </td>
                </tr>
            }
        })
        .collect::<Html>();
    let r = &t.rule;
    let suppressed = if r.suppressed > 0 {
        format!(" ({} more suppressed by the allowlist)", r.suppressed)
    } else {
        String::new()
    };
    let verdict = if r.fired {
        format!("{} fired on {} rows{suppressed}", r.flag, r.rows)
    } else {
        format!(
            "{} did not fire: {}",
            r.flag,
            display_safe(r.reason.as_deref().unwrap_or(""))
        )
    };
    let first = r
        .first
        .as_ref()
        .map(|e| display_safe(&e.to_string()))
        .filter(|_| r.fired);
    html! {
        <div class="vtest" data-testid={format!("vtest-{}", t.test.number)}>
            <h3>{ format!("Test {}: {}", t.test.number, t.test.name) }</h3>
            <table class="vsignals">
                <thead><tr><th>{ "" }</th><th>{ "expected signal" }</th><th>{ "events" }</th><th>{ "evidence" }</th></tr></thead>
                <tbody>{ signals }</tbody>
            </table>
            <p class={classes!("vrule", if r.fired { "fired" } else { "missed" })}>
                { "rule: " }<span data-testid="vrule">{ verdict }</span>
                if let Some(first) = first {
                    <br />{ "first: " }<span data-testid="vrule-first">{ first }</span>
                }
            </p>
        </div>
    }
}

fn report_view(report: &Report, names: &[String]) -> Html {
    let files = names
        .iter()
        .enumerate()
        .map(|(i, n)| html! { <li>{ format!("file {i}: {}", display_safe(n)) }</li> })
        .collect::<Html>();
    let tests = report.tests.iter().map(test_view).collect::<Html>();
    html! {
        <>
            <ul class="vfiles" data-testid="validation-files">{ files }</ul>
            { tests }
            <details>
                <summary>{ "The same as JSON (cmdhunt validate --format json)" }</summary>
                <pre data-testid="validation-json">{ display_safe(&report.to_json(names)) }</pre>
            </details>
        </>
    }
}

/// The section (`data-testid="validation"`): a switch, then the table.
#[function_component(ValidationPanel)]
pub fn validation_panel() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let (on, view) = {
        let state = ctx.state();
        (state.validate, validation::of_state(&state))
    };
    let onchange = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let checked = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .is_some_and(|i| i.checked());
            ctx.dispatch(Action::SetValidate(checked));
        })
    };
    let body = view.map(|v| {
        let left_out = v
            .left_out
            .iter()
            .map(|(n, why)| html! { <li>{ format!("{}: {}", display_safe(n), display_safe(why)) }</li> })
            .collect::<Html>();
        let table = match &v.report {
            Ok(report) if !v.names.is_empty() => report_view(report, &v.names),
            Ok(_) => html! { <p>{ "No file validated yet: drop the tests' telemetry (Sysmon, Security, Defender exports)." }</p> },
            Err(e) => html! { <p class="error" data-testid="validation-error">{ display_safe(e) }</p> },
        };
        html! {
            <>
                if !v.left_out.is_empty() {
                    <div class="vleft" data-testid="validation-left-out">
                        { "Not in the table:" }<ul>{ left_out }</ul>
                    </div>
                }
                { table }
            </>
        }
    });
    html! {
        <section class="validation" data-testid="validation" aria-label="Validation against the seed's tests">
            <h2>{ "Validate against the seed's tests" }</h2>
            <label>
                <input type="checkbox" checked={on} data-testid="validate-toggle" {onchange} />
                { " For the rule's four Atomic Red Team tests, show whether each expected signal is in the dropped files and whether the rule fired (each file is read again; no time window)." }
            </label>
            { body.unwrap_or_default() }
        </section>
    }
}
