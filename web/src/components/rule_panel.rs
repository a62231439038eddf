//! The rule as the page runs it, from the core's rule data: the KQL text
//! (the tuned query once the lists or the allowlist are edited, as
//! `cmdhunt rule --config FILE --as kql` writes it), what each flag means,
//! the lists in use, the hardened rules in words, the ATT&CK technique and
//! the known limits.

use cmdhunt_core::hardened::all_rules;
use cmdhunt_core::rule::{FALSE_POSITIVES, FLAGS, KQL_TEXT, TECHNIQUE, TECHNIQUE_URL, TITLE};
use cmdhunt_core::time::Timestamp;
use cmdhunt_core::tuning::kql;
use yew::prelude::*;

use super::app::Ctx;
use crate::browser;
use crate::window::timestamp_from_ms;

/// The rule section (`data-testid="rule"`).
#[function_component(RulePanel)]
pub fn rule_panel() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let state = ctx.state();
    let config = &state.config;
    let tuned = !config.lists_are_default() || !config.allowlist.entries.is_empty();
    let (kql_title, kql_text) = if tuned {
        let now = timestamp_now();
        (
            "The KQL, tuned (lists and allowlist below)",
            kql::render(config, now),
        )
    } else {
        ("The KQL, as published", KQL_TEXT.to_owned())
    };
    let list = |name: &'static str, items: &[String], testid: &'static str| {
        html! { <>
            <dt>{ name }{ format!(" ({})", items.len()) }</dt>
            <dd data-testid={testid}><code>{ items.join(", ") }</code></dd>
        </> }
    };
    html! {
        <section class="rule" data-testid="rule" aria-label="The rule">
            <h2>{ TITLE }</h2>
            <p>
                { "MITRE ATT&CK " }
                <a href={TECHNIQUE_URL} rel="noopener noreferrer" target="_blank" data-testid="attack-link">
                    { format!("{TECHNIQUE}: Command and Scripting Interpreter: Windows Command Shell") }
                </a>
            </p>
            <h3>{ "Flags" }</h3>
            <dl class="flags">
                { for FLAGS.iter().map(|f| html! { <>
                    <dt><span class="badge on">{ f.name }</span></dt>
                    <dd>{ f.meaning }{ ": " }<code>{ f.needles.join(", ") }</code></dd>
                </> }) }
            </dl>
            <h3>{ if config.lists_are_default() { "Lists (as published)" } else { "Lists (tuned)" } }</h3>
            <dl class="lists">
                { list("SuspiciousPatterns", &config.patterns, "rule-patterns") }
                { list("SuspiciousParents", &config.parents, "rule-parents") }
            </dl>
            <h3>{ "Known false positives and limits" }</h3>
            <ul>{ for FALSE_POSITIVES.iter().map(|t| html! { <li>{ *t }</li> }) }</ul>
            <details>
                <summary>{ kql_title }</summary>
                <pre class="kql" data-testid="kql">{ kql_text }</pre>
            </details>
            <details data-testid="hardened-rules">
                <summary>{ format!("Hardened rules ({}), run in hardened mode only", all_rules().count()) }</summary>
                <dl class="hardened-rules">
                    { for all_rules().map(|r| html! { <>
                        <dt data-testid="hardened-rule">{ r.name }{ format!(" ({}, {})", r.id, r.technique) }</dt>
                        <dd>
                            { r.why }
                            if let Some(g) = r.generalises { { format!(" Generalises the KQL's \"{g}\".") } }
                            if !r.tools.is_empty() { { format!(" Tools: {}.", r.tools.join(", ")) } }
                        </dd>
                    </> }) }
                </dl>
            </details>
        </section>
    }
}

/// The clock, for the exported rule's expiries.
pub fn timestamp_now() -> Timestamp {
    timestamp_from_ms(browser::now_ms())
}
