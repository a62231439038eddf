//! How the page is looked at: the colour scheme the browser asks for
//! (`prefers-color-scheme`) and the viewport (a desktop window or a 390 px
//! phone), set through the DevTools protocol so the page itself is untouched.

use serde_json::json;

use crate::page::Page;

/// The colour scheme the browser reports to the page's media queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// `prefers-color-scheme: light`.
    Light,
    /// `prefers-color-scheme: dark`.
    Dark,
}

impl Theme {
    /// Both, light first.
    pub const BOTH: [Theme; 2] = [Theme::Light, Theme::Dark];

    /// `light` or `dark` (the media feature's value).
    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// The viewport the page is laid out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewport {
    /// The test browser's own window (1400 × 1000).
    Desktop,
    /// A phone: [`PHONE_WIDTH`] × [`PHONE_HEIGHT`] CSS pixels, mobile (the
    /// page's `<meta name="viewport">` applies).
    Phone,
}

/// The phone viewport's width in CSS pixels (an iPhone 12–15's).
pub const PHONE_WIDTH: u32 = 390;
/// The phone viewport's height in CSS pixels.
pub const PHONE_HEIGHT: u32 = 844;

impl Viewport {
    /// `desktop` or `phone (390 px)`.
    pub fn name(self) -> &'static str {
        match self {
            Viewport::Desktop => "desktop",
            Viewport::Phone => "phone (390 px)",
        }
    }
}

/// Make the page see `theme` (its `prefers-color-scheme` media queries).
pub async fn set_theme(page: &Page, theme: Theme) -> Result<(), crate::Error> {
    page.browser
        .cdp(
            "Emulation.setEmulatedMedia",
            json!({ "media": "", "features": [{ "name": "prefers-color-scheme", "value": theme.name() }] }),
        )
        .await?;
    page.render_barrier().await
}

/// Lay the page out in `viewport`.
pub async fn set_viewport(page: &Page, viewport: Viewport) -> Result<(), crate::Error> {
    match viewport {
        Viewport::Desktop => {
            page.browser
                .cdp("Emulation.clearDeviceMetricsOverride", json!({}))
                .await?;
        }
        Viewport::Phone => {
            page.browser
                .cdp(
                    "Emulation.setDeviceMetricsOverride",
                    json!({ "width": PHONE_WIDTH, "height": PHONE_HEIGHT,
                            "deviceScaleFactor": 2, "mobile": true }),
                )
                .await?;
        }
    }
    // The virtual table measures its viewport on scroll: tell it.
    page.js(
        r#"const s = document.querySelector('[data-testid="results-scroll"]');
           if (s) s.dispatchEvent(new Event('scroll'));"#,
        vec![],
    )
    .await?;
    page.render_barrier().await
}
