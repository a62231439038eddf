//! The page's Yew function components, one per file. They read the shared
//! [`app::Store`] from context and send [`crate::state::Action`]s; all logic
//! they show lives in the plain modules of the crate.

pub mod app;
pub mod detail;
pub mod drop_zone;
pub mod file_list;
pub mod results_table;
pub mod rule_panel;
pub mod summary;
pub mod toolbar;
