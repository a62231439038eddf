//! The search box ([`crate::query`]'s language): the text, and under it
//! either why it does not parse (the rows are then not filtered by it) or,
//! for a query with fields or exclusions, what it keeps, in words.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::app::Ctx;
use crate::query;
use crate::state::Action;

/// The search box.
#[function_component(SearchBox)]
pub fn search_box() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return Html::default();
    };
    let search = ctx.state().spec.search.clone();
    let on_search = {
        let ctx = ctx.clone();
        Callback::from(move |e: InputEvent| {
            let i: HtmlInputElement = e.target_unchecked_into();
            ctx.dispatch(Action::Search(i.value()));
        })
    };
    let (error, meaning) = match query::parse(&search) {
        Ok(q) => (None, query::describe(&q)),
        Err(e) => (Some(e.to_string()), None),
    };
    html! {
        <div class="search">
            <label>{ "Search " }
                <input type="search" data-testid="search" value={search} oninput={on_search}
                    aria-invalid={error.is_some().to_string()} aria-describedby="search-help"
                    placeholder="text, host:name, user=name, -word, cmd:\"reg add\"" />
            </label>
            <p id="search-help" class="search-help">
                if let Some(e) = error {
                    <span class="error" role="alert" data-testid="search-error">
                        { format!("{e}. The rows are not filtered by the search until it is fixed.") }
                    </span>
                } else if let Some(m) = meaning {
                    <span data-testid="search-meaning">{ m }</span>
                } else {
                    <span class="muted">
                        { "Words match the time, device, account, command lines, parent and file name; field:value, field=value (exact), -word. Fields: host, user, cmd, parent, parentcmd, time, file, pattern, matched, or a column name." }
                    </span>
                }
            </p>
        </div>
    }
}
