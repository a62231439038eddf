//! Tuning (issue 12): the allowlist editor with the seed's four presets
//! (off until ticked), per-entry counts and "show suppressed", the rule's
//! lists (add / remove), and the config itself: kept in `localStorage`,
//! exported and imported as a JSON file or a `#config=` link (the config
//! only, never event data; nothing is sent), and the tuned rule exported as
//! KQL or Sigma (the text `cmdhunt rule --config FILE --as kql|sigma` writes).
//!
//! Every edit is checked by the core's config reader ([`crate::tuning`]);
//! a refused one shows the core's error with its JSON path.

use cmdhunt_core::display::display_safe;
use cmdhunt_core::tuning::{kql, presets, sigma, Config, EntryStatus, Field, MatchKind};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::app::Ctx;
use super::rule_panel::timestamp_now;
use crate::browser;
use crate::state::Action;
use crate::tuning::{self, EntryForm, List};

/// Take `result` as the new config, or show why not.
pub fn take(ctx: &Ctx, result: Result<Config, String>) {
    match result {
        Ok(config) => ctx.dispatch(Action::SetConfig(Box::new(config), browser::now_ms())),
        Err(e) => ctx.dispatch(Action::ConfigError(Some(e))),
    }
}

fn value(node: &NodeRef) -> String {
    if let Some(i) = node.cast::<HtmlInputElement>() {
        i.value()
    } else if let Some(s) = node.cast::<HtmlSelectElement>() {
        s.value()
    } else {
        String::new()
    }
}

fn download(text: &str, name: &str, mime: &str) {
    if let Err(e) = browser::download(text, name, mime) {
        browser::show_banner(&format!("the export failed: {e:?}"));
    }
}

fn list_editor(ctx: &Ctx, config: &Config, list: List) -> Html {
    let (items, prefix) = match list {
        List::Patterns => (&config.patterns, "pattern"),
        List::Parents => (&config.parents, "parent"),
    };
    let input = NodeRef::default();
    let add = {
        let (ctx, input, config) = (ctx.clone(), input.clone(), config.clone());
        Callback::from(move |_: MouseEvent| {
            take(&ctx, tuning::add_to_list(&config, list, &value(&input)));
        })
    };
    html! {
        <div class="list-editor" data-testid={format!("{prefix}-list")}>
            <h4>{ list.key() }{ format!(" ({})", items.len()) }</h4>
            <ul>
                { for items.iter().enumerate().map(|(i, item)| {
                    let (ctx, config) = (ctx.clone(), config.clone());
                    let remove = Callback::from(move |_: MouseEvent| {
                        take(&ctx, tuning::remove_from_list(&config, list, i));
                    });
                    html! { <li><code>{ display_safe(item) }</code>{ " " }
                        <button type="button" class="secondary small" data-testid={format!("{prefix}-remove-{i}")}
                            title="Remove" onclick={remove}>{ "×" }</button></li> }
                }) }
            </ul>
            <input type="text" ref={input} data-testid={format!("{prefix}-new")} placeholder="add an entry" />
            <button type="button" data-testid={format!("{prefix}-add")} onclick={add}>{ "Add" }</button>
        </div>
    }
}

