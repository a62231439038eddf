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
pub mod contrast;
pub mod dist;
pub mod emulation;
pub mod exports;
pub mod page;
pub mod paths;
pub mod reference;
pub mod scene;
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

/// Open the page on `target`, run `body` on it, and always close the
/// browser; a failure carries what the page showed at that moment.
pub async fn with_page<F>(target: Target, body: F) -> Result<(), Error>
where
    F: AsyncFnOnce(&page::Page) -> Result<(), Error>,
{
    let page = page::Page::open(target).await?;
    let result = match body(&page).await {
        Ok(()) => Ok(()),
        Err(e) => Err(format!("[{}] {e}\n{}", page.label(), page.diagnose().await).into()),
    };
    page.close().await;
    result
}

/// `return Err(...)` unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+).into());
        }
    };
}

/// `return Err(...)` unless both sides are equal (both shown on failure).
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr, $($msg:tt)+) => {
        match (&$left, &$right) {
            (l, r) if l == r => {}
            (l, r) => return Err(format!("{}:\n  page: {:?}\n  core: {:?}", format!($($msg)+), l, r).into()),
        }
    };
}

/// Two tests from one body: `served` (dist/index.html over 127.0.0.1) and
/// `single_file` (dist/cmdhunt.html from file://).
#[macro_export]
macro_rules! on_both_targets {
    ($body:path) => {
        #[tokio::test(flavor = "current_thread")]
        async fn served() -> Result<(), $crate::Error> {
            $crate::with_page($crate::Target::Served, $body).await
        }

        #[tokio::test(flavor = "current_thread")]
        async fn single_file() -> Result<(), $crate::Error> {
            $crate::with_page($crate::Target::SingleFile, $body).await
        }
    };
}
