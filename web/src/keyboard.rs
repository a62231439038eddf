//! The results table and the detail panel from the keyboard (issue 13,
//! item 6), as the WAI-ARIA grid pattern has it:
//!
//! - the table is **one tab stop**: one row has `tabindex="0"` (the current
//!   row: the last one focused or moved to), every other `-1` (a roving
//!   tabindex); when the current row is scrolled out of the virtual table,
//!   the first row rendered takes the stop;
//! - **Up/Down** move to the previous/next row, **PageUp/PageDown** by a
//!   screenful, **Home/End** to the first/last row, scrolling the virtual
//!   table so the row is rendered, then focusing it;
//! - **Enter** (or Space) on a row opens its detail panel (the row's own
//!   handler), and focus moves into the panel; **Escape** in the panel or
//!   on the row closes it, and focus is back on the row it was opened from.
//!
//! The pure part (which row a key leads to, which row holds the tab stop)
//! is [`target`] and [`tab_stop`], tested natively; the rest moves focus.

use std::ops::Range;

/// The position a navigation `key` leads to from `position` in a table of
/// `total` rows with `page` rows per screen; `None` for any other key (or
/// an empty table).
pub fn target(key: &str, position: usize, total: usize, page: usize) -> Option<usize> {
    let last = total.checked_sub(1)?;
    let page = page.max(1);
    let to = match key {
        "ArrowDown" | "Down" => position.saturating_add(1),
        "ArrowUp" | "Up" => position.saturating_sub(1),
        "PageDown" => position.saturating_add(page),
        "PageUp" => position.saturating_sub(page),
        "Home" => 0,
        "End" => last,
        _ => return None,
    };
    Some(to.min(last))
}

/// The position that holds the table's tab stop: `current` when it is among
/// the `rendered` positions, else the first rendered one.
pub fn tab_stop(current: usize, rendered: &Range<usize>) -> usize {
    if rendered.contains(&current) {
        current
    } else {
        rendered.start
    }
}

#[cfg(target_arch = "wasm32")]
pub use dom::{detail_keydown, return_focus, use_row_keys, RowKeys};

/// The browser side: focus, scrolling, the rows' callbacks.
#[cfg(target_arch = "wasm32")]
mod dom {
    use std::cell::Cell;
    use std::ops::Range;

    use super::{tab_stop, target};

    use wasm_bindgen::JsCast;
    use web_sys::{HtmlElement, KeyboardEvent};
    use yew::prelude::*;

    use crate::components::app::Ctx;
    use crate::state::Action;

    thread_local! {
        /// The current row's position (display order), for focus to return to.
        static CURRENT: Cell<usize> = const { Cell::new(0) };
        /// The table's row height in px (the last render's).
        static ROW_HEIGHT: Cell<u32> = const { Cell::new(30) };
    }

    /// What the results table's rows need for the keyboard: see [`use_row_keys`].
    #[derive(Clone)]
    pub struct RowKeys {
        current: UseStateHandle<usize>,
        stop: usize,
        total: usize,
        page: usize,
        row_height: u32,
    }

    /// The keyboard state of the results table: `total` lines, the positions
    /// `rendered` now, `row_height` px each, `viewport` px of scroller height.
    #[hook]
    pub fn use_row_keys(
        total: usize,
        rendered: Range<usize>,
        row_height: u32,
        viewport: f64,
    ) -> RowKeys {
        let current = use_state(|| 0usize);
        let clamped = (*current).min(total.saturating_sub(1));
        CURRENT.with(|c| c.set(clamped));
        ROW_HEIGHT.with(|h| h.set(row_height.max(1)));
        let page = ((viewport / f64::from(row_height.max(1))) as usize).saturating_sub(1);
        RowKeys {
            stop: tab_stop(clamped, &rendered),
            current,
            total,
            page,
            row_height,
        }
    }

    impl RowKeys {
        /// The `tabindex` of the line at `position`: `"0"` for the tab stop, else `"-1"`.
        pub fn tabindex(&self, position: usize) -> &'static str {
            if position == self.stop {
                "0"
            } else {
                "-1"
            }
        }

        /// The line at `position` got focus (a click, Tab): it becomes current.
        pub fn onfocus(&self, position: usize) -> Callback<FocusEvent> {
            let current = self.current.clone();
            Callback::from(move |_: FocusEvent| {
                if *current != position {
                    current.set(position);
                }
                CURRENT.with(|c| c.set(position));
            })
        }

