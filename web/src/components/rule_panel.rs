//! The rule as the page runs it, from the core's rule data: the KQL text,
//! what each flag means, the ATT&CK technique and the known limits.

use cmdhunt_core::rule::{FALSE_POSITIVES, FLAGS, KQL_TEXT, TECHNIQUE, TECHNIQUE_URL, TITLE};
use yew::prelude::*;

/// The rule section (`data-testid="rule"`).
#[function_component(RulePanel)]
pub fn rule_panel() -> Html {
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
            <h3>{ "Known false positives and limits" }</h3>
            <ul>{ for FALSE_POSITIVES.iter().map(|t| html! { <li>{ *t }</li> }) }</ul>
            <details>
                <summary>{ "The KQL, as published" }</summary>
                <pre class="kql" data-testid="kql">{ KQL_TEXT }</pre>
            </details>
        </section>
    }
}
