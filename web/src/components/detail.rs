//! The detail panel of one row: where it came from, the command line with
//! the matched patterns marked (text pieces, never markup), what matched,
//! and every original field of the record.

use cmdhunt_core::display::display_safe;
use cmdhunt_core::hardened::{rules_in, Detection, Evasions, Mode};
use cmdhunt_core::matcher::CompiledRule;
use cmdhunt_core::rule::FLAGS;
use cmdhunt_core::scan::FlaggedRow;
use yew::prelude::*;

use super::app::Ctx;
use crate::highlight::shown_pieces;
use crate::state::Action;
use crate::text;

thread_local! {
    /// The rule, compiled once for highlighting.
    static RULE: CompiledRule = CompiledRule::new();
}

/// `text` with the needles `rule` matches marked (`rule`: the tuned rule,
/// `None` for the published one).
fn marked(text: &str, parent: bool, rule: Option<&CompiledRule>) -> Html {
    let spans_of = |r: &CompiledRule| {
        if parent {
            r.parent_spans(text)
        } else {
            r.pattern_spans(text)
        }
    };
    let spans = match rule {
        Some(r) => spans_of(r),
        None => RULE.with(spans_of),
    };
    // Escaped (control and bidi characters as `\u{..}`), the marks moved
    // with their characters.
    shown_pieces(text, &spans)
        .into_iter()
        .map(|p| {
            if p.matched {
                html! { <mark>{ p.text }</mark> }
            } else {
                html! { { p.text } }
            }
        })
        .collect::<Html>()
}

/// Why the row is here in hardened terms (`data-testid="detail-hardened"`):
/// its detection, the hardened rules that fired with their why, and the
/// obfuscations undone. Nothing in parity mode.
fn hardened_part(row: &FlaggedRow) -> Html {
    let hit = &row.hardened;
    let detection = match row.detection {
        Detection::Hardened => {
            "hardened: only the hardened rules flag it (the Sentinel rule misses it)"
        }
        Detection::Parity => "parity: the Sentinel rule returns it",
    };
    let evasions: Vec<&str> = Evasions::ALL
        .iter()
        .filter(|(e, _, _)| hit.evasions.0 & e.0 != 0)
        .map(|(_, _, words)| *words)
        .collect();
    html! {
        <div class="hardened" data-testid="detail-hardened">
            <p data-testid="detail-detection">{ "Detection: " }{ detection }</p>
            if hit.fired() {
                <h3>{ "Hardened rules that fired" }</h3>
                <ul data-testid="detail-rules">
                    { for rules_in(hit.rules).map(|r| html! {
                        <li><strong>{ r.name }</strong>{ format!(" ({}, {}): ", r.id, r.technique) }{ r.why }</li>
                    }) }
                </ul>
            }
            <p data-testid="detail-evasions">{ "Evasions undone: " }
                { if evasions.is_empty() { "none".to_owned() } else { evasions.join("; ") } }
            </p>
            if !hit.original_file_name.is_empty() {
                <p>{ "OriginalFileName: " }{ display_safe(&hit.original_file_name) }</p>
            }
        </div>
    }
}

/// The panel (`data-testid="detail"`), shown while a row is selected.
#[function_component(Detail)]
pub fn detail() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let state = ctx.state();
    let Some(row) = state.selected.and_then(|i| state.rows.get(i)) else {
        return Html::default();
    };
    let e = &row.event;
    let file = state
        .files
        .get(row.file as usize)
        .map_or("", |f| f.name.as_str());
    let close = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| {
            ctx.dispatch(Action::Select(None));
            crate::keyboard::return_focus();
        })
    };
    let flags: Vec<&str> = FLAGS
        .iter()
        .zip(row.verdict.flags.0)
        .filter(|(_, on)| *on)
        .map(|(f, _)| f.name)
        .collect();
    // Tuned lists mark and name their own needles (compiled for this panel only).
    let tuned = if state.config.lists_are_default() {
        None
    } else {
        state.config.compile().ok()
    };
    let matched: Vec<String> = match &tuned {
        Some(rule) => rule.matched(&row.verdict).map(str::to_owned).collect(),
        None => row.verdict.matched().map(str::to_owned).collect(),
    };
    let hardened_mode = state.config.mode == Mode::Hardened;
    let suppressed: Vec<String> = state
        .selected
        .and_then(|i| state.suppressed_by.get(i))
        .and_then(Option::as_deref)
        .unwrap_or(&[])
        .iter()
        .filter_map(|&e| state.config.allowlist.entries.get(e as usize))
        .map(|e| format!("{} ({})", e.id, e.reason))
        .collect();
    // The fields are parsed now, for this row only (they arrive unparsed).
    let fields = state
        .selected
        .map_or_else(|| Ok(Vec::new()), |i| state.row_fields(i));
    let fields = match fields {
        Ok(fields) => fields,
        Err(message) => vec![("error".to_owned(), message)],
    };
    html! {
        <aside class="detail" data-testid="detail" aria-label="Record detail" tabindex="-1"
            onkeydown={crate::keyboard::detail_keydown(&ctx)}>
            <div class="detail-head">
                <h2>{ "Record" }</h2>
                <button type="button" class="secondary" data-testid="detail-close" onclick={close}>{ "Close" }</button>
            </div>
            <p class="source" data-testid="detail-source">{ display_safe(&text::place(file, &row.position)) }</p>
            <h3>{ "ProcessCommandLine" }</h3>
            <pre class="cmdline" data-testid="detail-cmdline">{ marked(&e.process_command_line, false, tuned.as_ref()) }</pre>
            <h3>{ "InitiatingProcessFileName" }</h3>
            <pre class="cmdline" data-testid="detail-parent">
                { marked(&e.initiating_process_file_name, true, tuned.as_ref()) }
                if e.parent_inferred { { " (inferred from an earlier event)" } }
            </pre>
            <p>{ "Flags: " }{ if flags.is_empty() { "none (matched a suspicious pattern only)".to_string() } else { flags.join(", ") } }</p>
            <p data-testid="detail-matched">{ "Matched: " }{ matched.join(", ") }</p>
            if hardened_mode { { hardened_part(row) } }
            if !suppressed.is_empty() {
                <p class="suppressed" data-testid="detail-suppressed">{ "Suppressed by the allowlist: " }{ display_safe(&suppressed.join("; ")) }</p>
            }
            <crate::context_view::ProcessContextPanel />
            <h3>{ "Every field of the record" }</h3>
            <table class="fields" data-testid="detail-fields">
                <tbody>
                    { for fields.iter().map(|(k, v)| html! { <tr><th scope="row">{ display_safe(k) }</th><td>{ display_safe(v) }</td></tr> }) }
                </tbody>
            </table>
        </aside>
    }
}
