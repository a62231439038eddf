//! `cargo run -p cmdhunt-e2e --bin screenshots`: the README's screenshots,
//! taken from the built page (`cargo xtask dist` first, unless
//! `CMDHUNT_E2E_DIST` names a built page) with real data from
//! `../shared/data` (a Defender `DeviceProcessEvents` CSV and a Sysmon EVTX
//! log, all time, the first row's detail open: [`cmdhunt_e2e::scene`]):
//!
//! - `docs/screenshot-desktop.png`: 1400 px wide, light theme, from the top
//!   of the page to the end of the results and detail panel;
//! - `docs/screenshot-dark.png`: the same with `prefers-color-scheme: dark`;
//! - `docs/screenshot-phone.png`: a 390 × 844 phone screen (2× pixels),
//!   scrolled to the results table.
//!
//! Headless Chromium through the e2e harness; no network.

use std::path::PathBuf;

use base64::Engine as _;
use cmdhunt_e2e::emulation::{set_theme, set_viewport, Theme, Viewport, PHONE_HEIGHT};
use cmdhunt_e2e::page::Page;
use cmdhunt_e2e::{paths, scene, Error, Target};
use serde_json::{json, Value};

/// Capture `clip` (CSS px of the page, `[x, y, width, height]`) as PNG bytes.
async fn capture(page: &Page, clip: [f64; 4]) -> Result<Vec<u8>, Error> {
    let [x, y, width, height] = clip;
    let shot = page
        .browser
        .cdp(
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true,
                    "clip": { "x": x, "y": y, "width": width, "height": height, "scale": 1 } }),
        )
        .await?;
    let data = shot
        .get("data")
        .and_then(Value::as_str)
        .ok_or("Page.captureScreenshot gave no data")?;
    Ok(base64::engine::general_purpose::STANDARD.decode(data)?)
}

/// The page's width and the bottom of the results area (table and detail
/// panel), and the top of the results section, in CSS px of the page.
async fn layout(page: &Page) -> Result<(f64, f64, f64), Error> {
    page.render_barrier().await?;
    let v = page
        .js(
            r#"const s = document.querySelector('[data-testid="results-scroll"]'); if (s) s.scrollLeft = 0;
               const a = document.querySelector('.results-area').getBoundingClientRect();
               const r = document.querySelector('section.results').getBoundingClientRect();
               return [document.documentElement.clientWidth, a.bottom + scrollY, r.top + scrollY];"#,
            vec![],
        )
        .await?;
    let n = |i: usize| v[i].as_f64().unwrap_or(0.0);
    Ok((n(0), n(1), n(2)))
}

async fn take(page: &Page, dir: &std::path::Path) -> Result<Vec<PathBuf>, Error> {
    scene::triage(page).await?;
    let mut written = Vec::new();
    let mut save = |name: &str, png: Vec<u8>| -> Result<(), Error> {
        let path = dir.join(name);
        std::fs::write(&path, png)?;
        written.push(path);
        Ok(())
    };
    for (theme, name) in [
        (Theme::Light, "screenshot-desktop.png"),
        (Theme::Dark, "screenshot-dark.png"),
    ] {
        set_theme(page, theme).await?;
        let (width, bottom, _) = layout(page).await?;
        save(name, capture(page, [0.0, 0.0, width, bottom + 12.0]).await?)?;
    }
    set_theme(page, Theme::Light).await?;
    set_viewport(page, Viewport::Phone).await?;
    let (width, _, results_top) = layout(page).await?;
    let top = (results_top - 160.0).max(0.0);
    save(
        "screenshot-phone.png",
        capture(page, [0.0, top, width, f64::from(PHONE_HEIGHT)]).await?,
    )?;
    set_viewport(page, Viewport::Desktop).await?;
    Ok(written)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = paths::repo_root().join("docs");
    let page = match Page::open(Target::Served).await {
        Ok(page) => page,
        Err(e) => {
            eprintln!("screenshots: could not open the page: {e}");
            std::process::exit(2);
        }
    };
    let result = take(&page, &dir).await;
    page.close().await;
    match result {
        Ok(files) => {
            for f in files {
                println!("screenshots: wrote {}", f.display());
            }
        }
        Err(e) => {
            eprintln!("screenshots: {e}");
            std::process::exit(1);
        }
    }
}
