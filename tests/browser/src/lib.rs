//! End-to-end browser tests of the cmdhunt page: the harness.
//!
//! Every test starts its own [`server::StaticServer`] (serving `dist/` on
//! 127.0.0.1), its own chromedriver and headless Chromium with a fresh profile
//! ([`browser::Browser`]), opens the page either served or as the single file
//! `dist/cmdhunt.html` from `file://` ([`Target`]), drives it through its
//! `data-testid` hooks ([`page::Page`]) and compares what it shows with what
//! `cmdhunt_core` computes for the same files ([`reference`]).
//!
//! `dist/` is built once per test process by `cargo xtask dist`
//! ([`dist::ensure_built`]), so the tests never run against a missing or
//! stale page and never skip silently.

pub mod browser;
pub mod dist;
pub mod page;
pub mod paths;
pub mod reference;
pub mod server;
pub mod tmp;

/// What a test failure carries (tests return `Result<(), Error>`).
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// How the page is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `dist/index.html` from the test's static server on 127.0.0.1.
    Served,
    /// The self-contained `dist/cmdhunt.html` opened from `file://`.
    SingleFile,
}

impl Target {
    /// Both targets, in test order.
    pub const BOTH: [Target; 2] = [Target::Served, Target::SingleFile];
}