        /// The line's keydown: navigation keys move focus; Escape closes the
        /// detail panel (focus stays on the row); anything else goes to `own`
        /// (the line's Enter/Space). Enter on a result row (`detail_on_enter`)
        /// then moves focus into the detail panel it opened.
        pub fn keydown(
            &self,
            ctx: &Ctx,
            position: usize,
            detail_on_enter: bool,
            own: Callback<KeyboardEvent>,
        ) -> Callback<KeyboardEvent> {
            let (current, total, page) = (self.current.clone(), self.total, self.page);
            let row_height = self.row_height;
            let ctx = ctx.clone();
            Callback::from(move |e: KeyboardEvent| {
                let key = e.key();
                if let Some(to) = target(&key, position, total, page) {
                    e.prevent_default();
                    current.set(to);
                    CURRENT.with(|c| c.set(to));
                    focus_row(to, row_height);
                    return;
                }
                if key == "Escape" {
                    if ctx.state().selected.is_some() {
                        e.prevent_default();
                        ctx.dispatch(Action::Select(None));
                    }
                    return;
                }
                let opens = detail_on_enter && (key == "Enter" || key == " ");
                own.emit(e);
                if opens {
                    crate::browser::later(0, focus_detail);
                }
            })
        }
    }

    /// The detail panel's keydown: Escape closes it and focus goes back to the
    /// row it was opened from.
    pub fn detail_keydown(ctx: &Ctx) -> Callback<KeyboardEvent> {
        let ctx = ctx.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                ctx.dispatch(Action::Select(None));
                return_focus();
            }
        })
    }

    /// Put focus back on the current row (after the detail panel closed).
    pub fn return_focus() {
        let position = CURRENT.with(Cell::get);
        let row_height = ROW_HEIGHT.with(Cell::get);
        focus_row(position, row_height);
    }

    fn document() -> Option<web_sys::Document> {
        web_sys::window()?.document()
    }

    fn focus_detail() {
        if let Some(panel) = document()
            .and_then(|d| d.query_selector("[data-testid=\"detail\"]").ok().flatten())
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        {
            let _ = panel.focus();
        }
    }

    /// Scroll the virtual table so the line at `position` is in view (below the
    /// sticky header), then focus it once it is rendered (the table re-renders
    /// on the scroll event; a few tasks at most).
    fn focus_row(position: usize, row_height: u32) {
        let Some(doc) = document() else { return };
        if let Some(scroller) = doc
            .query_selector("[data-testid=\"results-scroll\"]")
            .ok()
            .flatten()
        {
            let head = doc
                .query_selector("[data-testid=\"results\"] thead")
                .ok()
                .flatten()
                .map_or(0, |h| h.client_height());
            let top = i64::try_from(position).unwrap_or(i64::MAX) * i64::from(row_height);
            let (scroll, height) = (
                i64::from(scroller.scroll_top()),
                i64::from(scroller.client_height()),
            );
            let bottom = top + i64::from(row_height) + i64::from(head);
            let new = if top < scroll {
                Some(top)
            } else if bottom > scroll + height {
                Some(bottom - height)
            } else {
                None
            };
            if let Some(new) = new {
                scroller.set_scroll_top(i32::try_from(new).unwrap_or(i32::MAX));
            }
        }
        try_focus(position, 40);
    }

    fn try_focus(position: usize, tries: u32) {
        let selector = format!(
            "[data-testid=\"results\"] tbody tr[aria-rowindex=\"{}\"]",
            position + 2
        );
        let row = document()
            .and_then(|d| d.query_selector(&selector).ok().flatten())
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        match row {
            Some(row) => {
                // The table scrolls itself (vertically, above); the browser
                // would also scroll a wide row sideways.
                let options = web_sys::FocusOptions::new();
                options.set_prevent_scroll(true);
                let _ = row.focus_with_options(&options);
            }
            None if tries > 0 => crate::browser::later(16, move || try_focus(position, tries - 1)),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_lead_to_rows_within_the_table() {
        // (key, from, total, page, to)
        let cases = [
            ("ArrowDown", 0, 10, 5, Some(1)),
            ("ArrowDown", 9, 10, 5, Some(9)),
            ("ArrowUp", 0, 10, 5, Some(0)),
            ("ArrowUp", 4, 10, 5, Some(3)),
            ("PageDown", 3, 10, 5, Some(8)),
            ("PageDown", 8, 10, 5, Some(9)),
            ("PageUp", 3, 10, 5, Some(0)),
            ("PageUp", 9, 10, 0, Some(8)),
            ("Home", 7, 10, 5, Some(0)),
            ("End", 2, 10, 5, Some(9)),
            ("ArrowDown", 0, 0, 5, None),
            ("Enter", 2, 10, 5, None),
            ("a", 2, 10, 5, None),
        ];
        for (key, from, total, page, to) in cases {
            assert_eq!(target(key, from, total, page), to, "{key} from {from}");
        }
    }

    #[test]
    fn one_rendered_row_holds_the_tab_stop() {
        assert_eq!(tab_stop(5, &(0..20)), 5);
        assert_eq!(tab_stop(50, &(30..60)), 50);
        assert_eq!(tab_stop(3, &(30..60)), 30);
        assert_eq!(tab_stop(0, &(0..0)), 0);
    }
}