/// The tuning section (`data-testid="tuning"`).
#[function_component(TuningPanel)]
pub fn tuning_panel() -> Html {
    let form = [
        NodeRef::default(),
        NodeRef::default(),
        NodeRef::default(),
        NodeRef::default(),
        NodeRef::default(),
        NodeRef::default(),
    ];
    let link = use_state(String::new);
    // The presets' ids and reasons: `presets()` compiles their conditions
    // (regular expressions, 29 ms in wasm), once, not on every render.
    let preset_labels = use_memo((), |_| {
        presets()
            .into_iter()
            .map(|p| (p.id, p.reason))
            .collect::<Vec<_>>()
    });
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let state = ctx.state();
    let config = state.config.clone();
    let counts = state.allow_counts();
    let suppressed = state.suppressed_in_window();
    let show_suppressed = state.spec.show_suppressed;
    let now = state.now.unwrap_or(cmdhunt_core::time::Timestamp(i64::MIN));
    let error = state.config_error.clone();
    drop(state);

    let presets_html = preset_labels.iter().map(|(id, reason)| {
        let on = tuning::preset_on(&config, id);
        let (ctx, config, preset) = (ctx.clone(), config.clone(), id.clone());
        let onchange = Callback::from(move |e: Event| {
            let i: HtmlInputElement = e.target_unchecked_into();
            take(&ctx, tuning::set_preset(&config, &preset, i.checked()));
        });
        html! {
            <li><label title={reason.clone()}>
                <input type="checkbox" checked={on} data-testid={format!("preset-{id}")} {onchange} />
                { format!(" {id}: {reason}") }
            </label></li>
        }
    });
    let entries = config.allowlist.entries.iter().enumerate().map(|(i, e)| {
        let when: Vec<String> = e
            .when
            .iter()
            .map(|c| format!("{} {} {:?}", c.field.name(), c.kind.name(), c.value))
            .collect();
        let status = e.status(now);
        let (ctx1, config1) = (ctx.clone(), config.clone());
        let toggle = Callback::from(move |ev: Event| {
            let input: HtmlInputElement = ev.target_unchecked_into();
            take(&ctx1, tuning::set_enabled(&config1, i, input.checked()));
        });
        let (ctx2, config2) = (ctx.clone(), config.clone());
        let remove = Callback::from(move |_: MouseEvent| take(&ctx2, tuning::remove_entry(&config2, i)));
        html! {
            <tr data-testid="allow-entry" class={classes!((status != EntryStatus::Active).then_some("inactive"))}>
                <td><input type="checkbox" checked={e.enabled} onchange={toggle} title="enabled"
                    data-testid={format!("allow-enabled-{i}")} /></td>
                <td data-testid="allow-id">{ display_safe(&e.id) }</td>
                <td><code>{ display_safe(&when.join(" and ")) }</code></td>
                <td>{ display_safe(&e.reason) }</td>
                <td>{ e.expires.as_ref().map(|x| x.text.clone()).unwrap_or_default() }</td>
                <td data-testid="allow-status">{ status.to_string() }</td>
                <td data-testid="allow-count">{ counts.get(i).copied().unwrap_or(0) }</td>
                <td><button type="button" class="secondary small" data-testid={format!("allow-remove-{i}")}
                    onclick={remove}>{ "Remove" }</button></td>
            </tr>
        }
    });
    let add = {
        let (ctx, config, form) = (ctx.clone(), config.clone(), form.clone());
        Callback::from(move |_: MouseEvent| {
            let entry = EntryForm {
                id: value(&form[0]),
                field: value(&form[1]),
                kind: value(&form[2]),
                value: value(&form[3]),
                reason: value(&form[4]),
                expires: value(&form[5]),
            };
            take(&ctx, tuning::add_entry(&config, &entry));
        })
    };
    let on_show = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| ctx.dispatch(Action::ShowSuppressed(!show_suppressed)))
    };
    let export_config = {
        let config = config.clone();
        Callback::from(move |_: MouseEvent| {
            download(&config.to_json(), "cmdhunt-config.json", "application/json")
        })
    };
    let export_rule = |as_sigma: bool| {
        let config = config.clone();
        Callback::from(move |_: MouseEvent| {
            let now = timestamp_now();
            if as_sigma {
                download(
                    &sigma::render(&config, now),
                    "cmdhunt-rule.yml",
                    "application/yaml",
                );
            } else {
                download(&kql::render(&config, now), "cmdhunt-rule.kql", "text/plain");
            }
        })
    };
    let on_import = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let ctx = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let text = JsFuture::from(file.text()).await;
                let result = match text.ok().and_then(|t| t.as_string()) {
                    Some(text) => tuning::parse(&text),
                    None => Err(format!("the config file {} could not be read", file.name())),
                };
                take(&ctx, result);
            });
        })
    };
    let on_link = {
        let (config, link) = (config.clone(), link.clone());
        Callback::from(move |_: MouseEvent| {
            let hash = tuning::fragment(&config);
            if let Err(e) = browser::set_location_hash(&hash) {
                browser::show_banner(&format!("the link could not be set: {e:?}"));
            }
            link.set(hash);
        })
    };
    let on_reset = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| take(&ctx, Ok(Config::default())))
    };
    let fields = Field::ALL
        .iter()
        .map(|f| html! { <option value={f.name()}>{ f.name() }</option> });
    let kinds = MatchKind::ALL
        .iter()
        .map(|k| html! { <option value={k.name()}>{ k.name() }</option> });
    html! {
        <section class="tuning" data-testid="tuning" aria-label="Tuning">
            <h2>{ "Tuning" }</h2>
            if let Some(e) = error {
                <p class="error" role="alert" data-testid="config-error">{ display_safe(&e) }</p>
            }
            <h3>{ "Allowlist" }</h3>
            <p>
                <span data-testid="suppressed-count">{ suppressed }</span>
                { " rows in the time window suppressed (never dropped). " }
                <button type="button" class="secondary" data-testid="show-suppressed" aria-pressed={show_suppressed.to_string()}
                    onclick={on_show}>{ if show_suppressed { "Show kept rows" } else { "Show suppressed" } }</button>
            </p>
            <h4>{ "Presets (the seed's four false-positive classes; off until ticked)" }</h4>
            <ul class="presets">{ for presets_html }</ul>
            <table class="allowlist" data-testid="allowlist">
                <thead><tr>
                    <th>{ "On" }</th><th>{ "Id" }</th><th>{ "When" }</th><th>{ "Reason" }</th>
                    <th>{ "Expires" }</th><th>{ "Status" }</th><th>{ "Rows" }</th><th></th>
                </tr></thead>
                <tbody>{ for entries }</tbody>
            </table>
            <div class="allow-form" role="group" aria-label="New allowlist entry">
                <input type="text" ref={form[0].clone()} data-testid="allow-new-id" placeholder="id" size="12" />
                <select ref={form[1].clone()} data-testid="allow-new-field">{ for fields }</select>
                <select ref={form[2].clone()} data-testid="allow-new-kind">{ for kinds }</select>
                <input type="text" ref={form[3].clone()} data-testid="allow-new-value" placeholder="value or pattern" />
                <input type="text" ref={form[4].clone()} data-testid="allow-new-reason" placeholder="reason (required)" />
                <input type="text" ref={form[5].clone()} data-testid="allow-new-expires" placeholder="expires (optional, 2027-01-31T00:00:00Z)" size="22" />
                <button type="button" data-testid="allow-add" onclick={add}>{ "Add entry" }</button>
            </div>
            <h3>{ "The rule's lists" }</h3>
            { list_editor(&ctx, &config, List::Patterns) }
            { list_editor(&ctx, &config, List::Parents) }
            <h3>{ "Config" }</h3>
            <p class="config-actions">
                <button type="button" data-testid="export-config" onclick={export_config}>{ "Export config" }</button>
                <label class="import">{ "Import config " }
                    <input type="file" accept=".json,application/json" data-testid="import-config" onchange={on_import} />
                </label>
                <button type="button" data-testid="config-link" onclick={on_link}
                    title="Put the config (never any event) in this page's address, to bookmark or share">{ "Config as link" }</button>
                <button type="button" class="secondary" data-testid="reset-config" onclick={on_reset}>{ "Reset to the published rule" }</button>
                <button type="button" data-testid="export-kql" onclick={export_rule(false)}>{ "Export KQL" }</button>
                <button type="button" data-testid="export-sigma" onclick={export_rule(true)}>{ "Export Sigma" }</button>
            </p>
            if !link.is_empty() {
                <p class="config-link" data-testid="config-link-text"><code>{ (*link).clone() }</code></p>
            }
        </section>
    }
}

/// The config the page starts with: a `#config=` link first (then stored),
/// else the stored one; a bad one is reported and the published rule kept.
pub fn initial_config() -> Option<Result<Config, String>> {
    if let Some(from_link) = tuning::read_fragment(&browser::location_hash()) {
        return Some(from_link);
    }
    browser::storage_get(tuning::STORAGE_KEY).map(|text| {
        tuning::parse(&text).map_err(|e| format!("the stored config was not loaded: {e}"))
    })
}
