//! The page's Yew function components, one per file. They read the shared
//! [`app::Store`] from context and send [`crate::state::Action`]s; all logic
//! they show lives in the plain modules of the crate.

pub mod app;
pub mod charts;
pub mod detail;
pub mod drop_zone;
pub mod file_list;
pub mod grid_controls;
pub mod mode_switch;
pub mod results_table;
pub mod rule_panel;
pub mod search;
pub mod summary;
pub mod toolbar;
pub mod tuning_panel;
pub mod validation_panel;
pub mod why_chips;

use yew::prelude::*;

use crate::text::{break_pieces, BreakAt};

/// `text` as text nodes with a `<wbr>` wherever [`BreakAt`] allows a line break.
pub fn breakable(text: &str, at: BreakAt) -> Html {
    let pieces = break_pieces(text, at);
    let last = pieces.len().saturating_sub(1);
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            html! { <>{ piece.to_owned() }if i < last { <wbr /> }</> }
        })
        .collect()
}
